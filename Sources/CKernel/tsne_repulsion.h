// The repulsive half of the t-SNE gradient, by Barnes-Hut (tsne_bh.c) or by FFT-accelerated
// interpolation (tsne_fft.c). With the kernel k(d) = (1 + d^2 / dof)^-dof, both return
//   force_i = sum_j k(d_ij) (1 + d_ij^2 / dof)^-1 (y_i - y_j)    and    z = sum_{i != j} k(d_ij),
// so that the repulsive gradient is 4 force_i / z. Scratch memory lives in the state and
// is reused between iterations.
#ifndef ATL_TSNE_REPULSION_H
#define ATL_TSNE_REPULSION_H

#include <math.h>
#include <stdint.h>

typedef struct tsne_bh_state tsne_bh_state;
typedef struct tsne_fft_state tsne_fft_state;

tsne_bh_state *tsne_bh_create(void);
void tsne_bh_destroy(tsne_bh_state *state);
// Returns 0, or -2 when out of memory.
int tsne_bh_repulsion(tsne_bh_state *state, const float *y, int64_t n, double theta, double dof,
                      double *force, double *z);

tsne_fft_state *tsne_fft_create(void);
void tsne_fft_destroy(tsne_fft_state *state);
int tsne_fft_repulsion(tsne_fft_state *state, const float *y, int64_t n, double dof, double *force,
                       double *z);
// The same sums over fixed reference points, seen from other points y: the grid is made
// once (with a quarter of the extent to spare around it), and each call reads it at y.
// z_each holds each point's own sum, which normalises its repulsion in openTSNE's transform.
int tsne_fft_prepare_reference(tsne_fft_state *state, const float *reference, int64_t n,
                               double dof);
int tsne_fft_repulsion_from_reference(tsne_fft_state *state, const float *y, int64_t n,
                                      double *force, double *z_each);

// Rows of k squared distances to conditional probabilities p_j|i of the given perplexity.
void tsne_calibrate(const float *distance, int64_t n, int64_t k, double perplexity, float *p);

// w = (1 + d2 / dof)^-1, and the t-SNE kernel w^dof; dof 1 is the Cauchy kernel.
static inline double tsne_kernel_base(double d2, double dof) { return 1.0 / (1.0 + d2 / dof); }
static inline double tsne_kernel(double w, double dof) { return dof == 1.0 ? w : pow(w, dof); }

#endif
