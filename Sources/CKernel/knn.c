// Exact k nearest neighbours by blocked GEMM distances: |q|^2 + |r|^2 - 2 q.r for a block
// of queries against a block of reference rows, the k smallest kept in a max-heap per query.
#include <cblas.h>
#include <stdlib.h>

#include "ckernel.h"

typedef struct {
  const float *reference, *query;
  const float *reference_norms, *query_norms;
  int64_t n_reference, n_query, d;
  int k, exclude_self;
  int32_t *index;
  float *distance;  // squared
} knn_job;

// Keeps the k smallest (distance, index) pairs in a max-heap.
static void heap_push(float *dist, int32_t *idx, int *size, int k, float value, int32_t j) {
  if (*size < k) {
    int i = (*size)++;
    dist[i] = value;
    idx[i] = j;
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (dist[parent] >= dist[i]) break;
      float td = dist[parent];
      dist[parent] = dist[i];
      dist[i] = td;
      int32_t ti = idx[parent];
      idx[parent] = idx[i];
      idx[i] = ti;
      i = parent;
    }
    return;
  }
  if (value >= dist[0]) return;
  dist[0] = value;
  idx[0] = j;
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, r = l + 1, top = i;
    if (l < k && dist[l] > dist[top]) top = l;
    if (r < k && dist[r] > dist[top]) top = r;
    if (top == i) break;
    float td = dist[top];
    dist[top] = dist[i];
    dist[i] = td;
    int32_t ti = idx[top];
    idx[top] = idx[i];
    idx[i] = ti;
    i = top;
  }
}

// Pops the heap from the back so that the row ends sorted by ascending distance
// (ties by index, so the order does not depend on the blocking).
static void heap_sort(float *dist, int32_t *idx, int k) {
  for (int a = 1; a < k; a++) {
    const float v = dist[a];
    const int32_t j = idx[a];
    int b = a - 1;
    while (b >= 0 && (dist[b] > v || (dist[b] == v && idx[b] > j))) {
      dist[b + 1] = dist[b];
      idx[b + 1] = idx[b];
      b--;
    }
    dist[b + 1] = v;
    idx[b + 1] = j;
  }
}

static void knn_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const knn_job *j = ctx;
  const int64_t block = 64, cols = 2048;
  float *dots = malloc(sizeof(float) * block * cols);
  if (!dots) return;
  for (int64_t r = r0; r < r1; r += block) {
    const int64_t rows = r + block <= r1 ? block : r1 - r;
    int sizes[64] = {0};
    for (int64_t c = 0; c < j->n_reference; c += cols) {
      const int64_t width = c + cols <= j->n_reference ? cols : j->n_reference - c;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)width, (int)j->d, 1.0f,
                  j->query + r * j->d, (int)j->d, j->reference + c * j->d, (int)j->d, 0.0f, dots,
                  (int)width);
      for (int64_t i = 0; i < rows; i++) {
        float *dist = j->distance + (r + i) * j->k;
        int32_t *idx = j->index + (r + i) * j->k;
        const float qn = j->query_norms[r + i];
        const float *row = dots + i * width;
        for (int64_t q = 0; q < width; q++) {
          const int64_t col = c + q;
          if (j->exclude_self && col == r + i) continue;
          float value = qn + j->reference_norms[col] - 2.0f * row[q];
          if (value < 0.0f) value = 0.0f;
          if (sizes[i] == j->k && value >= dist[0]) continue;
          heap_push(dist, idx, &sizes[i], j->k, value, (int32_t)col);
        }
      }
    }
    for (int64_t i = 0; i < rows; i++)
      heap_sort(j->distance + (r + i) * j->k, j->index + (r + i) * j->k, j->k);
  }
  free(dots);
}

int atl_knn(const float *reference, int64_t n_reference, const float *query, int64_t n_query,
            int64_t d, int k, int exclude_self, int32_t *index, float *distance) {
  if (k < 1 || k > n_reference - (exclude_self ? 1 : 0)) return -1;
  float *reference_norms = malloc(sizeof(float) * (size_t)n_reference);
  float *query_norms = malloc(sizeof(float) * (size_t)n_query);
  if (!reference_norms || !query_norms) {
    free(reference_norms), free(query_norms);
    return -2;
  }
  for (int64_t i = 0; i < n_reference; i++)
    reference_norms[i] = (float)atl_sum_squares(reference + i * d, d);
  for (int64_t i = 0; i < n_query; i++) query_norms[i] = (float)atl_sum_squares(query + i * d, d);
  knn_job job = {reference, query, reference_norms, query_norms, n_reference, n_query, d,
                 k, exclude_self, index, distance};
  atl_parallel_for(n_query, 64, knn_rows, &job);
  free(reference_norms), free(query_norms);
  return 0;
}
