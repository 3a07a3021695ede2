// The tile-size-dependent half of conv_winograd.c, included there once per output
// tile: WG_M is the output tile's side (4 or 6), WG_A = WG_M + 2 the input tile's,
// and every function here gets the suffix _WG_M through WG(name).
#define WG_A (WG_M + 2)
#define WG_XI (WG_A * WG_A)
#define WG_JOIN(name, m) name##_##m
#define WG_NAME(name, m) WG_JOIN(name, m)
#define WG(name) WG_NAME(name, WG_M)

static geometry WG(geometry_of)(int N, int C, int H, int W, int K, int ph, int pw, int tb) {
  geometry g = {N, C, H, W, K, H + 2 * ph - 2, W + 2 * pw - 2, ph, pw, 0, 0, 0, tb};
  g.TH = (g.P + WG_M - 1) / WG_M;
  g.TW = (g.Q + WG_M - 1) / WG_M;
  g.tiles = (int64_t)N * g.TH * g.TW;
  return g;
}

// The tiles [t0, t0 + tb) that exist; returns how many.
static int WG(block_tiles)(const geometry *g, int64_t t0, tile_at *tiles) {
  const int per_image = g->TH * g->TW;
  const int nt = g->tiles - t0 < g->tb ? (int)(g->tiles - t0) : g->tb;
  for (int i = 0; i < nt; i++) {
    const int64_t t = t0 + i;
    const int n = (int)(t / per_image), r = (int)(t % per_image);
    tiles[i] = (tile_at){n, r / g->TW * WG_M, r % g->TW * WG_M};
  }
  return nt;
}

// G g G^T for one 3x3 filter (row-major) into u[WG_XI].
static void WG(filter_2d)(const float g[9], float u[WG_XI]) {
  float t[WG_A][3];
  for (int a = 0; a < WG_A; a++)
    for (int s = 0; s < 3; s++)
      t[a][s] = (float)WG(G)[a][0] * g[s] + (float)WG(G)[a][1] * g[3 + s] + (float)WG(G)[a][2] * g[6 + s];
  for (int a = 0; a < WG_A; a++)
    for (int b = 0; b < WG_A; b++)
      u[a * WG_A + b] =
          t[a][0] * (float)WG(G)[b][0] + t[a][1] * (float)WG(G)[b][1] + t[a][2] * (float)WG(G)[b][2];
}

// G^T du G: a transformed filter gradient back to its 3x3 filter.
static void WG(filter_gradient_2d)(const double du[WG_XI], float g[9]) {
  double t[3][WG_A];
  for (int r = 0; r < 3; r++)
    for (int b = 0; b < WG_A; b++) {
      double acc = 0;
      for (int a = 0; a < WG_A; a++) acc += WG(G)[a][r] * du[a * WG_A + b];
      t[r][b] = acc;
    }
  for (int r = 0; r < 3; r++)
    for (int s = 0; s < 3; s++) {
      double acc = 0;
      for (int b = 0; b < WG_A; b++) acc += t[r][b] * WG(G)[b][s];
      g[r * 3 + s] = (float)acc;
    }
}

static int WG(row_width)(const geometry *g) {
  return WG_M * (g->TW < g->tb ? g->TW : g->tb) + 10;
}

// Floats a block's padded rows take at most.
static int64_t WG(padded_rows_size)(const geometry *g) {
  const int segments = g->tb / g->TW + 3;
  return (int64_t)(segments + 1) * WG_A * WG(row_width)(g) + 8;
}

static void WG(pad_rows)(const geometry *g, const float *in, int c, const tile_at *tiles, int nt,
                         padded_rows *pr) {
  const int width = pr->width;
  int segments = 0;
  for (int i = 0; i < nt;) {
    int count = 1;
    while (i + count < nt && tiles[i + count].n == tiles[i].n && tiles[i + count].y == tiles[i].y)
      count++;
    float *seg = pr->rows + (int64_t)segments * WG_A * width;
    const float *plane = in + ((int64_t)tiles[i].n * g->C + c) * g->H * g->W;
    const int x0 = tiles[i].x - g->pw, xs = WG_M * count + 10;
    const int lo = x0 < 0 ? -x0 : 0, hi = g->W - x0 < xs ? g->W - x0 : xs;
    for (int r = 0; r < WG_A; r++) {
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
  float *zero = pr->rows + (int64_t)segments * WG_A * width;
  if (c == 0) memset(zero, 0, sizeof(float) * WG_A * width);  // the same rows for every channel
  for (int i = nt; i < g->tb; i++) pr->start[i] = (int)(zero - pr->rows);
}

// The transformed input of a block's tiles: v[xi][c][tb], zero past nt.
static void WG(transform_input)(const geometry *g, const float *in, const tile_at *tiles, int nt,
                                float *v, float *rows) {
  const int tb = g->tb;
  padded_rows pr = {.rows = rows, .width = WG(row_width)(g)};
  for (int c = 0; c < g->C; c++) {
    WG(pad_rows)(g, in, c, tiles, nt, &pr);
    for (int i = 0; i < tb; i += 8) {
      __m256 d[WG_A][8], t[WG_XI], o[WG_A];
      for (int r = 0; r < WG_A; r++) {
        for (int l = 0; l < 8; l++)
          d[r][l] = _mm256_loadu_ps(rows + pr.start[i + l] + r * pr.width);
        transpose_8x8(d[r]);
      }
      for (int j = 0; j < WG_A; j++) {
        __m256 col[WG_A];
        for (int r = 0; r < WG_A; r++) col[r] = d[r][j];
        WG(input_1d)(col, o);
        for (int a = 0; a < WG_A; a++) t[a * WG_A + j] = o[a];
      }
      for (int a = 0; a < WG_A; a++) {
        WG(input_1d)(t + a * WG_A, o);
        for (int b = 0; b < WG_A; b++)
          _mm256_storeu_ps(v + ((int64_t)(a * WG_A + b) * g->C + c) * tb + i, o[b]);
      }
    }
  }
}

#if WG_M == 4
// 4x4 tiles: two rows of a tile are one vector, loaded and stored as halves.

// The transformed output gradient of a block's tiles: m[xi][k][tb], zero past nt
// and outside the output.
static void WG(transform_gradient)(const geometry *g, const float *dout, const tile_at *tiles, int nt,
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
      __m256 t[WG_XI], d[4], o[6];
      for (int w = 0; w < 4; w++) {
        for (int u = 0; u < 4; u++) d[u] = e[u / 2][4 * (u % 2) + w];
        gradient_1d_4(d, o);
        for (int a = 0; a < 6; a++) t[a * 6 + w] = o[a];
      }
      for (int a = 0; a < 6; a++) {
        gradient_1d_4(t + a * 6, o);
        for (int b = 0; b < 6; b++)
          _mm256_storeu_ps(m + ((int64_t)(a * 6 + b) * g->K + k) * tb + i, o[b]);
      }
    }
  }
}

// Outputs of channels [k0, k0 + kc) for a block's tiles from their products
// m[xi][kc][tb].
static void WG(transform_output)(const forward_job *j, const tile_at *tiles, int nt, int k0, int kc,
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
        output_1d_4(d, y);
        for (int u = 0; u < 4; u++) t[u][b] = y[u];
      }
      __m256 o[2][8];  // o[h][4 * (u % 2) + w] for u = 2h, 2h + 1: transposed below
      for (int u = 0; u < 4; u++) {
        output_1d_4(t[u], y);
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

#else
// Lanes [0, WG_M) of 8: a tile row's loads and stores never touch the next tile's.
static inline __m256i WG(row_mask)(void) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(WG_M), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The transformed output gradient of a block's tiles: m[xi][k][tb], zero past nt
// and outside the output.
static void WG(transform_gradient)(const geometry *g, const float *dout, const tile_at *tiles,
                                   int nt, float *m) {
  const int tb = g->tb;
  const __m256i mask = WG(row_mask)();
  for (int k = 0; k < g->K; k++) {
    for (int i = 0; i < tb; i += 8) {
      // e[u][l]: tile l's row u, then transposed to e[u][w] holding column w of 8 tiles.
      __m256 e[WG_M][8];
      for (int l = 0; l < 8; l++) {
        if (i + l >= nt) {
          for (int u = 0; u < WG_M; u++) e[u][l] = _mm256_setzero_ps();
          continue;
        }
        const tile_at at = tiles[i + l];
        const float *corner = dout + (((int64_t)at.n * g->K + k) * g->P + at.y) * g->Q + at.x;
        if (at.y + WG_M <= g->P && at.x + WG_M <= g->Q) {
          for (int u = 0; u < WG_M; u++) e[u][l] = _mm256_maskload_ps(corner + (int64_t)u * g->Q, mask);
          continue;
        }
        const int rows = g->P - at.y < WG_M ? g->P - at.y : WG_M,
                  cols = g->Q - at.x < WG_M ? g->Q - at.x : WG_M;
        for (int u = 0; u < WG_M; u++) {
          float row[8] = {0};
          for (int w = 0; u < rows && w < cols; w++) row[w] = corner[(int64_t)u * g->Q + w];
          e[u][l] = _mm256_loadu_ps(row);
        }
      }
      for (int u = 0; u < WG_M; u++) transpose_8x8(e[u]);
      __m256 t[WG_XI], d[WG_M], o[WG_A];
      for (int w = 0; w < WG_M; w++) {
        for (int u = 0; u < WG_M; u++) d[u] = e[u][w];
        WG(gradient_1d)(d, o);
        for (int a = 0; a < WG_A; a++) t[a * WG_A + w] = o[a];
      }
      for (int a = 0; a < WG_A; a++) {
        WG(gradient_1d)(t + a * WG_A, o);
        for (int b = 0; b < WG_A; b++)
          _mm256_storeu_ps(m + ((int64_t)(a * WG_A + b) * g->K + k) * tb + i, o[b]);
      }
    }
  }
}

// Outputs of channels [k0, k0 + kc) for a block's tiles from their products
// m[xi][kc][tb].
static void WG(transform_output)(const forward_job *j, const tile_at *tiles, int nt, int k0, int kc,
                                 const float *m) {
  const geometry *g = &j->g;
  const int tb = g->tb;
  const __m256i mask = WG(row_mask)();
  for (int k = k0; k < k0 + kc && k < g->K; k++) {
    const __m256 bias = _mm256_set1_ps(j->bias ? j->bias[k] : 0.0f), zero = _mm256_setzero_ps();
    for (int i = 0; i < nt; i += 8) {
      __m256 t[WG_M][WG_A], d[WG_A], y[WG_M];
      for (int b = 0; b < WG_A; b++) {
        for (int a = 0; a < WG_A; a++)
          d[a] = _mm256_loadu_ps(m + ((int64_t)(a * WG_A + b) * kc + k - k0) * tb + i);
        WG(output_1d)(d, y);
        for (int u = 0; u < WG_M; u++) t[u][b] = y[u];
      }
      __m256 o[WG_M][8];  // o[u][w]: column w of row u for 8 tiles, transposed below
      for (int u = 0; u < WG_M; u++) {
        WG(output_1d)(t[u], y);
        for (int w = 0; w < 8; w++) {
          __m256 r = w < WG_M ? _mm256_add_ps(y[w], bias) : zero;
          if (j->relu) r = _mm256_max_ps(r, zero);
          o[u][w] = r;
        }
        transpose_8x8(o[u]);  // o[u][l]: tile l's row u
      }
      const int lanes = nt - i < 8 ? nt - i : 8;
      for (int l = 0; l < lanes; l++) {
        const tile_at at = tiles[i + l];
        float *corner = j->out + (((int64_t)at.n * g->K + k) * g->P + at.y) * g->Q + at.x;
        if (at.y + WG_M <= g->P && at.x + WG_M <= g->Q) {
          for (int u = 0; u < WG_M; u++) _mm256_maskstore_ps(corner + (int64_t)u * g->Q, mask, o[u][l]);
          continue;
        }
        const int rows = g->P - at.y < WG_M ? g->P - at.y : WG_M,
                  cols = g->Q - at.x < WG_M ? g->Q - at.x : WG_M;
        for (int u = 0; u < rows; u++) {
          float row[8];
          _mm256_storeu_ps(row, o[u][l]);
          for (int w = 0; w < cols; w++) corner[(int64_t)u * g->Q + w] = row[w];
        }
      }
    }
  }
}

#endif

static void WG(forward_blocks)(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const forward_job *j = ctx;
  const geometry *g = &j->g;
  const int tb = g->tb;
  const int64_t v_len = (int64_t)WG_XI * g->C * tb, m_len = (int64_t)WG_XI * KCHUNK * tb;
  float *v = atl_thread_scratch(v_len + m_len + WG(padded_rows_size)(g));
  if (!v) return;  // the caller checked every thread's scratch before starting
  float *m = v + v_len, *x = m + m_len;
  tile_at tiles[MAX_BLOCK];
  for (int64_t block = begin; block < end; block++) {
    const int nt = WG(block_tiles)(g, block * tb, tiles);
    WG(transform_input)(g, j->in, tiles, nt, v, x);
    for (int k0 = 0; k0 < j->kpad; k0 += KCHUNK) {
      const int kc = j->kpad - k0 < KCHUNK ? j->kpad - k0 : KCHUNK;
      for (int xi = 0; xi < WG_XI; xi++) {
        const float *vx = v + (int64_t)xi * g->C * tb;
        for (int kb = k0 / KR; kb < (k0 + kc) / KR; kb++) {
          const float *ux = j->u + ((int64_t)xi * (j->kpad / KR) + kb) * g->C * KR;
          float *mx = m + ((int64_t)xi * kc + kb * KR - k0) * tb;
          for (int i = 0; i < nt; i += TV) product_6x16(ux, vx + i, g->C, tb, mx + i, tb);
        }
      }
      WG(transform_output)(j, tiles, nt, k0, kc, m);
    }
  }
}

// Tiles per block: the block's transformed input and a chunk of its products in
// about 384 KB.
static int WG(tiles_per_block)(int C) {
  int tb = (384 << 10) / (int)(sizeof(float) * WG_XI * (C + KCHUNK)) / TV * TV;
  return tb < TV ? TV : tb > MAX_BLOCK ? MAX_BLOCK : tb;
}

// Register blocks of filters [begin, end) packed as u[xi][k / 6][c][k % 6]; padded
// channels are zero.
// Flipped: the input gradient's filter (o, i) is the forward's (i, o) turned 180 degrees.
static void WG(transform_filters)(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const filter_job *f = ctx;
  const int C = f->C, K = f->K, blocks = f->kpad / KR;
  // A register block's 6 filters at a time, so that each element's 6 values are
  // written side by side.
  for (int kb = (int)begin; kb < (int)end; kb++)
    for (int c = 0; c < C; c++) {
      float t[KR][WG_XI];
      for (int r = 0; r < KR; r++) {
        const int k = kb * KR + r;
        float g[9] = {0};
        for (int e = 0; e < 9 && k < K; e++)
          g[e] = f->flipped ? f->w[((int64_t)c * K + k) * 9 + 8 - e]
                            : f->w[((int64_t)k * C + c) * 9 + e];
        WG(filter_2d)(g, t[r]);
      }
      for (int xi = 0; xi < WG_XI; xi++) {
        float *dst = f->u + (((int64_t)xi * blocks + kb) * C + c) * KR;
        for (int r = 0; r < KR; r++) dst[r] = t[r][xi];
      }
    }
}

// in (N, C, H, W) convolved with filters given as 3x3 planes `filter(o, i)` for
// output channel o and input channel i -> out (N, K, H + 2ph - 2, W + 2pw - 2).
static int WG(run_forward)(int N, int C, int H, int W, int K, int ph, int pw, const float *in,
                           const float *w, int flipped, const float *bias, float *out, int relu) {
  forward_job j = {.g = WG(geometry_of)(N, C, H, W, K, ph, pw, WG(tiles_per_block)(C)),
                   .in = in,
                   .bias = bias,
                   .out = out,
                   .relu = relu,
                   .kpad = (K + KR - 1) / KR * KR};
  const geometry *g = &j.g;
  float *u = atl_alloc_uninitialized((int64_t)WG_XI * j.kpad * C);
  if (!u) return -1;
  filter_job f = {.w = w, .u = u, .C = C, .K = K, .kpad = j.kpad, .flipped = flipped};
  atl_parallel_for(j.kpad / KR, 2, WG(transform_filters), &f);
  j.u = u;
  j.blocks = (g->tiles + g->tb - 1) / g->tb;
  int status = scratch_everywhere((int64_t)WG_XI * (C + KCHUNK) * g->tb + WG(padded_rows_size)(g));
  if (status == 0) atl_parallel_for(j.blocks, 1, WG(forward_blocks), &j);
  atl_free(u);
  return status;
}

static void WG(weight_blocks)(void *ctx, int64_t begin, int64_t end, int tid) {
  const weight_job *j = ctx;
  const geometry *g = &j->g;
  const int tb = g->tb, C = g->C, K = g->K;
  const int64_t v_len = (int64_t)WG_XI * C * tb, m_len = (int64_t)WG_XI * K * tb;
  float *v = atl_thread_scratch(v_len + m_len + WG(padded_rows_size)(g));
  if (!v) return;
  float *m = v + v_len, *rows = m + m_len;
  float *part = j->parts + (int64_t)tid * WG_XI * K * C;
  tile_at tiles[MAX_BLOCK];
  for (int64_t block = begin; block < end; block++) {
    const int nt = WG(block_tiles)(g, block * tb, tiles);
    WG(transform_input)(g, j->in, tiles, nt, v, rows);
    WG(transform_gradient)(g, j->dout, tiles, nt, m);
    for (int xi = 0; xi < WG_XI; xi++)
      atl_sgemm(0, 1, K, C, nt, 1.0f, m + (int64_t)xi * K * tb, tb, v + (int64_t)xi * C * tb, tb,
                block == begin ? 0.0f : 1.0f, part + (int64_t)xi * K * C, C);
  }
}

// Output channels [begin, end) of the weight gradient: the threads' parts summed in
// thread order and turned back into 3x3 filters, 16 input channels at a time so that
// the parts are read along rows.
static void WG(weight_filters)(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const filters_job *f = ctx;
  enum { CB = 16 };
  for (int64_t k = begin; k < end; k++)
    for (int c0 = 0; c0 < f->C; c0 += CB) {
      const int cb = f->C - c0 < CB ? f->C - c0 : CB;
      double t[CB][WG_XI];
      for (int xi = 0; xi < WG_XI; xi++) {
        const float *row = f->parts + ((int64_t)xi * f->K + k) * f->C + c0;
        for (int c = 0; c < cb; c++) {
          float sum = row[c];
          for (int p = 1; p < f->T; p++) sum += row[(int64_t)p * f->du_len + c];
          t[c][xi] = sum;
        }
      }
      for (int c = 0; c < cb; c++) WG(filter_gradient_2d)(t[c], f->dw + (k * f->C + c0 + c) * 9);
    }
}

static int WG(run_weight_gradient)(const atl_conv_shape *s, const float *in, const float *dout,
                                   float *dw) {
  weight_job j = {
      .g = WG(geometry_of)(s->N, s->C, s->H, s->W, s->K, s->pad_h, s->pad_w, MAX_BLOCK),
      .in = in,
      .dout = dout};
  j.g.tb = weight_tiles_per_block(j.g.tiles);
  const geometry *g = &j.g;
  const int T = atl_threads();
  const int64_t du_len = (int64_t)WG_XI * s->K * s->C;
  j.parts = atl_alloc((int64_t)T * du_len);  // zero: a thread left without blocks adds nothing
  if (!j.parts) return -1;
  j.blocks = (g->tiles + g->tb - 1) / g->tb;
  int status = scratch_everywhere((int64_t)WG_XI * (s->C + s->K) * g->tb + WG(padded_rows_size)(g));
  if (status == 0) {
    atl_parallel_for(j.blocks, 1, WG(weight_blocks), &j);
    filters_job f = {.parts = j.parts, .dw = dw, .K = s->K, .C = s->C, .T = T, .du_len = du_len};
    atl_parallel_for(s->K, 1, WG(weight_filters), &f);
  }
  atl_free(j.parts);
  return status;
}

#undef WG
#undef WG_NAME
#undef WG_JOIN
#undef WG_XI
#undef WG_A
