// Parallel loops run on the OpenMP thread team of libgomp, the same team that
// oneDNN's convolutions use, so that one set of threads owns the cores and no
// two pools spin against each other. Loops are short and frequent; libgomp keeps
// its threads spinning for a while after each region, so a hand-off costs about
// a microsecond. The runtime is called through its ABI (GOMP_parallel), which
// needs no OpenMP support from the compiler.
//
// Work is split into fixed pieces by n and the thread count alone, and piece i
// always covers the same range, so results do not depend on scheduling.
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ckernel.h"

void openblas_set_num_threads(int num_threads);
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
void omp_set_num_threads(int n);

#define ATL_MAX_THREADS 256

static int pool_size = 0;
static _Thread_local int inside_pool = 0;

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
  atl_isa_configure();
  pool_size = configured_size();
}

int atl_threads(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pool_start);
  // oneDNN sizes its regions by the calling thread's OpenMP setting.
  static _Thread_local int told = 0;
  if (!told) {
    omp_set_num_threads(pool_size);
    told = 1;
  }
  return pool_size;
}

typedef struct {
  atl_range_fn fn;
  void *ctx;
  int64_t n;
  int pieces;
} team_job;

static void team_body(void *arg) {
  const team_job *j = arg;
  const int was_inside = inside_pool;
  inside_pool = 1;
  // A team smaller than asked for (a busy runtime) still runs every piece.
  for (int piece = omp_get_thread_num(); piece < j->pieces; piece += omp_get_num_threads()) {
    int64_t begin = j->n * piece / j->pieces, end = j->n * (piece + 1) / j->pieces;
    if (begin < end) j->fn(j->ctx, begin, end, piece);
  }
  inside_pool = was_inside;
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
  team_job job = {fn, ctx, n, (int)pieces};
  GOMP_parallel(team_body, &job, (unsigned)pieces, 0);
}
