// 2-D convolution as im2col + GEMM: the reference path, and the fallback for
// shapes oneDNN (conv_dnnl.c) does not take. Samples are processed in chunks of `nb`
// whose unfolded columns sit side by side, (C*R*S, nb*P*Q), so that each GEMM is
// wide enough to run near peak even when P*Q is small (a 10x10 output). Chunks
// are fixed by N and the shape alone, so forward and backward agree on the
// layout of saved columns whatever the thread count.
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

int atl_conv_output(atl_conv_shape *s) {
  s->P = (s->H + 2 * s->pad_h - s->R) / s->stride_h + 1;
  s->Q = (s->W + 2 * s->pad_w - s->S) / s->stride_w + 1;
  return (s->H + 2 * s->pad_h < s->R || s->W + 2 * s->pad_w < s->S || s->P <= 0 || s->Q <= 0) ? -1
                                                                                              : 0;
}

int64_t atl_conv_cols_size(const atl_conv_shape *s) {
  return (int64_t)s->N * s->C * s->R * s->S * s->P * s->Q;
}

// Samples per chunk: about 1024 GEMM columns.
static int chunk_samples(const atl_conv_shape *s) {
  int pq = s->P * s->Q;
  int nb = pq >= 1024 ? 1 : 1024 / pq;
  return nb < s->N ? nb : s->N;
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

// in (C,H,W) -> col rows (C*R*S) of P*Q values, each row `ld` floats apart;
// `padded` is scratch of (C, H+2ph, W+2pw)
static void im2col(const atl_conv_shape *s, const float *in, float *col, int64_t ld,
                   float *padded) {
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
        float *dst = col + ((int64_t)(c * s->R + r) * s->S + t) * ld;
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

// col rows (C*R*S) of P*Q values, `ld` apart -> in (C,H,W), accumulated
static void col2im(const atl_conv_shape *s, const float *col, int64_t ld, float *in) {
  const int P = s->P, Q = s->Q;
  for (int c = 0; c < s->C; c++)
    for (int r = 0; r < s->R; r++)
      for (int t = 0; t < s->S; t++) {
        const float *row = col + ((int64_t)(c * s->R + r) * s->S + t) * ld;
        // Output columns q whose input column w = q*stride - pad + t lies inside the image.
        int w0 = t - s->pad_w;
        int q_lo = w0 < 0 ? (-w0 + s->stride_w - 1) / s->stride_w : 0;
        int q_hi = s->W - 1 - w0 < 0 ? 0 : (s->W - 1 - w0) / s->stride_w + 1;
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

typedef struct {
  const atl_conv_shape *s;
  const float *in, *w, *b, *dout;
  float *out, *din, *dw_parts, *db_parts;
  float *cols;  // (N*C*R*S*P*Q) in chunk layout, written by forward; may be NULL
  int nb;
} conv_job;

// Unfolds samples [n0, n0+count) side by side; returns the column block.
static float *unfold_chunk(const conv_job *j, int64_t n0, int count, float *col, float *padded) {
  const atl_conv_shape *s = j->s;
  const int64_t PQ = (int64_t)s->P * s->Q, ld = count * PQ;
  const int64_t in_len = (int64_t)s->C * s->H * s->W;
  for (int i = 0; i < count; i++) im2col(s, j->in + (n0 + i) * in_len, col + i * PQ, ld, padded);
  return col;
}

static void forward_chunks(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const conv_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t CRS = (int64_t)s->C * s->R * s->S, PQ = (int64_t)s->P * s->Q;
  const int64_t cols_per_chunk = CRS * j->nb * PQ, out_per_chunk = (int64_t)s->K * j->nb * PQ;
  const int64_t padded_len = (int64_t)s->C * (s->H + 2 * s->pad_h) * (s->W + 2 * s->pad_w);
  float *work = atl_thread_scratch(cols_per_chunk + out_per_chunk + padded_len);
  float *tmp = work + cols_per_chunk, *padded = tmp + out_per_chunk;
  for (int64_t chunk = begin; chunk < end; chunk++) {
    const int64_t n0 = chunk * j->nb;
    const int count = (int)(n0 + j->nb <= s->N ? j->nb : s->N - n0);
    const int64_t ld = count * PQ;
    float *col = j->cols ? j->cols + n0 * CRS * PQ : work;
    unfold_chunk(j, n0, count, col, padded);
    // tmp (K, count*PQ) = w (K, CRS) x col (CRS, count*PQ)
    atl_sgemm(0, 0, s->K, ld, CRS, 1.0f, j->w, CRS, col, ld, 0.0f, tmp, ld);
    for (int i = 0; i < count; i++)
      for (int k = 0; k < s->K; k++) {
        float *restrict y = j->out + ((n0 + i) * s->K + k) * PQ;
        const float *restrict src = tmp + k * ld + i * PQ;
        const float bias = j->b ? j->b[k] : 0.0f;
        for (int64_t e = 0; e < PQ; e++) y[e] = src[e] + bias;
      }
  }
}

static int64_t chunk_count(const atl_conv_shape *s, int nb) { return (s->N + nb - 1) / nb; }

void atl_conv2d_forward_im2col(const atl_conv_shape *s, const float *in, const float *w,
                               const float *b, float *out, float *cols) {
  conv_job job = {.s = s, .in = in, .w = w, .b = b, .out = out, .cols = cols};
  job.nb = chunk_samples(s);
  atl_parallel_for(chunk_count(s, job.nb), 1, forward_chunks, &job);
}

static void backward_chunks(void *ctx, int64_t begin, int64_t end, int tid) {
  const conv_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t CRS = (int64_t)s->C * s->R * s->S, PQ = (int64_t)s->P * s->Q;
  const int64_t in_len = (int64_t)s->C * s->H * s->W;
  const int64_t cols_per_chunk = CRS * j->nb * PQ, out_per_chunk = (int64_t)s->K * j->nb * PQ;
  const int64_t padded_len = (int64_t)s->C * (s->H + 2 * s->pad_h) * (s->W + 2 * s->pad_w);
  float *work = atl_thread_scratch(2 * cols_per_chunk + out_per_chunk + padded_len);
  float *dcol = work + cols_per_chunk, *dy = dcol + cols_per_chunk, *padded = dy + out_per_chunk;
  float *dw = j->dw_parts ? j->dw_parts + (int64_t)tid * s->K * CRS : NULL;
  float *db = j->db_parts ? j->db_parts + (int64_t)tid * s->K : NULL;
  for (int64_t chunk = begin; chunk < end; chunk++) {
    const int64_t n0 = chunk * j->nb;
    const int count = (int)(n0 + j->nb <= s->N ? j->nb : s->N - n0);
    const int64_t ld = count * PQ;
    const float *col = NULL;
    if (j->dw_parts)
      col = j->cols ? j->cols + n0 * CRS * PQ : unfold_chunk(j, n0, count, work, padded);
    // dy (K, count*PQ): the chunk's output gradients side by side, as forward laid them out
    for (int i = 0; i < count; i++)
      for (int k = 0; k < s->K; k++)
        memcpy(dy + k * ld + i * PQ, j->dout + ((n0 + i) * s->K + k) * PQ, sizeof(float) * PQ);
    if (dw) atl_sgemm(0, 1, s->K, CRS, ld, 1.0f, dy, ld, col, ld, 1.0f, dw, CRS);
    if (db) {
      for (int k = 0; k < s->K; k++) {
        float acc = 0.0f;
        for (int64_t e = 0; e < ld; e++) acc += dy[k * ld + e];
        db[k] += acc;
      }
    }
    if (j->din) {
      atl_sgemm(1, 0, CRS, ld, s->K, 1.0f, j->w, CRS, dy, ld, 0.0f, dcol, ld);
      for (int i = 0; i < count; i++) {
        float *dx = j->din + (n0 + i) * in_len;
        memset(dx, 0, sizeof(float) * in_len);
        col2im(s, dcol + i * PQ, ld, dx);
      }
    }
  }
}

void atl_conv2d_backward_im2col(const atl_conv_shape *s, const float *in, const float *w,
                                const float *dout, const float *cols, float *din, float *dw,
                                float *db) {
  const int64_t KCRS = (int64_t)s->K * s->C * s->R * s->S;
  memset(dw, 0, sizeof(float) * KCRS);
  if (db) memset(db, 0, sizeof(float) * s->K);
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
  job.nb = chunk_samples(s);
  atl_parallel_for(chunk_count(s, job.nb), 1, backward_chunks, &job);
  for (int t = 0; t < T; t++) {
    atl_axpy(1.0f, parts + (int64_t)t * KCRS, dw, KCRS);
    if (db) atl_axpy(1.0f, parts + (int64_t)T * KCRS + (int64_t)t * s->K, db, s->K);
  }
  atl_free(parts);
}

void atl_conv2d_transpose(const atl_conv_shape *s, const float *x, const float *w, float *out) {
  // Only the input-gradient path of backward runs: no weight gradient, no columns.
  conv_job job = {.s = s, .w = w, .dout = x, .din = out};
  job.nb = chunk_samples(s);
  atl_parallel_for(chunk_count(s, job.nb), 1, backward_chunks, &job);
}

static int engine_setting = -1;

void atl_conv_set_engine(int engine) { engine_setting = engine; }

int atl_conv_engine(void) {
  if (engine_setting < 0) {
    const char *env = getenv("ATELIER_CONV");
    engine_setting = env && !strcmp(env, "im2col")     ? ATL_CONV_IM2COL
                     : env && !strcmp(env, "winograd") ? ATL_CONV_WINOGRAD
                     : env && !strcmp(env, "direct")   ? ATL_CONV_DIRECT
                                                       : ATL_CONV_DNNL;
  }
  return engine_setting;
}

static int setting_is_off(const char *name) {
  const char *env = getenv(name);
  return env && *env == '0';
}

int atl_conv_winograd_enabled(void) { return !setting_is_off("ATELIER_WINOGRAD"); }

int atl_conv_direct_enabled(void) { return !setting_is_off("ATELIER_DIRECT"); }

// Atelier's Winograd where oneDNN would run a direct kernel: on CPUs without
// AVX-512 (or held to AVX2), for layers wide enough that the transforms pay.
static int winograd_pays(const atl_conv_shape *s) {
  if (!atl_conv_winograd_enabled()) return 0;
  return s->C >= 16 && s->K >= 16 && !atl_dnnl_has_winograd() && atl_conv_winograd_supports(s);
}

// The direct kernel where a pixel's taps are too few for oneDNN's blocked layouts
// to pay for their reorders: the first layer of an image net.
static int direct_pays(const atl_conv_shape *s) {
  if (!atl_conv_direct_enabled()) return 0;
  return s->C <= 3 && atl_conv_direct_supports(s);
}

// im2col and OpenBLAS where oneDNN would run its AVX2 direct kernels and they, with
// the reorders around them, are the slower (bench/BENCHMARKS.md, "Strided
// convolutions"): strided 1x1 convolutions, a subsampled GEMM, and 3x3 stride-2 ones
// from 64 input channels up.
static int im2col_pays(const atl_conv_shape *s) {
  if (atl_dnnl_has_winograd()) return 0;  // oneDNN runs AVX-512 kernels
  if (s->stride_h == 1 && s->stride_w == 1) return 0;
  return (s->R == 1 && s->S == 1) || (s->R == 3 && s->S == 3 && s->C >= 64);
}

int atl_conv_engine_for(const atl_conv_shape *s, int has_bias) {
  const int engine = atl_conv_engine();
  if (engine == ATL_CONV_IM2COL) return ATL_CONV_IM2COL;
  if (engine == ATL_CONV_DIRECT ? atl_conv_direct_supports(s) : direct_pays(s))
    return ATL_CONV_DIRECT;
  if (engine == ATL_CONV_WINOGRAD ? atl_conv_winograd_supports(s) : winograd_pays(s))
    return ATL_CONV_WINOGRAD;
  if (engine == ATL_CONV_DNNL && im2col_pays(s)) return ATL_CONV_IM2COL;
  return atl_conv_dnnl_supports(s, has_bias) ? ATL_CONV_DNNL : ATL_CONV_IM2COL;
}

int64_t atl_conv_saved_size(const atl_conv_shape *s, int has_bias, int engine) {
  return engine == ATL_CONV_DNNL ? atl_conv_dnnl_saved_size(s, has_bias)
         : engine == ATL_CONV_WINOGRAD || engine == ATL_CONV_DIRECT ? 0
                                                                    : atl_conv_cols_size(s);
}

int atl_conv2d_forward(const atl_conv_shape *s, int engine, const float *in, const float *w,
                       const float *b, float *out, float *saved, int relu) {
  if (engine == ATL_CONV_WINOGRAD && atl_conv_winograd_forward(s, in, w, b, out, relu) == 0)
    return ATL_CONV_WINOGRAD;
  if (engine == ATL_CONV_DIRECT && atl_conv_direct_forward(s, in, w, b, out, relu) == 0)
    return ATL_CONV_DIRECT;
  if (engine == ATL_CONV_DNNL && atl_conv_dnnl_forward(s, in, w, b, out, saved, relu) == 0)
    return ATL_CONV_DNNL;
  // Columns are kept only when the buffer was sized for them.
  atl_conv2d_forward_im2col(s, in, w, b, out, engine == ATL_CONV_IM2COL ? saved : NULL);
  if (relu) atl_relu_forward(out, out, (int64_t)s->N * s->K * s->P * s->Q);
  return ATL_CONV_IM2COL;
}

void atl_conv2d_backward(const atl_conv_shape *s, int engine, const float *in, const float *w,
                         const float *dout, const float *saved, float *din, float *dw, float *db,
                         int has_bias) {
  if (engine == ATL_CONV_WINOGRAD &&
      atl_conv_winograd_backward(s, in, w, dout, din, dw, has_bias ? db : NULL) == 0)
    return;
  if (engine == ATL_CONV_DIRECT &&
      atl_conv_direct_backward(s, in, w, dout, din, dw, has_bias ? db : NULL) == 0)
    return;
  if (engine == ATL_CONV_DNNL &&
      atl_conv_dnnl_backward(s, in, w, dout, saved, din, dw, db, has_bias) == 0)
    return;
  atl_conv2d_backward_im2col(s, in, w, dout, engine == ATL_CONV_IM2COL ? saved : NULL, din, dw, db);
}
