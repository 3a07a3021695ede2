// GEMM through oneDNN's sgemm, or OpenBLAS where ATELIER_GEMM=openblas asks for it
// or oneDNN refuses a call (atl_gemm_engine). oneDNN's runs on
// the OpenMP team and sizes itself; OpenBLAS itself runs single-threaded, so a
// large product called from outside the pool is split by rows of C across the
// pool instead.
#include <cblas.h>
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

typedef struct {
  int trans_a, trans_b;
  int64_t N, K, lda, ldb, ldc;
  float alpha, beta;
  const float *A, *B;
  float *C;
} gemm_job;

static int engine_setting = -1;

void atl_gemm_set_engine(int engine) { engine_setting = engine; }

int atl_gemm_engine(void) {
  if (engine_setting < 0) {
    const char *env = getenv("ATELIER_GEMM");
    engine_setting = env && !strcmp(env, "openblas") ? ATL_GEMM_OPENBLAS : ATL_GEMM_DNNL;
  }
  return engine_setting;
}

static void gemm_rows(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const gemm_job *j = ctx;
  // Rows of op(A) start at row `begin` of A, or column `begin` when A is transposed.
  const float *a = j->trans_a ? j->A + begin : j->A + begin * j->lda;
  cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans,
              j->trans_b ? CblasTrans : CblasNoTrans, (int)(end - begin), (int)j->N, (int)j->K,
              j->alpha, a, (int)j->lda, j->B, (int)j->ldb, j->beta, j->C + begin * j->ldc,
              (int)j->ldc);
}

void atl_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
               int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  atl_threads();  // oneDNN sizes its team by this thread's OpenMP setting
  // Called inside a parallel loop (Winograd's products, one per tile element),
  // oneDNN runs on the calling thread alone.
  if (K > 0 && atl_gemm_engine() == ATL_GEMM_DNNL &&
      dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C,
                 ldc) == dnnl_success)
    return;
  gemm_job job = {trans_a, trans_b, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
  // Below ~2 MFLOP the fork/join costs more than it saves.
  int64_t grain = (N * K > 0) ? (int64_t)(1000000 / (N * K)) + 16 : M;
  atl_parallel_for(M, grain, gemm_rows, &job);
}
