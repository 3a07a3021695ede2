// Approximate k nearest neighbours: a forest of random projection trees gives each point
// candidates from its leaves, and NN-descent (Dong, Charikar and Li 2011) then compares
// each point with the neighbours of its neighbours, round after round, until few lists
// change. Written in "pull" form: a point's list is changed only by the thread that owns
// the point, from the previous round's graph, so the result depends on the seed alone,
// not on the thread count or the scheduling.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"
#include "knn_heap.h"
#include "lanes.h"

// An entry that entered its list in the last round carries this bit in its index: only
// pairs with at least one such entry can find something new.
#define FRESH ((int32_t)0x40000000)
#define INDEX(e) ((e) & ~FRESH)

static float squared_distance(const float *a, const float *b, int64_t d) {
  v8 sum = {0};
  int64_t i = 0;
  for (; i + 8 <= d; i += 8) {
    const v8 diff = load8(a + i) - load8(b + i);
    sum += diff * diff;
  }
  float total = 0.0f;
  for (int l = 0; l < 8; l++) total += sum[l];
  for (; i < d; i++) total += (a[i] - b[i]) * (a[i] - b[i]);
  return total;
}

static int holds(const int32_t *idx, int size, int32_t j) {
  for (int q = 0; q < size; q++)
    if (INDEX(idx[q]) == j) return 1;
  return 0;
}

// ---------- the forest ----------

typedef struct {
  const float *x;
  int64_t n, d;
  int leaf_size;
  uint64_t seed;
  int32_t *order;       // trees * n: each tree's points, leaf by leaf
  int32_t *leaf_begin;  // trees * n: where point p's leaf starts in its tree's order
  int32_t *leaf_end;
} forest_job;

// Splits order[begin, end) by the hyperplane halfway between two random members, until
// leaves hold at most leaf_size points; a split that leaves one side empty (duplicates)
// halves the range instead.
static void build_tree(const forest_job *f, int tree) {
  const int64_t n = f->n, d = f->d;
  int32_t *order = f->order + tree * n;
  for (int64_t i = 0; i < n; i++) order[i] = (int32_t)i;
  atl_rng rng;
  atl_rng_seed(&rng, f->seed * 0x9E3779B97F4A7C15ull + (uint64_t)tree + 1);
  float *normal = malloc(sizeof(float) * (size_t)d);
  int64_t *stack = malloc(sizeof(int64_t) * 2 * 128);
  if (!normal || !stack) {
    // No tree: every point its own empty leaf; the lists are completed at the end.
    for (int64_t i = 0; i < n; i++) f->leaf_begin[tree * n + i] = f->leaf_end[tree * n + i] = 0;
    free(normal), free(stack);
    return;
  }
  int top = 0;
  stack[top++] = 0, stack[top++] = n;
  while (top > 0) {
    const int64_t end = stack[--top], begin = stack[--top];
    if (end - begin <= f->leaf_size || top >= 2 * 126) {
      for (int64_t i = begin; i < end; i++) {
        f->leaf_begin[tree * n + order[i]] = (int32_t)begin;
        f->leaf_end[tree * n + order[i]] = (int32_t)end;
      }
      continue;
    }
    const int64_t span = end - begin;
    const int32_t a = order[begin + (int64_t)(atl_rng_next(&rng) % (uint64_t)span)];
    int32_t b = order[begin + (int64_t)(atl_rng_next(&rng) % (uint64_t)(span - 1))];
    if (b == a) b = order[end - 1];
    double offset = 0.0;
    for (int64_t c = 0; c < d; c++) {
      const float xa = f->x[a * d + c], xb = f->x[b * d + c];
      normal[c] = xa - xb;
      offset += 0.5 * ((double)xa * xa - (double)xb * xb);
    }
    int64_t left = begin, right = end - 1;
    while (left <= right) {
      double margin = -offset;
      for (int64_t c = 0; c < d; c++) margin += normal[c] * f->x[order[left] * d + c];
      if (margin > 0.0) {
        left++;
      } else {
        const int32_t t = order[left];
        order[left] = order[right], order[right--] = t;
      }
    }
    int64_t middle = left;
    if (middle == begin || middle == end) middle = begin + span / 2;
    stack[top++] = begin, stack[top++] = middle;
    stack[top++] = middle, stack[top++] = end;
  }
  free(normal), free(stack);
}

static void build_trees(void *ctx, int64_t t0, int64_t t1, int tid) {
  (void)tid;
  for (int64_t t = t0; t < t1; t++) build_tree(ctx, (int)t);
}

// ---------- the graph ----------

typedef struct {
  const float *x;
  int64_t n, d;
  int k, trees;
  const forest_job *forest;
  int32_t *index;  // n * k, FRESH marks entries new this round
  float *distance;
  int *sizes;
  // The previous round's lists, both directions: B(p) = N(p) and the points that hold p.
  const int64_t *joined_begin;
  const int32_t *joined;
  int32_t *stamps;   // threads * n: the candidates a point has already met this round
  int64_t *updates;  // per thread
} graph_job;

static int offer(const graph_job *g, int64_t p, int32_t q) {
  float *dist = g->distance + p * g->k;
  int32_t *idx = g->index + p * g->k;
  int *size = &g->sizes[p];
  const float value = squared_distance(g->x + p * g->d, g->x + (int64_t)q * g->d, g->d);
  if (*size == g->k && value >= dist[0]) return 0;
  if (holds(idx, *size, q)) return 0;
  heap_push(dist, idx, size, g->k, value, q | FRESH);
  return 1;
}

static void seed_lists(void *ctx, int64_t p0, int64_t p1, int tid) {
  (void)tid;
  const graph_job *g = ctx;
  const forest_job *f = g->forest;
  for (int64_t p = p0; p < p1; p++)
    for (int t = 0; t < g->trees; t++) {
      const int32_t *order = f->order + t * g->n;
      for (int32_t i = f->leaf_begin[t * g->n + p]; i < f->leaf_end[t * g->n + p]; i++)
        if (order[i] != p) offer(g, p, order[i]);
    }
}

static void descend(void *ctx, int64_t p0, int64_t p1, int tid) {
  const graph_job *g = ctx;
  int32_t *stamp = g->stamps + (int64_t)tid * g->n;
  int64_t updates = 0;
  for (int64_t u = p0; u < p1; u++) {
    stamp[u] = (int32_t)u;
    for (int64_t a = g->joined_begin[u]; a < g->joined_begin[u + 1]; a++) {
      const int32_t p = INDEX(g->joined[a]);
      const int fresh_up = (g->joined[a] & FRESH) != 0;
      for (int64_t b = g->joined_begin[p]; b < g->joined_begin[p + 1]; b++) {
        const int32_t v = INDEX(g->joined[b]);
        if (!fresh_up && !(g->joined[b] & FRESH)) continue;
        if (stamp[v] == (int32_t)u) continue;
        stamp[v] = (int32_t)u;
        updates += offer(g, u, v);
      }
    }
  }
  g->updates[tid] += updates;
}

// B(p): at most `cap` entries of N(p), the fresh ones first, each with its FRESH bit, and
// at most `cap` of the points q with p in N(q), the first in point order, with the bit of
// that entry. Capping keeps a round's cost near n cap^2 for large k, as PyNNDescent's
// max_candidates does.
static int join_lists(const int32_t *index, int64_t n, int k, int cap, int64_t *begin,
                      int32_t **joined) {
  const int forward = k < cap ? k : cap;
  int32_t *reverse_count = calloc((size_t)n, sizeof(int32_t));
  if (!reverse_count) return -2;
  for (int64_t p = 0; p < n * k; p++) {
    const int32_t q = INDEX(index[p]);
    if (reverse_count[q] < cap) reverse_count[q]++;
  }
  begin[0] = 0;
  for (int64_t p = 0; p < n; p++) begin[p + 1] = begin[p] + forward + reverse_count[p];
  int32_t *list = malloc(sizeof(int32_t) * (size_t)begin[n]);
  if (!list) return free(reverse_count), -2;
  int64_t *fill = malloc(sizeof(int64_t) * (size_t)n);
  if (!fill) return free(reverse_count), free(list), -2;
  for (int64_t p = 0; p < n; p++) {
    int64_t at = begin[p];
    for (int pass = 0; pass < 2; pass++)
      for (int q = 0; q < k && at < begin[p] + forward; q++) {
        const int32_t entry = index[p * k + q];
        if (((entry & FRESH) != 0) == (pass == 0)) list[at++] = entry;
      }
    fill[p] = at;
  }
  for (int64_t p = 0; p < n; p++)
    for (int q = 0; q < k; q++) {
      const int32_t entry = index[p * k + q], target = INDEX(entry);
      if (fill[target] < begin[target + 1]) list[fill[target]++] = (int32_t)p | (entry & FRESH);
    }
  free(fill), free(reverse_count);
  *joined = list;
  return 0;
}

int atl_knn_approx(const float *x, int64_t n, int64_t d, int k, uint64_t seed, int32_t *index,
                   float *distance) {
  if (k < 1 || k >= n || n >= FRESH) return -1;
  const int threads = atl_threads();
  // As PyNNDescent: more trees for more points, leaves a little larger than k.
  int trees = 5 + (int)lround(pow((double)n, 0.25));
  if (trees > 12) trees = 12;
  const int leaf_size = k + 1 > 30 ? k + 1 : 30;
  const int max_candidates = k < 30 ? k : 30;
  forest_job forest = {x,
                       n,
                       d,
                       leaf_size,
                       seed,
                       malloc(sizeof(int32_t) * (size_t)(trees * n)),
                       malloc(sizeof(int32_t) * (size_t)(trees * n)),
                       malloc(sizeof(int32_t) * (size_t)(trees * n))};
  int *sizes = calloc((size_t)n, sizeof(int));
  int64_t *joined_begin = malloc(sizeof(int64_t) * (size_t)(n + 1));
  int32_t *stamps = malloc(sizeof(int32_t) * (size_t)n * threads);
  int64_t *updates = malloc(sizeof(int64_t) * threads);
  int status = 0;
  if (!forest.order || !forest.leaf_begin || !forest.leaf_end || !sizes || !joined_begin ||
      !stamps || !updates)
    status = -2;
  if (status == 0) {
    atl_parallel_for(trees, 1, build_trees, &forest);
    for (int64_t i = 0; i < n * threads; i++) stamps[i] = -1;
    graph_job g = {x,    n,      d,      k, trees, &forest, index, distance, sizes, joined_begin,
                   NULL, stamps, updates};
    atl_parallel_for(n, 256, seed_lists, &g);
    for (int round = 0; round < 12 && status == 0; round++) {
      int32_t *joined = NULL;
      for (int64_t p = 0; p < n; p++)
        for (int q = sizes[p]; q < k; q++) index[p * k + q] = (int32_t)p;  // unfilled: itself
      if (join_lists(index, n, k, max_candidates, joined_begin, &joined) != 0) {
        status = -2;
        break;
      }
      for (int64_t e = 0; e < n * k; e++) index[e] = INDEX(index[e]);
      g.joined = joined;
      for (int t = 0; t < threads; t++) updates[t] = 0;
      atl_parallel_for(n, 256, descend, &g);
      free(joined);
      int64_t changed = 0;
      for (int t = 0; t < threads; t++) changed += updates[t];
      if (changed <= n * k / 1000) break;
    }
    // A list the trees and the rounds left short (a tiny leaf, a tree that could not be
    // built) is completed against every point, so no row ends with a placeholder.
    for (int64_t p = 0; p < n; p++) {
      if (sizes[p] == k) continue;
      for (int32_t q = 0; q < n; q++)
        if (q != p) offer(&g, p, q);
    }
    for (int64_t p = 0; p < n; p++) {
      for (int q = 0; q < k; q++) index[p * k + q] = INDEX(index[p * k + q]);
      heap_sort(distance + p * k, index + p * k, k);
    }
  }
  free(forest.order), free(forest.leaf_begin), free(forest.leaf_end), free(sizes),
      free(joined_begin), free(stamps), free(updates);
  return status;
}
