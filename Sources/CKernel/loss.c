// Softmax fused with cross-entropy: stable (max-shifted) and one pass per row.
#include <math.h>

#include "ckernel.h"

double atl_softmax_xent_forward(const float *logits, const int32_t *labels, float *probs, int64_t B,
                                int64_t C, float smoothing) {
  double total = 0.0;
  for (int64_t r = 0; r < B; r++) {
    const float *z = logits + r * C;
    float top;
    const double log_denom = atl_softmax_row(z, probs + r * C, C, &top);
    int32_t y = labels[r];
    if (y < 0 || y >= C) return NAN;
    double row = -((double)(z[y] - top) - log_denom);
    if (smoothing > 0.0f) {
      // (1-e) * nll + e * mean over classes of -log p
      double all = 0.0;
      for (int64_t c = 0; c < C; c++) all += -((double)(z[c] - top) - log_denom);
      row = (1.0 - smoothing) * row + smoothing * all / (double)C;
    }
    total += row;
  }
  return B > 0 ? total / (double)B : 0.0;
}

void atl_softmax_xent_backward(const float *probs, const int32_t *labels, float *dlogits, int64_t B,
                               int64_t C, float scale, float smoothing) {
  const float off = smoothing / (float)C, on = 1.0f - smoothing + off;
  for (int64_t r = 0; r < B; r++) {
    for (int64_t c = 0; c < C; c++) dlogits[r * C + c] = (probs[r * C + c] - off) * scale;
    dlogits[r * C + labels[r]] -= (on - off) * scale;
  }
}

// PyTorch clamps log(p) at -100 so that p = 0 or 1 gives a finite loss.
static inline double clamped_log(double p) {
  double l = log(p);
  return l < -100.0 ? -100.0 : l;
}

double atl_bce_forward(const float *p, const float *t, int64_t n, int from_logits) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (from_logits) {
      const double z = p[i];
      total += (z > 0 ? z : 0) - z * t[i] + log1p(exp(-fabs(z)));
    } else {
      total -= t[i] * clamped_log(p[i]) + (1.0 - t[i]) * clamped_log(1.0 - p[i]);
    }
  }
  return total;
}

void atl_bce_backward(const float *p, const float *t, float *dp, int64_t n, int from_logits,
                      float scale) {
  for (int64_t i = 0; i < n; i++) {
    if (from_logits) {
      dp[i] = scale * (1.0f / (1.0f + expf(-p[i])) - t[i]);
    } else {
      // d/dp of the clamped loss: zero where the log is clamped
      const double q = p[i];
      const double a = log(q) < -100.0 ? 0.0 : -t[i] / q;
      const double b = log(1.0 - q) < -100.0 ? 0.0 : (1.0 - t[i]) / (1.0 - q);
      dp[i] = (float)(scale * (a + b));
    }
  }
}

double atl_mse_forward(const float *a, const float *b, int64_t n) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) total += (double)(a[i] - b[i]) * (a[i] - b[i]);
  return total;
}

void atl_mse_backward(const float *a, const float *b, float *da, int64_t n, float scale) {
  for (int64_t i = 0; i < n; i++) da[i] = 2.0f * scale * (a[i] - b[i]);
}

double atl_gaussian_kl_forward(const float *mu, const float *logvar, int64_t n) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i++)
    total += -0.5 * (1.0 + logvar[i] - (double)mu[i] * mu[i] - exp(logvar[i]));
  return total;
}

void atl_gaussian_kl_backward(const float *mu, const float *logvar, float *dmu, float *dlogvar,
                              int64_t n, float scale) {
  for (int64_t i = 0; i < n; i++) {
    if (dmu) dmu[i] = scale * mu[i];
    if (dlogvar) dlogvar[i] = scale * 0.5f * (expf(logvar[i]) - 1.0f);
  }
}
