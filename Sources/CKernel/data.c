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
