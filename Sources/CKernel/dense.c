// Fully connected layer in PyTorch's layout: w is (out, in).
#include "ckernel.h"

// x (batch,in), w (out,in), b (out) -> y (batch,out)
void atl_dense_forward(const float *x, const float *w, const float *b, float *y, int64_t batch,
                       int64_t in_features, int64_t out_features) {
  if (b) {
    for (int64_t r = 0; r < batch; r++)
      for (int64_t o = 0; o < out_features; o++) y[r * out_features + o] = b[o];
  }
  atl_sgemm(0, 1, batch, out_features, in_features, 1.0f, x, in_features, w, in_features,
            b ? 1.0f : 0.0f, y, out_features);
}

// dy (batch,out) -> dx (batch,in) = dy w; dw (out,in) = dyᵀ x; db (out) = column sums of dy
void atl_dense_backward(const float *x, const float *w, const float *dy, float *dx, float *dw,
                        float *db, int64_t batch, int64_t in_features, int64_t out_features) {
  if (dx)
    atl_sgemm(0, 0, batch, in_features, out_features, 1.0f, dy, out_features, w, in_features, 0.0f,
              dx, in_features);
  if (dw)
    atl_sgemm(1, 0, out_features, in_features, batch, 1.0f, dy, out_features, x, in_features, 0.0f,
              dw, in_features);
  if (db) {
    for (int64_t o = 0; o < out_features; o++) db[o] = 0.0f;
    for (int64_t r = 0; r < batch; r++)
      for (int64_t o = 0; o < out_features; o++) db[o] += dy[r * out_features + o];
  }
}
