// Tensor memory. Training allocates the same large activation and gradient sizes
// every batch; fresh pages from the kernel cost a page fault and a clear each,
// and a general-purpose heap fragments when the sizes change (training, then
// evaluation in other batch sizes) until its peak is the sum of both phases.
// So large blocks come from mmap, sizes are rounded to one of a few classes, and
// freed blocks wait in a cache for the next request of their class. The cache is
// emptied at phase boundaries (`atl_release_cached_memory`, after fit and before
// evaluation), which returns the memory to the system: a phase's peak is its own.
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ckernel.h"

#define LARGE_BYTES (256 << 10)
#define HEADER 64  // keeps the block 64-byte aligned; holds its size class
#define MAX_CACHED 512

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static void *cached[MAX_CACHED];
static size_t cached_size[MAX_CACHED];
static int cached_count;
static size_t cached_bytes;
// Above this much idle memory, freed blocks go back to the system at once.
static const size_t cache_limit = (size_t)512 << 20;

// Rounds up to 1/8 steps between powers of two: at most 12.5% more than asked.
static size_t size_class(size_t bytes) {
  size_t power = 1;
  while (power < bytes) power <<= 1;
  const size_t step = power / 16 > 4096 ? power / 16 : 4096;
  return (bytes + step - 1) / step * step;
}

static void release_blocks(void) {
  pthread_mutex_lock(&cache_lock);
  for (int i = 0; i < cached_count; i++) munmap(cached[i], cached_size[i]);
  cached_count = 0;
  cached_bytes = 0;
  pthread_mutex_unlock(&cache_lock);
}

static void *large_block(size_t bytes) {
  const size_t total = size_class(bytes + HEADER);
  pthread_mutex_lock(&cache_lock);
  for (int i = cached_count - 1; i >= 0; i--) {
    if (cached_size[i] != total) continue;
    void *block = cached[i];
    cached_bytes -= total;
    cached[i] = cached[--cached_count];
    cached_size[i] = cached_size[cached_count];
    pthread_mutex_unlock(&cache_lock);
    return (char *)block + HEADER;
  }
  pthread_mutex_unlock(&cache_lock);
  void *block = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) {
    // Idle cached blocks may be what stands in the way: give them back and try once more.
    release_blocks();
    block = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) return NULL;
  }
  *(size_t *)block = total;
  return (char *)block + HEADER;
}

static void free_large(void *p) {
  void *block = (char *)p - HEADER;
  const size_t total = *(size_t *)block;
  pthread_mutex_lock(&cache_lock);
  if (cached_count < MAX_CACHED && cached_bytes + total <= cache_limit) {
    cached[cached_count] = block;
    cached_size[cached_count++] = total;
    cached_bytes += total;
    block = NULL;
  }
  pthread_mutex_unlock(&cache_lock);
  if (block) munmap(block, total);
}

void atl_release_cached_memory(void) {
  atl_conv_release_scratch();
  release_blocks();
}

// Small blocks come from malloc with the same 64-byte header, so that free can
// tell the two kinds apart by the size stored there.
float *atl_alloc_uninitialized(int64_t count) {
  atl_threads();  // applies the allocator settings before the first allocation
  const size_t bytes = ((size_t)(count > 0 ? count : 1) * sizeof(float) + 63) & ~(size_t)63;
  if (bytes >= LARGE_BYTES) return large_block(bytes);
  void *block = NULL;
  if (posix_memalign(&block, 64, bytes + HEADER) != 0) return NULL;
  *(size_t *)block = 0;
  return (float *)((char *)block + HEADER);
}

float *atl_alloc(int64_t count) {
  float *p = atl_alloc_uninitialized(count);
  if (p) memset(p, 0, (size_t)(count > 0 ? count : 1) * sizeof(float));
  return p;
}

void atl_free(float *p) {
  if (!p) return;
  void *block = (char *)p - HEADER;
  if (*(size_t *)block) {
    free_large(p);
  } else {
    free(block);
  }
}

// One grow-only buffer per thread, kept between calls: the convolution engines' working
// memory (a thread runs one convolution at a time).
static _Thread_local float *thread_scratch;
static _Thread_local int64_t thread_scratch_len;

float *atl_thread_scratch(int64_t count) {
  if (count > thread_scratch_len) {
    atl_free(thread_scratch);
    thread_scratch = atl_alloc_uninitialized(count);
    thread_scratch_len = thread_scratch ? count : 0;
  }
  return thread_scratch;
}
