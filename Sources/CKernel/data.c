// Decoding and batching of image data.
#include <string.h>

#include "ckernel.h"

void atl_u8_to_f32(const uint8_t *in, float *out, int64_t n, float scale) {
  for (int64_t i = 0; i < n; i++) out[i] = (float)in[i] * scale;
}

void atl_gather_rows(const float *src, int64_t row_len, const int64_t *idx, int64_t n, float *dst) {
  for (int64_t i = 0; i < n; i++)
    memcpy(dst + i * row_len, src + idx[i] * row_len, sizeof(float) * row_len);
}

void atl_gather_u8_rows(const uint8_t *src, int64_t row_len, const int64_t *idx, int64_t n,
                        float scale, float *dst) {
  for (int64_t i = 0; i < n; i++) {
    const uint8_t *restrict from = src + idx[i] * row_len;
    float *restrict to = dst + i * row_len;
    for (int64_t e = 0; e < row_len; e++) to[e] = (float)from[e] * scale;
  }
}

// Per image: optional horizontal flip, then a shift by (dy, dx) into a zero
// border of `pad` pixels, i.e. a random crop of the padded image.
void atl_augment_images(const float *in, float *out, int64_t N, int C, int H, int W,
                        const int32_t *flip, const int32_t *dy, const int32_t *dx) {
  const int64_t plane = (int64_t)H * W;
  for (int64_t n = 0; n < N; n++)
    for (int c = 0; c < C; c++) {
      const float *src = in + (n * C + c) * plane;
      float *dst = out + (n * C + c) * plane;
      for (int h = 0; h < H; h++) {
        const int sh = h + dy[n];
        for (int w = 0; w < W; w++) {
          int sw = w + dx[n];
          if (flip[n]) sw = W - 1 - sw;
          dst[h * W + w] = (sh >= 0 && sh < H && sw >= 0 && sw < W) ? src[sh * W + sw] : 0.0f;
        }
      }
    }
}
