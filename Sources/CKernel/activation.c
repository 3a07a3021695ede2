// Pointwise activations, forward and backward, and a row softmax.
#include <math.h>

#include "ckernel.h"

#define GRAIN 32768

typedef struct {
  int kind;
  float alpha;
  const float *x, *y, *dy;
  float *out;
} act_job;

static inline float forward_one(int kind, float x, float alpha) {
  switch (kind) {
    case ATL_LEAKY_RELU:
      return x > 0.0f ? x : alpha * x;
    case ATL_ELU:
      return x > 0.0f ? x : alpha * (expf(x) - 1.0f);
    case ATL_GELU:
      return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case ATL_TANH:
      return tanhf(x);
    case ATL_SIGMOID:
      return 1.0f / (1.0f + expf(-x));
    case ATL_EXP:
      return expf(x);
    case ATL_LOG:
      return logf(x);
    case ATL_SQRT:
      return sqrtf(x);
    case ATL_SQUARE:
      return x * x;
    case ATL_ABS:
      return fabsf(x);
    default:
      return x;
  }
}

// d out / d x, from the input x and the output y
static inline float derivative(int kind, float x, float y, float alpha) {
  switch (kind) {
    case ATL_LEAKY_RELU:
      return x > 0.0f ? 1.0f : alpha;
    case ATL_ELU:
      return x > 0.0f ? 1.0f : y + alpha;
    case ATL_GELU: {
      const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
      const float pdf = expf(-0.5f * x * x) * 0.3989422804014327f;
      return cdf + x * pdf;
    }
    case ATL_TANH:
      return 1.0f - y * y;
    case ATL_SIGMOID:
      return y * (1.0f - y);
    case ATL_EXP:
      return y;
    case ATL_LOG:
      return 1.0f / x;
    case ATL_SQRT:
      return 0.5f / y;
    case ATL_SQUARE:
      return 2.0f * x;
    case ATL_ABS:
      return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    default:
      return 1.0f;
  }
}

static void forward_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const act_job *j = ctx;
  for (int64_t i = i0; i < i1; i++) j->out[i] = forward_one(j->kind, j->x[i], j->alpha);
}

void atl_activation_forward(int kind, float alpha, const float *x, float *y, int64_t n) {
  act_job job = {.kind = kind, .alpha = alpha, .x = x, .out = y};
  atl_parallel_for(n, GRAIN, forward_range, &job);
}

static void backward_range(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const act_job *j = ctx;
  for (int64_t i = i0; i < i1; i++)
    j->out[i] = j->dy[i] * derivative(j->kind, j->x[i], j->y[i], j->alpha);
}

void atl_activation_backward(int kind, float alpha, const float *x, const float *y, const float *dy,
                             float *dx, int64_t n) {
  act_job job = {.kind = kind, .alpha = alpha, .x = x, .y = y, .dy = dy, .out = dx};
  atl_parallel_for(n, GRAIN, backward_range, &job);
}

double atl_softmax_row(const float *z, float *p, int64_t cols, float *top_out) {
  float top = z[0];
  for (int64_t c = 1; c < cols; c++)
    if (z[c] > top) top = z[c];
  double total = 0.0;
  for (int64_t c = 0; c < cols; c++) total += (p[c] = expf(z[c] - top));
  const float inv = (float)(1.0 / total);
  for (int64_t c = 0; c < cols; c++) p[c] *= inv;
  if (top_out) *top_out = top;
  return log(total);
}

void atl_softmax_rows(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) atl_softmax_row(x + r * cols, y + r * cols, cols, NULL);
}

// dx = y * (dy - sum(dy * y)) per row
void atl_softmax_rows_backward(const float *y, const float *dy, float *dx, int64_t rows,
                               int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *p = y + r * cols, *g = dy + r * cols;
    double dot = 0.0;
    for (int64_t c = 0; c < cols; c++) dot += g[c] * p[c];
    for (int64_t c = 0; c < cols; c++) dx[r * cols + c] = p[c] * (g[c] - (float)dot);
  }
}

// Dropout: keep[i] = 1/(1-p) where u[i] >= p, else 0; y = x * keep
void atl_dropout_mask(const float *uniform, float p, float *keep, int64_t n) {
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  for (int64_t i = 0; i < n; i++) keep[i] = uniform[i] >= p ? scale : 0.0f;
}
