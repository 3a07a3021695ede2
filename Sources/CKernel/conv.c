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

// in (C,H,W) -> padded (C, H+2ph, W+2pw) with a zero border
static void pad_planes(const atl_conv_shape *s, const float *in, float *padded) {
  const int Hp = s->H + 2 * s->pad_h, Wp = s->W + 2 * s->pad_w;
  memset(padded, 0, sizeof(float) * (size_t)s->C * Hp * Wp);
  for (int c = 0; c < s->C; c++)
    for (int h = 0; h < s->H; h++)
      memcpy(padded + ((int64_t)c * Hp + h + s->pad_h) * Wp + s->pad_w,
             in + ((int64_t)c * s->H + h) * s->W, sizeof(float) * s->W);
}

// in (C,H,W) -> col (C*R*S, P*Q); `padded` is scratch of (C, H+2ph, W+2pw)
static void im2col(const atl_conv_shape *s, const float *in, float *col, float *padded) {
  const int P = s->P, Q = s->Q, sh = s->stride_h, sw = s->stride_w;
  int Hp = s->H, Wp = s->W;
  const float *src = in;
  if (s->pad_h || s->pad_w) {
    pad_planes(s, in, padded);
    Hp = s->H + 2 * s->pad_h;
    Wp = s->W + 2 * s->pad_w;
    src = padded;
  }
  for (int c = 0; c < s->C; c++)
    for (int r = 0; r < s->R; r++)
      for (int t = 0; t < s->S; t++) {
        float *dst = col + ((int64_t)(c * s->R + r) * s->S + t) * P * Q;
        const float *plane = src + (int64_t)c * Hp * Wp + r * Wp + t;
        for (int p = 0; p < P; p++) {
          const float *restrict line = plane + (int64_t)p * sh * Wp;
          float *restrict out = dst + p * Q;
          if (sw == 1) {
            for (int q = 0; q < Q; q++) out[q] = line[q];
          } else {
            for (int q = 0; q < Q; q++) out[q] = line[q * sw];
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
        // Output columns q whose input column w = q*stride - pad + t lies inside the image.
        int w0 = t - s->pad_w;
        int q_lo = w0 < 0 ? (-w0 + s->stride_w - 1) / s->stride_w : 0;
        int q_hi = (s->W - 1 - w0) / s->stride_w + 1;
        if (s->W - 1 - w0 < 0) q_hi = 0;
        if (q_hi > Q) q_hi = Q;
        for (int p = 0; p < P; p++) {
          int h = p * s->stride_h - s->pad_h + r;
          if (h < 0 || h >= s->H) continue;
          float *restrict dst = in + ((int64_t)c * s->H + h) * s->W + w0;
          const float *restrict src = row + p * Q;
          if (s->stride_w == 1) {
            for (int q = q_lo; q < q_hi; q++) dst[q] += src[q];
          } else {
            for (int q = q_lo; q < q_hi; q++) dst[q * s->stride_w] += src[q];
          }
        }
      }
}

static int is_pointwise(const atl_conv_shape *s) {
  return s->R == 1 && s->S == 1 && s->stride_h == 1 && s->stride_w == 1 && s->pad_h == 0 &&
         s->pad_w == 0;
}

int64_t atl_conv_cols_size(const atl_conv_shape *s) {
  if (is_pointwise(s)) return 0;
  return (int64_t)s->N * s->C * s->R * s->S * s->P * s->Q;
}

typedef struct {
  const atl_conv_shape *s;
  const float *in, *w, *b, *dout;
  float *out, *din, *dw_parts, *db_parts;
  float *cols;  // (N, C*R*S, P*Q): written by forward, read by backward; may be NULL
} conv_job;

static void forward_samples(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const conv_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t CRS = (int64_t)s->C * s->R * s->S, PQ = (int64_t)s->P * s->Q;
  const int64_t in_len = (int64_t)s->C * s->H * s->W, out_len = (int64_t)s->K * PQ;
  const int64_t padded_len = (int64_t)s->C * (s->H + 2 * s->pad_h) * (s->W + 2 * s->pad_w);
  float *scratch = is_pointwise(s) ? NULL : thread_scratch(CRS * PQ + padded_len);
  for (int64_t n = begin; n < end; n++) {
    const float *x = j->in + n * in_len;
    float *y = j->out + n * out_len;
    float *col = scratch && j->cols ? j->cols + n * CRS * PQ : scratch;
    if (col) im2col(s, x, col, scratch + CRS * PQ);
    if (j->b) {
      for (int k = 0; k < s->K; k++)
        for (int64_t i = 0; i < PQ; i++) y[k * PQ + i] = j->b[k];
    }
    atl_sgemm(0, 0, s->K, PQ, CRS, 1.0f, j->w, CRS, col ? col : x, PQ, j->b ? 1.0f : 0.0f, y,
              PQ);
  }
}

void atl_conv2d_forward(const atl_conv_shape *s, const float *in, const float *w, const float *b,
                        float *out, float *cols) {
  conv_job job = {.s = s, .in = in, .w = w, .b = b, .out = out, .cols = cols};
  atl_parallel_for(s->N, 1, forward_samples, &job);
}

static void backward_samples(void *ctx, int64_t begin, int64_t end, int tid) {
  const conv_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t CRS = (int64_t)s->C * s->R * s->S, PQ = (int64_t)s->P * s->Q;
  const int64_t in_len = (int64_t)s->C * s->H * s->W, out_len = (int64_t)s->K * PQ;
  const int pointwise = is_pointwise(s);
  // col for the weight gradient, dcol for the input gradient
  const int64_t padded_len = (int64_t)s->C * (s->H + 2 * s->pad_h) * (s->W + 2 * s->pad_w);
  float *col = thread_scratch(2 * CRS * PQ + padded_len);
  float *dcol = col + CRS * PQ;
  float *padded = dcol + CRS * PQ;
  float *dw = j->dw_parts + (int64_t)tid * s->K * CRS;
  float *db = j->db_parts ? j->db_parts + (int64_t)tid * s->K : NULL;
  for (int64_t n = begin; n < end; n++) {
    const float *x = j->in + n * in_len;
    const float *dy = j->dout + n * out_len;
    const float *cols = x;
    if (!pointwise && j->cols) {
      cols = j->cols + n * CRS * PQ;
    } else if (!pointwise) {
      im2col(s, x, col, padded);
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
                         const float *dout, const float *cols, float *din, float *dw, float *db) {
  const int64_t KCRS = (int64_t)s->K * s->C * s->R * s->S;
  const int T = atl_threads();
  float *parts = atl_alloc((int64_t)T * (KCRS + s->K));
  if (!parts) return;
  conv_job job = {.s = s,
                  .in = in,
                  .w = w,
                  .dout = dout,
                  .cols = (float *)cols,
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
