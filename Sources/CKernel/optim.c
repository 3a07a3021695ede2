// Fused optimizer updates, each one pass over a parameter, as PyTorch defines them.
#include <math.h>

#include "ckernel.h"

void atl_sgd_update(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                    float weight_decay, int nesterov, int first_step) {
  for (int64_t i = 0; i < n; i++) {
    float d = g[i] + weight_decay * w[i];
    if (momentum != 0.0f) {
      v[i] = first_step ? d : momentum * v[i] + d;
      d = nesterov ? d + momentum * v[i] : v[i];
    }
    w[i] -= lr * d;
  }
}

void atl_adam_update(float *w, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
                     float beta2, float eps, float weight_decay, int64_t t) {
  const double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
  const float step = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
  for (int64_t i = 0; i < n; i++) {
    float d = g[i] + weight_decay * w[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * d;
    v[i] = beta2 * v[i] + (1.0f - beta2) * d * d;
    w[i] -= step * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
  }
}

void atl_adamw_update(float *w, const float *g, float *m, float *v, int64_t n, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int64_t t) {
  const float shrink = 1.0f - lr * weight_decay;
  for (int64_t i = 0; i < n; i++) w[i] *= shrink;
  atl_adam_update(w, g, m, v, n, lr, beta1, beta2, eps, 0.0f, t);
}

void atl_rmsprop_update(float *w, const float *g, float *v, int64_t n, float lr, float alpha,
                        float eps, float weight_decay) {
  for (int64_t i = 0; i < n; i++) {
    const float d = g[i] + weight_decay * w[i];
    v[i] = alpha * v[i] + (1.0f - alpha) * d * d;
    w[i] -= lr * d / (sqrtf(v[i]) + eps);
  }
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
