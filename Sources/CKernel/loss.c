// Softmax fused with cross-entropy: stable (max-shifted) and one pass per row.
#include <math.h>

#include "ckernel.h"

double atl_softmax_xent_forward(const float *logits, const int32_t *labels, float *probs, int64_t B,
                                int64_t C) {
  double total = 0.0;
  for (int64_t r = 0; r < B; r++) {
    const float *z = logits + r * C;
    float *p = probs + r * C;
    float top = z[0];
    for (int64_t c = 1; c < C; c++)
      if (z[c] > top) top = z[c];
    double denom = 0.0;
    for (int64_t c = 0; c < C; c++) {
      p[c] = expf(z[c] - top);
      denom += p[c];
    }
    float inv = (float)(1.0 / denom);
    for (int64_t c = 0; c < C; c++) p[c] *= inv;
    int32_t y = labels[r];
    if (y < 0 || y >= C) return NAN;
    total += -((double)(z[y] - top) - log(denom));
  }
  return B > 0 ? total / (double)B : 0.0;
}

void atl_softmax_xent_backward(const float *probs, const int32_t *labels, float *dlogits, int64_t B,
                               int64_t C, float scale) {
  for (int64_t r = 0; r < B; r++) {
    for (int64_t c = 0; c < C; c++) dlogits[r * C + c] = probs[r * C + c] * scale;
    dlogits[r * C + labels[r]] -= scale;
  }
}
