// Covariance, eigen-decomposition and distances for PCA and t-SNE.
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

typedef struct {
  const float *x;
  int64_t n, d;
  const double *mean;
  double *parts;         // one d x d block per thread
  int interruptible;     // whether the sum is long enough to poll for Ctrl-C
  volatile int stopped;  // Ctrl-C: every thread leaves at its next block
} cov_job;

// Each thread: centred rows [r0, r1) -> X^T X into its own block, in double.
static void covariance_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  cov_job *j = ctx;
  const int64_t d = j->d, block = 256;
  float *centred = malloc(sizeof(float) * block * d);
  float *partial = calloc((size_t)(d * d), sizeof(float));
  if (!centred || !partial) {
    free(centred);
    free(partial);
    return;
  }
  double *out = j->parts + (int64_t)tid * d * d;
  for (int64_t r = r0; r < r1 && !j->stopped; r += block) {
    if (j->interruptible && atl_interrupt_pending()) j->stopped = 1;
    const int64_t rows = r + block <= r1 ? block : r1 - r;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t c = 0; c < d; c++)
        centred[i * d + c] = (float)(j->x[(r + i) * d + c] - j->mean[c]);
    // Accumulate in float over at most a few thousand rows, then fold into double.
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0f, centred, (int)d,
                1.0f, partial, (int)d);
    if ((r - r0) / block % 16 == 15 || r + rows >= r1) {
      for (int64_t i = 0; i < d * d; i++) out[i] += partial[i];
      memset(partial, 0, sizeof(float) * d * d);
    }
  }
  free(centred);
  free(partial);
}

int atl_pca(const float *x, int64_t n, int64_t d, int64_t k, double *mean, double *total_variance,
            double *eigenvalues, double *eigenvectors) {
  for (int64_t c = 0; c < d; c++) mean[c] = 0.0;
  for (int64_t r = 0; r < n; r++)
    for (int64_t c = 0; c < d; c++) mean[c] += x[r * d + c];
  for (int64_t c = 0; c < d; c++) mean[c] /= (double)n;
  const int T = atl_threads();
  double *parts = calloc((size_t)T * d * d, sizeof(double));
  double *cov = malloc(sizeof(double) * (size_t)(d * d));
  double *all_values = malloc(sizeof(double) * (size_t)d);
  lapack_int *support = malloc(sizeof(lapack_int) * (size_t)(2 * k));
  int status = -1;
  if (!parts || !cov || !all_values || !support) goto done;
  // A sum of under a billion multiply-adds takes a fraction of a second: it runs to the
  // end, so that a caller's own loop (t-SNE's) sees a pending Ctrl-C at its own point.
  const int interruptible = (double)n * (double)d * (double)d > 1e9;
  cov_job job = {
      .x = x, .n = n, .d = d, .mean = mean, .parts = parts, .interruptible = interruptible};
  atl_parallel_for(n, 512, covariance_rows, &job);
  if (job.stopped || (interruptible && atl_interrupt_pending())) {
    status = ATL_INTERRUPTED;
    goto done;
  }
  // Sum the blocks, mirror the upper triangle, divide by n - 1 (sample covariance).
  double trace = 0.0;
  for (int64_t i = 0; i < d * d; i++) {
    double total = 0.0;
    for (int t = 0; t < T; t++) total += parts[(int64_t)t * d * d + i];
    cov[i] = total / (double)(n > 1 ? n - 1 : 1);
  }
  for (int64_t i = 0; i < d; i++) {
    trace += cov[i * d + i];
    for (int64_t c = 0; c < i; c++) cov[i * d + c] = cov[c * d + i];
  }
  *total_variance = trace;
  // Only the k largest eigenpairs: bisection and inverse iteration on the tridiagonal
  // form cost O(d k^2) after the reduction, where the whole spectrum's vectors cost O(d^3).
  lapack_int found = 0;
  status = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)d, cov, (lapack_int)d, 0.0,
                          0.0, (lapack_int)(d - k + 1), (lapack_int)d, 0.0, &found, all_values,
                          eigenvectors, (lapack_int)k, support);
  if (status == 0 && found != k) status = -1;
  if (status == 0) memcpy(eigenvalues, all_values, sizeof(double) * (size_t)k);
done:
  free(parts);
  free(cov);
  free(all_values);
  free(support);
  return status;
}

void atl_standardize_rows(const float *x, int64_t rows, int64_t cols, float *out) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    double mean = 0.0, sq = 0.0;
    for (int64_t c = 0; c < cols; c++) mean += row[c];
    mean /= (double)cols;
    for (int64_t c = 0; c < cols; c++) sq += (row[c] - mean) * (row[c] - mean);
    double sd = sqrt(sq / (double)cols);
    if (sd < 1e-12) sd = 1e-12;
    for (int64_t c = 0; c < cols; c++) out[r * cols + c] = (float)((row[c] - mean) / sd);
  }
}
