// Max pooling with kernel, stride and zero padding (padding never wins).
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "ckernel.h"

int atl_pool_output(atl_pool_shape *s) {
  s->P = (s->H + 2 * s->pad_h - s->kernel_h) / s->stride_h + 1;
  s->Q = (s->W + 2 * s->pad_w - s->kernel_w) / s->stride_w + 1;
  return (s->H + 2 * s->pad_h < s->kernel_h || s->W + 2 * s->pad_w < s->kernel_w || s->P <= 0 ||
          s->Q <= 0)
             ? -1
             : 0;
}

// The window of output (p, q): rows [h_lo, h_hi) and columns [w_lo, w_hi) inside the
// image, and the window's full size including padding (the average's divisor).
typedef struct {
  int h_lo, h_hi, w_lo, w_hi, area;
} pool_window;

static pool_window window_at(const atl_pool_shape *s, int p, int q) {
  const int h0 = p * s->stride_h - s->pad_h, w0 = q * s->stride_w - s->pad_w;
  const int h_end = h0 + s->kernel_h > s->H + s->pad_h ? s->H + s->pad_h : h0 + s->kernel_h;
  const int w_end = w0 + s->kernel_w > s->W + s->pad_w ? s->W + s->pad_w : w0 + s->kernel_w;
  pool_window win = {h0 < 0 ? 0 : h0, h0 + s->kernel_h > s->H ? s->H : h0 + s->kernel_h,
                     w0 < 0 ? 0 : w0, w0 + s->kernel_w > s->W ? s->W : w0 + s->kernel_w,
                     (h_end - h0) * (w_end - w0)};
  return win;
}

typedef struct {
  const atl_pool_shape *s;
  const float *in, *dout;
  const float *relu_out;  // max pooling backward: the pooled values that gate the gradient
  float *out, *din;
  const int32_t *argmax_in;
  int32_t *argmax_out;  // NULL: the winners go to a one-plane buffer per thread
  int failed;           // a thread had no memory for that buffer
} pool_job;

// The even and the odd floats of 16 consecutive ones, each in order.
static inline void deinterleave(const float *p, __m256 *even, __m256 *odd) {
  const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
  *even = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xd8));
  *odd = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xdd)), 0xd8));
}

// The common 2x2, stride 2, unpadded window without bounds checks, 8 windows at a
// time; the four values are compared in the same order as one at a time, so the
// first of equal values wins either way.
static void max_plane_2x2(const atl_pool_shape *s, const float *x, float *y, int32_t *arg) {
  const int W = s->W;
  const __m256i lanes = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), down = _mm256_set1_epi32(W);
  for (int p = 0; p < s->P; p++) {
    const float *row0 = x + 2 * p * W, *row1 = row0 + W;
    // A row of 8 or more windows ends with a block that overlaps the one before it
    // (the same windows computed twice give the same values).
    for (int next = 0; s->Q >= 8 && next < s->Q; next += 8) {
      const int q = next + 8 > s->Q ? s->Q - 8 : next;
      __m256 e0, o0, e1, o1;
      deinterleave(row0 + 2 * q, &e0, &o0);
      deinterleave(row1 + 2 * q, &e1, &o1);
      const __m256i first = _mm256_add_epi32(_mm256_set1_epi32(2 * p * W + 2 * q), lanes);
      __m256 best = e0;
      __m256i at = first;
      __m256 better = _mm256_cmp_ps(o0, best, _CMP_GT_OQ);
      best = _mm256_blendv_ps(best, o0, better);
      at = _mm256_blendv_epi8(at, _mm256_add_epi32(first, one), _mm256_castps_si256(better));
      better = _mm256_cmp_ps(e1, best, _CMP_GT_OQ);
      best = _mm256_blendv_ps(best, e1, better);
      at = _mm256_blendv_epi8(at, _mm256_add_epi32(first, down), _mm256_castps_si256(better));
      better = _mm256_cmp_ps(o1, best, _CMP_GT_OQ);
      best = _mm256_blendv_ps(best, o1, better);
      at = _mm256_blendv_epi8(at, _mm256_add_epi32(_mm256_add_epi32(first, down), one),
                              _mm256_castps_si256(better));
      _mm256_storeu_ps(y + p * s->Q + q, best);
      _mm256_storeu_si256((__m256i *)(arg + p * s->Q + q), at);
    }
    for (int q = s->Q >= 8 ? s->Q : 0; q < s->Q; q++) {
      int w = 2 * q;
      float best = row0[w];
      int32_t at = 2 * p * W + w;
      if (row0[w + 1] > best) best = row0[w + 1], at = 2 * p * W + w + 1;
      if (row1[w] > best) best = row1[w], at = (2 * p + 1) * W + w;
      if (row1[w + 1] > best) best = row1[w + 1], at = (2 * p + 1) * W + w + 1;
      y[p * s->Q + q] = best;
      arg[p * s->Q + q] = at;
    }
  }
}

// One window scanned row by row with strict comparisons: the first of equal values
// wins, and a NaN only from the first position. Selects, not branches, keep wide
// windows from stalling on mispredicted jumps.
static inline void scan_window(const atl_pool_shape *s, const float *x, pool_window win, float *y,
                               int32_t *arg) {
  int32_t best_at = win.h_lo * s->W + win.w_lo;
  float best = x[best_at];
  for (int h = win.h_lo; h < win.h_hi; h++)
    for (int w = win.w_lo; w < win.w_hi; w++) {
      const float v = x[h * s->W + w];
      const int better = v > best;
      best = better ? v : best;
      best_at = better ? h * s->W + w : best_at;
    }
  *y = best;
  *arg = best_at;
}

// The 4x4, stride 4, unpadded window (Keras' pooling) as four 4-float rows: the
// maximum is taken in any order, and the winner is the first position, row by row,
// that holds it, which is the one a scan with strict comparisons keeps. A window
// with a NaN goes the scalar way, where NaN wins only in the first position.
static void max_plane_4x4(const atl_pool_shape *s, const float *x, float *y, int32_t *arg) {
  const int W = s->W;
  for (int p = 0; p < s->P; p++) {
    const float *top = x + 4 * p * W;
    for (int q = 0; q < s->Q; q++) {
      const float *at = top + 4 * q;
      const __m128 r0 = _mm_loadu_ps(at), r1 = _mm_loadu_ps(at + W);
      const __m128 r2 = _mm_loadu_ps(at + 2 * W), r3 = _mm_loadu_ps(at + 3 * W);
      const __m128 nan = _mm_or_ps(_mm_cmpunord_ps(r0, r1), _mm_cmpunord_ps(r2, r3));
      __m128 m = _mm_max_ps(_mm_max_ps(r0, r1), _mm_max_ps(r2, r3));
      m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
      m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
      if (_mm_movemask_ps(nan)) {
        const pool_window win = {4 * p, 4 * p + 4, 4 * q, 4 * q + 4, 16};
        scan_window(s, x, win, y + p * s->Q + q, arg + p * s->Q + q);
        continue;
      }
      const unsigned hits = (unsigned)_mm_movemask_ps(_mm_cmpeq_ps(r0, m)) |
                            (unsigned)_mm_movemask_ps(_mm_cmpeq_ps(r1, m)) << 4 |
                            (unsigned)_mm_movemask_ps(_mm_cmpeq_ps(r2, m)) << 8 |
                            (unsigned)_mm_movemask_ps(_mm_cmpeq_ps(r3, m)) << 12;
      // hits is never 0: the maximum is one of the values. The value is read back
      // from the winner, so that of -0 and +0 the first one's sign is kept.
      const int first = __builtin_ctz(hits), offset = (first >> 2) * W + (first & 3);
      y[p * s->Q + q] = at[offset];
      arg[p * s->Q + q] = 4 * p * W + 4 * q + offset;
    }
  }
}

// Position t of 8 windows, `stride` (1 or 2) apart, starting at row[0]: a plain
// load, or the even or the odd floats of the 16 from the window's pair of columns.
static inline __m256 window_column(const float *row, int stride, int t) {
  if (stride == 1) return _mm256_loadu_ps(row + t);
  __m256 even, odd;
  deinterleave(row + (t & ~1), &even, &odd);
  return t & 1 ? odd : even;
}

// 8 windows of one row of windows, `stride` apart, the first with its top-left
// corner at `corner` (rows `ld` apart) and at `first` in the plane (rows W apart):
// each position of the window compared in the scan's order with strict
// comparisons, so that the same value and winner come out as from scan_window.
static inline void eight_windows(const atl_pool_shape *s, const float *corner, int ld, int first,
                                 __m256 *best, __m256i *at) {
  const int sw = s->stride_w;
  const __m256i lanes =
      _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(sw));
  *best = window_column(corner, sw, 0);
  *at = _mm256_add_epi32(_mm256_set1_epi32(first), lanes);
  for (int h = 0; h < s->kernel_h; h++)
    for (int t = 0; t < s->kernel_w; t++) {
      const __m256 v = window_column(corner + (int64_t)h * ld, sw, t);
      const __m256 better = _mm256_cmp_ps(v, *best, _CMP_GT_OQ);
      const __m256i here = _mm256_add_epi32(_mm256_set1_epi32(first + h * s->W + t), lanes);
      *best = _mm256_blendv_ps(*best, v, better);
      *at = _mm256_blendv_epi8(*at, here, _mm256_castps_si256(better));
    }
}

#define MAX_POOL_ROWS 16
#define ROW_COPY 64  // floats of a row copied for the windows at its end

// Unpadded windows of stride 1 or 2, 8 windows of a row at a time. Where a block's
// loads would run past the row (its last windows, or rows of fewer than 8), the
// rows under it are copied into a buffer wide enough for them.
static void max_plane_rows(const atl_pool_shape *s, const float *x, float *y, int32_t *arg) {
  const int W = s->W, sw = s->stride_w, kh = s->kernel_h;
  const int widest = sw == 1 ? s->kernel_w - 1 + 8 : ((s->kernel_w - 1) & ~1) + 16;
  float copy[MAX_POOL_ROWS][ROW_COPY];
  for (int p = 0; p < s->P; p++) {
    const int h0 = p * s->stride_h;
    for (int q = 0; q < s->Q; q += 8) {
      const int first = h0 * W + sw * q, count = s->Q - q < 8 ? s->Q - q : 8;
      __m256 best;
      __m256i at;
      if (count == 8 && sw * q + widest <= W) {
        eight_windows(s, x + first, W, first, &best, &at);
        _mm256_storeu_ps(y + p * s->Q + q, best);
        _mm256_storeu_si256((__m256i *)(arg + p * s->Q + q), at);
        continue;
      }
      for (int h = 0; h < kh; h++) {
        const float *row = x + first + (int64_t)h * W;
        const int left = W - sw * q < widest ? W - sw * q : widest;
        int c = 0;
        for (; c < left; c++) copy[h][c] = row[c];
        for (; c < widest; c++) copy[h][c] = 0.0f;  // read by lanes past the last window
      }
      eight_windows(s, copy[0], ROW_COPY, first, &best, &at);
      float values[8];
      int32_t winners[8];
      _mm256_storeu_ps(values, best);
      _mm256_storeu_si256((__m256i *)winners, at);
      for (int l = 0; l < count; l++)
        y[p * s->Q + q + l] = values[l], arg[p * s->Q + q + l] = winners[l];
    }
  }
}

// Any window: kernel, stride and padding as given.
static void max_plane_general(const atl_pool_shape *s, const float *x, float *y, int32_t *arg) {
  for (int p = 0; p < s->P; p++) {
    for (int q = 0; q < s->Q; q++) {
      const pool_window win = window_at(s, p, q);
      if (win.h_lo >= win.h_hi || win.w_lo >= win.w_hi) {  // all padding
        y[p * s->Q + q] = 0.0f;
        arg[p * s->Q + q] = -1;
        continue;
      }
      scan_window(s, x, win, y + p * s->Q + q, arg + p * s->Q + q);
    }
  }
}

// in (N,C,H,W) -> out (N,C,P,Q), argmax (N,C,P,Q)
static void max_planes(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  pool_job *j = ctx;
  const atl_pool_shape *s = j->s;
  const int64_t in_plane = (int64_t)s->H * s->W, out_plane = (int64_t)s->P * s->Q;
  // Without a gradient to come the winners are dropped: one plane's worth, rewritten
  // plane after plane, stays in cache instead of streaming out beside y.
  int32_t *sink = j->argmax_out ? NULL : (int32_t *)atl_thread_scratch(out_plane);
  if (!j->argmax_out && !sink) {
    __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  const int unpadded = s->pad_h == 0 && s->pad_w == 0;
  const int fast =
      s->kernel_h == 2 && s->kernel_w == 2 && s->stride_h == 2 && s->stride_w == 2 && unpadded;
  const int fast4 =
      s->kernel_h == 4 && s->kernel_w == 4 && s->stride_h == 4 && s->stride_w == 4 && unpadded;
  // The copied rows of max_plane_rows hold 8 windows of up to 16 columns.
  const int rows = unpadded && (s->stride_w == 1 || s->stride_w == 2) &&
                   s->kernel_h <= MAX_POOL_ROWS && s->kernel_w <= 16;
  for (int64_t plane = begin; plane < end; plane++) {
    const float *x = j->in + plane * in_plane;
    float *y = j->out + plane * out_plane;
    int32_t *arg = j->argmax_out ? j->argmax_out + plane * out_plane : sink;
    if (fast)
      max_plane_2x2(s, x, y, arg);
    else if (fast4)
      max_plane_4x4(s, x, y, arg);
    else if (rows)
      max_plane_rows(s, x, y, arg);
    else
      max_plane_general(s, x, y, arg);
  }
}

int atl_maxpool_forward(const atl_pool_shape *s, const float *in, float *out, int32_t *argmax) {
  pool_job job = {.s = s, .in = in, .out = out, .argmax_out = argmax};
  atl_parallel_for((int64_t)s->N * s->C, 4, max_planes, &job);
  return job.failed ? -1 : 0;
}

static void max_planes_backward(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const pool_job *j = ctx;
  const atl_pool_shape *s = j->s;
  const int64_t in_plane = (int64_t)s->H * s->W, out_plane = (int64_t)s->P * s->Q;
  for (int64_t plane = begin; plane < end; plane++) {
    float *dx = j->din + plane * in_plane;
    const float *dy = j->dout + plane * out_plane;
    const int32_t *arg = j->argmax_in + plane * out_plane;
    memset(dx, 0, sizeof(float) * in_plane);
    if (j->relu_out) {
      const float *y = j->relu_out + plane * out_plane;
      for (int64_t i = 0; i < out_plane; i++)
        if (arg[i] >= 0 && y[i] > 0.0f) dx[arg[i]] += dy[i];
    } else {
      for (int64_t i = 0; i < out_plane; i++)
        if (arg[i] >= 0) dx[arg[i]] += dy[i];
    }
  }
}

void atl_maxpool_backward(const atl_pool_shape *s, const float *dout, const int32_t *argmax,
                          const float *relu_out, float *din) {
  pool_job job = {.s = s, .dout = dout, .din = din, .argmax_in = argmax, .relu_out = relu_out};
  atl_parallel_for((int64_t)s->N * s->C, 4, max_planes_backward, &job);
}

// in (N,C,H,W) -> out (N,C,P,Q): the mean of each window, divided by the
// window's full size including padding
static void avg_planes(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const pool_job *j = ctx;
  const atl_pool_shape *s = j->s;
  const int64_t in_plane = (int64_t)s->H * s->W, out_plane = (int64_t)s->P * s->Q;
  for (int64_t plane = begin; plane < end; plane++) {
    const float *x = j->in + plane * in_plane;
    float *y = j->out + plane * out_plane;
    for (int p = 0; p < s->P; p++)
      for (int q = 0; q < s->Q; q++) {
        const pool_window win = window_at(s, p, q);
        float acc = 0.0f;
        for (int h = win.h_lo; h < win.h_hi; h++)
          for (int w = win.w_lo; w < win.w_hi; w++) acc += x[h * s->W + w];
        y[p * s->Q + q] = acc / (float)win.area;
      }
  }
}

void atl_avgpool_forward(const atl_pool_shape *s, const float *in, float *out) {
  pool_job job = {.s = s, .in = in, .out = out};
  atl_parallel_for((int64_t)s->N * s->C, 4, avg_planes, &job);
}

static void avg_planes_backward(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const pool_job *j = ctx;
  const atl_pool_shape *s = j->s;
  const int64_t in_plane = (int64_t)s->H * s->W, out_plane = (int64_t)s->P * s->Q;
  for (int64_t plane = begin; plane < end; plane++) {
    float *dx = j->din + plane * in_plane;
    const float *dy = j->dout + plane * out_plane;
    memset(dx, 0, sizeof(float) * in_plane);
    for (int p = 0; p < s->P; p++)
      for (int q = 0; q < s->Q; q++) {
        const pool_window win = window_at(s, p, q);
        const float share = dy[p * s->Q + q] / (float)win.area;
        for (int h = win.h_lo; h < win.h_hi; h++)
          for (int w = win.w_lo; w < win.w_hi; w++) dx[h * s->W + w] += share;
      }
  }
}

void atl_avgpool_backward(const atl_pool_shape *s, const float *dout, float *din) {
  pool_job job = {.s = s, .dout = dout, .din = din};
  atl_parallel_for((int64_t)s->N * s->C, 4, avg_planes_backward, &job);
}
