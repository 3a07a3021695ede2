// Sparse rows (column index, value) as t-SNE's P and UMAP's graph build them.
#ifndef ATL_CSR_ROWS_H
#define ATL_CSR_ROWS_H

#include <stdint.h>

// How a pair found in both neighbour lists becomes one entry.
typedef enum {
  csr_sum,          // a + b, every entry kept (t-SNE's p_j|i + p_i|j)
  csr_fuzzy_union,  // a + b - ab, entries <= 0 and self pairs dropped (UMAP)
} csr_merge;

// Mirrors (n, k) neighbour lists into symmetric rows: value[i k + q] goes to row i at column
// index[i k + q] and to that row at column i. Rows are sorted by column and each pair held
// once; everything is filled in the order of i then q, so the result depends on the input
// alone. Returns 0 with *row_start (n + 1), *cols and *vals allocated, or -2 when out of
// memory.
int csr_symmetric(const int32_t *index, const float *value, int64_t n, int k, csr_merge merge,
                  int64_t **row_start, int32_t **cols, float **vals);

#endif
