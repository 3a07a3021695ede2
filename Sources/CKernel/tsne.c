// t-SNE (van der Maaten 2014) with exact nearest neighbours (knn.c), perplexity calibration by binary search, and Barnes-Hut repulsion
// on a 2-D quadtree; optimisation as openTSNE (exaggeration phase with momentum
// 0.5, then momentum 0.8, gains as delta-bar-delta).
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

// ---------- perplexity calibration ----------

typedef struct {
  const float *distance;
  int64_t k;
  double perplexity;
  float *p;  // conditional p_{j|i}, row-normalised
} calib_job;

static void calibrate_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const calib_job *j = ctx;
  const double target = log(j->perplexity);
  for (int64_t i = r0; i < r1; i++) {
    const float *d = j->distance + i * j->k;
    float *p = j->p + i * j->k;
    double beta = 1.0, lo = 0.0, hi = INFINITY;
    double dmin = INFINITY;
    for (int64_t q = 0; q < j->k; q++) dmin = d[q] < dmin ? d[q] : dmin;
    for (int iter = 0; iter < 200; iter++) {
      double sum = 0.0, weighted = 0.0;
      for (int64_t q = 0; q < j->k; q++) {
        const double w = exp(-beta * (d[q] - dmin));
        p[q] = (float)w;
        sum += w;
        weighted += w * (d[q] - dmin);
      }
      if (sum <= 0.0) sum = DBL_MIN;
      const double entropy = log(sum) + beta * weighted / sum;
      for (int64_t q = 0; q < j->k; q++) p[q] = (float)(p[q] / sum);
      if (fabs(entropy - target) < 1e-5) break;
      if (entropy > target) {
        lo = beta;
        beta = isinf(hi) ? beta * 2.0 : (beta + hi) / 2.0;
      } else {
        hi = beta;
        beta = (beta + lo) / 2.0;
      }
    }
  }
}

// ---------- Barnes-Hut quadtree ----------

typedef struct {
  double cx, cy, half;  // cell centre and half width
  double mx, my;        // sum of member positions
  int count;
  int child;  // index of the first of four children, or -1
  int point;  // the single member of a leaf, or -1
} qnode;

typedef struct {
  qnode *nodes;
  int size, capacity;
} qtree;

static int qtree_node(qtree *t, double cx, double cy, double half) {
  if (t->size == t->capacity) {
    int grown = t->capacity * 2 + 64;
    qnode *more = realloc(t->nodes, sizeof(qnode) * (size_t)grown);
    if (!more) return -1;
    t->nodes = more;
    t->capacity = grown;
  }
  qnode *q = &t->nodes[t->size];
  q->cx = cx;
  q->cy = cy;
  q->half = half;
  q->mx = q->my = 0.0;
  q->count = 0;
  q->child = -1;
  q->point = -1;
  return t->size++;
}

static void qtree_insert(qtree *t, int node, const float *y, int i, int depth) {
  for (;;) {
    qnode *q = &t->nodes[node];
    q->mx += y[2 * i];
    q->my += y[2 * i + 1];
    q->count++;
    if (q->count == 1) {
      q->point = i;
      return;
    }
    // Identical points stop splitting at a depth where the cell is negligible.
    if (depth > 40) return;
    if (q->child < 0) {
      const double h = q->half / 2, cx = q->cx, cy = q->cy;
      int first = qtree_node(t, cx - h, cy - h, h);
      if (first < 0) return;
      qtree_node(t, cx + h, cy - h, h);
      qtree_node(t, cx - h, cy + h, h);
      qtree_node(t, cx + h, cy + h, h);
      q = &t->nodes[node];
      q->child = first;
      const int old = q->point;
      q->point = -1;
      if (old >= 0) {
        const int quadrant = (y[2 * old] > q->cx) + 2 * (y[2 * old + 1] > q->cy);
        qnode *c = &t->nodes[first + quadrant];
        c->mx += y[2 * old];
        c->my += y[2 * old + 1];
        c->count++;
        c->point = old;
      }
    }
    const int quadrant = (y[2 * i] > q->cx) + 2 * (y[2 * i + 1] > q->cy);
    node = q->child + quadrant;
    depth++;
  }
}

// Repulsion on point i: sums q^2 (yi - yc) * count and q * count over accepted cells.
static void qtree_repulsion(const qtree *t, int node, const float *y, int i, double theta,
                            double *fx, double *fy, double *z) {
  const qnode *q = &t->nodes[node];
  if (q->count == 0 || (q->count == 1 && q->point == i)) return;
  const double mx = q->mx / q->count, my = q->my / q->count;
  const double dx = y[2 * i] - mx, dy = y[2 * i + 1] - my;
  const double d2 = dx * dx + dy * dy;
  if (q->child < 0 || (2 * q->half) * (2 * q->half) < theta * theta * d2) {
    int count = q->count;
    if (q->child < 0 && q->point == i) count -= 1;  // a deep leaf holding duplicates of i
    if (count <= 0) return;
    const double w = 1.0 / (1.0 + d2);
    *z += count * w;
    *fx += count * w * w * dx;
    *fy += count * w * w * dy;
    return;
  }
  for (int c = 0; c < 4; c++) qtree_repulsion(t, q->child + c, y, i, theta, fx, fy, z);
}

typedef struct {
  const qtree *tree;
  const float *y;
  double theta;
  double *force;  // (n, 2) repulsive sums
  double *z_parts;
} rep_job;

static void repulsion_points(void *ctx, int64_t i0, int64_t i1, int tid) {
  const rep_job *j = ctx;
  double z = 0.0;
  for (int64_t i = i0; i < i1; i++) {
    double fx = 0.0, fy = 0.0;
    qtree_repulsion(j->tree, 0, j->y, (int)i, j->theta, &fx, &fy, &z);
    j->force[2 * i] = fx;
    j->force[2 * i + 1] = fy;
  }
  j->z_parts[tid] += z;
}

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

// ---------- the embedding ----------

int atl_tsne(const float *x, int64_t n, int64_t d, float *y, const atl_tsne_options *o,
             atl_tsne_progress progress, void *progress_ctx) {
  if (n < 4) return -1;
  int k = (int)(3.0 * o->perplexity);
  if (k > n - 1) k = (int)n - 1;
  if (k < 1) k = 1;
  int32_t *index = malloc(sizeof(int32_t) * n * k);
  float *distance = malloc(sizeof(float) * n * k);
  float *conditional = malloc(sizeof(float) * n * k);
  if (!index || !distance || !conditional || atl_knn(x, n, x, n, d, k, 1, index, distance) != 0) {
    free(index), free(distance), free(conditional);
    return -2;
  }
  calib_job cj = {distance, k, o->perplexity, conditional};
  atl_parallel_for(n, 64, calibrate_rows, &cj);
  free(distance);

  // Symmetric P as CSR: p_ij = (p_j|i + p_i|j) / 2n over the union of both neighbour lists.
  int64_t *counts = calloc((size_t)n + 1, sizeof(int64_t));
  for (int64_t i = 0; i < n; i++)
    for (int q = 0; q < k; q++) {
      counts[i + 1]++;
      counts[index[i * k + q] + 1]++;
    }
  for (int64_t i = 0; i < n; i++) counts[i + 1] += counts[i];
  const int64_t nnz_max = counts[n];
  int32_t *cols = malloc(sizeof(int32_t) * nnz_max);
  float *vals = malloc(sizeof(float) * nnz_max);
  int64_t *fill = malloc(sizeof(int64_t) * n);
  memcpy(fill, counts, sizeof(int64_t) * n);
  for (int64_t i = 0; i < n; i++)
    for (int q = 0; q < k; q++) {
      const int32_t j = index[i * k + q];
      const float v = conditional[i * k + q] / (2.0f * (float)n);
      cols[fill[i]] = j, vals[fill[i]++] = v;
      cols[fill[j]] = (int32_t)i, vals[fill[j]++] = v;
    }
  free(fill);
  free(index);
  free(conditional);
  // Merge the entries of a pair that is in both neighbour lists, so that P holds each
  // p_ij once (the gradient would not care; the KL divergence does).
  int64_t write = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t start = counts[i], end = counts[i + 1];
    sort_row(cols + start, vals + start, end - start);
    counts[i] = write;
    for (int64_t e = start; e < end; e++) {
      if (write > counts[i] && cols[write - 1] == cols[e]) {
        vals[write - 1] += vals[e];
      } else {
        cols[write] = cols[e];
        vals[write++] = vals[e];
      }
    }
  }
  counts[n] = write;

  float *gains = malloc(sizeof(float) * n * 2), *update = calloc((size_t)n * 2, sizeof(float));
  double *attract = malloc(sizeof(double) * n * 2), *repel = malloc(sizeof(double) * n * 2);
  const int T = atl_threads();
  double *z_parts = malloc(sizeof(double) * T);
  qtree tree = {NULL, 0, 0};
  for (int64_t i = 0; i < 2 * n; i++) gains[i] = 1.0f;

  for (int iter = 0; iter < o->iterations; iter++) {
    const int early = iter < o->exaggeration_iterations;
    const double exaggeration = early ? o->exaggeration : 1.0;
    const double momentum = early ? 0.5 : 0.8;
    // Quadtree over the current embedding.
    double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
      minx = fmin(minx, y[2 * i]), maxx = fmax(maxx, y[2 * i]);
      miny = fmin(miny, y[2 * i + 1]), maxy = fmax(maxy, y[2 * i + 1]);
    }
    const double half = fmax(maxx - minx, maxy - miny) / 2 * 1.0001 + 1e-12;
    tree.size = 0;
    qtree_node(&tree, (minx + maxx) / 2, (miny + maxy) / 2, half);
    for (int64_t i = 0; i < n; i++) qtree_insert(&tree, 0, y, (int)i, 0);
    for (int t = 0; t < T; t++) z_parts[t] = 0.0;
    rep_job rj = {&tree, y, o->theta, repel, z_parts};
    atl_parallel_for(n, 256, repulsion_points, &rj);
    double z = 0.0;
    for (int t = 0; t < T; t++) z += z_parts[t];
    if (z <= 0.0) z = DBL_MIN;
    // Attraction over the sparse P; KL(P || Q) along the way when it is reported.
    const int report = (iter + 1) % 50 == 0 || iter + 1 == o->iterations;
    double kl_sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
      double ax = 0.0, ay = 0.0;
      for (int64_t e = counts[i]; e < counts[i + 1]; e++) {
        const int32_t j = cols[e];
        const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        const double w = 1.0 / (1.0 + dx * dx + dy * dy);
        ax += vals[e] * w * dx;
        ay += vals[e] * w * dy;
        if (report && vals[e] > 0) kl_sum += vals[e] * log(vals[e] / (w / z));
      }
      attract[2 * i] = ax;
      attract[2 * i + 1] = ay;
    }
    for (int64_t i = 0; i < 2 * n; i++) {
      const double grad = 4.0 * (exaggeration * attract[i] - repel[i] / z);
      const int same = (grad > 0) == (update[i] > 0);
      gains[i] = same ? gains[i] * 0.8f : gains[i] + 0.2f;
      if (gains[i] < 0.01f) gains[i] = 0.01f;
      update[i] = (float)(momentum * update[i] - o->learning_rate * gains[i] * grad);
      y[i] += update[i];
    }
    // Keep the embedding centred.
    double sx = 0.0, sy = 0.0;
    for (int64_t i = 0; i < n; i++) sx += y[2 * i], sy += y[2 * i + 1];
    for (int64_t i = 0; i < n; i++) y[2 * i] -= (float)(sx / n), y[2 * i + 1] -= (float)(sy / n);
    if (report) {
      if (progress && progress(progress_ctx, iter + 1, kl_sum)) break;
    }
  }
  free(tree.nodes);
  free(counts), free(cols), free(vals), free(gains), free(update), free(attract), free(repel),
      free(z_parts);
  return 0;
}
