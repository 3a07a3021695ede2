// Batch normalisation over (N, C, S): S = H*W after a conv, S = 1 after a dense
// layer (then C is the feature count). Statistics per channel, as PyTorch.
#include <math.h>

#include "ckernel.h"
#include "lanes.h"

typedef struct {
  const float *x, *gamma, *beta, *dy, *inv_std;
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

// sum(dy) and sum(dy * xhat) over one plane, xhat = (x - mean) * inv_std recomputed
// exactly as the forward pass formed it; with a fused ReLU, dy counts only where its
// output y is positive.
static void plane_gradient_sums(const float *restrict dy, const float *restrict x,
                                const float *restrict y, int64_t S, float mean, float inv_std,
                                double *sum_dy, double *sum_dy_xhat) {
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
    b0 += g0 * ((load8(x + s) - mean) * inv_std);
    b1 += g1 * ((load8(x + s + 8) - mean) * inv_std);
  }
  double rest_dy = 0.0, rest_dyx = 0.0;
  for (; s < S; s++) {
    const float g = y && y[s] <= 0.0f ? 0.0f : dy[s];
    rest_dy += g;
    rest_dyx += (double)g * ((x[s] - mean) * inv_std);
  }
  *sum_dy += lanes_total(a0, a1) + rest_dy;
  *sum_dy_xhat += lanes_total(b0, b1) + rest_dyx;
}

// Each thread takes a range of channels and walks them a block at a time, batch
// item by batch item: the planes of a block lie side by side in memory, so the reads
// run longer than one plane (a 7x7 map's is 196 bytes, then a jump of C*S floats).
// A block is as many channels as keep the second pass's reads in a core's cache
// (dx, or the squared deviations, revisit what the sums read). Each channel still
// adds its planes up in batch order.
enum { BN_BLOCK = 64, BN_CACHE_BYTES = 256 << 10 };

static int64_t channel_block(const bn_job *j, int streams) {
  const int64_t per_channel = j->N * j->S * (int64_t)sizeof(float) * streams;
  const int64_t fit = per_channel > 0 ? BN_CACHE_BYTES / per_channel : BN_BLOCK;
  return fit < 1 ? 1 : fit > BN_BLOCK ? BN_BLOCK : fit;
}

static int64_t block_end(int64_t c, int64_t c1, int64_t block) {
  return c + block < c1 ? c + block : c1;
}

// Per channel: batch mean and biased variance.
static void bn_train_channels(void *ctx, int64_t c0, int64_t c1, int tid) {
  (void)tid;
  const bn_job *j = ctx;
  const int64_t N = j->N, C = j->C, S = j->S, block = channel_block(j, 1);
  for (int64_t cb = c0; cb < c1; cb = block_end(cb, c1, block)) {
    const int64_t ce = block_end(cb, c1, block);
    double sum[BN_BLOCK] = {0}, sq[BN_BLOCK] = {0};
    float mean[BN_BLOCK];
    for (int64_t n = 0; n < N; n++)
      for (int64_t c = cb; c < ce; c++) sum[c - cb] += plane_sum(j->x + (n * C + c) * S, S);
    for (int64_t c = cb; c < ce; c++) mean[c - cb] = (float)(sum[c - cb] / (double)(N * S));
    for (int64_t n = 0; n < N; n++)
      for (int64_t c = cb; c < ce; c++)
        sq[c - cb] += plane_squared_deviation(j->x + (n * C + c) * S, S, mean[c - cb]);
    for (int64_t c = cb; c < ce; c++) {
      j->mean[c] = mean[c - cb];
      j->var[c] = (float)(sq[c - cb] / (double)(N * S));
    }
  }
}

void atl_batchnorm_stats(const float *x, int64_t N, int64_t C, int64_t S, float *mean, float *var) {
  bn_job job = {.x = x, .mean = mean, .var = var, .N = N, .C = C, .S = S};
  atl_parallel_for(C, 1, bn_train_channels, &job);
}

// y = gamma * xhat + beta over a range of planes (n * C + c), in memory order.
static void bn_apply_planes(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const bn_job *j = ctx;
  const int64_t C = j->C, S = j->S;
  for (int64_t i = i0; i < i1; i++) {
    const int64_t c = i % C;
    const float g = j->gamma ? j->gamma[c] : 1.0f, b = j->beta ? j->beta[c] : 0.0f;
    const float inv = j->inv_std[c], mu = j->mean[c];
    const float *restrict p = j->x + i * S;
    float *restrict q = j->y + i * S;
    if (j->relu)
      for (int64_t s = 0; s < S; s++) q[s] = fmaxf(g * ((p[s] - mu) * inv) + b, 0.0f);
    else
      for (int64_t s = 0; s < S; s++) q[s] = g * ((p[s] - mu) * inv) + b;
  }
}

void atl_batchnorm_apply(const float *x, const float *mean, const float *inv_std,
                         const float *gamma, const float *beta, int64_t N, int64_t C, int64_t S,
                         float *y, int relu) {
  bn_job job = {.x = x,
                .relu = relu,
                .mean = (float *)mean,
                .inv_std = inv_std,
                .gamma = gamma,
                .beta = beta,
                .y = y,
                .N = N,
                .C = C,
                .S = S};
  // Pieces of at least ~16k floats: below that the team costs more than it saves.
  atl_parallel_for(N * C, 16384 / (S > 0 ? S : 1) + 1, bn_apply_planes, &job);
}

// dx = inv_std/M * (M*g*dy - sum(g*dy) - xhat * sum(g*dy*xhat)), M = N*S
static void bn_backward_channels(void *ctx, int64_t c0, int64_t c1, int tid) {
  (void)tid;
  const bn_job *j = ctx;
  const int64_t N = j->N, C = j->C, S = j->S;
  const double M = (double)(N * S);
  const int64_t block = channel_block(j, j->relu_out ? 3 : 2);
  for (int64_t cb = c0; cb < c1; cb = block_end(cb, c1, block)) {
    const int64_t ce = block_end(cb, c1, block);
    double sum_dy[BN_BLOCK] = {0}, sum_dy_xhat[BN_BLOCK] = {0};
    for (int64_t n = 0; n < N; n++)
      for (int64_t c = cb; c < ce; c++) {
        const int64_t plane = (n * C + c) * S;
        plane_gradient_sums(j->dy + plane, j->x + plane, j->relu_out ? j->relu_out + plane : NULL,
                            S, j->mean[c], j->inv_std[c], &sum_dy[c - cb], &sum_dy_xhat[c - cb]);
      }
    for (int64_t c = cb; c < ce; c++) {
      if (j->dgamma) j->dgamma[c] += (float)sum_dy_xhat[c - cb];
      if (j->dbeta) j->dbeta[c] += (float)sum_dy[c - cb];
    }
    if (!j->dx) continue;
    for (int64_t n = 0; n < N; n++)
      for (int64_t c = cb; c < ce; c++) {
        const float g = j->gamma ? j->gamma[c] : 1.0f, inv = j->inv_std[c], mu = j->mean[c];
        const float a = (float)(g * inv / M), mean_dy = (float)sum_dy[c - cb],
                    mean_dyx = (float)sum_dy_xhat[c - cb];
        const int64_t plane = (n * C + c) * S;
        const float *restrict dy = j->dy + plane, *restrict x = j->x + plane;
        const float *restrict y = j->relu_out ? j->relu_out + plane : NULL;
        float *restrict dx = j->dx + plane;
        if (y) {
          for (int64_t s = 0; s < S; s++)
            dx[s] = a * ((float)M * (y[s] > 0.0f ? dy[s] : 0.0f) - mean_dy -
                         ((x[s] - mu) * inv) * mean_dyx);
        } else {
          for (int64_t s = 0; s < S; s++)
            dx[s] = a * ((float)M * dy[s] - mean_dy - ((x[s] - mu) * inv) * mean_dyx);
        }
      }
  }
}

void atl_batchnorm_backward(const float *dy, const float *x, const float *mean,
                            const float *inv_std, const float *gamma, int64_t N, int64_t C,
                            int64_t S, float *dx, float *dgamma, float *dbeta,
                            const float *relu_out) {
  bn_job job = {.dy = dy,
                .relu_out = relu_out,
                .x = x,
                .mean = (float *)mean,
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
