// Elementwise binary ops with NumPy broadcasting, described by strides: a
// broadcast dimension has stride 0. Contiguous equal shapes take a flat loop.
#include <string.h>

#include "ckernel.h"

static inline float apply(int op, float x, float y) {
  switch (op) {
    case ATL_ADD:
      return x + y;
    case ATL_SUB:
      return x - y;
    case ATL_MUL:
      return x * y;
    default:
      return x / y;
  }
}

void atl_broadcast_binary(int op, const float *a, const int64_t *a_strides, const float *b,
                          const int64_t *b_strides, float *out, const int64_t *shape, int rank) {
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= shape[d];
  int64_t index[16] = {0};
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < total; i++) {
    out[i] = apply(op, a[ia], b[ib]);
    // Advance the multi-index like an odometer, updating both offsets.
    for (int d = rank - 1; d >= 0; d--) {
      index[d]++;
      ia += a_strides[d];
      ib += b_strides[d];
      if (index[d] < shape[d]) break;
      ia -= a_strides[d] * shape[d];
      ib -= b_strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

void atl_accumulate_broadcast(const float *g, const int64_t *shape, int rank,
                              const int64_t *t_strides, float *t) {
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= shape[d];
  int64_t index[16] = {0};
  int64_t it = 0;
  for (int64_t i = 0; i < total; i++) {
    t[it] += g[i];
    for (int d = rank - 1; d >= 0; d--) {
      index[d]++;
      it += t_strides[d];
      if (index[d] < shape[d]) break;
      it -= t_strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

void atl_transpose2d(const float *in, int64_t rows, int64_t cols, float *out) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) out[c * rows + r] = in[r * cols + c];
}
