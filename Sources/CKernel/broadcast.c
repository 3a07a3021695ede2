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

// Whether strides walk a tensor of `shape` in memory order (size-1 dimensions aside).
static int contiguous(const int64_t *strides, const int64_t *shape, int rank) {
  int64_t step = 1;
  for (int d = rank - 1; d >= 0; d--) {
    if (shape[d] != 1 && strides[d] != step) return 0;
    step *= shape[d];
  }
  return 1;
}

typedef struct {
  int op;
  const float *a, *b;
  float *out;
} flat_job;

static void flat_range(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const flat_job *j = ctx;
  const float *restrict a = j->a, *restrict b = j->b;
  float *restrict out = j->out;
  switch (j->op) {
    case ATL_ADD:
      for (int64_t i = begin; i < end; i++) out[i] = a[i] + b[i];
      break;
    case ATL_SUB:
      for (int64_t i = begin; i < end; i++) out[i] = a[i] - b[i];
      break;
    case ATL_MUL:
      for (int64_t i = begin; i < end; i++) out[i] = a[i] * b[i];
      break;
    default:
      for (int64_t i = begin; i < end; i++) out[i] = a[i] / b[i];
  }
}

void atl_broadcast_binary(int op, const float *a, const int64_t *a_strides, const float *b,
                          const int64_t *b_strides, float *out, const int64_t *shape, int rank) {
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= shape[d];
  if (contiguous(a_strides, shape, rank) && contiguous(b_strides, shape, rank)) {
    flat_job job = {op, a, b, out};
    atl_parallel_for(total, 1 << 15, flat_range, &job);
    return;
  }
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

typedef struct {
  const float *in;
  float *out;
  int rank;
  int64_t shape[8];       // the output's shape
  int64_t in_strides[8];  // the input's stride along each output axis
} permute_job;

// Output elements [begin, end): walks the output in order, carrying a multi-index.
static void permute_range(void *ctx, int64_t begin, int64_t end, int tid) {
  (void)tid;
  const permute_job *j = ctx;
  int64_t index[8], offset = 0, rest = begin;
  for (int d = j->rank - 1; d >= 0; d--) {
    index[d] = rest % j->shape[d];
    rest /= j->shape[d];
    offset += index[d] * j->in_strides[d];
  }
  for (int64_t i = begin; i < end; i++) {
    j->out[i] = j->in[offset];
    for (int d = j->rank - 1; d >= 0; d--) {
      offset += j->in_strides[d];
      if (++index[d] < j->shape[d]) break;
      offset -= index[d] * j->in_strides[d];
      index[d] = 0;
    }
  }
}

int atl_permute(const float *in, int rank, const int64_t *shape, const int *axes, float *out) {
  if (rank < 1 || rank > 8) return -1;
  permute_job job = {.in = in, .out = out, .rank = rank};
  int64_t strides[8], total = 1;
  strides[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  for (int d = 0; d < rank; d++) {
    job.shape[d] = shape[axes[d]];
    job.in_strides[d] = strides[axes[d]];
    total *= job.shape[d];
  }
  atl_parallel_for(total, 1 << 14, permute_range, &job);
  return 0;
}
