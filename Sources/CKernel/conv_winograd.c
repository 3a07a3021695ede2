// 3x3 stride-1 convolutions by Winograd's minimal filtering (Lavin and Gray, 2016),
// F(4x4, 3x3) or F(6x6, 3x3): an input tile of 6x6 (8x8) and a 3x3 filter are
// transformed so that a 4x4 (6x6) output tile costs 36 (64) multiplications per
// channel pair instead of 144 (324). oneDNN has Winograd kernels for AVX-512 only and
// runs direct kernels on AVX2 machines, where this file is the faster path. The three
// passes share the transforms:
//   forward       Y  = A^T [(G g G^T) . (B^T d B)] A, summed over input channels
//   input grad    the forward pass over dY, filters flipped and transposed, pad 2-p
//   weight grad   dg = G^T [sum over tiles (A dY A^T) . (B^T d B)] G
// Tiles go in blocks whose transformed input stays in the core's L2; a block's
// element-wise products over channels are small GEMMs, done by a 6x16 register
// kernel in the forward passes and by OpenBLAS (long sums over tiles) for weights.
// Blocks are fixed by the shape and the thread count, and the weight gradient's
// per-thread parts are summed in thread order, so results repeat bit for bit.
// conv_winograd_tiles.h holds what depends on the tile size; it is included once per
// size, and each pass takes the size that forms the fewer products for its output.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

#define KR 6       // output channels per register block
#define TV 16      // tiles per register block (two 8-float vectors)
#define KCHUNK 24  // output channels whose products are formed before their output transform

typedef struct {
  int N, C, H, W;  // the input of the convolution run
  int K, P, Q;     // its output
  int ph, pw;      // padding
  int TH, TW;      // tiles down and across a plane
  int64_t tiles;   // N * TH * TW
  int tb;          // tiles per block, a multiple of TV
} geometry;

#define MAX_BLOCK 128

// Where a tile starts: its image, and the top-left output pixel.
typedef struct {
  int n, y, x;
} tile_at;

// ---- transforms: one 1-D transform per call, on 8 tiles at once ----

// B^T d for d0..d5 (input tiles).
static inline void input_1d_4(const __m256 d[6], __m256 o[6]) {
  const __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f), two = _mm256_set1_ps(2.0f);
  const __m256 t1 = _mm256_fnmadd_ps(four, d[2], d[4]), t2 = _mm256_fnmadd_ps(four, d[1], d[3]);
  const __m256 t3 = _mm256_sub_ps(d[4], d[2]), t4 = _mm256_mul_ps(two, _mm256_sub_ps(d[3], d[1]));
  o[0] = _mm256_add_ps(_mm256_fnmadd_ps(five, d[2], _mm256_mul_ps(four, d[0])), d[4]);
  o[1] = _mm256_add_ps(t1, t2);
  o[2] = _mm256_sub_ps(t1, t2);
  o[3] = _mm256_add_ps(t3, t4);
  o[4] = _mm256_sub_ps(t3, t4);
  o[5] = _mm256_add_ps(_mm256_fnmadd_ps(five, d[3], _mm256_mul_ps(four, d[1])), d[5]);
}

// A^T m for m0..m5 (products to outputs).
static inline void output_1d_4(const __m256 m[6], __m256 y[4]) {
  const __m256 s1 = _mm256_add_ps(m[1], m[2]), d1 = _mm256_sub_ps(m[1], m[2]);
  const __m256 s2 = _mm256_add_ps(m[3], m[4]), d2 = _mm256_sub_ps(m[3], m[4]);
  y[0] = _mm256_add_ps(_mm256_add_ps(m[0], s1), s2);
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d2, d1);
  y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s2, s1);
  y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d2, d1), m[5]);
}

// A y for y0..y3 (output gradients to products).
static inline void gradient_1d_4(const __m256 y[4], __m256 m[6]) {
  const __m256 e = _mm256_add_ps(y[0], y[2]), o = _mm256_add_ps(y[1], y[3]);
  const __m256 e4 = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), y[2], y[0]);
  const __m256 o8 =
      _mm256_fmadd_ps(_mm256_set1_ps(8.0f), y[3], _mm256_mul_ps(_mm256_set1_ps(2.0f), y[1]));
  m[0] = y[0];
  m[1] = _mm256_add_ps(e, o);
  m[2] = _mm256_sub_ps(e, o);
  m[3] = _mm256_add_ps(e4, o8);
  m[4] = _mm256_sub_ps(e4, o8);
  m[5] = y[3];
}

// B^T d for d0..d7 (F(6x6, 3x3)'s input tiles).
static inline void input_1d_6(const __m256 d[8], __m256 o[8]) {
  const __m256 c525 = _mm256_set1_ps(5.25f), c425 = _mm256_set1_ps(4.25f);
  const __m256 c25 = _mm256_set1_ps(2.5f), c125 = _mm256_set1_ps(1.25f);
  const __m256 half = _mm256_set1_ps(0.5f), quarter = _mm256_set1_ps(0.25f);
  const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f);
  o[0] = _mm256_fmadd_ps(c525, _mm256_sub_ps(d[4], d[2]), _mm256_sub_ps(d[0], d[6]));
  o[7] = _mm256_fmadd_ps(c525, _mm256_sub_ps(d[3], d[5]), _mm256_sub_ps(d[7], d[1]));
  const __m256 e1 = _mm256_fnmadd_ps(c425, d[4], _mm256_add_ps(d[2], d[6]));
  const __m256 o1 = _mm256_fnmadd_ps(c425, d[3], _mm256_add_ps(d[1], d[5]));
  o[1] = _mm256_add_ps(e1, o1);
  o[2] = _mm256_sub_ps(e1, o1);
  const __m256 e3 = _mm256_fnmadd_ps(c125, d[4], _mm256_fmadd_ps(quarter, d[2], d[6]));
  const __m256 o3 =
      _mm256_fmadd_ps(two, d[5], _mm256_fnmadd_ps(c25, d[3], _mm256_mul_ps(half, d[1])));
  o[3] = _mm256_add_ps(e3, o3);
  o[4] = _mm256_sub_ps(e3, o3);
  const __m256 e5 = _mm256_fnmadd_ps(five, d[4], _mm256_fmadd_ps(four, d[2], d[6]));
  const __m256 o5 =
      _mm256_fmadd_ps(half, d[5], _mm256_fnmadd_ps(c25, d[3], _mm256_mul_ps(two, d[1])));
  o[5] = _mm256_add_ps(e5, o5);
  o[6] = _mm256_sub_ps(e5, o5);
}

// A^T m for m0..m7 (F(6x6, 3x3)'s products to outputs).
static inline void output_1d_6(const __m256 m[8], __m256 y[6]) {
  const __m256 s1 = _mm256_add_ps(m[1], m[2]), d1 = _mm256_sub_ps(m[1], m[2]);
  const __m256 s2 = _mm256_add_ps(m[3], m[4]), d2 = _mm256_sub_ps(m[3], m[4]);
  const __m256 s3 = _mm256_add_ps(m[5], m[6]), d3 = _mm256_sub_ps(m[5], m[6]);
  y[0] = _mm256_add_ps(_mm256_add_ps(m[0], s1), _mm256_add_ps(s2, s3));
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(0.5f), d3, _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d2, d1));
  y[2] = _mm256_fmadd_ps(_mm256_set1_ps(0.25f), s3, _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s2, s1));
  y[3] = _mm256_fmadd_ps(_mm256_set1_ps(0.125f), d3, _mm256_fmadd_ps(_mm256_set1_ps(8.0f), d2, d1));
  y[4] =
      _mm256_fmadd_ps(_mm256_set1_ps(0.0625f), s3, _mm256_fmadd_ps(_mm256_set1_ps(16.0f), s2, s1));
  y[5] = _mm256_add_ps(
      _mm256_fmadd_ps(_mm256_set1_ps(0.03125f), d3, _mm256_fmadd_ps(_mm256_set1_ps(32.0f), d2, d1)),
      m[7]);
}

// A y for y0..y5 (F(6x6, 3x3)'s output gradients to products).
static inline void gradient_1d_6(const __m256 y[6], __m256 m[8]) {
  const __m256 e1 = _mm256_add_ps(_mm256_add_ps(y[0], y[2]), y[4]);
  const __m256 o1 = _mm256_add_ps(_mm256_add_ps(y[1], y[3]), y[5]);
  const __m256 e2 = _mm256_fmadd_ps(_mm256_set1_ps(16.0f), y[4],
                                    _mm256_fmadd_ps(_mm256_set1_ps(4.0f), y[2], y[0]));
  const __m256 o2 = _mm256_fmadd_ps(
      _mm256_set1_ps(32.0f), y[5],
      _mm256_fmadd_ps(_mm256_set1_ps(8.0f), y[3], _mm256_mul_ps(_mm256_set1_ps(2.0f), y[1])));
  const __m256 e3 = _mm256_fmadd_ps(_mm256_set1_ps(0.0625f), y[4],
                                    _mm256_fmadd_ps(_mm256_set1_ps(0.25f), y[2], y[0]));
  const __m256 o3 = _mm256_fmadd_ps(
      _mm256_set1_ps(0.03125f), y[5],
      _mm256_fmadd_ps(_mm256_set1_ps(0.125f), y[3], _mm256_mul_ps(_mm256_set1_ps(0.5f), y[1])));
  m[0] = y[0];
  m[1] = _mm256_add_ps(e1, o1);
  m[2] = _mm256_sub_ps(e1, o1);
  m[3] = _mm256_add_ps(e2, o2);
  m[4] = _mm256_sub_ps(e2, o2);
  m[5] = _mm256_add_ps(e3, o3);
  m[6] = _mm256_sub_ps(e3, o3);
  m[7] = y[5];
}

// The filter transforms G of each tile size (B^T and A^T are in the 1-D transforms).
static const double G_4[6][3] = {{1.0 / 4, 0, 0},
                                 {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                 {0, 0, 1}};
static const double G_6[8][3] = {{1, 0, 0},
                                 {-2.0 / 9, -2.0 / 9, -2.0 / 9},
                                 {-2.0 / 9, 2.0 / 9, -2.0 / 9},
                                 {1.0 / 90, 1.0 / 45, 2.0 / 45},
                                 {1.0 / 90, -1.0 / 45, 2.0 / 45},
                                 {32.0 / 45, 16.0 / 45, 8.0 / 45},
                                 {32.0 / 45, -16.0 / 45, 8.0 / 45},
                                 {0, 0, 1}};

// ---- block transforms ----

// 8 rows of 8 floats -> 8 columns: r[j] lane l = old r[l] element j.
static inline void transpose_8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; i++) {
    u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// A block's input rows, padded: each run of tiles along one tile row (a segment)
// gets the 6 input rows under it, zero outside the image, with room for 8-float
// loads at every tile's start; one more segment of zeros stands for missing tiles.
typedef struct {
  float *rows;           // [segments + 1][6][width]
  int width;             // floats per row
  int start[MAX_BLOCK];  // tile i's first input column, as an offset into rows
} padded_rows;

// 6 output channels x 16 tiles of one element's product: m = u v over c.
// u is [C][6] (one register block of packed filters), v is [C][tb] from column 0.
static inline void product_6x16(const float *restrict u, const float *restrict v, int C, int tb,
                                float *restrict m, int ldm) {
  __m256 a[KR][2];
  for (int r = 0; r < KR; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();
  for (int c = 0; c < C; c++) {
    const __m256 v0 = _mm256_loadu_ps(v + (int64_t)c * tb),
                 v1 = _mm256_loadu_ps(v + (int64_t)c * tb + 8);
    for (int r = 0; r < KR; r++) {
      const __m256 b = _mm256_broadcast_ss(u + c * KR + r);
      a[r][0] = _mm256_fmadd_ps(b, v0, a[r][0]);
      a[r][1] = _mm256_fmadd_ps(b, v1, a[r][1]);
    }
  }
  for (int r = 0; r < KR; r++) {
    _mm256_storeu_ps(m + (int64_t)r * ldm, a[r][0]);
    _mm256_storeu_ps(m + (int64_t)r * ldm + 8, a[r][1]);
  }
}

// ---- forward (and the input gradient, which is a forward pass) ----

typedef struct {
  geometry g;
  const float *in;
  const float *u;  // packed filters [36][kpad / 6][C][6]
  const float *bias;
  float *out;
  int relu, kpad;
  int64_t blocks;
} forward_job;

// Every pool thread's scratch, grown before the parallel loop so that a failed
// allocation is an error and not a block left unwritten.
typedef struct {
  int64_t len;
  int failed;
} scratch_check;

static void grow_scratch(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)begin, (void)end, (void)tid;
  scratch_check *c = ctx;
  if (!atl_thread_scratch(c->len)) __atomic_store_n(&c->failed, 1, __ATOMIC_RELAXED);
}

static int scratch_everywhere(int64_t len) {
  scratch_check c = {len, 0};
  atl_parallel_for(atl_threads(), 1, grow_scratch, &c);
  return c.failed ? -1 : 0;
}

typedef struct {
  const float *w;
  float *u;
  int C, K, kpad, flipped;
} filter_job;

// ---- the weight gradient ----

typedef struct {
  geometry g;  // of the forward pass
  const float *in, *dout;
  float *parts;  // per thread: [36 or 64][K][C]
  int64_t blocks;
} weight_job;

typedef struct {
  const float *parts;  // per thread: [36 or 64][K][C]
  float *dw;
  int K, C, T;
  int64_t du_len;  // floats of one thread's part
} filters_job;

// Tiles per block of the weight gradient: up to MAX_BLOCK, for long sums per GEMM,
// but two blocks per thread at least, so that small maps (one 6x6 tile per image)
// still keep every thread busy.
static int weight_tiles_per_block(int64_t tiles) {
  const int64_t pieces = 2 * (int64_t)atl_threads(), per = (tiles + pieces - 1) / pieces;
  const int64_t tb = (per + TV - 1) / TV * TV;
  return tb < TV ? TV : tb > MAX_BLOCK ? MAX_BLOCK : (int)tb;
}

#define WG_M 4
#include "conv_winograd_tiles.h"
#undef WG_M
#define WG_M 6
#include "conv_winograd_tiles.h"
#undef WG_M

// ---- entry points ----

int atl_conv_winograd_supports(const atl_conv_shape *s) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
  return s->R == 3 && s->S == 3 && s->stride_h == 1 && s->stride_w == 1 && s->pad_h <= 2 &&
         s->pad_w <= 2 && s->P > 0 && s->Q > 0;
}

// The output tile for a pass whose output is P x Q: 6x6 where it forms a fifth fewer
// products or more (maps of 6x6 and 12x12, which 4x4 tiles overhang), else 4x4,
// whose transforms round less.
static int tile_for(int P, int Q) {
  const int64_t four = (int64_t)((P + 3) / 4) * ((Q + 3) / 4) * 36;
  const int64_t six = (int64_t)((P + 5) / 6) * ((Q + 5) / 6) * 64;
  return 5 * six <= 4 * four ? 6 : 4;
}

static int forward_with(int tile, int N, int C, int H, int W, int K, int ph, int pw,
                        const float *in, const float *w, int flipped, const float *bias, float *out,
                        int relu) {
  return tile == 6 ? run_forward_6(N, C, H, W, K, ph, pw, in, w, flipped, bias, out, relu)
                   : run_forward_4(N, C, H, W, K, ph, pw, in, w, flipped, bias, out, relu);
}

int atl_conv_winograd_forward_tiles(const atl_conv_shape *s, int tile, const float *in,
                                    const float *w, const float *b, float *out, int relu) {
  if (!atl_conv_winograd_supports(s) || (tile != 0 && tile != 4 && tile != 6)) return -1;
  if (tile == 0) tile = tile_for(s->P, s->Q);
  return forward_with(tile, s->N, s->C, s->H, s->W, s->K, s->pad_h, s->pad_w, in, w, 0, b, out,
                      relu);
}

int atl_conv_winograd_backward_tiles(const atl_conv_shape *s, int tile, const float *in,
                                     const float *w, const float *dout, float *din, float *dw,
                                     float *db) {
  if (!atl_conv_winograd_supports(s) || (tile != 0 && tile != 4 && tile != 6)) return -1;
  const int data_tile = tile ? tile : tile_for(s->H, s->W),
            weight_tile = tile ? tile : tile_for(s->P, s->Q);
  if (din && forward_with(data_tile, s->N, s->K, s->P, s->Q, s->C, 2 - s->pad_h, 2 - s->pad_w, dout,
                          w, 1, NULL, din, 0) != 0)
    return -1;
  if (dw && (weight_tile == 6 ? run_weight_gradient_6(s, in, dout, dw)
                              : run_weight_gradient_4(s, in, dout, dw)) != 0)
    return -1;
  if (db) {
    memset(db, 0, sizeof(float) * s->K);
    atl_channel_sums(dout, s->N, s->K, (int64_t)s->P * s->Q, db);
  }
  return 0;
}

int atl_conv_winograd_forward(const atl_conv_shape *s, const float *in, const float *w,
                              const float *b, float *out, int relu) {
  return atl_conv_winograd_forward_tiles(s, 0, in, w, b, out, relu);
}

int atl_conv_winograd_backward(const atl_conv_shape *s, const float *in, const float *w,
                               const float *dout, float *din, float *dw, float *db) {
  return atl_conv_winograd_backward_tiles(s, 0, in, w, dout, din, dw, db);
}
