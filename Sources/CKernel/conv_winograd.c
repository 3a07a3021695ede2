// 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3) (Lavin and
// Gray, 2016): a 6x6 input tile and a 3x3 filter are transformed so that a 4x4
// output tile costs 36 multiplications per channel pair instead of 144. oneDNN has
// Winograd kernels for AVX-512 only and runs direct kernels on AVX2 machines, where
// this file is the faster path. The three passes share the transforms:
//   forward       Y  = A^T [(G g G^T) . (B^T d B)] A, summed over input channels
//   input grad    the forward pass over dY, filters flipped and transposed, pad 2-p
//   weight grad   dg = G^T [sum over tiles (A dY A^T) . (B^T d B)] G
// Tiles go in blocks whose transformed input stays in the core's L2; a block's 36
// element-wise products over channels are 36 small GEMMs, done by a 6x16 register
// kernel in the forward passes and by OpenBLAS (long sums over tiles) for weights.
// Blocks are fixed by the shape and the thread count, and the weight gradient's
// per-thread parts are summed in thread order, so results repeat bit for bit.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

#define XI 36      // transformed tile elements (6x6)
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

static geometry geometry_of(int N, int C, int H, int W, int K, int ph, int pw, int tb) {
  geometry g = {N, C, H, W, K, H + 2 * ph - 2, W + 2 * pw - 2, ph, pw, 0, 0, 0, tb};
  g.TH = (g.P + 3) / 4;
  g.TW = (g.Q + 3) / 4;
  g.tiles = (int64_t)N * g.TH * g.TW;
  return g;
}

#define MAX_BLOCK 128

// Where a tile starts: its image, and the top-left output pixel.
typedef struct {
  int n, y, x;
} tile_at;

// The tiles [t0, t0 + tb) that exist; returns how many.
static int block_tiles(const geometry *g, int64_t t0, tile_at *tiles) {
  const int per_image = g->TH * g->TW;
  const int nt = g->tiles - t0 < g->tb ? (int)(g->tiles - t0) : g->tb;
  for (int i = 0; i < nt; i++) {
    const int64_t t = t0 + i;
    const int n = (int)(t / per_image), r = (int)(t % per_image);
    tiles[i] = (tile_at){n, r / g->TW * 4, r % g->TW * 4};
  }
  return nt;
}

// ---- transforms: one 1-D transform per call, on 8 tiles at once ----

// B^T d for d0..d5 (input tiles).
static inline void input_1d(const __m256 d[6], __m256 o[6]) {
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
static inline void output_1d(const __m256 m[6], __m256 y[4]) {
  const __m256 s1 = _mm256_add_ps(m[1], m[2]), d1 = _mm256_sub_ps(m[1], m[2]);
  const __m256 s2 = _mm256_add_ps(m[3], m[4]), d2 = _mm256_sub_ps(m[3], m[4]);
  y[0] = _mm256_add_ps(_mm256_add_ps(m[0], s1), s2);
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d2, d1);
  y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s2, s1);
  y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d2, d1), m[5]);
}

// A y for y0..y3 (output gradients to products).
static inline void gradient_1d(const __m256 y[4], __m256 m[6]) {
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

// G g G^T for one 3x3 filter (row-major) into u[36].
static void filter_2d(const float g[9], float u[XI]) {
  float t[6][3];
  for (int s = 0; s < 3; s++) {
    const float g0 = g[s], g1 = g[3 + s], g2 = g[6 + s];
    t[0][s] = g0 / 4;
    t[1][s] = -(g0 + g1 + g2) / 6;
    t[2][s] = -(g0 - g1 + g2) / 6;
    t[3][s] = g0 / 24 + g1 / 12 + g2 / 6;
    t[4][s] = g0 / 24 - g1 / 12 + g2 / 6;
    t[5][s] = g2;
  }
  for (int a = 0; a < 6; a++) {
    const float g0 = t[a][0], g1 = t[a][1], g2 = t[a][2];
    u[a * 6 + 0] = g0 / 4;
    u[a * 6 + 1] = -(g0 + g1 + g2) / 6;
    u[a * 6 + 2] = -(g0 - g1 + g2) / 6;
    u[a * 6 + 3] = g0 / 24 + g1 / 12 + g2 / 6;
    u[a * 6 + 4] = g0 / 24 - g1 / 12 + g2 / 6;
    u[a * 6 + 5] = g2;
  }
}

// G^T du G: a transformed filter gradient back to its 3x3 filter.
static void filter_gradient_2d(const double du[XI], float g[9]) {
  static const double G[6][3] = {{1.0 / 4, 0, 0},
                                 {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                 {0, 0, 1}};
  double t[3][6];
  for (int r = 0; r < 3; r++)
    for (int b = 0; b < 6; b++) {
      double acc = 0;
      for (int a = 0; a < 6; a++) acc += G[a][r] * du[a * 6 + b];
      t[r][b] = acc;
    }
  for (int r = 0; r < 3; r++)
    for (int s = 0; s < 3; s++) {
      double acc = 0;
      for (int b = 0; b < 6; b++) acc += t[r][b] * G[b][s];
      g[r * 3 + s] = (float)acc;
    }
}

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

static int row_width(const geometry *g) { return 4 * (g->TW < g->tb ? g->TW : g->tb) + 10; }

// Floats a block's padded rows take at most.
static int64_t padded_rows_size(const geometry *g) {
  const int segments = g->tb / g->TW + 3;
  return (int64_t)(segments + 1) * 6 * row_width(g) + 8;
}

static void pad_rows(const geometry *g, const float *in, int c, const tile_at *tiles, int nt,
                     padded_rows *pr) {
  const int width = pr->width;
  int segments = 0;
  for (int i = 0; i < nt;) {
    int count = 1;
    while (i + count < nt && tiles[i + count].n == tiles[i].n && tiles[i + count].y == tiles[i].y)
      count++;
    float *seg = pr->rows + (int64_t)segments * 6 * width;
    const float *plane = in + ((int64_t)tiles[i].n * g->C + c) * g->H * g->W;
    const int x0 = tiles[i].x - g->pw, xs = 4 * count + 10;
    const int lo = x0 < 0 ? -x0 : 0, hi = g->W - x0 < xs ? g->W - x0 : xs;
    for (int r = 0; r < 6; r++) {
      float *row = seg + r * width;
      const int yy = tiles[i].y - g->ph + r;
      // Plain loops: rows are a few dozen floats, shorter than a call to memcpy pays for.
      const int from = yy < 0 || yy >= g->H || hi <= lo ? xs : lo, to = from == xs ? xs : hi;
      const float *src = plane + (int64_t)yy * g->W + x0;
      for (int x = 0; x < from; x++) row[x] = 0.0f;
      for (int x = from; x < to; x++) row[x] = src[x];
      for (int x = to; x < xs; x++) row[x] = 0.0f;
    }
    for (int t = 0; t < count; t++)
      pr->start[i + t] = (int)((seg - pr->rows) + (tiles[i + t].x - tiles[i].x));
    segments++;
    i += count;
  }
  float *zero = pr->rows + (int64_t)segments * 6 * width;
  if (c == 0) memset(zero, 0, sizeof(float) * 6 * width);  // the same rows for every channel
  for (int i = nt; i < g->tb; i++) pr->start[i] = (int)(zero - pr->rows);
}

// The transformed input of a block's tiles: v[xi][c][tb], zero past nt.
static void transform_input(const geometry *g, const float *in, const tile_at *tiles, int nt,
                            float *v, float *rows) {
  const int tb = g->tb;
  padded_rows pr = {.rows = rows, .width = row_width(g)};
  for (int c = 0; c < g->C; c++) {
    pad_rows(g, in, c, tiles, nt, &pr);
    for (int i = 0; i < tb; i += 8) {
      __m256 d[6][8], t[XI], o[6];
      for (int r = 0; r < 6; r++) {
        for (int l = 0; l < 8; l++)
          d[r][l] = _mm256_loadu_ps(rows + pr.start[i + l] + r * pr.width);
        transpose_8x8(d[r]);
      }
      for (int j = 0; j < 6; j++) {
        const __m256 col[6] = {d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]};
        input_1d(col, o);
        for (int a = 0; a < 6; a++) t[a * 6 + j] = o[a];
      }
      for (int a = 0; a < 6; a++) {
        input_1d(t + a * 6, o);
        for (int b = 0; b < 6; b++)
          _mm256_storeu_ps(v + ((int64_t)(a * 6 + b) * g->C + c) * tb + i, o[b]);
      }
    }
  }
}

// The transformed output gradient of a block's tiles: m[xi][k][tb], zero past nt
// and outside the output.
static void transform_gradient(const geometry *g, const float *dout, const tile_at *tiles, int nt,
                               float *m) {
  const int tb = g->tb;
  for (int k = 0; k < g->K; k++) {
    for (int i = 0; i < tb; i += 8) {
      // e[h][l]: tile l's rows 2h and 2h + 1, then transposed to e[h][4 * (u % 2) + w].
      __m256 e[2][8];
      for (int l = 0; l < 8; l++) {
        if (i + l >= nt) {
          e[0][l] = e[1][l] = _mm256_setzero_ps();
          continue;
        }
        const tile_at at = tiles[i + l];
        const float *corner = dout + (((int64_t)at.n * g->K + k) * g->P + at.y) * g->Q + at.x;
        if (at.y + 4 <= g->P && at.x + 4 <= g->Q) {
          for (int h = 0; h < 2; h++)
            e[h][l] =
                _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(corner + 2 * h * g->Q)),
                                     _mm_loadu_ps(corner + (2 * h + 1) * g->Q), 1);
          continue;
        }
        float tile[16] = {0};
        const int rows = g->P - at.y < 4 ? g->P - at.y : 4,
                  cols = g->Q - at.x < 4 ? g->Q - at.x : 4;
        for (int u = 0; u < rows; u++)
          for (int w = 0; w < cols; w++) tile[u * 4 + w] = corner[(int64_t)u * g->Q + w];
        e[0][l] = _mm256_loadu_ps(tile);
        e[1][l] = _mm256_loadu_ps(tile + 8);
      }
      transpose_8x8(e[0]);
      transpose_8x8(e[1]);
      __m256 t[XI], d[4], o[6];
      for (int w = 0; w < 4; w++) {
        for (int u = 0; u < 4; u++) d[u] = e[u / 2][4 * (u % 2) + w];
        gradient_1d(d, o);
        for (int a = 0; a < 6; a++) t[a * 6 + w] = o[a];
      }
      for (int a = 0; a < 6; a++) {
        gradient_1d(t + a * 6, o);
        for (int b = 0; b < 6; b++)
          _mm256_storeu_ps(m + ((int64_t)(a * 6 + b) * g->K + k) * tb + i, o[b]);
      }
    }
  }
}

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

// Outputs of channels [k0, k0 + kc) for a block's tiles from their products
// m[xi][kc][tb].
static void transform_output(const forward_job *j, const tile_at *tiles, int nt, int k0, int kc,
                             const float *m) {
  const geometry *g = &j->g;
  const int tb = g->tb;
  for (int k = k0; k < k0 + kc && k < g->K; k++) {
    const __m256 bias = _mm256_set1_ps(j->bias ? j->bias[k] : 0.0f), zero = _mm256_setzero_ps();
    for (int i = 0; i < nt; i += 8) {
      __m256 t[4][6], d[6], y[4];
      for (int b = 0; b < 6; b++) {
        for (int a = 0; a < 6; a++)
          d[a] = _mm256_loadu_ps(m + ((int64_t)(a * 6 + b) * kc + k - k0) * tb + i);
        output_1d(d, y);
        for (int u = 0; u < 4; u++) t[u][b] = y[u];
      }
      __m256 o[2][8];  // o[h][4 * (u % 2) + w] for u = 2h, 2h + 1: transposed below
      for (int u = 0; u < 4; u++) {
        output_1d(t[u], y);
        for (int w = 0; w < 4; w++) {
          __m256 r = _mm256_add_ps(y[w], bias);
          if (j->relu) r = _mm256_max_ps(r, zero);
          o[u / 2][(u % 2) * 4 + w] = r;
        }
      }
      // Lane l of o[h][e] is now tile l's rows 2h, 2h + 1 as 8 floats.
      transpose_8x8(o[0]);
      transpose_8x8(o[1]);
      const int lanes = nt - i < 8 ? nt - i : 8;
      for (int l = 0; l < lanes; l++) {
        const tile_at at = tiles[i + l];
        float *corner = j->out + (((int64_t)at.n * g->K + k) * g->P + at.y) * g->Q + at.x;
        if (at.y + 4 <= g->P && at.x + 4 <= g->Q) {
          for (int h = 0; h < 2; h++) {
            _mm_storeu_ps(corner + (2 * h) * g->Q, _mm256_castps256_ps128(o[h][l]));
            _mm_storeu_ps(corner + (2 * h + 1) * g->Q, _mm256_extractf128_ps(o[h][l], 1));
          }
          continue;
        }
        float tile[16];
        _mm256_storeu_ps(tile, o[0][l]);
        _mm256_storeu_ps(tile + 8, o[1][l]);
        const int rows = g->P - at.y < 4 ? g->P - at.y : 4,
                  cols = g->Q - at.x < 4 ? g->Q - at.x : 4;
        for (int u = 0; u < rows; u++)
          for (int w = 0; w < cols; w++) corner[(int64_t)u * g->Q + w] = tile[u * 4 + w];
      }
    }
  }
}

static void forward_blocks(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const forward_job *j = ctx;
  const geometry *g = &j->g;
  const int tb = g->tb;
  const int64_t v_len = (int64_t)XI * g->C * tb, m_len = (int64_t)XI * KCHUNK * tb;
  float *v = atl_thread_scratch(v_len + m_len + padded_rows_size(g));
  if (!v) return;  // the caller checked every thread's scratch before starting
  float *m = v + v_len, *x = m + m_len;
  tile_at tiles[MAX_BLOCK];
  for (int64_t block = begin; block < end; block++) {
    const int nt = block_tiles(g, block * tb, tiles);
    transform_input(g, j->in, tiles, nt, v, x);
    for (int k0 = 0; k0 < j->kpad; k0 += KCHUNK) {
      const int kc = j->kpad - k0 < KCHUNK ? j->kpad - k0 : KCHUNK;
      for (int xi = 0; xi < XI; xi++) {
        const float *vx = v + (int64_t)xi * g->C * tb;
        for (int kb = k0 / KR; kb < (k0 + kc) / KR; kb++) {
          const float *ux = j->u + ((int64_t)xi * (j->kpad / KR) + kb) * g->C * KR;
          float *mx = m + ((int64_t)xi * kc + kb * KR - k0) * tb;
          for (int i = 0; i < nt; i += TV) product_6x16(ux, vx + i, g->C, tb, mx + i, tb);
        }
      }
      transform_output(j, tiles, nt, k0, kc, m);
    }
  }
}

// Tiles per block: the block's transformed input and a chunk of its products in
// about 384 KB.
static int tiles_per_block(int C) {
  int tb = (384 << 10) / (int)(sizeof(float) * XI * (C + KCHUNK)) / TV * TV;
  return tb < TV ? TV : tb > MAX_BLOCK ? MAX_BLOCK : tb;
}

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

// Register blocks of filters [begin, end) packed as u[xi][k / 6][c][k % 6]; padded
// channels are zero.
// Flipped: the input gradient's filter (o, i) is the forward's (i, o) turned 180 degrees.
static void transform_filters(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const filter_job *f = ctx;
  const int C = f->C, K = f->K, blocks = f->kpad / KR;
  // A register block's 6 filters at a time, so that each element's 6 values are
  // written side by side.
  for (int kb = (int)begin; kb < (int)end; kb++)
    for (int c = 0; c < C; c++) {
      float t[KR][XI];
      for (int r = 0; r < KR; r++) {
        const int k = kb * KR + r;
        float g[9] = {0};
        for (int e = 0; e < 9 && k < K; e++)
          g[e] = f->flipped ? f->w[((int64_t)c * K + k) * 9 + 8 - e]
                            : f->w[((int64_t)k * C + c) * 9 + e];
        filter_2d(g, t[r]);
      }
      for (int xi = 0; xi < XI; xi++) {
        float *dst = f->u + (((int64_t)xi * blocks + kb) * C + c) * KR;
        for (int r = 0; r < KR; r++) dst[r] = t[r][xi];
      }
    }
}

// in (N, C, H, W) convolved with filters given as 3x3 planes `filter(o, i)` for
// output channel o and input channel i -> out (N, K, H + 2ph - 2, W + 2pw - 2).
static int run_forward(int N, int C, int H, int W, int K, int ph, int pw, const float *in,
                       const float *w, int flipped, const float *bias, float *out, int relu) {
  forward_job j = {.g = geometry_of(N, C, H, W, K, ph, pw, tiles_per_block(C)),
                   .in = in,
                   .bias = bias,
                   .out = out,
                   .relu = relu,
                   .kpad = (K + KR - 1) / KR * KR};
  const geometry *g = &j.g;
  float *u = atl_alloc_uninitialized((int64_t)XI * j.kpad * C);
  if (!u) return -1;
  filter_job f = {.w = w, .u = u, .C = C, .K = K, .kpad = j.kpad, .flipped = flipped};
  atl_parallel_for(j.kpad / KR, 2, transform_filters, &f);
  j.u = u;
  j.blocks = (g->tiles + g->tb - 1) / g->tb;
  int status = scratch_everywhere((int64_t)XI * (C + KCHUNK) * g->tb + padded_rows_size(g));
  if (status == 0) atl_parallel_for(j.blocks, 1, forward_blocks, &j);
  atl_free(u);
  return status;
}

// ---- the weight gradient ----

typedef struct {
  geometry g;  // of the forward pass
  const float *in, *dout;
  float *parts;  // per thread: [36][K][C]
  int64_t blocks;
} weight_job;

static void weight_blocks(void *ctx, int64_t begin, int64_t end, int tid) {
  const weight_job *j = ctx;
  const geometry *g = &j->g;
  const int tb = g->tb, C = g->C, K = g->K;
  const int64_t v_len = (int64_t)XI * C * tb, m_len = (int64_t)XI * K * tb;
  float *v = atl_thread_scratch(v_len + m_len + padded_rows_size(g));
  if (!v) return;
  float *m = v + v_len, *rows = m + m_len;
  float *part = j->parts + (int64_t)tid * XI * K * C;
  tile_at tiles[MAX_BLOCK];
  for (int64_t block = begin; block < end; block++) {
    const int nt = block_tiles(g, block * tb, tiles);
    transform_input(g, j->in, tiles, nt, v, rows);
    transform_gradient(g, j->dout, tiles, nt, m);
    for (int xi = 0; xi < XI; xi++)
      atl_sgemm(0, 1, K, C, nt, 1.0f, m + (int64_t)xi * K * tb, tb, v + (int64_t)xi * C * tb, tb,
                block == begin ? 0.0f : 1.0f, part + (int64_t)xi * K * C, C);
  }
}

static int run_weight_gradient(const atl_conv_shape *s, const float *in, const float *dout,
                               float *dw) {
  weight_job j = {.g = geometry_of(s->N, s->C, s->H, s->W, s->K, s->pad_h, s->pad_w, MAX_BLOCK),
                  .in = in,
                  .dout = dout};
  const geometry *g = &j.g;
  const int T = atl_threads();
  const int64_t du_len = (int64_t)XI * s->K * s->C;
  j.parts = atl_alloc((int64_t)T * du_len);  // zero: a thread left without blocks adds nothing
  if (!j.parts) return -1;
  j.blocks = (g->tiles + g->tb - 1) / g->tb;
  int status = scratch_everywhere((int64_t)XI * (s->C + s->K) * g->tb + padded_rows_size(g));
  if (status == 0) {
    atl_parallel_for(j.blocks, 1, weight_blocks, &j);
    for (int t = 1; t < T; t++)
      for (int64_t e = 0; e < du_len; e++) j.parts[e] += j.parts[(int64_t)t * du_len + e];
    for (int k = 0; k < s->K; k++)
      for (int c = 0; c < s->C; c++) {
        double t[XI];
        for (int xi = 0; xi < XI; xi++) t[xi] = j.parts[((int64_t)xi * s->K + k) * s->C + c];
        filter_gradient_2d(t, dw + ((int64_t)k * s->C + c) * 9);
      }
  }
  atl_free(j.parts);
  return status;
}

// ---- entry points ----

int atl_conv_winograd_supports(const atl_conv_shape *s) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
  return s->R == 3 && s->S == 3 && s->stride_h == 1 && s->stride_w == 1 && s->pad_h <= 2 &&
         s->pad_w <= 2 && s->P > 0 && s->Q > 0;
}

int atl_conv_winograd_forward(const atl_conv_shape *s, const float *in, const float *w,
                              const float *b, float *out, int relu) {
  if (!atl_conv_winograd_supports(s)) return -1;
  return run_forward(s->N, s->C, s->H, s->W, s->K, s->pad_h, s->pad_w, in, w, 0, b, out, relu);
}

int atl_conv_winograd_backward(const atl_conv_shape *s, const float *in, const float *w,
                               const float *dout, float *din, float *dw, float *db) {
  if (!atl_conv_winograd_supports(s)) return -1;
  if (din && run_forward(s->N, s->K, s->P, s->Q, s->C, 2 - s->pad_h, 2 - s->pad_w, dout, w, 1, NULL,
                         din, 0) != 0)
    return -1;
  if (dw && run_weight_gradient(s, in, dout, dw) != 0) return -1;
  if (db) {
    memset(db, 0, sizeof(float) * s->K);
    atl_channel_sums(dout, s->N, s->K, (int64_t)s->P * s->Q, db);
  }
  return 0;
}
