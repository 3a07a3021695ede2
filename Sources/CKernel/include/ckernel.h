// Atelier's native tensor kernel: float32, contiguous, NCHW.
// Every op is a plain function over raw pointers; parallel loops run on one
// process-wide thread pool (pool_threads.c). OpenBLAS is kept single-threaded
// so that the pool owns the cores and nothing is oversubscribed.
#ifndef ATELIER_CKERNEL_H
#define ATELIER_CKERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- thread pool (pool_threads.c) ----
typedef void (*atl_range_fn)(void *ctx, int64_t begin, int64_t end, int tid);
// Pool size: ATELIER_THREADS or the number of online CPUs. Safe to call often.
int atl_threads(void);
// Splits [0, n) into at most atl_threads() contiguous pieces, one per thread;
// piece i runs with tid i. Runs inline when n < grain or when called from a
// pool thread (no nested parallelism).
void atl_parallel_for(int64_t n, int64_t grain, atl_range_fn fn, void *ctx);

// ---- instruction set (isa.c): ATELIER_ISA=avx2 caps every library at AVX2 ----
// The OPENBLAS_CORETYPE the process must restart with, or NULL when OpenBLAS's own
// choice fits the CPU and ATELIER_ISA.
const char *atl_openblas_core_to_force(void);
// Applies ATELIER_ISA to oneDNN; called once before the first convolution.
void atl_isa_configure(void);
// One line naming the code paths in use, for `atelier --version` and the benches.
const char *atl_isa_summary(void);

// ---- memory ----
float *atl_alloc(int64_t count);                // 64-byte aligned, zeroed
float *atl_alloc_uninitialized(int64_t count);  // 64-byte aligned, contents undefined
void atl_free(float *p);
// Returns the blocks kept for reuse to the system: called between phases (after
// fit, before evaluation) so that each phase's peak memory is its own (memory.c).
void atl_release_cached_memory(void);
// This thread's scratch of at least `count` floats, contents undefined, kept and reused
// by later calls on the thread; NULL when out of memory.
float *atl_thread_scratch(int64_t count);

// ---- random numbers (rng.c): xoshiro256** ----
typedef struct {
  uint64_t s[4];
} atl_rng;
void atl_rng_seed(atl_rng *rng, uint64_t seed);
uint64_t atl_rng_next(atl_rng *rng);
double atl_rng_double(atl_rng *rng);  // [0, 1)
void atl_rng_uniform(atl_rng *rng, float *out, int64_t n, float lo, float hi);
void atl_rng_normal(atl_rng *rng, float *out, int64_t n, float mean, float std);

// ---- GEMM (gemm.c): row-major C = alpha * op(A) op(B) + beta * C ----
void atl_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
               int64_t ldc);
// Who runs atl_sgemm: oneDNN's sgemm where its kernels are AVX2 ones (10-30%
// faster than OpenBLAS's on the shapes of a training step, several times on a few
// rows), OpenBLAS where they are AVX-512 ones; ATELIER_GEMM=openblas|onednn or
// set here overrides.
enum { ATL_GEMM_OPENBLAS = 0, ATL_GEMM_DNNL = 1 };
int atl_gemm_engine(void);
void atl_gemm_set_engine(int engine);

// ---- dense (dense.c) ----
// x (B,I), w (O,I), b (O) -> y (B,O)
void atl_dense_forward(const float *x, const float *w, const float *b, float *y, int64_t batch,
                       int64_t in_features, int64_t out_features);
// dy (B,O) -> dx (B,I), dw (O,I) and db (O), each overwritten and nullable
void atl_dense_backward(const float *x, const float *w, const float *dy, float *dx, float *dw,
                        float *db, int64_t batch, int64_t in_features, int64_t out_features);

// ---- conv (conv.c) ----
typedef struct {
  int N, C, H, W;  // input
  int K, R, S;     // filters
  int stride_h, stride_w, pad_h, pad_w;
  int P, Q;  // output height and width
} atl_conv_shape;
// Fills P and Q; returns 0, or -1 when the output would be empty.
int atl_conv_output(atl_conv_shape *s);
// Size of the im2col buffer forward can keep for backward: N * C*R*S * P*Q floats.
int64_t atl_conv_cols_size(const atl_conv_shape *s);
// The transposed convolution of x (N, K, P, Q) with w (K, C, R, S), adding into
// out (N, C, H, W), which must be zeroed: conv's input gradient with x as dout.
void atl_conv2d_transpose(const atl_conv_shape *s, const float *x, const float *w, float *out);
// The reference path, im2col + GEMM. in (N,C,H,W), w (K,C,R,S), b (K) nullable
// -> out (N,K,P,Q); when `cols` is not NULL it receives the unfolded input for
// backward.
void atl_conv2d_forward_im2col(const atl_conv_shape *s, const float *in, const float *w,
                               const float *b, float *out, float *cols);
// dout (N,K,P,Q) -> din (N,C,H,W) (nullable), dw (K,C,R,S) and db (K, nullable),
// all overwritten; `cols` from forward, or NULL to recompute
void atl_conv2d_backward_im2col(const atl_conv_shape *s, const float *in, const float *w,
                                const float *dout, const float *cols, float *din, float *dw,
                                float *db);

// The same through oneDNN (conv_dnnl.c); each returns 0, or -1 when oneDNN
// cannot run the shape. `saved` (nullable) keeps forward's reordered input.
int atl_conv_dnnl_supports(const atl_conv_shape *s, int has_bias);
int64_t atl_conv_dnnl_saved_size(const atl_conv_shape *s, int has_bias);
int atl_conv_dnnl_forward(const atl_conv_shape *s, const float *in, const float *w, const float *b,
                          float *out, float *saved, int relu);
int atl_conv_dnnl_backward(const atl_conv_shape *s, const float *in, const float *w,
                           const float *dout, const float *saved, float *din, float *dw, float *db,
                           int has_bias);

// 3x3 stride-1 convolutions (pad <= 2) by Winograd F(4x4, 3x3) or F(6x6, 3x3) on
// AVX2 (conv_winograd.c); each returns 0, or -1 when the shape does not fit or memory
// runs out. Nothing is kept between forward and backward. The _tiles forms take the
// output tile's side, 4 or 6 (0: the one that pays for the shape).
int atl_conv_winograd_supports(const atl_conv_shape *s);
int atl_conv_winograd_forward(const atl_conv_shape *s, const float *in, const float *w,
                              const float *b, float *out, int relu);
int atl_conv_winograd_backward(const atl_conv_shape *s, const float *in, const float *w,
                               const float *dout, float *din, float *dw, float *db);
int atl_conv_winograd_forward_tiles(const atl_conv_shape *s, int tile, const float *in,
                                    const float *w, const float *b, float *out, int relu);
int atl_conv_winograd_backward_tiles(const atl_conv_shape *s, int tile, const float *in,
                                     const float *w, const float *dout, float *din, float *dw,
                                     float *db);
// Direct convolutions for layers with few input channels (conv_direct.c), any
// kernel size, stride and padding; each returns 0, or -1 when the shape does not
// fit or memory runs out. Nothing is kept between forward and backward.
int atl_conv_direct_supports(const atl_conv_shape *s);
int atl_conv_direct_forward(const atl_conv_shape *s, const float *in, const float *w,
                            const float *b, float *out, int relu);
int atl_conv_direct_backward(const atl_conv_shape *s, const float *in, const float *w,
                             const float *dout, float *din, float *dw, float *db);
// Whether the forward pass runs 16-pixel AVX-512 vectors (CPUs that have them, unless
// ATELIER_ISA=avx2); set 0 for 8-pixel AVX2 vectors, 1 for AVX-512 where there is any.
int atl_conv_direct_wide(void);
void atl_conv_direct_set_wide(int wide);
// Whether oneDNN runs Winograd kernels of its own on this CPU (AVX-512 only).
int atl_dnnl_has_winograd(void);
// Whether oneDNN's JIT kernels are AVX-512 ones (the CPU's and ATELIER_ISA's choice).
int atl_dnnl_isa_is_avx512(void);

// Frees the reorder buffers shared by oneDNN convolutions (kept between calls).
void atl_conv_release_scratch(void);

// The engine convolutions use: oneDNN, with Atelier's Winograd for the 3x3
// stride-1 shapes where oneDNN has none and Atelier's direct kernel for layers of
// one to three input channels, unless ATELIER_CONV=im2col|dnnl|winograd|direct or
// set here (winograd or direct: on every shape it takes, oneDNN for the rest).
enum { ATL_CONV_IM2COL = 0, ATL_CONV_DNNL = 1, ATL_CONV_WINOGRAD = 2, ATL_CONV_DIRECT = 3 };
int atl_conv_engine(void);
void atl_conv_set_engine(int engine);
// Whether the automatic choice may take Atelier's Winograd or direct kernel
// (ATELIER_WINOGRAD=0 and ATELIER_DIRECT=0 hand those shapes back to oneDNN).
int atl_conv_winograd_enabled(void);
int atl_conv_direct_enabled(void);
// The engine a convolution of this shape will run on, and the floats forward
// keeps for backward there (the unfolded input, or oneDNN's reordered input).
int atl_conv_engine_for(const atl_conv_shape *s, int has_bias);
int64_t atl_conv_saved_size(const atl_conv_shape *s, int has_bias, int engine);
// Forward on `engine`, falling back to im2col; returns the engine that ran, whose
// value backward must be given (a fallback leaves `saved` unused). With `relu`
// the output is max(conv, 0), fused into oneDNN's kernel where it can be.
int atl_conv2d_forward(const atl_conv_shape *s, int engine, const float *in, const float *w,
                       const float *b, float *out, float *saved, int relu);
// Backward of a forward that ran on `engine` with `saved`: din (nullable), dw and
// db (nullable) overwritten; has_bias says whether forward had a bias.
void atl_conv2d_backward(const atl_conv_shape *s, int engine, const float *in, const float *w,
                         const float *dout, const float *saved, float *din, float *dw, float *db,
                         int has_bias);

// ---- resizing and padding (resize.c) ----
// Bilinear resize of (N*C) planes H x W -> P x Q, align_corners = false (PyTorch's default)
void atl_resize_bilinear(const float *in, int64_t planes, int H, int W, float *out, int P, int Q);
// The adjoint: dout (planes, P, Q) -> din (planes, H, W), overwritten
void atl_resize_bilinear_backward(const float *dout, int64_t planes, int H, int W, float *din,
                                  int P, int Q);
// Zero padding of planes H x W by top/left/bottom/right -> (H+t+b) x (W+l+r)
void atl_pad_planes(const float *in, int64_t planes, int H, int W, int top, int left, int bottom,
                    int right, float *out);
// The adjoint: crops the gradient back to H x W
void atl_pad_planes_backward(const float *dout, int64_t planes, int H, int W, int top, int left,
                             int bottom, int right, float *din);

// ---- pooling (pool.c) ----
typedef struct {
  int N, C, H, W;
  int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
  int P, Q;
} atl_pool_shape;
int atl_pool_output(atl_pool_shape *s);
// in (N,C,H,W) -> out (N,C,P,Q); argmax (N,C,P,Q) holds the flat index within
// each input plane of the winner (-1 when the window is all padding); argmax NULL
// drops the winners (no backward to come). Returns -1 when out of memory.
int atl_maxpool_forward(const atl_pool_shape *s, const float *in, float *out, int32_t *argmax);
// dout (N,C,P,Q) -> din (N,C,H,W) overwritten. With relu_out, the pooled output of a
// ReLU's output, windows whose maximum is not positive pass nothing: the ReLU's
// backward mask applied on the pooled values, a fraction of the ReLU's own.
void atl_maxpool_backward(const atl_pool_shape *s, const float *dout, const int32_t *argmax,
                          const float *relu_out, float *din);
// Average pooling; padding counts towards the divisor (PyTorch's count_include_pad)
void atl_avgpool_forward(const atl_pool_shape *s, const float *in, float *out);
void atl_avgpool_backward(const atl_pool_shape *s, const float *dout, float *din);

// ---- elementwise and reductions (elementwise.c) ----
void atl_relu_forward(const float *x, float *y, int64_t n);
// dx = dy where x > 0 else 0
void atl_relu_backward(const float *x, const float *dy, float *dx, int64_t n);
// y = max(a + b, 0), the same values as atl_add then atl_relu_forward
void atl_add_relu_forward(const float *a, const float *b, float *y, int64_t n);
// y (rows, cols) += b (cols)
void atl_bias_add(float *y, const float *b, int64_t rows, int64_t cols);
// y (N, C, S) += b (C) per channel
void atl_channel_bias_add(float *y, const float *b, int64_t N, int64_t C, int64_t S);
// out (C) += sums of x (N, C, S) per channel
void atl_channel_sums(const float *x, int64_t N, int64_t C, int64_t S, float *out);
void atl_add(const float *a, const float *b, float *out, int64_t n);
void atl_scale(const float *x, float alpha, float *out, int64_t n);
void atl_axpy(float alpha, const float *x, float *y, int64_t n);  // y += alpha x
void atl_fill(float *x, float value, int64_t n);
double atl_sum(const float *x, int64_t n);
double atl_mean(const float *x, int64_t n);
// per-row argmax of x (rows, cols)
void atl_argmax_rows(const float *x, int64_t rows, int64_t cols, int32_t *out);
int atl_all_finite(const float *x, int64_t n);

// ---- broadcasting (broadcast.c) ----
enum { ATL_ADD = 0, ATL_SUB = 1, ATL_MUL = 2, ATL_DIV = 3 };
// out (shape, rank <= 16, contiguous) = a op b, where a and b are read through
// strides over `shape` (0 on broadcast dimensions)
void atl_broadcast_binary(int op, const float *a, const int64_t *a_strides, const float *b,
                          const int64_t *b_strides, float *out, const int64_t *shape, int rank);
// t[offset(index, t_strides)] += g[index] over `shape`: sums a gradient back to
// the shape of a broadcast operand
void atl_accumulate_broadcast(const float *g, const int64_t *shape, int rank,
                              const int64_t *t_strides, float *t);
// in (rows, cols) -> out (cols, rows)
void atl_transpose2d(const float *in, int64_t rows, int64_t cols, float *out);
// Output axis d is input axis axes[d] (rank at most 8); -1 for a bad rank.
int atl_permute(const float *in, int rank, const int64_t *shape, const int *axes, float *out);

// ---- activations (activation.c) ----
enum {
  ATL_LEAKY_RELU = 1,
  ATL_ELU,
  ATL_GELU,
  ATL_TANH,
  ATL_SIGMOID,
  ATL_EXP,
  ATL_LOG,
  ATL_SQRT,
  ATL_SQUARE,
  ATL_ABS
};
// y = f(x) elementwise; alpha is the slope of leaky ReLU and the scale of ELU
void atl_activation_forward(int kind, float alpha, const float *x, float *y, int64_t n);
// dx = dy * f'(x), computed from x and y = f(x)
void atl_activation_backward(int kind, float alpha, const float *x, const float *y, const float *dy,
                             float *dx, int64_t n);
// One row: p = softmax(z), max-shifted; returns log(sum(exp(z - top))) with top = max(z)
// stored in *top_out (nullable), the pieces a stable log-probability needs
double atl_softmax_row(const float *z, float *p, int64_t cols, float *top_out);
// x (rows, cols) -> y (rows, cols), each row a softmax
void atl_softmax_rows(const float *x, float *y, int64_t rows, int64_t cols);
void atl_softmax_rows_backward(const float *y, const float *dy, float *dx, int64_t rows,
                               int64_t cols);
// keep = 1/(1-p) where uniform >= p else 0 (inverted dropout)
void atl_dropout_mask(const float *uniform, float p, float *keep, int64_t n);

// ---- batch normalisation (norm.c): x (N, C, S), statistics per channel ----
// mean and biased variance of each channel over N and S
void atl_batchnorm_stats(const float *x, int64_t N, int64_t C, int64_t S, float *mean, float *var);
// y = gamma * (x - mean) * inv_std + beta, then max(y, 0) with `relu`
void atl_batchnorm_apply(const float *x, const float *mean, const float *inv_std,
                         const float *gamma, const float *beta, int64_t N, int64_t C, int64_t S,
                         float *y, int relu);
// gradients of a training-mode batch norm of input x, from the mean and inv_std the
// forward pass used (its normalised input is recomputed, not stored); dx (nullable)
// overwritten, dgamma and dbeta (nullable) accumulated; relu_out (nullable) is the
// output of a fused ReLU, whose zeros stop the gradient
void atl_batchnorm_backward(const float *dy, const float *x, const float *mean,
                            const float *inv_std, const float *gamma, int64_t N, int64_t C,
                            int64_t S, float *dx, float *dgamma, float *dbeta,
                            const float *relu_out);

// ---- losses (loss.c) ----
// logits (B,C), labels (B) -> probs (B,C); returns the mean cross-entropy, with
// label smoothing e in [0, 1) as PyTorch's. Labels outside [0, C) return NaN.
double atl_softmax_xent_forward(const float *logits, const int32_t *labels, float *probs, int64_t B,
                                int64_t C, float smoothing);
// dlogits = (probs - smoothed onehot(labels)) * scale; scale is dloss / B for a mean
void atl_softmax_xent_backward(const float *probs, const int32_t *labels, float *dlogits, int64_t B,
                               int64_t C, float scale, float smoothing);
// Binary cross-entropy summed over n values: p are probabilities (log clamped at -100,
// as PyTorch) or, with from_logits, logits (stable form); t are targets in [0, 1]
double atl_bce_forward(const float *p, const float *t, int64_t n, int from_logits);
void atl_bce_backward(const float *p, const float *t, float *dp, int64_t n, int from_logits,
                      float scale);
// Squared error summed over n values; da = 2 (a - b) scale
double atl_mse_forward(const float *a, const float *b, int64_t n);
void atl_mse_backward(const float *a, const float *b, float *da, int64_t n, float scale);
// KL(N(mu, exp(logvar)) || N(0, 1)) summed over n values
double atl_gaussian_kl_forward(const float *mu, const float *logvar, int64_t n);
void atl_gaussian_kl_backward(const float *mu, const float *logvar, float *dmu, float *dlogvar,
                              int64_t n, float scale);

// ---- optimizers (optim.c) ----
// PyTorch's SGD: g += wd w; v = momentum v + g (v = g at step 1); w -= lr v
void atl_sgd_update(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                    float weight_decay, int nesterov, int first_step);
// PyTorch's Adam (L2 weight decay added to the gradient); t counts from 1
void atl_adam_update(float *w, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
                     float beta2, float eps, float weight_decay, int64_t t);
// PyTorch's AdamW: decoupled decay w -= lr * wd * w before the Adam step
void atl_adamw_update(float *w, const float *g, float *m, float *v, int64_t n, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int64_t t);
// PyTorch's RMSprop (no momentum, not centered): v = a v + (1-a) g^2; w -= lr g / (sqrt v + eps)
void atl_rmsprop_update(float *w, const float *g, float *v, int64_t n, float lr, float alpha,
                        float eps, float weight_decay);
// Sum of squares, for gradient-norm clipping
double atl_sum_squares(const float *x, int64_t n);
// Keras' kernel regularizers: g += 2 l2 w + l1 sign(w); returns l2 sum(w^2) + l1 sum(|w|)
double atl_regularize(const float *w, float *g, int64_t n, float l1, float l2);

// ---- analysis (analysis.c, tsne.c) ----
// PCA of x (n, d): column means, the sample covariance's total variance (its trace), and
// its k largest eigenvalues (ascending) with their eigenvectors (the columns of the
// row-major d x k matrix). Returns 0, ATL_INTERRUPTED when Ctrl-C was pressed while the
// covariance was summed (the flag stays raised), -1 when out of memory, or LAPACK's status.
#define ATL_INTERRUPTED (-2)
int atl_pca(const float *x, int64_t n, int64_t d, int64_t k, double *mean, double *total_variance,
            double *eigenvalues, double *eigenvectors);

// Each row of x (rows, cols) to mean 0 and (population) standard deviation 1.
void atl_standardize_rows(const float *x, int64_t rows, int64_t cols, float *out);

// The k nearest rows of reference (n_reference, d) to each row of query (n_query, d) by
// squared euclidean distance, exactly: index and distance (n_query, k), each row sorted by
// ascending distance. exclude_self skips reference row i for query row i (query ==
// reference). Returns 0, -1 when k is out of range, -2 when out of memory.
int atl_knn(const float *reference, int64_t n_reference, const float *query, int64_t n_query,
            int64_t d, int k, int exclude_self, int32_t *index, float *distance);
// The same for query == reference, self excluded, approximately: random projection trees
// and NN-descent, repeatable for a seed whatever the thread count. Returns 0, -1 when k is
// out of range, -2 when out of memory.
int atl_knn_approx(const float *x, int64_t n, int64_t d, int k, uint64_t seed, int32_t *index,
                   float *distance);

typedef struct {
  double perplexity;
  int iterations;  // total, the exaggeration phase included
  int exaggeration_iterations;
  double exaggeration;
  double learning_rate;
  double theta;  // Barnes-Hut accuracy (0.5 as openTSNE)
  int method;    // ATL_TSNE_BARNES_HUT or ATL_TSNE_FFT
  // The kernel (1 + d^2 / dof)^-dof: 1 is the Cauchy kernel, smaller is heavier-tailed.
  double dof;
  int approximate_neighbors;  // atl_knn_approx (seeded by seed) instead of atl_knn
  uint64_t seed;
} atl_tsne_options;
#define ATL_TSNE_BARNES_HUT 0
#define ATL_TSNE_FFT 1
// Called every 50 iterations with the KL divergence; a non-zero return stops early.
typedef int (*atl_tsne_progress)(void *ctx, int iteration, double kl);
// x (n, d) -> y (n, 2), which holds the initial embedding on entry. Returns 0, or a
// negative number when n < 4 or memory runs out.
int atl_tsne(const float *x, int64_t n, int64_t d, float *y, const atl_tsne_options *o,
             atl_tsne_progress progress, void *progress_ctx);
typedef struct {
  double perplexity;     // 5 as openTSNE's transform
  int iterations;        // 250
  double learning_rate;  // 0.1
  double exaggeration;   // 1.5
  double momentum;       // 0.8
  double max_grad_norm;  // 0.25: each point's gradient is clipped to this norm
  double dof;            // the map's
} atl_tsne_transform_options;
// openTSNE's transform: new points query_x (n_query, d) placed into a finished map
// (reference_x (n_reference, d) laid out as reference_y (n_reference, 2)) without moving it;
// y (n_query, 2) receives them. progress is called every 50 iterations (kl is NaN). Returns
// 0, -1 for bad sizes, -2 when out of memory.
int atl_tsne_transform(const float *reference_x, int64_t n_reference, const float *reference_y,
                       const float *query_x, int64_t n_query, int64_t d,
                       const atl_tsne_transform_options *o, float *y, atl_tsne_progress progress,
                       void *progress_ctx);
// The repulsive sums of t-SNE's gradient for the embedding y (n, 2) by either method:
// force (n, 2) = sum_j k_ij w_ij (y_i - y_j) and z = sum_{i != j} k_ij, with
// w = (1 + d^2 / dof)^-1 and k = w^dof; the gradient's repulsion is 4 force / z.
int atl_tsne_repulsion(const float *y, int64_t n, int method, double theta, double dof,
                       double *force, double *z);

// ---- UMAP (umap_graph.c, umap_spectral.c, umap.c), as umap-learn 0.5 computes it ----
// k counts the point itself, as umap-learn's n_neighbors: each point has k - 1 neighbours.

// A sparse symmetric graph in CSR form, rows sorted by column; free with atl_umap_graph_free.
typedef struct {
  int64_t n, nnz;
  int64_t *row_start;  // n + 1
  int32_t *column;     // nnz
  float *weight;       // nnz
} atl_umap_graph;
void atl_umap_graph_free(atl_umap_graph *g);

// The k nearest rows of reference to each query row as metric distances: euclidean, or
// cosine (1 - cos, from the rows scaled to unit length; a zero row is at 0.5 from every
// other row). exclude_self as atl_knn; approximate (atl_knn_approx, seeded by seed) only when
// query is reference with self excluded. Returns atl_knn's status.
int atl_umap_knn(const float *reference, int64_t n_reference, const float *query, int64_t n_query,
                 int64_t d, int k, int exclude_self, int cosine, int approximate, uint64_t seed,
                 int32_t *index, float *distance);
// umap-learn's smooth_knn_dist on rows of k distances (ascending; column 0 the point itself
// when fitting): rho is the local_connectivity-th nonzero distance, sigma by 64 steps of
// binary search so that the sum over columns 1..k-1 of exp(-max(d - rho, 0) / sigma) is
// log2(k), then at least 1e-3 times the mean distance.
void atl_umap_smooth_knn(const float *distance, int64_t n, int k, double local_connectivity,
                         float *sigma, float *rho);
// umap-learn's compute_membership_strengths: exp(-(d - rho) / sigma), 1 within rho, and 0
// for a point's own entry when skip_self (fitting).
void atl_umap_memberships(const int32_t *index, const float *distance, int64_t n, int k,
                          const float *sigma, const float *rho, int skip_self, float *weight);
// The fuzzy union w + w^T - w * w^T of the (n, k) memberships, zeros dropped. Returns 0, or
// -2 when out of memory.
int atl_umap_fuzzy_union(const int32_t *index, const float *weight, int64_t n, int k,
                         atl_umap_graph *out);
// The fuzzy simplicial set of x (n, d): neighbours, smooth kNN, memberships, union.
int atl_umap_fuzzy_graph(const float *x, int64_t n, int64_t d, int k, int cosine, int approximate,
                         uint64_t seed, atl_umap_graph *out);
// umap-learn's find_ab_params: a, b of 1 / (1 + a x^2b) fitted by least squares
// (Levenberg-Marquardt) to 1 below min_dist and exp(-(x - min_dist) / spread) above, on 300
// points of [0, 3 spread]. Returns 0, or -1 when the fit fails.
int atl_umap_find_ab(double spread, double min_dist, double *a, double *b);

// Eigenvectors 2..dims+1 of the graph's normalised Laplacian I - D^-1/2 W D^-1/2 (columns
// of the row-major (n, dims) vectors, smallest eigenvalue first). Returns 0, 1 when the
// iteration did not converge, 2 when the graph is disconnected (the eigenvalue 0 repeats
// and the vectors would only say which component a point is in), -2 out of memory.
#define ATL_UMAP_NOT_CONVERGED 1
#define ATL_UMAP_DISCONNECTED 2
int atl_umap_spectral(const atl_umap_graph *g, int dims, uint64_t seed, double *vectors,
                      double *eigenvalues);

typedef struct {
  int k;       // neighbours, the point itself counted
  int cosine;  // 0: euclidean distance, 1: cosine
  int dims;
  double a, b;
  int epochs;
  double learning_rate;  // 1 as umap-learn; transform uses a quarter of it as umap-learn does
  int negative_samples;  // per positive sample, 5 as umap-learn
  uint64_t seed;
  int approximate_neighbors;  // atl_knn_approx instead of atl_knn for the fit's graph
} atl_umap_options;
// Called every 10 epochs and after the last; a non-zero return stops early.
typedef int (*atl_umap_progress)(void *ctx, int epoch, int epochs);
// x (n, d) -> y (n, dims). initialisation says where the layout started: 0 spectral, or
// ATL_UMAP_NOT_CONVERGED / ATL_UMAP_DISCONNECTED when it fell back to uniform random.
// Returns 0, -1 when k or n is out of range, -2 when out of memory.
int atl_umap(const float *x, int64_t n, int64_t d, const atl_umap_options *o, float *y,
             int *initialisation, atl_umap_progress progress, void *progress_ctx);
// umap-learn's transform: new points query (n_query, d) placed in the fitted embedding
// (reference (n_reference, d) laid out as reference_y): memberships to their k nearest
// reference points (local connectivity 0), a start at the membership-weighted mean of those
// points, then o->epochs epochs moving only the new points. Returns as atl_umap.
int atl_umap_transform(const float *reference, int64_t n_reference, const float *reference_y,
                       const float *query, int64_t n_query, int64_t d, const atl_umap_options *o,
                       float *y, atl_umap_progress progress, void *progress_ctx);

// ---- data (data.c) ----
void atl_u8_to_f32(const uint8_t *in, float *out, int64_t n, float scale);
// dst row i = src row idx[i]; rows of row_len floats
// dst row i = src row idx[i] (bytes) * scale
void atl_gather_u8_rows(const uint8_t *src, int64_t row_len, const int64_t *idx, int64_t n,
                        float scale, float *dst);
void atl_gather_rows(const float *src, int64_t row_len, const int64_t *idx, int64_t n, float *dst);
// Random-crop-and-flip augmentation: out[n] = in[n] flipped when flip[n], shifted by
// (dy[n], dx[n]) with zeros shifted in
void atl_augment_images(const float *in, float *out, int64_t N, int C, int H, int W,
                        const int32_t *flip, const int32_t *dy, const int32_t *dx);

// ---- interrupts (interrupt.c): SIGINT sets a flag long work polls ----
void atl_install_interrupt_handler(void);

int atl_interrupt_pending(void);
void atl_interrupt_clear(void);
void atl_interrupt_raise(void);
// How many interrupts were raised so far (never reset).
int atl_interrupt_count(void);

// ---- stack (stack.c) ----
// Bytes of stack left below the caller's frame on the calling thread.
int64_t atl_stack_remaining(void);

// ---- per-thread slot for the autograd tape that is recording (thread_tape.c) ----
void *atl_thread_tape(void);
void atl_set_thread_tape(void *tape);

#ifdef __cplusplus
}
#endif
#endif
