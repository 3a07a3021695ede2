// UMAP's spectral initialisation: the eigenvectors of the normalised Laplacian
// L = I - D^-1/2 W D^-1/2 with the smallest nonzero eigenvalues, as umap-learn's
// spectral_layout takes from ARPACK. Here by block power iteration on
// A = (I + D^-1/2 W D^-1/2) / 2 = I - L / 2, whose spectrum lies in [0, 1] with L's order
// reversed, accelerated by Chebyshev filtering, with the trivial eigenvector D^1/2 1
// projected out and a Rayleigh-Ritz step after each filter to sort the block and measure
// the residuals.
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

// Residual |L v - lambda v| below which an eigenvector counts as found: the start of a
// layout, not a measurement, needs no more (umap-learn asks ARPACK for 1e-4).
#define RESIDUAL_TOLERANCE 1e-4
#define MAX_ITERATIONS 500
#define FILTER_DEGREE 12

typedef struct {
  const atl_umap_graph *g;
  const double *inv_sqrt_degree;
  const double *scaled_weight;  // per edge: its weight times the column's D^-1/2
  const double *q;              // m blocks of n
  double *z;
  double *rows;  // q by row (n rows of m): an edge then reads one row, not m blocks
  int m;
  const double *u;  // the trivial eigenvector, kept out of the block
} apply_job;

static void gather_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const apply_job *j = ctx;
  const int64_t n = j->g->n;
  for (int64_t i = r0; i < r1; i++)
    for (int c = 0; c < j->m; c++) j->rows[i * j->m + c] = j->q[c * n + i];
}

// z = A q for every vector of the block; rows are independent, so the pieces do not matter.
static void multiply_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const apply_job *j = ctx;
  const int64_t n = j->g->n;
  const int m = j->m;
  enum { width = 16 };
  for (int64_t i = r0; i < r1; i++)
    for (int c0 = 0; c0 < m; c0 += width) {
      const int count = m - c0 < width ? m - c0 : width;
      double sum[width] = {0};
      for (int64_t e = j->g->row_start[i]; e < j->g->row_start[i + 1]; e++) {
        const double w = j->scaled_weight[e];
        const double *row = j->rows + (int64_t)j->g->column[e] * m + c0;
        for (int c = 0; c < count; c++) sum[c] += w * row[c];
      }
      for (int c = 0; c < count; c++) {
        const int64_t at = (int64_t)(c0 + c) * n + i;
        j->z[at] = 0.5 * (j->q[at] + j->inv_sqrt_degree[i] * sum[c]);
      }
    }
}

static void apply(const apply_job *job) {
  atl_parallel_for(job->g->n, 512, gather_rows, (void *)job);
  atl_parallel_for(job->g->n, 512, multiply_rows, (void *)job);
}

static double dot(const double *a, const double *b, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static void subtract(double *a, const double *b, double scale, int64_t n) {
  for (int64_t i = 0; i < n; i++) a[i] -= scale * b[i];
}

// Modified Gram-Schmidt, twice, against the trivial vector u and the earlier columns.
// Serial sums in a fixed order: the result does not depend on the thread count.
static int orthonormalise(double *v, int m, int64_t n, const double *u) {
  for (int c = 0; c < m; c++) {
    double *x = v + c * n;
    for (int pass = 0; pass < 2; pass++) {
      subtract(x, u, dot(x, u, n), n);
      for (int p = 0; p < c; p++) subtract(x, v + p * n, dot(x, v + p * n, n), n);
    }
    const double norm = sqrt(dot(x, x, n));
    if (!(norm > 1e-300)) return -1;
    for (int64_t i = 0; i < n; i++) x[i] /= norm;
  }
  return 0;
}

// z = T_d(A') q with A' = (A - c) / e mapping [0, cut] onto [-1, 1]: Chebyshev-filtered
// subspace iteration (Zhou and Saad 2007). The wanted eigenvalues of A sit just below 1
// with a small gap to the rest; d products with A then do what about d^2 plain power steps
// would, since T_d grows as exp(d sqrt(2 gap)) outside the interval.
static int chebyshev_filter(apply_job *job, double cut, double *previous, double *next) {
  const int64_t n = job->g->n, total = n * job->m;
  const double e = cut / 2, c = cut / 2;
  double *q = (double *)job->q, *z = job->z;
  // previous = q; z = (A q - c q) / e
  memcpy(previous, q, sizeof(double) * (size_t)total);
  apply(job);
  for (int64_t i = 0; i < total; i++) z[i] = (z[i] - c * q[i]) / e;
  for (int degree = 2; degree <= FILTER_DEGREE; degree++) {
    // next = 2 (A z - c z) / e - previous
    apply_job step = *job;
    step.q = z, step.z = next;
    apply(&step);
    for (int64_t i = 0; i < total; i++) next[i] = 2.0 * (next[i] - c * z[i]) / e - previous[i];
    memcpy(previous, z, sizeof(double) * (size_t)total);
    memcpy(z, next, sizeof(double) * (size_t)total);
  }
  // The Ritz step below wants z = A q for q the filtered block: q takes the block
  // orthonormalised, z its product with A.
  memcpy(q, z, sizeof(double) * (size_t)total);
  if (orthonormalise(q, job->m, n, job->u) != 0) return -1;
  apply(job);
  return 0;
}

// Number of connected components, by breadth-first search.
static int64_t components(const atl_umap_graph *g, int64_t *queue, char *seen) {
  int64_t count = 0;
  memset(seen, 0, (size_t)g->n);
  for (int64_t s = 0; s < g->n; s++) {
    if (seen[s]) continue;
    count++;
    int64_t head = 0, tail = 0;
    queue[tail++] = s, seen[s] = 1;
    while (head < tail) {
      const int64_t i = queue[head++];
      for (int64_t e = g->row_start[i]; e < g->row_start[i + 1]; e++) {
        const int32_t j = g->column[e];
        if (!seen[j] && g->weight[e] > 0) seen[j] = 1, queue[tail++] = j;
      }
    }
  }
  return count;
}

int atl_umap_spectral(const atl_umap_graph *g, int dims, uint64_t seed, double *vectors,
                      double *eigenvalues) {
  const int64_t n = g->n;
  if (dims < 1 || n < dims + 2) return -1;
  // A block larger than asked for: convergence goes as the ratio of the first eigenvalue
  // left out of the block to the last one wanted, and clustered data has many near 1.
  int m = dims + 8;
  if (m > n - 1) m = (int)(n - 1);
  double *inv_sqrt_degree = malloc(sizeof(double) * (size_t)n);
  double *u = malloc(sizeof(double) * (size_t)n);
  double *q = malloc(sizeof(double) * (size_t)(n * m));
  double *z = malloc(sizeof(double) * (size_t)(n * m));
  double *h = malloc(sizeof(double) * (size_t)(m * m)), *theta = malloc(sizeof(double) * (size_t)m);
  double *previous = malloc(sizeof(double) * (size_t)(n * m));
  double *next = malloc(sizeof(double) * (size_t)(n * m));
  double *rows = malloc(sizeof(double) * (size_t)(n * m));
  double *scaled_weight = malloc(sizeof(double) * (size_t)(g->nnz > 0 ? g->nnz : 1));
  int64_t *queue = malloc(sizeof(int64_t) * (size_t)n);
  char *seen = malloc((size_t)n);
  int status = -2;
  if (!inv_sqrt_degree || !u || !q || !z || !h || !theta || !previous || !next || !rows ||
      !scaled_weight || !queue || !seen)
    goto done;
  status = ATL_UMAP_DISCONNECTED;
  if (components(g, queue, seen) != 1) goto done;
  double norm = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double degree = 0.0;
    for (int64_t e = g->row_start[i]; e < g->row_start[i + 1]; e++) degree += g->weight[e];
    if (!(degree > 0)) goto done;
    inv_sqrt_degree[i] = 1.0 / sqrt(degree);
    u[i] = sqrt(degree);
    norm += degree;
  }
  for (int64_t i = 0; i < n; i++) u[i] /= sqrt(norm);
  for (int64_t e = 0; e < g->nnz; e++)
    scaled_weight[e] = (double)g->weight[e] * inv_sqrt_degree[g->column[e]];

  atl_rng rng;
  atl_rng_seed(&rng, seed ^ 0x5eC7A1ull);
  for (int64_t e = 0; e < n * m; e++) q[e] = atl_rng_double(&rng) - 0.5;
  status = -1;
  if (orthonormalise(q, m, n, u) != 0) goto done;
  status = ATL_UMAP_NOT_CONVERGED;
  apply_job job = {g, inv_sqrt_degree, scaled_weight, q, z, rows, m, u};
  // Below `cut` (the smallest Ritz value of the block, an estimate of the largest eigenvalue
  // left out) the filter damps; above it, it grows like a Chebyshev polynomial.
  double cut = 0.9;
  for (int iter = 1; iter <= MAX_ITERATIONS; iter++) {
    if (chebyshev_filter(&job, cut, previous, next) != 0) goto done;
    // Rayleigh-Ritz: H = Q^T A Q, the block rotated onto H's eigenvectors.
    for (int r = 0; r < m; r++)
      for (int c = r; c < m; c++) {
        const double v = 0.5 * (dot(q + r * n, z + c * n, n) + dot(q + c * n, z + r * n, n));
        h[r * m + c] = h[c * m + r] = v;
      }
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', m, h, m, theta) != 0) goto done;
    // Ritz vectors x = Q v and A x = Z v, largest theta (smallest L eigenvalue) first, in
    // the filter's scratch blocks, which are free until the next filter.
    double *x = previous, *ax = next;
    for (int c = 0; c < m; c++) {
      const int source = m - 1 - c;
      for (int64_t i = 0; i < n; i++) {
        double sx = 0.0, sa = 0.0;
        for (int r = 0; r < m; r++) {
          const double v = h[r * m + source];
          sx += q[r * n + i] * v;
          sa += z[r * n + i] * v;
        }
        x[c * n + i] = sx, ax[c * n + i] = sa;
      }
    }
    double worst = 0.0;
    for (int c = 0; c < dims; c++) {
      const double t = theta[m - 1 - c];
      double r2 = 0.0;
      for (int64_t i = 0; i < n; i++) {
        const double r = ax[c * n + i] - t * x[c * n + i];
        r2 += r * r;
      }
      // L = 2 (I - A): its residual is twice A's.
      const double residual = 2.0 * sqrt(r2);
      if (residual > worst) worst = residual;
    }
    if (worst < RESIDUAL_TOLERANCE) {
      for (int c = 0; c < dims; c++) {
        // Signs as svd_flip: the entry of largest magnitude is positive.
        double largest = 0.0;
        for (int64_t i = 0; i < n; i++)
          if (fabs(x[c * n + i]) > fabs(largest)) largest = x[c * n + i];
        const double sign = largest < 0 ? -1.0 : 1.0;
        for (int64_t i = 0; i < n; i++) vectors[i * dims + c] = sign * x[c * n + i];
        eigenvalues[c] = 2.0 * (1.0 - theta[m - 1 - c]);
      }
      status = 0;
      goto done;
    }
    // Filter the Ritz vectors next, damping below the block's smallest Ritz value.
    memcpy(q, x, sizeof(double) * (size_t)(n * m));
    cut = theta[0] > 0.0 ? theta[0] : 0.0;
  }
done:
  free(inv_sqrt_degree), free(u), free(q), free(z), free(h), free(theta), free(previous),
      free(next), free(rows), free(scaled_weight), free(queue), free(seen);
  return status;
}
