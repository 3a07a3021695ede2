// t-SNE (van der Maaten 2014) with nearest neighbours from knn.c, perplexity calibration by
// binary search, and the repulsion by Barnes-Hut (tsne_bh.c) or FFT-accelerated
// interpolation (tsne_fft.c); optimisation as openTSNE (exaggeration phase with momentum
// 0.5, then momentum 0.8, gains as delta-bar-delta; the heavy-tailed kernel of its dof).
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ckernel.h"
#include "csr_rows.h"
#include "lanes.h"
#include "tsne_repulsion.h"

// ---------- perplexity calibration ----------

typedef struct {
  const float *distance;
  int64_t k;
  double perplexity;
  float *p;  // conditional p_{j|i}, row-normalised
} calib_job;

static void calibrate_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const calib_job *j = ctx;
  const double target = log(j->perplexity);
  for (int64_t i = r0; i < r1; i++) {
    const float *d = j->distance + i * j->k;
    float *p = j->p + i * j->k;
    double beta = 1.0, lo = 0.0, hi = INFINITY;
    double dmin = INFINITY;
    for (int64_t q = 0; q < j->k; q++) dmin = d[q] < dmin ? d[q] : dmin;
    for (int iter = 0; iter < 200; iter++) {
      double sum = 0.0, weighted = 0.0;
      for (int64_t q = 0; q < j->k; q++) {
        const double w = exp(-beta * (d[q] - dmin));
        p[q] = (float)w;
        sum += w;
        weighted += w * (d[q] - dmin);
      }
      if (sum <= 0.0) sum = DBL_MIN;
      const double entropy = log(sum) + beta * weighted / sum;
      for (int64_t q = 0; q < j->k; q++) p[q] = (float)(p[q] / sum);
      if (fabs(entropy - target) < 1e-5) break;
      if (entropy > target) {
        lo = beta;
        beta = isinf(hi) ? beta * 2.0 : (beta + hi) / 2.0;
      } else {
        hi = beta;
        beta = (beta + lo) / 2.0;
      }
    }
  }
}

void tsne_calibrate(const float *distance, int64_t n, int64_t k, double perplexity, float *p) {
  calib_job job = {distance, k, perplexity, p};
  atl_parallel_for(n, 64, calibrate_rows, &job);
}

// ---------- the optimisation ----------

typedef struct {
  const int64_t *rows;  // CSR of the symmetric P
  const int32_t *cols;
  const float *vals;
} tsne_affinities;

typedef struct {
  const tsne_affinities *p;
  const float *y;
  double dof, z;
  int with_kl;
  double *attract;
  double *kl_parts;
} attract_job;

// Attraction sum_j p_ij w_ij (y_i - y_j) over the sparse P in single precision (a row holds
// a few hundred terms; the loop vectorises), and KL(P || Q) in double when it is reported.
static void attract_rows(void *ctx, int64_t i0, int64_t i1, int tid) {
  const attract_job *j = ctx;
  const float *y = j->y;
  const float inverse_dof = (float)(1.0 / j->dof);
  double kl = 0.0;
  for (int64_t i = i0; i < i1; i++) {
    const float yx = y[2 * i], yy = y[2 * i + 1];
    const int64_t start = j->p->rows[i], end = j->p->rows[i + 1];
    // Eight running sums per axis, added up in a fixed order: the loop vectorises with
    // gathers and the result does not depend on how the compiler schedules it.
    v8 sum_x = {0}, sum_y = {0};
    int64_t e = start;
    for (; e + 8 <= end; e += 8) {
      v8 px, py, p;
      for (int l = 0; l < 8; l++) {
        const int32_t c = j->p->cols[e + l];
        px[l] = y[2 * c], py[l] = y[2 * c + 1], p[l] = j->p->vals[e + l];
      }
      const v8 dx = yx - px, dy = yy - py;
      const v8 pw = p / (1.0f + (dx * dx + dy * dy) * inverse_dof);
      sum_x += pw * dx, sum_y += pw * dy;
    }
    float ax = 0.0f, ay = 0.0f;
    for (int l = 0; l < 8; l++) ax += sum_x[l], ay += sum_y[l];
    for (; e < end; e++) {
      const int32_t c = j->p->cols[e];
      const float dx = yx - y[2 * c], dy = yy - y[2 * c + 1];
      const float pw = j->p->vals[e] / (1.0f + (dx * dx + dy * dy) * inverse_dof);
      ax += pw * dx;
      ay += pw * dy;
    }
    j->attract[2 * i] = ax;
    j->attract[2 * i + 1] = ay;
    if (!j->with_kl) continue;
    for (int64_t e = start; e < end; e++) {
      const double p = j->p->vals[e];
      if (p <= 0) continue;
      const int32_t c = j->p->cols[e];
      const double dx = yx - y[2 * c], dy = yy - y[2 * c + 1];
      const double w = tsne_kernel_base(dx * dx + dy * dy, j->dof);
      kl += p * log(p / (tsne_kernel(w, j->dof) / j->z));
    }
  }
  j->kl_parts[tid] += kl;
}

typedef struct {
  tsne_bh_state *bh;
  tsne_fft_state *fft;
  int method;
  double theta, dof;
} repulsion;

// The state of the chosen method; 0, or -2 when out of memory.
static int repulsion_open(repulsion *r, int method, double theta, double dof) {
  *r = (repulsion){NULL, NULL, method, theta, dof};
  if (method == ATL_TSNE_FFT)
    r->fft = tsne_fft_create();
  else
    r->bh = tsne_bh_create();
  return r->fft || r->bh ? 0 : -2;
}

static void repulsion_close(repulsion *r) { tsne_fft_destroy(r->fft), tsne_bh_destroy(r->bh); }

static int repel(repulsion *r, const float *y, int64_t n, double *force, double *z) {
  return r->method == ATL_TSNE_FFT ? tsne_fft_repulsion(r->fft, y, n, r->dof, force, z)
                                   : tsne_bh_repulsion(r->bh, y, n, r->theta, r->dof, force, z);
}

int atl_tsne_repulsion(const float *y, int64_t n, int method, double theta, double dof,
                       double *force, double *z) {
  repulsion r;
  const int status = repulsion_open(&r, method, theta, dof) == 0 ? repel(&r, y, n, force, z) : -2;
  repulsion_close(&r);
  return status;
}

static int optimise(const tsne_affinities *P, int64_t n, float *y, const atl_tsne_options *o,
                    atl_tsne_progress progress, void *progress_ctx) {
  const int threads = atl_threads();
  float *gains = malloc(sizeof(float) * n * 2), *update = calloc((size_t)n * 2, sizeof(float));
  double *attract = malloc(sizeof(double) * n * 2), *force = malloc(sizeof(double) * n * 2);
  double *kl_parts = malloc(sizeof(double) * threads);
  repulsion r;
  int status = repulsion_open(&r, o->method, o->theta, o->dof);
  if (!gains || !update || !attract || !force || !kl_parts) status = -2;
  for (int64_t i = 0; status == 0 && i < 2 * n; i++) gains[i] = 1.0f;

  for (int iter = 0; status == 0 && iter < o->iterations; iter++) {
    const int early = iter < o->exaggeration_iterations;
    const double exaggeration = early ? o->exaggeration : 1.0;
    const double momentum = early ? 0.5 : 0.8;
    double z = 0.0;
    if (repel(&r, y, n, force, &z) != 0) {
      status = -2;
      break;
    }
    if (z <= 0.0) z = DBL_MIN;
    const int report = (iter + 1) % 50 == 0 || iter + 1 == o->iterations;
    for (int t = 0; t < threads; t++) kl_parts[t] = 0.0;
    attract_job aj = {P, y, o->dof, z, report, attract, kl_parts};
    atl_parallel_for(n, 512, attract_rows, &aj);
    for (int64_t i = 0; i < 2 * n; i++) {
      const double grad = 4.0 * (exaggeration * attract[i] - force[i] / z);
      const int same = (grad > 0) == (update[i] > 0);
      gains[i] = same ? gains[i] * 0.8f : gains[i] + 0.2f;
      if (gains[i] < 0.01f) gains[i] = 0.01f;
      update[i] = (float)(momentum * update[i] - o->learning_rate * gains[i] * grad);
      y[i] += update[i];
    }
    // Keep the embedding centred.
    double sx = 0.0, sy = 0.0;
    for (int64_t i = 0; i < n; i++) sx += y[2 * i], sy += y[2 * i + 1];
    for (int64_t i = 0; i < n; i++) y[2 * i] -= (float)(sx / n), y[2 * i + 1] -= (float)(sy / n);
    if (report) {
      double kl = 0.0;
      for (int t = 0; t < threads; t++) kl += kl_parts[t];
      if (progress && progress(progress_ctx, iter + 1, kl)) break;
    }
  }
  repulsion_close(&r);
  free(gains), free(update), free(attract), free(force), free(kl_parts);
  return status;
}

// ---------- the embedding ----------

int atl_tsne(const float *x, int64_t n, int64_t d, float *y, const atl_tsne_options *o,
             atl_tsne_progress progress, void *progress_ctx) {
  if (n < 4) return -1;
  int k = (int)(3.0 * o->perplexity);
  if (k > n - 1) k = (int)n - 1;
  if (k < 1) k = 1;
  int32_t *index = malloc(sizeof(int32_t) * n * k);
  float *distance = malloc(sizeof(float) * n * k);
  float *conditional = malloc(sizeof(float) * n * k);
  if (!index || !distance || !conditional ||
      (o->approximate_neighbors ? atl_knn_approx(x, n, d, k, o->seed, index, distance)
                                : atl_knn(x, n, x, n, d, k, 1, index, distance)) != 0) {
    free(index), free(distance), free(conditional);
    return -2;
  }
  tsne_calibrate(distance, n, k, o->perplexity, conditional);
  free(distance);

  // Symmetric P: p_ij = (p_j|i + p_i|j) / 2n over the union of both neighbour lists, each
  // pair held once (the gradient would not care; the KL divergence does).
  for (int64_t e = 0; e < n * k; e++) conditional[e] = conditional[e] / (2.0f * (float)n);
  int64_t *counts = NULL;
  int32_t *cols = NULL;
  float *vals = NULL;
  const int built = csr_symmetric(index, conditional, n, k, csr_sum, &counts, &cols, &vals);
  free(index), free(conditional);
  if (built != 0) return -2;
  tsne_affinities P = {counts, cols, vals};
  const int status = optimise(&P, n, y, o, progress, progress_ctx);
  free(counts), free(cols), free(vals);
  return status;
}
