// 2-D convolution as im2col + GEMM, one sample per task, parallel over the batch.
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

int atl_conv_output(atl_conv_shape *s) {
  s->P = (s->H + 2 * s->pad_h - s->R) / s->stride_h + 1;
  s->Q = (s->W + 2 * s->pad_w - s->S) / s->stride_w + 1;
  return (s->H + 2 * s->pad_h < s->R || s->W + 2 * s->pad_w < s->S || s->P <= 0 || s->Q <= 0)
             ? -1
             : 0;
}

// Per-thread scratch that grows and is kept between calls.
static _Thread_local float *scratch = NULL;
static _Thread_local int64_t scratch_len = 0;

static float *thread_scratch(int64_t len) {
  if (len > scratch_len) {
    atl_free(scratch);
    scratch = atl_alloc(len);
    scratch_len = scratch ? len : 0;
  }
  return scratch;
}

// in (C,H,W) -> col (C*R*S, P*Q)
static void im2col(const atl_conv_shape *s, const float *in, float *col) {
  const int P = s->P, Q = s->Q;
  for (int c = 0; c < s->C; c++)
    for (int r = 0; r < s->R; r++)
      for (int t = 0; t < s->S; t++) {
        float *row = col + ((int64_t)(c * s->R + r) * s->S + t) * P * Q;
        for (int p = 0; p < P; p++) {
          int h = p * s->stride_h - s->pad_h + r;
          float *dst = row + p * Q;
          if (h < 0 || h >= s->H) {
            memset(dst, 0, sizeof(float) * Q);
            continue;
          }
          const float *src = in + ((int64_t)c * s->H + h) * s->W;
          if (s->stride_w == 1) {
            int w0 = t - s->pad_w;
            int q_lo = w0 < 0 ? -w0 : 0;
            int q_hi = s->W - w0 < Q ? s->W - w0 : Q;
            for (int q = 0; q < q_lo && q < Q; q++) dst[q] = 0.0f;
            if (q_hi > q_lo) memcpy(dst + q_lo, src + w0 + q_lo, sizeof(float) * (q_hi - q_lo));
            for (int q = (q_hi > q_lo ? q_hi : q_lo); q < Q; q++) dst[q] = 0.0f;
          } else {
            for (int q = 0; q < Q; q++) {
              int w = q * s->stride_w - s->pad_w + t;
              dst[q] = (w >= 0 && w < s->W) ? src[w] : 0.0f;
            }
          }
        }
      }
}

// col (C*R*S, P*Q) -> in (C,H,W), accumulated
static void col2im(const atl_conv_shape *s, const float *col, float *in) {
  const int P = s->P, Q = s->Q;
  for (int c = 0; c < s->C; c++)
    for (int r = 0; r < s->R; r++)
      for (int t = 0; t < s->S; t++) {
        const float *row = col + ((int64_t)(c * s->R + r) * s->S + t) * P * Q;
        for (int p = 0; p < P; p++) {
          int h = p * s->stride_h - s->pad_h + r;
          if (h < 0 || h >= s->H) continue;
          float *dst = in + ((int64_t)c * s->H + h) * s->W;
          const float *src = row + p * Q;
          for (int q = 0; q < Q; q++) {
            int w = q * s->stride_w - s->pad_w + t;
            if (w >= 0 && w < s->W) dst[w] += src[q];
          }
        }
      }
}

static int is_pointwise(const atl_conv_shape *s) {
  return s->R == 1 && s->S == 1 && s->stride_h == 1 && s->stride_w == 1 && s->pad_h == 0 &&
         s->pad_w == 0;
}

typedef struct {
  const atl_conv_shape *s;
  const float *in, *w, *b, *dout;
  float *out, *din, *dw_parts, *db_parts;
} conv_job;

static void forward_samples(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const conv_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t CRS = (int64_t)s->C * s->R * s->S, PQ = (int64_t)s->P * s->Q;
  const int64_t in_len = (int64_t)s->C * s->H * s->W, out_len = (int64_t)s->K * PQ;
  float *col = is_pointwise(s) ? NULL : thread_scratch(CRS * PQ);
  for (int64_t n = begin; n < end; n++) {
    const float *x = j->in + n * in_len;
    float *y = j->out + n * out_len;
    if (col) im2col(s, x, col);
    if (j->b) {
      for (int k = 0; k < s->K; k++)
        for (int64_t i = 0; i < PQ; i++) y[k * PQ + i] = j->b[k];
    }
    atl_sgemm(0, 0, s->K, PQ, CRS, 1.0f, j->w, CRS, col ? col : x, PQ, j->b ? 1.0f : 0.0f, y,
              PQ);
  }
}

void atl_conv2d_forward(const atl_conv_shape *s, const float *in, const float *w, const float *b,
                        float *out) {
  conv_job job = {.s = s, .in = in, .w = w, .b = b, .out = out};
  atl_parallel_for(s->N, 1, forward_samples, &job);
}

static void backward_samples(void *ctx, int64_t begin, int64_t end, int tid) {
  const conv_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t CRS = (int64_t)s->C * s->R * s->S, PQ = (int64_t)s->P * s->Q;
  const int64_t in_len = (int64_t)s->C * s->H * s->W, out_len = (int64_t)s->K * PQ;
  const int pointwise = is_pointwise(s);
  // col for the weight gradient, dcol for the input gradient
  float *col = thread_scratch(2 * CRS * PQ);
  float *dcol = col + CRS * PQ;
  float *dw = j->dw_parts + (int64_t)tid * s->K * CRS;
  float *db = j->db_parts ? j->db_parts + (int64_t)tid * s->K : NULL;
  for (int64_t n = begin; n < end; n++) {
    const float *x = j->in + n * in_len;
    const float *dy = j->dout + n * out_len;
    const float *cols = x;
    if (!pointwise) {
      im2col(s, x, col);
      cols = col;
    }
    atl_sgemm(0, 1, s->K, CRS, PQ, 1.0f, dy, PQ, cols, PQ, 1.0f, dw, CRS);
    if (db) {
      for (int k = 0; k < s->K; k++) {
        float acc = 0.0f;
        for (int64_t i = 0; i < PQ; i++) acc += dy[k * PQ + i];
        db[k] += acc;
      }
    }
    if (j->din) {
      float *dx = j->din + n * in_len;
      if (pointwise) {
        atl_sgemm(1, 0, CRS, PQ, s->K, 1.0f, j->w, CRS, dy, PQ, 0.0f, dx, PQ);
      } else {
        atl_sgemm(1, 0, CRS, PQ, s->K, 1.0f, j->w, CRS, dy, PQ, 0.0f, dcol, PQ);
        memset(dx, 0, sizeof(float) * in_len);
        col2im(s, dcol, dx);
      }
    }
  }
}

void atl_conv2d_backward(const atl_conv_shape *s, const float *in, const float *w,
                         const float *dout, float *din, float *dw, float *db) {
  const int64_t KCRS = (int64_t)s->K * s->C * s->R * s->S;
  const int T = atl_threads();
  float *parts = atl_alloc((int64_t)T * (KCRS + s->K));
  if (!parts) return;
  conv_job job = {.s = s,
                  .in = in,
                  .w = w,
                  .dout = dout,
                  .din = din,
                  .dw_parts = parts,
                  .db_parts = db ? parts + (int64_t)T * KCRS : NULL};
  atl_parallel_for(s->N, 1, backward_samples, &job);
  for (int t = 0; t < T; t++) {
    atl_axpy(1.0f, parts + (int64_t)t * KCRS, dw, KCRS);
    if (db) atl_axpy(1.0f, parts + (int64_t)T * KCRS + (int64_t)t * s->K, db, s->K);
  }
  atl_free(parts);
}
