// FFT-accelerated interpolation of the t-SNE repulsion (Linderman et al. 2019, FIt-SNE;
// as openTSNE does it). The embedding's bounding square is cut into boxes with three
// equispaced interpolation nodes per box and axis; each point spreads its charges onto the
// nodes of its box by Lagrange interpolation, the nodes' potentials are one convolution
// with the kernel sampled on the grid (a Toeplitz product, done as a circular convolution
// of twice the size by FFTW), and each point reads its potentials back through the same
// interpolation. The cost is O(n) plus the FFTs, which depend on the embedding's extent
// (about one box per unit), not on n.
//
// With dof 1 one squared kernel w^2 serves both sums, because w = w^2 (1 + |y_i|^2 - 2 y_i.y_j
// + |y_j|^2): charges 1, y_x, y_y, |y|^2 give the force and z together (four convolutions).
// Other dofs convolve the charges 1, y_x, y_y with k w and the charge 1 with k.
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"
#include "tsne_repulsion.h"

enum { nodes_per_box = 3, terms = 4, min_boxes = 10, max_boxes = 256 };

typedef struct spread_job {
  const float *y;
  int64_t n;
  double low, box_width;
  struct tsne_fft_state *s;
  double dof;
} spread_job;

// Single precision: the grid's rounding (about 1e-6 of its largest value) stays far below
// the interpolation's own error (about 3e-2 of the force at one box per unit), and the
// transforms take half the time of double ones.
struct tsne_fft_state {
  int boxes, size;       // boxes per axis; the circular grid's side, 2 * 3 * boxes
  double box_width;      // of the kernel spectra held, to reuse them while it is unchanged
  int kernel_dof_holds;  // the spectra were made for this dof (a flag that they are valid)
  double kernel_dof;
  float *kernel_grid;
  fftwf_complex *kernel_spectrum[2];
  float *charges;          // terms * size * nodes: rows beyond the nodes are never used
  fftwf_complex *spectra;  // terms * size * (size / 2 + 1)
  fftwf_plan kernel_forward, rows_forward, columns_forward, columns_backward, rows_backward;
  double *phi;  // n * terms potentials at the points
  int64_t phi_capacity;
  struct spread_job reference_job;  // the grid of fixed reference points, for transform
};

tsne_fft_state *tsne_fft_create(void) { return calloc(1, sizeof(tsne_fft_state)); }

static void release_grid(tsne_fft_state *s) {
  fftwf_free(s->kernel_grid), s->kernel_grid = NULL;
  for (int k = 0; k < 2; k++) fftwf_free(s->kernel_spectrum[k]), s->kernel_spectrum[k] = NULL;
  fftwf_free(s->charges), fftwf_free(s->spectra);
  s->charges = NULL, s->spectra = NULL;
  fftwf_plan *plans[] = {&s->kernel_forward, &s->rows_forward, &s->columns_forward,
                         &s->columns_backward, &s->rows_backward};
  for (size_t p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
    if (*plans[p]) fftwf_destroy_plan(*plans[p]);
    *plans[p] = NULL;
  }
  s->size = s->boxes = 0;
  s->kernel_dof_holds = 0;
}

void tsne_fft_destroy(tsne_fft_state *s) {
  if (!s) return;
  release_grid(s);
  free(s->phi);
  free(s);
}

// FFTW is fastest on sizes whose prime factors are 2, 3, 5 and 7.
static int smooth_boxes(int boxes) {
  for (;; boxes++) {
    int m = boxes;
    for (int p = 2; p <= 7; p++)
      while (m % p == 0) m /= p;
    if (m == 1) return boxes;
  }
}

// The charges fill only the first half of the rows and columns of the doubled grid, so the
// forward transform runs along the filled rows only and then along every column; the
// backward one along every column and then the rows that are read. That is a quarter
// fewer one-dimensional transforms than a plain 2-D one.
//
// Plans are made with FFTW_ESTIMATE: measured plans differ from run to run, and with them
// the rounding, which would break repeatability for a seed.
static int prepare_grid(tsne_fft_state *s, int boxes) {
  if (s->boxes == boxes) return 0;
  release_grid(s);
  const int size = 2 * nodes_per_box * boxes, nodes = size / 2, half = size / 2 + 1;
  const size_t real = (size_t)size * size, complex = (size_t)size * half;
  s->kernel_grid = fftwf_alloc_real(real);
  for (int k = 0; k < 2; k++) s->kernel_spectrum[k] = fftwf_alloc_complex(complex);
  s->charges = fftwf_alloc_real((size_t)nodes * size * terms);
  s->spectra = fftwf_alloc_complex(complex * terms);
  if (!s->kernel_grid || !s->kernel_spectrum[0] || !s->kernel_spectrum[1] || !s->charges ||
      !s->spectra)
    return release_grid(s), -2;
  const int length[1] = {size};
  s->kernel_forward =
      fftwf_plan_dft_r2c_2d(size, size, s->kernel_grid, s->kernel_spectrum[0], FFTW_ESTIMATE);
  s->rows_forward = fftwf_plan_many_dft_r2c(1, length, nodes, s->charges, NULL, 1, size, s->spectra,
                                            NULL, 1, half, FFTW_ESTIMATE);
  s->columns_forward = fftwf_plan_many_dft(1, length, half, s->spectra, NULL, half, 1, s->spectra,
                                           NULL, half, 1, FFTW_FORWARD, FFTW_ESTIMATE);
  s->columns_backward = fftwf_plan_many_dft(1, length, half, s->spectra, NULL, half, 1, s->spectra,
                                            NULL, half, 1, FFTW_BACKWARD, FFTW_ESTIMATE);
  s->rows_backward = fftwf_plan_many_dft_c2r(1, length, nodes, s->spectra, NULL, 1, half,
                                             s->charges, NULL, 1, size, FFTW_ESTIMATE);
  if (!s->kernel_forward || !s->rows_forward || !s->columns_forward || !s->columns_backward ||
      !s->rows_backward)
    return release_grid(s), -2;
  s->boxes = boxes, s->size = size;
  return 0;
}

// The kernel at every node offset, laid out circularly (offset -d at size - d) and
// transformed; kept while the box width and dof stay the same.
static void kernel_spectra(tsne_fft_state *s, double box_width, double dof) {
  if (s->kernel_dof_holds && s->box_width == box_width && s->kernel_dof == dof) return;
  const int size = s->size, nodes = size / 2;
  const double spacing = box_width / nodes_per_box;
  for (int which = 0; which < (dof == 1.0 ? 1 : 2); which++) {
    const double power = which == 0 ? dof + 1.0 : dof;
    float *grid = s->kernel_grid;
    memset(grid, 0, sizeof(float) * (size_t)size * size);
    for (int a = 0; a < nodes; a++)
      for (int b = 0; b < nodes; b++) {
        const double d2 = spacing * spacing * ((double)a * a + (double)b * b);
        const float value = (float)pow(tsne_kernel_base(d2, dof), power);
        const int rows[2] = {a, a ? size - a : 0}, cols[2] = {b, b ? size - b : 0};
        for (int r = 0; r < 2; r++)
          for (int c = 0; c < 2; c++) grid[(size_t)rows[r] * size + cols[c]] = value;
      }
    fftwf_execute_dft_r2c(s->kernel_forward, grid, s->kernel_spectrum[which]);
  }
  s->box_width = box_width, s->kernel_dof = dof, s->kernel_dof_holds = 1;
}

// Lagrange weights of the three nodes of a box at relative position t in [0, 1].
static void lagrange(double t, double w[nodes_per_box]) {
  const double n0 = 1.0 / 6, n1 = 0.5, n2 = 5.0 / 6, h = 1.0 / 3;
  w[0] = (t - n1) * (t - n2) / (2 * h * h);
  w[1] = -(t - n0) * (t - n2) / (h * h);
  w[2] = (t - n0) * (t - n1) / (2 * h * h);
}

// A point's box along one axis and its three weights.
static int locate(double v, double low, double width, int boxes, double w[nodes_per_box]) {
  int box = (int)((v - low) / width);
  if (box >= boxes) box = boxes - 1;
  if (box < 0) box = 0;
  // A point off the grid (a new point placed beyond the map) reads the grid's edge.
  double t = (v - low) / width - box;
  t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
  lagrange(t, w);
  return box * nodes_per_box;
}

static double charge(int term, double x, double y, double dof) {
  switch (term) {
    case 0:
      return 1.0;
    case 1:
      return x;
    case 2:
      return y;
    default:
      return dof == 1.0 ? x * x + y * y : 1.0;
  }
}

// One term per piece: each charge grid is summed by one thread, in point order.
static void spread_and_convolve(void *ctx, int64_t t0, int64_t t1, int tid) {
  (void)tid;
  const spread_job *j = ctx;
  tsne_fft_state *s = j->s;
  const int size = s->size, nodes = size / 2, half = size / 2 + 1;
  const size_t real = (size_t)nodes * size, complex = (size_t)size * half;
  for (int64_t term = t0; term < t1; term++) {
    float *grid = s->charges + term * real;
    fftwf_complex *spectrum = s->spectra + term * complex;
    memset(grid, 0, sizeof(float) * real);
    for (int64_t i = 0; i < j->n; i++) {
      const double x = j->y[2 * i], y = j->y[2 * i + 1];
      double wx[nodes_per_box], wy[nodes_per_box];
      const int gx = locate(x, j->low, j->box_width, s->boxes, wx);
      const int gy = locate(y, j->low, j->box_width, s->boxes, wy);
      const double q = charge((int)term, x, y, j->dof);
      for (int a = 0; a < nodes_per_box; a++)
        for (int b = 0; b < nodes_per_box; b++)
          grid[(size_t)(gx + a) * size + gy + b] += (float)(wx[a] * wy[b] * q);
    }
    fftwf_execute_dft_r2c(s->rows_forward, grid, spectrum);
    memset(spectrum + (size_t)nodes * half, 0,
           sizeof(fftwf_complex) * (size_t)(size - nodes) * half);
    fftwf_execute_dft(s->columns_forward, spectrum, spectrum);
    const fftwf_complex *kernel = s->kernel_spectrum[term == 3 && j->dof != 1.0];
    const float scale = 1.0f / ((float)size * (float)size);
    for (size_t e = 0; e < complex; e++) {
      const float re = spectrum[e][0] * kernel[e][0] - spectrum[e][1] * kernel[e][1];
      const float im = spectrum[e][0] * kernel[e][1] + spectrum[e][1] * kernel[e][0];
      spectrum[e][0] = re * scale, spectrum[e][1] = im * scale;
    }
    fftwf_execute_dft(s->columns_backward, spectrum, spectrum);
    fftwf_execute_dft_c2r(s->rows_backward, spectrum, grid);
  }
}

static void gather_potentials(void *ctx, int64_t i0, int64_t i1, int tid) {
  (void)tid;
  const spread_job *j = ctx;
  const tsne_fft_state *s = j->s;
  const int size = s->size;
  const size_t real = (size_t)(size / 2) * size;
  for (int64_t i = i0; i < i1; i++) {
    double wx[nodes_per_box], wy[nodes_per_box];
    const int gx = locate(j->y[2 * i], j->low, j->box_width, s->boxes, wx);
    const int gy = locate(j->y[2 * i + 1], j->low, j->box_width, s->boxes, wy);
    for (int term = 0; term < terms; term++) {
      const float *grid = s->charges + term * real;
      double phi = 0.0;
      for (int a = 0; a < nodes_per_box; a++)
        for (int b = 0; b < nodes_per_box; b++)
          phi += wx[a] * wy[b] * grid[(size_t)(gx + a) * size + gy + b];
      s->phi[i * terms + term] = phi;
    }
  }
}

// Spreads the charges of y over a grid around them (widened by `padding` times the extent
// on every side) and convolves them: the grid then holds the potentials of y anywhere.
static int spread(tsne_fft_state *s, const float *y, int64_t n, double dof, double padding,
                  spread_job *job) {
  double low = INFINITY, high = -INFINITY;
  for (int64_t i = 0; i < 2 * n; i++) low = fmin(low, y[i]), high = fmax(high, y[i]);
  const double margin = padding * (high - low);
  low -= margin, high += margin;
  // Boxes one unit wide while that takes between min_boxes and max_boxes of them, so that
  // the kernel's spectra change only when the grid grows.
  // The count is bounded while it is a double: a map that diverged to infinity gets the
  // largest grid (and non-finite sums) rather than a count beyond int's range.
  const double extent = fmax(high - low, 1e-6), wanted = ceil(extent);
  int boxes;
  double box_width = 1.0;
  if (wanted < min_boxes || wanted > max_boxes) {
    boxes = wanted < min_boxes ? min_boxes : max_boxes;
    box_width = extent / boxes * (1.0 + 1e-9);
  } else {
    boxes = smooth_boxes((int)wanted);
  }
  if (prepare_grid(s, boxes) != 0) return -2;
  kernel_spectra(s, box_width, dof);
  *job = (spread_job){y, n, low, box_width, s, dof};
  atl_parallel_for(terms, 1, spread_and_convolve, job);
  return 0;
}

// The potentials at the points q (n), from the grid `spread` left, into s->phi.
static int gather(tsne_fft_state *s, spread_job *job, const float *q, int64_t n) {
  if (s->phi_capacity < n) {
    free(s->phi);
    s->phi = malloc(sizeof(double) * (size_t)n * terms);
    s->phi_capacity = s->phi ? n : 0;
    if (!s->phi) return -2;
  }
  spread_job at = *job;
  at.y = q, at.n = n;
  atl_parallel_for(n, 1024, gather_potentials, &at);
  return 0;
}

// Each point's force and kernel sum (into z_each when given) from its potentials; returns
// the kernel sums' total.
static double read_potentials(const tsne_fft_state *s, const float *y, int64_t n, double dof,
                              double *force, double *z_each) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const double *phi = s->phi + i * terms;
    const double x = y[2 * i], v = y[2 * i + 1];
    const double sum =
        dof == 1.0 ? (1.0 + x * x + v * v) * phi[0] - 2.0 * (x * phi[1] + v * phi[2]) + phi[3]
                   : phi[3];
    total += sum;
    if (z_each) z_each[i] = sum;
    force[2 * i] = x * phi[0] - phi[1];
    force[2 * i + 1] = v * phi[0] - phi[2];
  }
  return total;
}

int tsne_fft_repulsion(tsne_fft_state *s, const float *y, int64_t n, double dof, double *force,
                       double *z) {
  spread_job job;
  if (spread(s, y, n, dof, 0.0, &job) != 0 || gather(s, &job, y, n) != 0) return -2;
  *z = read_potentials(s, y, n, dof, force, NULL) - (double)n;
  return 0;
}

int tsne_fft_prepare_reference(tsne_fft_state *s, const float *reference, int64_t n, double dof) {
  spread_job job;
  if (spread(s, reference, n, dof, 0.25, &job) != 0) return -2;
  s->reference_job = job;
  return 0;
}

int tsne_fft_repulsion_from_reference(tsne_fft_state *s, const float *y, int64_t n, double *force,
                                      double *z_each) {
  if (gather(s, &s->reference_job, y, n) != 0) return -2;
  read_potentials(s, y, n, s->reference_job.dof, force, z_each);
  return 0;
}
