// Barnes-Hut repulsion (van der Maaten 2014): a quadtree over the embedding, and each
// point sums the kernel over cells that look small from where it stands (theta).
#include <math.h>
#include <stdlib.h>

#include "ckernel.h"
#include "tsne_repulsion.h"

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

// Repulsion on point i: sums k w (yi - yc) * count and k * count over accepted cells.
static void qtree_repulsion(const qtree *t, int node, const float *y, int i, double theta,
                            double dof, double *fx, double *fy, double *z) {
  const qnode *q = &t->nodes[node];
  if (q->count == 0 || (q->count == 1 && q->point == i)) return;
  const double mx = q->mx / q->count, my = q->my / q->count;
  const double dx = y[2 * i] - mx, dy = y[2 * i + 1] - my;
  const double d2 = dx * dx + dy * dy;
  if (q->child < 0 || (2 * q->half) * (2 * q->half) < theta * theta * d2) {
    int count = q->count;
    if (q->child < 0 && q->point == i) count -= 1;  // a deep leaf holding duplicates of i
    if (count <= 0) return;
    const double w = tsne_kernel_base(d2, dof);
    const double k = tsne_kernel(w, dof);
    *z += count * k;
    *fx += count * k * w * dx;
    *fy += count * k * w * dy;
    return;
  }
  for (int c = 0; c < 4; c++) qtree_repulsion(t, q->child + c, y, i, theta, dof, fx, fy, z);
}

typedef struct {
  const qtree *tree;
  const float *y;
  double theta, dof;
  double *force;  // (n, 2) repulsive sums
  double *z_parts;
} rep_job;

static void repulsion_points(void *ctx, int64_t i0, int64_t i1, int tid) {
  const rep_job *j = ctx;
  double z = 0.0;
  for (int64_t i = i0; i < i1; i++) {
    double fx = 0.0, fy = 0.0;
    qtree_repulsion(j->tree, 0, j->y, (int)i, j->theta, j->dof, &fx, &fy, &z);
    j->force[2 * i] = fx;
    j->force[2 * i + 1] = fy;
  }
  j->z_parts[tid] += z;
}

struct tsne_bh_state {
  qtree tree;
  double *z_parts;
};

tsne_bh_state *tsne_bh_create(void) {
  tsne_bh_state *s = calloc(1, sizeof(tsne_bh_state));
  if (s) s->z_parts = calloc((size_t)atl_threads(), sizeof(double));
  if (s && !s->z_parts) free(s), s = NULL;
  return s;
}

void tsne_bh_destroy(tsne_bh_state *state) {
  if (!state) return;
  free(state->tree.nodes);
  free(state->z_parts);
  free(state);
}

int tsne_bh_repulsion(tsne_bh_state *s, const float *y, int64_t n, double theta, double dof,
                      double *force, double *z) {
  double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    minx = fmin(minx, y[2 * i]), maxx = fmax(maxx, y[2 * i]);
    miny = fmin(miny, y[2 * i + 1]), maxy = fmax(maxy, y[2 * i + 1]);
  }
  const double half = fmax(maxx - minx, maxy - miny) / 2 * 1.0001 + 1e-12;
  s->tree.size = 0;
  if (qtree_node(&s->tree, (minx + maxx) / 2, (miny + maxy) / 2, half) < 0) return -2;
  for (int64_t i = 0; i < n; i++) qtree_insert(&s->tree, 0, y, (int)i, 0);
  const int threads = atl_threads();
  for (int t = 0; t < threads; t++) s->z_parts[t] = 0.0;
  rep_job job = {&s->tree, y, theta, dof, force, s->z_parts};
  atl_parallel_for(n, 256, repulsion_points, &job);
  double total = 0.0;
  for (int t = 0; t < threads; t++) total += s->z_parts[t];
  *z = total;
  return 0;
}
