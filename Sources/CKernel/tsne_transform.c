// New points placed into a finished t-SNE map, as openTSNE's TSNEEmbedding.transform: each
// new point's affinities to its nearest reference points at a low perplexity (rows summing
// to 1, not symmetrised), a start at the median of its 25 nearest reference points' places,
// then gradient descent that moves only the new points. The reference points repel from a
// grid made once (tsne_fft.c), each new point's repulsion normalised by its own sum, and the
// gradient of each point clipped to a norm of max_grad_norm.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"
#include "tsne_repulsion.h"

static int compare_floats(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

typedef struct {
  const int32_t *index;
  const float *p;
  int k;
  const float *reference_y;
  const float *y;
  double dof;
  double *attract;
} partial_attract_job;

static void attract_points(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const partial_attract_job *j = ctx;
  for (int64_t i = i0; i < i1; i++) {
    double ax = 0.0, ay = 0.0;
    for (int q = 0; q < j->k; q++) {
      const int32_t r = j->index[i * j->k + q];
      const double dx = j->y[2 * i] - j->reference_y[2 * r];
      const double dy = j->y[2 * i + 1] - j->reference_y[2 * r + 1];
      const double pw = j->p[i * j->k + q] * tsne_kernel_base(dx * dx + dy * dy, j->dof);
      ax += pw * dx, ay += pw * dy;
    }
    j->attract[2 * i] = ax, j->attract[2 * i + 1] = ay;
  }
}

int atl_tsne_transform(const float *reference_x, int64_t n_reference, const float *reference_y,
                       const float *query_x, int64_t n_query, int64_t d,
                       const atl_tsne_transform_options *o, float *y, atl_tsne_progress progress,
                       void *progress_ctx) {
  if (n_query < 1 || n_reference < 2 || o->perplexity <= 0) return -1;
  int k = (int)(3.0 * o->perplexity);
  const int start_k = n_reference < 25 ? (int)n_reference : 25;
  if (k > n_reference) k = (int)n_reference;
  if (k < 1) k = 1;
  const int search = k > start_k ? k : start_k;
  int32_t *index = malloc(sizeof(int32_t) * (size_t)(n_query * search));
  float *distance = malloc(sizeof(float) * (size_t)(n_query * search));
  int32_t *nearest = malloc(sizeof(int32_t) * (size_t)(n_query * k));
  float *nearest_distance = malloc(sizeof(float) * (size_t)(n_query * k));
  float *p = malloc(sizeof(float) * (size_t)(n_query * k));
  float *gains = malloc(sizeof(float) * (size_t)(n_query * 2));
  float *update = calloc((size_t)(n_query * 2), sizeof(float));
  double *attract = malloc(sizeof(double) * (size_t)(n_query * 2));
  double *force = malloc(sizeof(double) * (size_t)(n_query * 2));
  double *z_each = malloc(sizeof(double) * (size_t)n_query);
  float *column = malloc(sizeof(float) * (size_t)start_k);
  tsne_fft_state *grid = tsne_fft_create();
  int status = -2;
  if (!index || !distance || !nearest || !nearest_distance || !p || !gains || !update || !attract ||
      !force || !z_each || !column || !grid)
    goto done;
  status = atl_knn(reference_x, n_reference, query_x, n_query, d, search, 0, index, distance);
  if (status != 0) goto done;
  status = -2;
  for (int64_t i = 0; i < n_query; i++) {
    memcpy(nearest + i * k, index + i * search, sizeof(int32_t) * (size_t)k);
    memcpy(nearest_distance + i * k, distance + i * search, sizeof(float) * (size_t)k);
    for (int c = 0; c < 2; c++) {
      for (int q = 0; q < start_k; q++) column[q] = reference_y[2 * index[i * search + q] + c];
      qsort(column, (size_t)start_k, sizeof(float), compare_floats);
      y[2 * i + c] = start_k % 2 ? column[start_k / 2]
                                 : 0.5f * (column[start_k / 2 - 1] + column[start_k / 2]);
    }
  }
  tsne_calibrate(nearest_distance, n_query, k, o->perplexity, p);
  if (tsne_fft_prepare_reference(grid, reference_y, n_reference, o->dof) != 0) goto done;
  for (int64_t e = 0; e < 2 * n_query; e++) gains[e] = 1.0f;
  partial_attract_job aj = {nearest, p, k, reference_y, y, o->dof, attract};
  for (int iter = 0; iter < o->iterations; iter++) {
    if (tsne_fft_repulsion_from_reference(grid, y, n_query, force, z_each) != 0) goto done;
    atl_parallel_for(n_query, 256, attract_points, &aj);
    for (int64_t i = 0; i < n_query; i++) {
      double g[2];
      for (int c = 0; c < 2; c++)
        g[c] = o->exaggeration * attract[2 * i + c] - force[2 * i + c] / (z_each[i] + 1e-12);
      const double norm = sqrt(g[0] * g[0] + g[1] * g[1]);
      const double scale = norm > o->max_grad_norm ? o->max_grad_norm / norm : 1.0;
      for (int c = 0; c < 2; c++) {
        const int64_t e = 2 * i + c;
        const double grad = g[c] * scale;
        const int same = (grad > 0) == (update[e] > 0);
        gains[e] = same ? gains[e] * 0.8f : gains[e] + 0.2f;
        if (gains[e] < 0.01f) gains[e] = 0.01f;
        update[e] = (float)(o->momentum * update[e] - o->learning_rate * gains[e] * grad);
        y[e] += update[e];
      }
    }
    if (progress && ((iter + 1) % 50 == 0 || iter + 1 == o->iterations) &&
        progress(progress_ctx, iter + 1, NAN))
      break;
  }
  status = 0;
done:
  free(index), free(distance), free(nearest), free(nearest_distance), free(p), free(gains),
      free(update), free(attract), free(force), free(z_each), free(column);
  tsne_fft_destroy(grid);
  return status;
}
