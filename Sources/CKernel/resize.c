// Bilinear resizing (PyTorch's align_corners=False) and zero padding of planes.
#include <string.h>

#include "ckernel.h"

// Source coordinate of output index i: (i + 0.5) * scale - 0.5, clamped at 0.
static inline void source(int i, float scale, int size, int *lo, int *hi, float *frac) {
  float x = ((float)i + 0.5f) * scale - 0.5f;
  if (x < 0.0f) x = 0.0f;
  int l = (int)x;
  if (l > size - 1) l = size - 1;
  *lo = l;
  *hi = l + 1 < size ? l + 1 : size - 1;
  *frac = x - (float)l;
}

void atl_resize_bilinear(const float *in, int64_t planes, int H, int W, float *out, int P, int Q) {
  const float sh = (float)H / (float)P, sw = (float)W / (float)Q;
  for (int64_t c = 0; c < planes; c++) {
    const float *x = in + c * H * W;
    float *y = out + c * P * Q;
    for (int p = 0; p < P; p++) {
      int h0, h1;
      float fh;
      source(p, sh, H, &h0, &h1, &fh);
      for (int q = 0; q < Q; q++) {
        int w0, w1;
        float fw;
        source(q, sw, W, &w0, &w1, &fw);
        y[p * Q + q] = (1 - fh) * ((1 - fw) * x[h0 * W + w0] + fw * x[h0 * W + w1]) +
                       fh * ((1 - fw) * x[h1 * W + w0] + fw * x[h1 * W + w1]);
      }
    }
  }
}

void atl_resize_bilinear_backward(const float *dout, int64_t planes, int H, int W, float *din,
                                  int P, int Q) {
  const float sh = (float)H / (float)P, sw = (float)W / (float)Q;
  memset(din, 0, sizeof(float) * planes * H * W);
  for (int64_t c = 0; c < planes; c++) {
    const float *g = dout + c * P * Q;
    float *dx = din + c * H * W;
    for (int p = 0; p < P; p++) {
      int h0, h1;
      float fh;
      source(p, sh, H, &h0, &h1, &fh);
      for (int q = 0; q < Q; q++) {
        int w0, w1;
        float fw;
        source(q, sw, W, &w0, &w1, &fw);
        const float v = g[p * Q + q];
        dx[h0 * W + w0] += (1 - fh) * (1 - fw) * v;
        dx[h0 * W + w1] += (1 - fh) * fw * v;
        dx[h1 * W + w0] += fh * (1 - fw) * v;
        dx[h1 * W + w1] += fh * fw * v;
      }
    }
  }
}

void atl_pad_planes(const float *in, int64_t planes, int H, int W, int top, int left, int bottom,
                    int right, float *out) {
  const int Ho = H + top + bottom, Wo = W + left + right;
  memset(out, 0, sizeof(float) * planes * Ho * Wo);
  for (int64_t c = 0; c < planes; c++)
    for (int h = 0; h < H; h++)
      memcpy(out + (c * Ho + h + top) * Wo + left, in + (c * H + h) * W, sizeof(float) * W);
}

void atl_pad_planes_backward(const float *dout, int64_t planes, int H, int W, int top, int left,
                             int bottom, int right, float *din) {
  const int Ho = H + top + bottom, Wo = W + left + right;
  for (int64_t c = 0; c < planes; c++)
    for (int h = 0; h < H; h++)
      memcpy(din + (c * H + h) * W, dout + (c * Ho + h + top) * Wo + left, sizeof(float) * W);
}
