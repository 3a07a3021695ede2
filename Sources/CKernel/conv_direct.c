// Direct convolution for layers with few input channels: the first layer of an
// image net (one grey or three colour planes). There each output pixel is a dot
// product of only C*R*S taps, too short for a GEMM, and oneDNN's blocked kernels
// pay a reorder of the input and of the output every call. Here the sums run in
// registers on NCHW, vectorised along output rows (8 pixels per lane vector):
//   forward      y[k, p, q..q+7]  += w[k, tap] * x[tap + (p*sh, q..q+7)]  (KB channels x QV
//   vectors) weight grad  dw[k, tap] lanes += dy[k, p, q..q+7] * x[tap + (p*sh, q..q+7)]  (KB
//   channels x TB taps)
// The padded input is split by column phase (q*sw + t mod sw), so that a stride of
// 2 or more still reads 8 neighbouring pixels with one load. Channels and taps are
// padded to whole register blocks with zero filters and dropped sums; the block
// shape is chosen per layer for the least padded work. The input gradient of a
// stride-1 layer is the forward pass over dy with flipped filters; of a strided
// one it goes by im2col and GEMM (conv.c).
// Images are split into fixed pieces by N and the thread count, and weight
// gradient parts are summed in piece order, so results repeat bit for bit.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"
#include "lanes.h"

#define MAX_TAPS 4096  // C*R*S of the layers this engine takes
#define MAX_BLOCK 12   // the most channels, taps or vectors one register block spans

typedef struct {
  const atl_conv_shape *s;
  const float *in, *b, *dout;
  float *out;
  const float *w;  // (Kp, taps): the filters, zero rows past K
  float *parts;    // weight gradient: per piece (Kp, Tp) sums of 8 lanes, then Kp bias sums
  int64_t tap[MAX_TAPS + MAX_BLOCK];  // each tap's offset in the phase-split input
  int taps, Tp, Kp;                   // taps, and taps and channels padded to whole blocks
  int kb, qv, tb;                     // register block: channels, and pixel vectors or taps
  int wide;                           // forward vectors of 16 pixels (AVX-512), else 8
  int Qv;                             // output row length in whole vectors
  int Hp, Wph;                        // a padded plane's height, a column phase's width
  int relu;
} direct_job;

static int round_up(int n, int m) { return (n + m - 1) / m * m; }

static int64_t input_len(const direct_job *j) {
  // slack after the planes: a block that runs past the last row reads zeros there
  return (int64_t)j->s->C * j->s->stride_w * j->Hp * j->Wph + 16 * MAX_BLOCK + 64;
}

// x (C, H, W) -> (C, sw, Hp, Wph): zero-padded, column u*sw + phase at [phase][.][u].
static void split_input(const direct_job *j, const float *x, float *split) {
  const atl_conv_shape *s = j->s;
  const int sw = s->stride_w;
  memset(split, 0, sizeof(float) * (size_t)input_len(j));
  for (int c = 0; c < s->C; c++)
    for (int h = 0; h < s->H; h++) {
      const float *src = x + ((int64_t)c * s->H + h) * s->W;
      float *row = split + ((int64_t)c * sw * j->Hp + h + s->pad_h) * j->Wph;
      if (sw == 1) {
        memcpy(row + s->pad_w, src, sizeof(float) * (size_t)s->W);
        continue;
      }
      for (int w = 0; w < s->W; w++) {
        const int col = w + s->pad_w;
        row[(int64_t)(col % sw) * j->Hp * j->Wph + col / sw] = src[w];
      }
    }
}

// A block's sums stay in 12 registers; of the two operands of each product the
// smaller set is held in registers and the other read as it is used, so that no
// accumulator spills to the stack (16 vector registers on AVX2).
static inline v8 broadcast(const float *p) { return _mm256_broadcast_ss(p); }

// Up to 8 output pixels of a row, bias added and rectified where asked: `lanes` of
// them lie inside the row (none past its end are written).
static inline void store_output(const direct_job *j, v8 sum, float bias, float *y, int lanes) {
  if (lanes <= 0) return;
  sum += (v8){0} + bias;
  if (j->relu) sum = _mm256_max_ps(sum, (v8){0});
  if (lanes >= 8) {
    __builtin_memcpy(y, &sum, 32);
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(y, _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), lane), sum);
}

// KB channels by QV vectors of 8 pixels of one output row, written to y (rows of
// ldy floats apart) for the `rows` channels and `lanes` pixels that exist.
#define FORWARD_BLOCK(KB, QV)                                                                   \
  static void forward_##KB##_##QV(const direct_job *j, const float *x, const float *w,          \
                                  const float *b, float *y, int64_t ldy, int rows, int lanes) { \
    v8 acc[KB][QV];                                                                             \
    for (int k = 0; k < KB; k++)                                                                \
      for (int v = 0; v < QV; v++) acc[k][v] = (v8){0};                                         \
    for (int t = 0; t < j->taps; t++) {                                                         \
      const float *xt = x + j->tap[t];                                                          \
      if (KB <= 4) {                                                                            \
        v8 wk[KB];                                                                              \
        for (int k = 0; k < KB; k++) wk[k] = broadcast(w + (int64_t)k * j->taps + t);           \
        for (int v = 0; v < QV; v++) {                                                          \
          const v8 in = load8(xt + 8 * v);                                                      \
          for (int k = 0; k < KB; k++) acc[k][v] += wk[k] * in;                                 \
        }                                                                                       \
      } else {                                                                                  \
        v8 in[QV];                                                                              \
        for (int v = 0; v < QV; v++) in[v] = load8(xt + 8 * v);                                 \
        for (int k = 0; k < KB; k++) {                                                          \
          const v8 wk = broadcast(w + (int64_t)k * j->taps + t);                                \
          for (int v = 0; v < QV; v++) acc[k][v] += wk * in[v];                                 \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
    for (int k = 0; k < KB && k < rows; k++)                                                    \
      for (int v = 0; v < QV; v++)                                                              \
        store_output(j, acc[k][v], b ? b[k] : 0.0f, y + k * ldy + 8 * v, lanes - 8 * v);        \
  }
FORWARD_BLOCK(3, 4)
FORWARD_BLOCK(4, 3)
FORWARD_BLOCK(6, 2)
FORWARD_BLOCK(12, 1)

// The same blocks on 16-pixel vectors for AVX-512 CPUs: each lane sums the same
// products in the same order, so the results are those of the 8-pixel blocks.
typedef float v16 __attribute__((vector_size(64)));

__attribute__((target("avx512f"))) static inline v16 load16(const float *p) {
  v16 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((target("avx512f"))) static inline void store_output16(const direct_job *j, v16 sum,
                                                                     float bias, float *y,
                                                                     int lanes) {
  if (lanes <= 0) return;
  sum += (v16){0} + bias;
  if (j->relu) sum = _mm512_max_ps(sum, (v16){0});
  _mm512_mask_storeu_ps(y, lanes >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << lanes) - 1), sum);
}

#define FORWARD_BLOCK16(KB, QV)                                                                   \
  __attribute__((target("avx512f"))) static void forward16_##KB##_##QV(                           \
      const direct_job *j, const float *x, const float *w, const float *b, float *y, int64_t ldy, \
      int rows, int lanes) {                                                                      \
    v16 acc[KB][QV];                                                                              \
    for (int k = 0; k < KB; k++)                                                                  \
      for (int v = 0; v < QV; v++) acc[k][v] = (v16){0};                                          \
    for (int t = 0; t < j->taps; t++) {                                                           \
      const float *xt = x + j->tap[t];                                                            \
      v16 in[QV];                                                                                 \
      for (int v = 0; v < QV; v++) in[v] = load16(xt + 16 * v);                                   \
      for (int k = 0; k < KB; k++) {                                                              \
        const v16 wk = (v16){0} + w[(int64_t)k * j->taps + t];                                    \
        for (int v = 0; v < QV; v++) acc[k][v] += wk * in[v];                                     \
      }                                                                                           \
    }                                                                                             \
    for (int k = 0; k < KB && k < rows; k++)                                                      \
      for (int v = 0; v < QV; v++)                                                                \
        store_output16(j, acc[k][v], b ? b[k] : 0.0f, y + k * ldy + 16 * v, lanes - 16 * v);      \
  }
FORWARD_BLOCK16(3, 4)
FORWARD_BLOCK16(4, 3)
FORWARD_BLOCK16(6, 2)
FORWARD_BLOCK16(12, 1)

// 1: AVX-512 where the CPU has it and ATELIER_ISA allows it; 0: 8-pixel vectors
static int wide_setting = -1;

void atl_conv_direct_set_wide(int wide) { wide_setting = wide ? atl_dnnl_isa_is_avx512() : 0; }

int atl_conv_direct_wide(void) {
  if (wide_setting < 0) wide_setting = atl_dnnl_isa_is_avx512();
  return wide_setting;
}

typedef void (*forward_block_fn)(const direct_job *j, const float *x, const float *w,
                                 const float *b, float *y, int64_t ldy, int rows, int lanes);

// The forward block function for a job's channel block and vector width.
static forward_block_fn forward_block_for(const direct_job *j) {
  static const forward_block_fn narrow[] = {forward_3_4, forward_4_3, forward_6_2, forward_12_1};
  static const forward_block_fn wide[] = {forward16_3_4, forward16_4_3, forward16_6_2,
                                          forward16_12_1};
  const int shape = j->kb == 3 ? 0 : j->kb == 4 ? 1 : j->kb == 6 ? 2 : 3;
  return (j->wide ? wide : narrow)[shape];
}

// KB channels by TB taps, summed in 8 lanes over every output pixel of an image.
#define WEIGHT_BLOCK(KB, TB)                                                           \
  static void weight_##KB##_##TB(const direct_job *j, const float *x, const float *dy, \
                                 const int64_t *tap, float *dw) {                      \
    const atl_conv_shape *s = j->s;                                                    \
    const int64_t plane = (int64_t)s->P * j->Qv;                                       \
    v8 acc[KB][TB];                                                                    \
    for (int k = 0; k < KB; k++)                                                       \
      for (int t = 0; t < TB; t++) acc[k][t] = (v8){0};                                \
    for (int p = 0; p < s->P; p++) {                                                   \
      const float *row = x + (int64_t)p * s->stride_h * j->Wph;                        \
      const float *dyr = dy + (int64_t)p * j->Qv;                                      \
      for (int q = 0; q < j->Qv; q += 8) {                                             \
        if (KB <= TB) {                                                                \
          v8 g[KB];                                                                    \
          for (int k = 0; k < KB; k++) g[k] = load8(dyr + k * plane + q);              \
          for (int t = 0; t < TB; t++) {                                               \
            const v8 in = load8(row + tap[t] + q);                                     \
            for (int k = 0; k < KB; k++) acc[k][t] += g[k] * in;                       \
          }                                                                            \
        } else {                                                                       \
          v8 in[TB];                                                                   \
          for (int t = 0; t < TB; t++) in[t] = load8(row + tap[t] + q);                \
          for (int k = 0; k < KB; k++) {                                               \
            const v8 g = load8(dyr + k * plane + q);                                   \
            for (int t = 0; t < TB; t++) acc[k][t] += g * in[t];                       \
          }                                                                            \
        }                                                                              \
      }                                                                                \
    }                                                                                  \
    for (int k = 0; k < KB; k++)                                                       \
      for (int t = 0; t < TB; t++) {                                                   \
        float *at = dw + ((int64_t)k * j->Tp + t) * 8;                                 \
        v8 sum = load8(at) + acc[k][t];                                                \
        __builtin_memcpy(at, &sum, 32);                                                \
      }                                                                                \
  }
WEIGHT_BLOCK(3, 4)
WEIGHT_BLOCK(4, 3)
WEIGHT_BLOCK(6, 2)
WEIGHT_BLOCK(2, 6)

static void forward_images(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const direct_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t PQ = (int64_t)s->P * s->Q, in_len = (int64_t)s->C * s->H * s->W;
  float *split = atl_thread_scratch(input_len(j));
  const forward_block_fn block = forward_block_for(j);
  for (int64_t n = begin; n < end; n++) {
    split_input(j, j->in + n * in_len, split);
    for (int k0 = 0; k0 < j->Kp; k0 += j->kb) {
      const float *w = j->w + (int64_t)k0 * j->taps, *b = j->b ? j->b + k0 : NULL;
      const int rows = s->K - k0;
      for (int p = 0; p < s->P; p++)
        for (int q = 0; q < s->Q; q += (j->wide ? 16 : 8) * j->qv) {
          const float *x = split + (int64_t)p * s->stride_h * j->Wph + q;
          float *y = j->out + (n * s->K + k0) * PQ + (int64_t)p * s->Q + q;
          block(j, x, w, b, y, PQ, rows, s->Q - q);
        }
    }
  }
}

static void weight_images(void *ctx, int64_t begin, int64_t end, int tid) {
  const direct_job *j = ctx;
  const atl_conv_shape *s = j->s;
  const int64_t PQ = (int64_t)s->P * s->Q, in_len = (int64_t)s->C * s->H * s->W;
  const int64_t plane = (int64_t)s->P * j->Qv;
  float *split = atl_thread_scratch(input_len(j) + j->Kp * plane);
  float *dy = split + input_len(j);
  float *dw = j->parts + (int64_t)tid * ((int64_t)j->Kp * j->Tp * 8 + j->Kp);
  float *db = dw + (int64_t)j->Kp * j->Tp * 8;
  // rows padded to whole vectors and channels past K stay zero
  memset(dy, 0, sizeof(float) * (size_t)(j->Kp * plane));
  for (int64_t n = begin; n < end; n++) {
    split_input(j, j->in + n * in_len, split);
    for (int k = 0; k < s->K; k++) {
      for (int p = 0; p < s->P; p++)
        memcpy(dy + k * plane + (int64_t)p * j->Qv,
               j->dout + (n * s->K + k) * PQ + (int64_t)p * s->Q, sizeof(float) * (size_t)s->Q);
      v8 sum = {0};
      for (int64_t e = 0; e < plane; e += 8) sum += load8(dy + k * plane + e);
      db[k] += ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]));
    }
    for (int k0 = 0; k0 < j->Kp; k0 += j->kb)
      for (int t0 = 0; t0 < j->Tp; t0 += j->tb) {
        const float *g = dy + k0 * plane;
        float *part = dw + ((int64_t)k0 * j->Tp + t0) * 8;
        switch (j->kb) {
          case 3:
            weight_3_4(j, split, g, j->tap + t0, part);
            break;
          case 4:
            weight_4_3(j, split, g, j->tap + t0, part);
            break;
          case 6:
            weight_6_2(j, split, g, j->tap + t0, part);
            break;
          default:
            weight_2_6(j, split, g, j->tap + t0, part);
            break;
        }
      }
  }
}

int atl_conv_direct_supports(const atl_conv_shape *s) {
  const int64_t taps = (int64_t)s->C * s->R * s->S;
  return taps > 0 && taps <= MAX_TAPS && s->K > 0 && s->K <= 65536 && s->P > 0 && s->Q > 0;
}

// The block (channels kb by `other`) of the given shapes with the least padded
// work for `channels` by `along`, where a block covers `per` of `along` per unit.
static void choose_block(const int shapes[4][2], int channels, int along, int per, int *kb,
                         int *other) {
  int64_t best = -1;
  for (int i = 0; i < 4; i++) {
    const int64_t work =
        (int64_t)round_up(channels, shapes[i][0]) * round_up(along, shapes[i][1] * per);
    if (best < 0 || work < best) {
      best = work;
      *kb = shapes[i][0];
      *other = shapes[i][1];
    }
  }
}

// Geometry and tap offsets. Taps past the last repeat tap 0; their sums are dropped.
static void plan(direct_job *j, const atl_conv_shape *s, int backward) {
  j->s = s;
  const int sw = s->stride_w;
  j->Hp = s->H + 2 * s->pad_h;
  j->Wph = (s->W + 2 * s->pad_w + sw - 1) / sw;
  j->taps = s->C * s->R * s->S;
  j->Qv = round_up(s->Q, 8);
  if (backward) {
    static const int shapes[4][2] = {{3, 4}, {4, 3}, {6, 2}, {2, 6}};
    choose_block(shapes, s->K, j->taps, 1, &j->kb, &j->tb);
    j->Tp = round_up(j->taps, j->tb);
  } else {
    static const int shapes[4][2] = {{3, 4}, {4, 3}, {6, 2}, {12, 1}};
    j->wide = atl_conv_direct_wide();
    choose_block(shapes, s->K, s->Q, j->wide ? 16 : 8, &j->kb, &j->qv);
    j->Tp = j->taps;
  }
  j->Kp = round_up(s->K, j->kb);
  for (int c = 0, t = 0; c < s->C; c++)
    for (int r = 0; r < s->R; r++)
      for (int u = 0; u < s->S; u++)
        j->tap[t++] = (((int64_t)c * sw + u % sw) * j->Hp + r) * j->Wph + u / sw;
  for (int t = j->taps; t < j->taps + MAX_BLOCK; t++) j->tap[t] = 0;
}

// The filters with zero rows up to a whole number of channel blocks.
static float *padded_filters(const direct_job *j, const float *w) {
  float *padded = atl_alloc((int64_t)j->Kp * j->taps);
  if (padded) memcpy(padded, w, sizeof(float) * (size_t)(j->s->K * j->taps));
  return padded;
}

int atl_conv_direct_forward(const atl_conv_shape *s, const float *in, const float *w,
                            const float *b, float *out, int relu) {
  if (!atl_conv_direct_supports(s)) return -1;
  direct_job *j = calloc(1, sizeof *j);
  if (!j) return -1;
  *j = (direct_job){.in = in, .b = b, .out = out, .relu = relu};
  plan(j, s, 0);
  float *filters = padded_filters(j, w);
  if (filters) {
    j->w = filters;
    atl_parallel_for(s->N, 1, forward_images, j);
  }
  atl_free(filters);
  free(j);
  return filters ? 0 : -1;
}

// The input gradient of a stride-1 layer is the forward pass over dy with the
// filters flipped and their channels swapped, padded by R-1-pad; -1 where that
// does not hold (strides, padding past the kernel) or memory runs out.
static int input_gradient(const atl_conv_shape *s, const float *w, const float *dout, float *din) {
  if (s->stride_h != 1 || s->stride_w != 1 || s->pad_h >= s->R || s->pad_w >= s->S) return -1;
  atl_conv_shape t = {
      s->N, s->K, s->P, s->Q, s->C, s->R, s->S, 1, 1, s->R - 1 - s->pad_h, s->S - 1 - s->pad_w,
      0,    0};
  if (atl_conv_output(&t) != 0 || t.P != s->H || t.Q != s->W || !atl_conv_direct_supports(&t))
    return -1;
  const int64_t RS = (int64_t)s->R * s->S;
  float *flipped = atl_alloc((int64_t)s->K * s->C * RS);
  if (!flipped) return -1;
  for (int k = 0; k < s->K; k++)
    for (int c = 0; c < s->C; c++)
      for (int64_t e = 0; e < RS; e++)
        flipped[((int64_t)c * s->K + k) * RS + (RS - 1 - e)] = w[((int64_t)k * s->C + c) * RS + e];
  const int ran = atl_conv_direct_forward(&t, dout, flipped, NULL, din, 0);
  atl_free(flipped);
  return ran;
}

int atl_conv_direct_backward(const atl_conv_shape *s, const float *in, const float *w,
                             const float *dout, float *din, float *dw, float *db) {
  if (!atl_conv_direct_supports(s)) return -1;
  direct_job *j = calloc(1, sizeof *j);
  if (!j) return -1;
  *j = (direct_job){.in = in, .dout = dout};
  plan(j, s, 1);
  const int T = atl_threads();
  const int64_t part_len = (int64_t)j->Kp * j->Tp * 8 + j->Kp;
  j->parts = atl_alloc(T * part_len);  // zero: a piece without images adds nothing
  if (!j->parts) {
    free(j);
    return -1;
  }
  atl_parallel_for(s->N, 1, weight_images, j);
  for (int t = 1; t < T; t++) atl_axpy(1.0f, j->parts + t * part_len, j->parts, part_len);
  for (int k = 0; k < s->K; k++)
    for (int t = 0; t < j->taps; t++) {
      const float *lanes = j->parts + ((int64_t)k * j->Tp + t) * 8;
      dw[(int64_t)k * j->taps + t] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                                     ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    }
  if (db)
    for (int k = 0; k < s->K; k++) db[k] = j->parts[(int64_t)j->Kp * j->Tp * 8 + k];
  atl_free(j->parts);
  free(j);
  if (din && input_gradient(s, w, dout, din) != 0) atl_conv2d_transpose(s, dout, w, din);
  return 0;
}
