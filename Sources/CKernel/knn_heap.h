// A bounded max-heap of (squared distance, index) pairs: the k nearest found so far, the
// farthest of them on top. Shared by the exact and the approximate neighbour search.
#ifndef ATL_KNN_HEAP_H
#define ATL_KNN_HEAP_H

#include <stdint.h>

// Keeps the k smallest (distance, index) pairs in a max-heap.
static inline void heap_push(float *dist, int32_t *idx, int *size, int k, float value, int32_t j) {
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
static inline void heap_sort(float *dist, int32_t *idx, int k) {
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

#endif
