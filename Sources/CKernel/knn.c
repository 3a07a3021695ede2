// Exact k nearest neighbours by blocked GEMM distances: |q|^2 + |r|^2 - 2 q.r for a block
// of queries against a block of reference rows, the k smallest kept in a max-heap per query.
#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "ckernel.h"
#include "knn_heap.h"
#include "lanes.h"

typedef struct {
  const float *reference, *query;
  const float *reference_norms, *query_norms;
  int64_t n_reference, n_query, d;
  int k, exclude_self;
  int32_t *index;
  float *distance;  // squared
  int *failed;      // set when a piece could not get its scratch block
} knn_job;

static void knn_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const knn_job *j = ctx;
  const int64_t block = 64, cols = 2048;
  float *dots = malloc(sizeof(float) * block * cols);
  if (!dots) {
    *j->failed = 1;
    return;
  }
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
        const float *row = dots + i * width, *norms = j->reference_norms + c;
        const int64_t self = j->exclude_self ? r + i - c : -1;
        // Eight distances at a time against the heap's largest: once the heap is full,
        // nearly every block of eight is rejected by one comparison.
        int64_t q = 0;
        for (; q + 8 <= width; q += 8) {
          const v8 value = qn + load8(norms + q) - 2.0f * load8(row + q);
          const float bound = sizes[i] == j->k ? dist[0] : INFINITY;
          const mask8 below = value < bound;
          int any = 0;
          for (int l = 0; l < 8; l++) any |= below[l];
          if (!any) continue;
          for (int l = 0; l < 8; l++) {
            if (q + l == self) continue;
            const float v = value[l] < 0.0f ? 0.0f : value[l];
            if (sizes[i] == j->k && v >= dist[0]) continue;
            heap_push(dist, idx, &sizes[i], j->k, v, (int32_t)(c + q + l));
          }
        }
        for (; q < width; q++) {
          if (q == self) continue;
          float v = qn + norms[q] - 2.0f * row[q];
          if (v < 0.0f) v = 0.0f;
          if (sizes[i] == j->k && v >= dist[0]) continue;
          heap_push(dist, idx, &sizes[i], j->k, v, (int32_t)(c + q));
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
  int failed = 0;
  knn_job job = {reference, query, reference_norms, query_norms, n_reference, n_query,
                 d,         k,     exclude_self,    index,       distance,    &failed};
  atl_parallel_for(n_query, 64, knn_rows, &job);
  free(reference_norms), free(query_norms);
  return failed ? -2 : 0;
}
