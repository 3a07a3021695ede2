// One 3x3 stride-1 convolution layer at batch 128, forward and backward (input and
// weight gradients), by oneDNN's direct kernels (with the reorders to and from NCHW
// that Atelier pays around them) and by Atelier's Winograd, taking turns; prints one
// markdown row of medians in milliseconds. Built and run by bench/conv_layers.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ckernel.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return v[n / 2];
}

static float *random_floats(long n, unsigned seed) {
  float *p = malloc(sizeof(float) * (size_t)n);
  srand(seed);
  for (long i = 0; p && i < n; i++) p[i] = (float)rand() / (float)RAND_MAX * 2 - 1;
  return p;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: layers C HW K RUNS\n");
    return 2;
  }
  const int C = atoi(argv[1]), HW = atoi(argv[2]), K = atoi(argv[3]), runs = atoi(argv[4]);
  atl_conv_shape s = {128, C, HW, HW, K, 3, 3, 1, 1, 1, 1, 0, 0};
  atl_conv_output(&s);
  const long in = (long)s.N * C * HW * HW, weights = (long)K * C * 9, out = (long)s.N * K * s.P * s.Q;
  float *x = random_floats(in, 1), *w = random_floats(weights, 2), *b = random_floats(K, 3);
  float *dy = random_floats(out, 4), *y = malloc(sizeof(float) * out), *dx = malloc(sizeof(float) * in);
  float *dw = malloc(sizeof(float) * weights), *db = malloc(sizeof(float) * K);
  if (!x || !w || !b || !dy || !y || !dx || !dw || !db || runs < 1 || runs > 100) return 1;
  double t[4][100];
  for (int r = -1; r < runs; r++) {  // the first round builds primitives and scratch
    double t0 = now();
    atl_conv2d_forward(&s, ATL_CONV_DNNL, x, w, b, y, NULL, 0);
    double t1 = now();
    atl_conv2d_backward(&s, ATL_CONV_DNNL, x, w, dy, NULL, dx, dw, db, 1);
    double t2 = now();
    if (atl_conv_winograd_forward(&s, x, w, b, y, 0) != 0) return 1;
    double t3 = now();
    if (atl_conv_winograd_backward(&s, x, w, dy, dx, dw, db) != 0) return 1;
    double t4 = now();
    if (r < 0) continue;
    t[0][r] = t1 - t0, t[1][r] = t2 - t1, t[2][r] = t3 - t2, t[3][r] = t4 - t3;
  }
  const double f0 = median(t[0], runs), b0 = median(t[1], runs);
  const double f1 = median(t[2], runs), b1 = median(t[3], runs);
  printf("| %d → %d, %dx%d | %.1f | %.1f | %.1f | %.1f | **%.2f** |\n", C, K, HW, HW, f0 * 1e3,
         f1 * 1e3, b0 * 1e3, b1 * 1e3, (f1 + b1) / (f0 + b0));
  return 0;
}
