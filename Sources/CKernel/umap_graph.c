// UMAP's fuzzy simplicial set as umap-learn 0.5 builds it: exact neighbours (knn.c), each
// point's distance to its nearest neighbour (rho) and bandwidth (sigma) by smooth_knn_dist,
// memberships, and their fuzzy union into a symmetric CSR graph. Also find_ab_params.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"
#include "csr_rows.h"

void atl_umap_graph_free(atl_umap_graph *g) {
  if (!g) return;
  free(g->row_start), free(g->column), free(g->weight);
  g->row_start = NULL, g->column = NULL, g->weight = NULL;
  g->n = g->nnz = 0;
}

static float *unit_rows(const float *x, int64_t n, int64_t d) {
  float *out = malloc(sizeof(float) * (size_t)(n * d));
  if (!out) return NULL;
  for (int64_t i = 0; i < n; i++) {
    const double norm = sqrt(atl_sum_squares(x + i * d, d));
    const float scale = norm > 0 ? (float)(1.0 / norm) : 0.0f;
    for (int64_t c = 0; c < d; c++) out[i * d + c] = x[i * d + c] * scale;
  }
  return out;
}

int atl_umap_knn(const float *reference, int64_t n_reference, const float *query, int64_t n_query,
                 int64_t d, int k, int exclude_self, int cosine, int approximate, uint64_t seed,
                 int32_t *index, float *distance) {
  const float *r = reference, *q = query;
  float *unit_reference = NULL, *unit_query = NULL;
  if (cosine) {
    unit_reference = unit_rows(reference, n_reference, d);
    unit_query = query == reference ? unit_reference : unit_rows(query, n_query, d);
    if (!unit_reference || !unit_query) {
      if (unit_query != unit_reference) free(unit_query);
      free(unit_reference);
      return -2;
    }
    r = unit_reference, q = unit_query;
  }
  const int status = approximate && query == reference && exclude_self
                         ? atl_knn_approx(r, n_reference, d, k, seed, index, distance)
                         : atl_knn(r, n_reference, q, n_query, d, k, exclude_self, index, distance);
  if (unit_query != unit_reference) free(unit_query);
  free(unit_reference);
  if (status != 0) return status;
  // For unit vectors |u - v|^2 = 2 - 2 cos, so 1 - cos is half the squared distance.
  for (int64_t e = 0; e < n_query * k; e++)
    distance[e] = cosine ? distance[e] / 2 : sqrtf(distance[e]);
  return 0;
}

// ---------- smooth kNN distances ----------

typedef struct {
  const float *distance;
  int64_t k;
  double local_connectivity, mean_distance;
  float *sigma, *rho;
} smooth_job;

static void smooth_rows(void *ctx, int64_t r0, int64_t r1, int tid) {
  (void)tid;
  const smooth_job *j = ctx;
  const double target = log2((double)j->k);
  for (int64_t i = r0; i < r1; i++) {
    const float *d = j->distance + i * j->k;
    // rho: the local_connectivity-th nonzero distance, interpolated between neighbours.
    int64_t nonzero = 0;
    double sum = 0.0;
    for (int64_t q = 0; q < j->k; q++) nonzero += d[q] > 0, sum += d[q];
    double rho = 0.0;
    const int64_t whole = (int64_t)floor(j->local_connectivity);
    const double part = j->local_connectivity - (double)whole;
    if ((double)nonzero >= j->local_connectivity) {
      // The nonzero distances in order: d is ascending, so they are its last `nonzero`.
      const float *positive = d + (j->k - nonzero);
      if (whole > 0) {
        rho = positive[whole - 1];
        if (part > 1e-5) rho += part * (positive[whole] - positive[whole - 1]);
      } else if (nonzero > 0) {
        rho = part * positive[0];
      }
    } else if (nonzero > 0) {
      rho = d[j->k - 1];
    }
    double lo = 0.0, hi = INFINITY, mid = 1.0;
    for (int step = 0; step < 64; step++) {
      // Column 0 is left out, as umap-learn does: it is the point itself when fitting.
      double psum = 0.0;
      for (int64_t q = 1; q < j->k; q++) {
        const double excess = d[q] - rho;
        psum += excess > 0 ? exp(-(excess / mid)) : 1.0;
      }
      if (fabs(psum - target) < 1e-5) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2.0;
      } else {
        lo = mid;
        mid = isinf(hi) ? mid * 2 : (lo + hi) / 2.0;
      }
    }
    // MIN_K_DIST_SCALE: a bandwidth no smaller than 1e-3 of the mean distance (the row's,
    // or every row's for a point whose neighbours all sit on it).
    const double floor_scale = 1e-3 * (rho > 0 ? sum / (double)j->k : j->mean_distance);
    j->sigma[i] = (float)(mid < floor_scale ? floor_scale : mid);
    j->rho[i] = (float)rho;
  }
}

void atl_umap_smooth_knn(const float *distance, int64_t n, int k, double local_connectivity,
                         float *sigma, float *rho) {
  double total = 0.0;
  for (int64_t e = 0; e < n * k; e++) total += distance[e];
  smooth_job job = {distance, k,  local_connectivity, n > 0 ? total / (double)(n * k) : 0.0,
                    sigma,    rho};
  atl_parallel_for(n, 256, smooth_rows, &job);
}

void atl_umap_memberships(const int32_t *index, const float *distance, int64_t n, int k,
                          const float *sigma, const float *rho, int skip_self, float *weight) {
  for (int64_t i = 0; i < n; i++)
    for (int q = 0; q < k; q++) {
      const int64_t e = i * k + q;
      const double excess = distance[e] - rho[i];
      if (skip_self && index[e] == i)
        weight[e] = 0.0f;
      else if (excess <= 0.0 || sigma[i] == 0.0f)
        weight[e] = 1.0f;
      else
        weight[e] = (float)exp(-(excess / sigma[i]));
    }
}

// ---------- fuzzy union ----------

int atl_umap_fuzzy_union(const int32_t *index, const float *weight, int64_t n, int k,
                         atl_umap_graph *out) {
  memset(out, 0, sizeof *out);
  // A pair in both neighbour lists holds w_ij and w_ji, combined as w_ij + w_ji - w_ij w_ji;
  // a lone w stands for w + 0 - 0.
  if (csr_symmetric(index, weight, n, k, csr_fuzzy_union, &out->row_start, &out->column,
                    &out->weight) != 0)
    return -2;
  out->n = n;
  out->nnz = out->row_start[n];
  return 0;
}

int atl_umap_fuzzy_graph(const float *x, int64_t n, int64_t d, int k, int cosine, int approximate,
                         uint64_t seed, atl_umap_graph *out) {
  memset(out, 0, sizeof *out);
  if (k < 2 || k > n) return -1;
  const int others = k - 1;
  int32_t *found = malloc(sizeof(int32_t) * (size_t)(n * others));
  float *found_distance = malloc(sizeof(float) * (size_t)(n * others));
  int32_t *index = malloc(sizeof(int32_t) * (size_t)(n * k));
  float *distance = malloc(sizeof(float) * (size_t)(n * k));
  float *sigma = malloc(sizeof(float) * (size_t)n), *rho = malloc(sizeof(float) * (size_t)n);
  float *weight = malloc(sizeof(float) * (size_t)(n * k));
  int status = -2;
  if (found && found_distance && index && distance && sigma && rho && weight) {
    status =
        atl_umap_knn(x, n, x, n, d, others, 1, cosine, approximate, seed, found, found_distance);
  }
  if (status == 0) {
    // umap-learn's neighbour lists start with the point itself at distance 0.
    for (int64_t i = 0; i < n; i++) {
      index[i * k] = (int32_t)i;
      distance[i * k] = 0.0f;
      memcpy(index + i * k + 1, found + i * others, sizeof(int32_t) * (size_t)others);
      memcpy(distance + i * k + 1, found_distance + i * others, sizeof(float) * (size_t)others);
    }
    atl_umap_smooth_knn(distance, n, k, 1.0, sigma, rho);
    atl_umap_memberships(index, distance, n, k, sigma, rho, 1, weight);
    status = atl_umap_fuzzy_union(index, weight, n, k, out);
  }
  free(found), free(found_distance), free(index), free(distance), free(sigma), free(rho),
      free(weight);
  return status;
}

// ---------- a and b ----------

// Sum of squared residuals of 1 / (1 + a x^2b) against the target curve.
static double ab_cost(const double *x, const double *y, int m, double a, double b) {
  double cost = 0.0;
  for (int i = 0; i < m; i++) {
    const double r = 1.0 / (1.0 + a * pow(x[i], 2 * b)) - y[i];
    cost += r * r;
  }
  return cost;
}

int atl_umap_find_ab(double spread, double min_dist, double *a, double *b) {
  enum { m = 300 };
  double x[m], y[m];
  for (int i = 0; i < m; i++) {
    x[i] = 3.0 * spread * i / (m - 1);
    y[i] = x[i] < min_dist ? 1.0 : exp(-(x[i] - min_dist) / spread);
  }
  // Levenberg-Marquardt from (1, 1), scipy's curve_fit start.
  double pa = 1.0, pb = 1.0, lambda = 1e-3;
  double cost = ab_cost(x, y, m, pa, pb);
  for (int iter = 0; iter < 1000; iter++) {
    double jtj[3] = {0, 0, 0}, jtr[2] = {0, 0};  // [aa, ab, bb]
    for (int i = 0; i < m; i++) {
      if (x[i] <= 0.0) continue;  // the curve is 1 at 0 whatever a and b are
      const double p = pow(x[i], 2 * pb), denominator = 1.0 + pa * p;
      const double r = 1.0 / denominator - y[i];
      const double ga = -p / (denominator * denominator);
      const double gb = -pa * p * 2.0 * log(x[i]) / (denominator * denominator);
      jtj[0] += ga * ga, jtj[1] += ga * gb, jtj[2] += gb * gb;
      jtr[0] += ga * r, jtr[1] += gb * r;
    }
    int improved = 0;
    while (lambda < 1e12) {
      const double h00 = jtj[0] * (1 + lambda), h11 = jtj[2] * (1 + lambda), h01 = jtj[1];
      const double det = h00 * h11 - h01 * h01;
      if (det == 0.0 || !isfinite(det)) {
        lambda *= 10;
        continue;
      }
      const double da = -(h11 * jtr[0] - h01 * jtr[1]) / det;
      const double db = -(h00 * jtr[1] - h01 * jtr[0]) / det;
      const double na = pa + da, nb = pb + db;
      const double trial = na > 0 && nb > 0 ? ab_cost(x, y, m, na, nb) : INFINITY;
      if (isfinite(trial) && trial <= cost) {
        const double change = fabs(da) / (fabs(pa) + 1e-12) + fabs(db) / (fabs(pb) + 1e-12);
        pa = na, pb = nb;
        improved = cost - trial > 1e-15 * cost && change > 1e-12;
        cost = trial;
        lambda = lambda / 10 > 1e-12 ? lambda / 10 : 1e-12;
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  if (!isfinite(pa) || !isfinite(pb) || pa <= 0 || pb <= 0) return -1;
  *a = pa, *b = pb;
  return 0;
}
