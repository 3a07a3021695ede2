// Fused optimizer updates, each one pass over a parameter, as PyTorch defines them.
#include <math.h>

#include "ckernel.h"

// Each update is split across the team in fixed ranges: every element's arithmetic
// is its own, so the result does not depend on the thread count.
typedef struct {
  float *w, *m, *v;
  const float *g;
  float lr, a, b, eps, weight_decay, step, inv_sqrt_bc2;
  int nesterov, first_step;
} update_job;

// Below this many parameters a split costs more than it saves.
#define UPDATE_GRAIN 16384

static void sgd_range(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const update_job *j = ctx;
  float *restrict w = j->w, *restrict v = j->v;
  const float *restrict g = j->g;
  const float momentum = j->a;
  for (int64_t i = begin; i < end; i++) {
    float d = g[i] + j->weight_decay * w[i];
    if (momentum != 0.0f) {
      v[i] = j->first_step ? d : momentum * v[i] + d;
      d = j->nesterov ? d + momentum * v[i] : v[i];
    }
    w[i] -= j->lr * d;
  }
}

void atl_sgd_update(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                    float weight_decay, int nesterov, int first_step) {
  update_job job = {.w = w,
                    .v = v,
                    .g = g,
                    .lr = lr,
                    .a = momentum,
                    .weight_decay = weight_decay,
                    .nesterov = nesterov,
                    .first_step = first_step};
  atl_parallel_for(n, UPDATE_GRAIN, sgd_range, &job);
}

static void adam_range(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const update_job *j = ctx;
  float *restrict w = j->w, *restrict m = j->m, *restrict v = j->v;
  const float *restrict g = j->g;
  const float beta1 = j->a, beta2 = j->b;
  for (int64_t i = begin; i < end; i++) {
    float d = g[i] + j->weight_decay * w[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * d;
    v[i] = beta2 * v[i] + (1.0f - beta2) * d * d;
    w[i] -= j->step * m[i] / (sqrtf(v[i]) * j->inv_sqrt_bc2 + j->eps);
  }
}

void atl_adam_update(float *w, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
                     float beta2, float eps, float weight_decay, int64_t t) {
  const double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
  update_job job = {.w = w,
                    .m = m,
                    .v = v,
                    .g = g,
                    .a = beta1,
                    .b = beta2,
                    .eps = eps,
                    .weight_decay = weight_decay,
                    .step = (float)(lr / bc1),
                    .inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2))};
  atl_parallel_for(n, UPDATE_GRAIN, adam_range, &job);
}

void atl_adamw_update(float *w, const float *g, float *m, float *v, int64_t n, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int64_t t) {
  const float shrink = 1.0f - lr * weight_decay;
  for (int64_t i = 0; i < n; i++) w[i] *= shrink;
  atl_adam_update(w, g, m, v, n, lr, beta1, beta2, eps, 0.0f, t);
}

static void rmsprop_range(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const update_job *j = ctx;
  float *restrict w = j->w, *restrict v = j->v;
  const float *restrict g = j->g;
  for (int64_t i = begin; i < end; i++) {
    const float d = g[i] + j->weight_decay * w[i];
    v[i] = j->a * v[i] + (1.0f - j->a) * d * d;
    w[i] -= j->lr * d / (sqrtf(v[i]) + j->eps);
  }
}

void atl_rmsprop_update(float *w, const float *g, float *v, int64_t n, float lr, float alpha,
                        float eps, float weight_decay) {
  update_job job = {
      .w = w, .v = v, .g = g, .lr = lr, .a = alpha, .eps = eps, .weight_decay = weight_decay};
  atl_parallel_for(n, UPDATE_GRAIN, rmsprop_range, &job);
}

double atl_sum_squares(const float *x, int64_t n) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) total += (double)x[i] * x[i];
  return total;
}

double atl_regularize(const float *w, float *g, int64_t n, float l1, float l2) {
  double penalty = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const float sign = w[i] > 0.0f ? 1.0f : (w[i] < 0.0f ? -1.0f : 0.0f);
    g[i] += 2.0f * l2 * w[i] + l1 * sign;
    penalty += (double)l2 * w[i] * w[i] + (double)l1 * fabsf(w[i]);
  }
  return penalty;
}
