#include "csr_rows.h"

#include <stdlib.h>
#include <string.h>

// Insertion sort by column: rows hold at most a few hundred entries.
static void sort_row(int32_t *cols, float *vals, int64_t m) {
  for (int64_t a = 1; a < m; a++) {
    const int32_t c = cols[a];
    const float v = vals[a];
    int64_t b = a - 1;
    while (b >= 0 && cols[b] > c) {
      cols[b + 1] = cols[b];
      vals[b + 1] = vals[b];
      b--;
    }
    cols[b + 1] = c;
    vals[b + 1] = v;
  }
}

static int kept(csr_merge merge, int64_t i, int32_t j, float v) {
  return merge == csr_sum || (v > 0.0f && j != i);
}

int csr_symmetric(const int32_t *index, const float *value, int64_t n, int k, csr_merge merge,
                  int64_t **row_start, int32_t **cols_out, float **vals_out) {
  const int64_t slots = 2 * n * (int64_t)k;
  int64_t *start = calloc((size_t)n + 1, sizeof(int64_t));
  int32_t *cols = malloc(sizeof(int32_t) * (size_t)(slots > 0 ? slots : 1));
  float *vals = malloc(sizeof(float) * (size_t)(slots > 0 ? slots : 1));
  int64_t *fill = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
  if (!start || !cols || !vals || !fill) {
    free(start), free(cols), free(vals), free(fill);
    return -2;
  }
  for (int64_t i = 0; i < n; i++)
    for (int q = 0; q < k; q++) {
      const int32_t j = index[i * k + q];
      if (kept(merge, i, j, value[i * k + q])) start[i + 1]++, start[j + 1]++;
    }
  for (int64_t i = 0; i < n; i++) start[i + 1] += start[i];
  memcpy(fill, start, sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; i++)
    for (int q = 0; q < k; q++) {
      const int32_t j = index[i * k + q];
      const float v = value[i * k + q];
      if (!kept(merge, i, j, v)) continue;
      cols[fill[i]] = j, vals[fill[i]++] = v;
      cols[fill[j]] = (int32_t)i, vals[fill[j]++] = v;
    }
  free(fill);
  // A row now holds a pair once or twice (once from each list); the sort is stable, so the
  // two merge in list order.
  int64_t write = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t begin = start[i], end = start[i + 1];
    sort_row(cols + begin, vals + begin, end - begin);
    start[i] = write;
    for (int64_t e = begin; e < end; e++) {
      if (write > start[i] && cols[write - 1] == cols[e]) {
        const float a = vals[write - 1], b = vals[e];
        vals[write - 1] = merge == csr_sum ? a + b : a + b - a * b;
      } else {
        cols[write] = cols[e];
        vals[write++] = vals[e];
      }
    }
  }
  start[n] = write;
  *row_start = start, *cols_out = cols, *vals_out = vals;
  return 0;
}
