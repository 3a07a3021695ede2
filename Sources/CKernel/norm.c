// Batch normalisation over (N, C, S): S = H*W after a conv, S = 1 after a dense
// layer (then C is the feature count). Statistics per channel, as PyTorch.
#include <math.h>

#include "ckernel.h"
#include "lanes.h"

typedef struct {
  const float *x, *gamma, *beta, *dy, *xhat, *inv_std;
  const float *relu_out;  // backward of a fused ReLU: dy counts where this is > 0
  int relu;
  float *y, *mean, *var, *dx, *dgamma, *dbeta;
  int64_t N, C, S;
} bn_job;

// Sums over one plane run in 16 float lanes (two 8-float vectors), without
// reassociating anything a compiler would have to prove safe; planes are added up
// in double. The lanes are written as vector types because the auto-vectoriser
// leaves lane arrays in scalar registers.

static double lanes_total(v8 a, v8 b) {
  double total = 0.0;
  for (int l = 0; l < 8; l++) total += (double)a[l] + (double)b[l];
  return total;
}

static double plane_sum(const float *restrict p, int64_t S) {
  v8 a = {0}, b = {0};
  int64_t s = 0;
  for (; s + 16 <= S; s += 16) {
    a += load8(p + s);
    b += load8(p + s + 8);
  }
  double rest = 0.0;
  for (; s < S; s++) rest += p[s];
  return lanes_total(a, b) + rest;
}

static double plane_squared_deviation(const float *restrict p, int64_t S, float mean) {
  v8 a = {0}, b = {0};
  int64_t s = 0;
  for (; s + 16 <= S; s += 16) {
    const v8 d0 = load8(p + s) - mean, d1 = load8(p + s + 8) - mean;
    a += d0 * d0;
    b += d1 * d1;
  }
  double rest = 0.0;
  for (; s < S; s++) rest += (double)(p[s] - mean) * (p[s] - mean);
  return lanes_total(a, b) + rest;
}

// sum(dy) and sum(dy * xhat) over one plane; with a fused ReLU, dy counts only
// where its output y is positive.
static void plane_gradient_sums(const float *restrict dy, const float *restrict xh,
                                const float *restrict y, int64_t S, double *sum_dy,
                                double *sum_dy_xhat) {
  v8 a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
  const v8 zero = {0};
  int64_t s = 0;
  for (; s + 16 <= S; s += 16) {
    v8 g0 = load8(dy + s), g1 = load8(dy + s + 8);
    if (y) {  // all-ones lanes where y > 0 keep g, zero lanes clear it
      g0 = (v8)((mask8)g0 & (load8(y + s) > zero));
      g1 = (v8)((mask8)g1 & (load8(y + s + 8) > zero));
    }
    a0 += g0;
    a1 += g1;
    b0 += g0 * load8(xh + s);
    b1 += g1 * load8(xh + s + 8);
  }
  double rest_dy = 0.0, rest_dyx = 0.0;
  for (; s < S; s++) {
    const float g = y && y[s] <= 0.0f ? 0.0f : dy[s];
    rest_dy += g;
    rest_dyx += (double)g * xh[s];
  }
  *sum_dy += lanes_total(a0, a1) + rest_dy;
  *sum_dy_xhat += lanes_total(b0, b1) + rest_dyx;
}

// Per channel: batch mean and biased variance, then y = gamma * xhat + beta.
static void bn_train_channels(void *ctx, int64_t c0, int64_t c1, int tid) {
  (void)tid;
  const bn_job *j = ctx;
  const int64_t N = j->N, C = j->C, S = j->S;
  for (int64_t c = c0; c < c1; c++) {
    double sum = 0.0, sq = 0.0;
    for (int64_t n = 0; n < N; n++) sum += plane_sum(j->x + (n * C + c) * S, S);
    const double mean = sum / (double)(N * S);
    for (int64_t n = 0; n < N; n++)
      sq += plane_squared_deviation(j->x + (n * C + c) * S, S, (float)mean);
    j->mean[c] = (float)mean;
    j->var[c] = (float)(sq / (double)(N * S));
  }
}

void atl_batchnorm_stats(const float *x, int64_t N, int64_t C, int64_t S, float *mean, float *var) {
  bn_job job = {.x = x, .mean = mean, .var = var, .N = N, .C = C, .S = S};
  atl_parallel_for(C, 1, bn_train_channels, &job);
}

static void bn_apply_channels(void *ctx, int64_t c0, int64_t c1, int tid) {
  (void)tid;
  const bn_job *j = ctx;
  const int64_t N = j->N, C = j->C, S = j->S;
  for (int64_t c = c0; c < c1; c++) {
    const float g = j->gamma ? j->gamma[c] : 1.0f, b = j->beta ? j->beta[c] : 0.0f;
    const float inv = j->inv_std[c], mu = j->mean[c];
    for (int64_t n = 0; n < N; n++) {
      const float *restrict p = j->x + (n * C + c) * S;
      float *restrict q = j->y + (n * C + c) * S;
      float *restrict h = j->xhat ? (float *)j->xhat + (n * C + c) * S : NULL;
      if (h) {
        for (int64_t s = 0; s < S; s++) {
          h[s] = (p[s] - mu) * inv;
          q[s] = g * h[s] + b;
        }
      } else {
        for (int64_t s = 0; s < S; s++) q[s] = g * ((p[s] - mu) * inv) + b;
      }
      // A separate pass over the plane just written (still in cache): fmaxf with a
      // floor of -inf in the loops above would turn a NaN into -inf.
      if (j->relu)
        for (int64_t s = 0; s < S; s++) q[s] = fmaxf(q[s], 0.0f);
    }
  }
}

void atl_batchnorm_apply(const float *x, const float *mean, const float *inv_std,
                         const float *gamma, const float *beta, int64_t N, int64_t C, int64_t S,
                         float *y, float *xhat, int relu) {
  bn_job job = {.x = x,
                .relu = relu,
                .mean = (float *)mean,
                .inv_std = inv_std,
                .gamma = gamma,
                .beta = beta,
                .y = y,
                .xhat = xhat,
                .N = N,
                .C = C,
                .S = S};
  atl_parallel_for(C, 1, bn_apply_channels, &job);
}

// dx = inv_std/M * (M*g*dy - sum(g*dy) - xhat * sum(g*dy*xhat)), M = N*S
static void bn_backward_channels(void *ctx, int64_t c0, int64_t c1, int tid) {
  (void)tid;
  const bn_job *j = ctx;
  const int64_t N = j->N, C = j->C, S = j->S;
  const double M = (double)(N * S);
  for (int64_t c = c0; c < c1; c++) {
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < N; n++)
      plane_gradient_sums(j->dy + (n * C + c) * S, j->xhat + (n * C + c) * S,
                          j->relu_out ? j->relu_out + (n * C + c) * S : NULL, S, &sum_dy,
                          &sum_dy_xhat);
    if (j->dgamma) j->dgamma[c] += (float)sum_dy_xhat;
    if (j->dbeta) j->dbeta[c] += (float)sum_dy;
    if (!j->dx) continue;
    const float g = j->gamma ? j->gamma[c] : 1.0f, inv = j->inv_std[c];
    const float a = (float)(g * inv / M), mean_dy = (float)sum_dy, mean_dyx = (float)sum_dy_xhat;
    for (int64_t n = 0; n < N; n++) {
      const float *restrict dy = j->dy + (n * C + c) * S, *restrict xh = j->xhat + (n * C + c) * S;
      const float *restrict y = j->relu_out ? j->relu_out + (n * C + c) * S : NULL;
      float *restrict dx = j->dx + (n * C + c) * S;
      if (y) {
        for (int64_t s = 0; s < S; s++)
          dx[s] = a * ((float)M * (y[s] > 0.0f ? dy[s] : 0.0f) - mean_dy - xh[s] * mean_dyx);
      } else {
        for (int64_t s = 0; s < S; s++) dx[s] = a * ((float)M * dy[s] - mean_dy - xh[s] * mean_dyx);
      }
    }
  }
}

void atl_batchnorm_backward(const float *dy, const float *xhat, const float *inv_std,
                            const float *gamma, int64_t N, int64_t C, int64_t S, float *dx,
                            float *dgamma, float *dbeta, const float *relu_out) {
  bn_job job = {.dy = dy,
                .relu_out = relu_out,
                .xhat = xhat,
                .inv_std = inv_std,
                .gamma = gamma,
                .dx = dx,
                .dgamma = dgamma,
                .dbeta = dbeta,
                .N = N,
                .C = C,
                .S = S};
  atl_parallel_for(C, 1, bn_backward_channels, &job);
}
