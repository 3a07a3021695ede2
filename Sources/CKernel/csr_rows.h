// Sparse rows (column index, value) as t-SNE's P and UMAP's graph build them.
#ifndef ATL_CSR_ROWS_H
#define ATL_CSR_ROWS_H

#include <stdint.h>

// Insertion sort by column: rows hold at most a few hundred entries.
static inline void sort_row(int32_t *cols, float *vals, int64_t m) {
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

#endif
