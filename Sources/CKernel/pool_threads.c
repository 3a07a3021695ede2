// One persistent pthread pool owning the cores. The caller thread takes piece
// 0 itself, so a pool of T threads starts T-1 workers.
//
// Training issues thousands of short parallel loops per second, so waking a
// sleeping thread through a condition variable (tens of microseconds) would cost
// more than many loops take. Workers therefore spin on a generation counter for
// a while after each job and only then sleep; the submitter wakes sleepers only.
#include <immintrin.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "ckernel.h"

void openblas_set_num_threads(int num_threads);

#define ATL_MAX_THREADS 256
// About a millisecond of spinning before a worker sleeps.
#define SPINS_BEFORE_SLEEP (1 << 15)

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t work_ready;
  int size;
  atomic_uint_fast64_t generation;
  atomic_int pending;
  atomic_int sleepers;
  // The job; written before `generation` is bumped, read after it is seen.
  atl_range_fn fn;
  void *ctx;
  int64_t n;
  int pieces;
} atl_pool;

static atl_pool pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int inside_pool = 0;

static void run_piece(int tid) {
  int64_t n = pool.n, pieces = pool.pieces;
  int64_t begin = n * tid / pieces, end = n * (tid + 1) / pieces;
  if (begin < end) pool.fn(pool.ctx, begin, end, tid);
}

static uint64_t wait_for_work(uint64_t seen) {
  uint64_t now;
  for (int spins = 0; (now = atomic_load(&pool.generation)) == seen; spins++) {
    if (spins < SPINS_BEFORE_SLEEP) {
      _mm_pause();
      continue;
    }
    pthread_mutex_lock(&pool.lock);
    atomic_fetch_add(&pool.sleepers, 1);
    while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.work_ready, &pool.lock);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.lock);
    spins = 0;
  }
  return now;
}

static void *worker_main(void *arg) {
  int tid = (int)(intptr_t)arg;
  inside_pool = 1;
  uint64_t seen = 0;
  for (;;) {
    seen = wait_for_work(seen);
    if (tid < pool.pieces) {
      run_piece(tid);
      atomic_fetch_sub(&pool.pending, 1);
    }
  }
  return NULL;
}

static int configured_size(void) {
  const char *env = getenv("ATELIER_THREADS");
  long n = env ? strtol(env, NULL, 10) : 0;
  if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 0) n = 1;
  if (n > ATL_MAX_THREADS) n = ATL_MAX_THREADS;
  return (int)n;
}

static void pool_start(void) {
  openblas_set_num_threads(1);
  // Training allocates the same activation sizes every batch; keeping them on
  // the heap instead of fresh mmaps avoids a page fault per touched page.
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1024 << 20);
  pool.size = configured_size();
  for (int t = 1; t < pool.size; t++) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)t) != 0;
    pthread_attr_destroy(&attr);
    if (failed) {
      pool.size = t;  // run with the threads we got
      break;
    }
  }
}

int atl_threads(void) {
  pthread_once(&pool_once, pool_start);
  return pool.size;
}

void atl_parallel_for(int64_t n, int64_t grain, atl_range_fn fn, void *ctx) {
  if (n <= 0) return;
  int size = atl_threads();
  if (grain < 1) grain = 1;
  int64_t pieces = n / grain;
  if (pieces > size) pieces = size;
  if (pieces <= 1 || inside_pool) {
    fn(ctx, 0, n, 0);
    return;
  }
  // Several application threads (tests) may submit at once; the pool serves one job.
  pthread_mutex_lock(&submit_lock);
  inside_pool = 1;
  pool.fn = fn;
  pool.ctx = ctx;
  pool.n = n;
  pool.pieces = (int)pieces;
  atomic_store(&pool.pending, (int)pieces - 1);
  atomic_fetch_add(&pool.generation, 1);
  if (atomic_load(&pool.sleepers) > 0) {
    pthread_mutex_lock(&pool.lock);
    pthread_cond_broadcast(&pool.work_ready);
    pthread_mutex_unlock(&pool.lock);
  }

  run_piece(0);

  for (int spins = 0; atomic_load(&pool.pending) > 0; spins++) {
    if (spins < SPINS_BEFORE_SLEEP)
      _mm_pause();
    else
      sched_yield();
  }
  inside_pool = 0;
  pthread_mutex_unlock(&submit_lock);
}

float *atl_alloc_uninitialized(int64_t count) {
  atl_threads();  // applies the allocator settings before the first large allocation
  void *p = NULL;
  size_t bytes = (size_t)(count > 0 ? count : 1) * sizeof(float);
  bytes = (bytes + 63) & ~(size_t)63;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  return (float *)p;
}

float *atl_alloc(int64_t count) {
  float *p = atl_alloc_uninitialized(count);
  if (p) __builtin_memset(p, 0, (size_t)(count > 0 ? count : 1) * sizeof(float));
  return p;
}

void atl_free(float *p) { free(p); }
