// Elementwise ops and reductions. Large arrays are split across the pool;
// small ones run inline because fork/join would cost more than the work.
#include <math.h>

#include "ckernel.h"
#include "lanes.h"

#define ELEMENTWISE_GRAIN 32768

typedef struct {
  const float *a, *b;
  float *out;
  float alpha;
} ew_job;

static void relu_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const ew_job *j = ctx;
  const float *restrict x = j->a;
  float *restrict y = j->out;
  for (int64_t i = i0; i < i1; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void atl_relu_forward(const float *x, float *y, int64_t n) {
  ew_job job = {.a = x, .out = y};
  atl_parallel_for(n, ELEMENTWISE_GRAIN, relu_range, &job);
}

static void relu_backward_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const ew_job *j = ctx;
  const float *restrict x = j->a, *restrict dy = j->b;
  float *restrict dx = j->out;
  for (int64_t i = i0; i < i1; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

void atl_relu_backward(const float *x, const float *dy, float *dx, int64_t n) {
  ew_job job = {.a = x, .b = dy, .out = dx};
  atl_parallel_for(n, ELEMENTWISE_GRAIN, relu_backward_range, &job);
}

void atl_bias_add(float *y, const float *b, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) y[r * cols + c] += b[c];
}

static void add_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const ew_job *j = ctx;
  for (int64_t i = i0; i < i1; i++) j->out[i] = j->a[i] + j->b[i];
}

void atl_add(const float *a, const float *b, float *out, int64_t n) {
  ew_job job = {.a = a, .b = b, .out = out};
  atl_parallel_for(n, ELEMENTWISE_GRAIN, add_range, &job);
}

// A residual block's sum and its ReLU in one pass: the sum itself is never stored.
static void add_relu_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const ew_job *j = ctx;
  const float *restrict a = j->a, *restrict b = j->b;
  float *restrict y = j->out;
  for (int64_t i = i0; i < i1; i++) {
    const float sum = a[i] + b[i];
    y[i] = sum > 0.0f ? sum : 0.0f;
  }
}

void atl_add_relu_forward(const float *a, const float *b, float *y, int64_t n) {
  ew_job job = {.a = a, .b = b, .out = y};
  atl_parallel_for(n, ELEMENTWISE_GRAIN, add_relu_range, &job);
}

static void scale_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const ew_job *j = ctx;
  for (int64_t i = i0; i < i1; i++) j->out[i] = j->alpha * j->a[i];
}

void atl_scale(const float *x, float alpha, float *out, int64_t n) {
  ew_job job = {.a = x, .out = out, .alpha = alpha};
  atl_parallel_for(n, ELEMENTWISE_GRAIN, scale_range, &job);
}

static void axpy_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const ew_job *j = ctx;
  for (int64_t i = i0; i < i1; i++) j->out[i] += j->alpha * j->a[i];
}

void atl_axpy(float alpha, const float *x, float *y, int64_t n) {
  ew_job job = {.a = x, .out = y, .alpha = alpha};
  atl_parallel_for(n, ELEMENTWISE_GRAIN, axpy_range, &job);
}

void atl_fill(float *x, float value, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = value;
}

double atl_sum(const float *x, int64_t n) {
  double acc = 0.0;
  for (int64_t i = 0; i < n; i++) acc += x[i];
  return acc;
}

double atl_mean(const float *x, int64_t n) { return n > 0 ? atl_sum(x, n) / (double)n : NAN; }

void atl_argmax_rows(const float *x, int64_t rows, int64_t cols, int32_t *out) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    int32_t best = 0;
    for (int64_t c = 1; c < cols; c++)
      if (row[c] > row[best]) best = (int32_t)c;
    out[r] = best;
  }
}

// x * 0 is 0 for every finite x and NaN for NaN and ±Inf, so one vector sum of
// those products says whether all were finite, without a branch per element.
int atl_all_finite(const float *x, int64_t n) {
  v8 acc = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc += load8(x + i) * 0.0f;
  }
  float rest = 0.0f;
  for (; i < n; i++) rest += x[i] * 0.0f;
  for (int l = 0; l < 8; l++) rest += acc[l];
  return rest == 0.0f;
}

void atl_channel_bias_add(float *y, const float *b, int64_t N, int64_t C, int64_t S) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) {
      float *restrict p = y + (n * C + c) * S;
      const float v = b[c];
      for (int64_t s = 0; s < S; s++) p[s] += v;
    }
}

void atl_channel_sums(const float *x, int64_t N, int64_t C, int64_t S, float *out) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) out[c] += (float)atl_sum(x + (n * C + c) * S, S);
}
