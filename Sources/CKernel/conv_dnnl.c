// Convolutions through oneDNN. Its JIT kernels run in a channel-blocked layout
// (nChw16c on AVX-512, nChw8c on AVX2) chosen by the library for each shape;
// Atelier's tensors stay NCHW, so each call reorders in and out. One entry per
// shape holds the primitives and the memory descriptors, built on first use.
//
// Forward keeps its reordered input in the caller's `saved` buffer so that the
// weight gradient reads it without a second reorder; everything else that lives
// only within one call sits in one grow-only scratch buffer.
//
// Every primitive takes its scratchpad from Atelier (user mode): the library's
// own scratchpad is per calling thread and is sized when the primitive is
// created, so a cached primitive run from another thread (a REPL worker, a
// kernel's execute thread, a test runner) wrote through a scratchpad that thread
// never allocated.
#include <dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ckernel.h"

typedef struct {
  dnnl_memory_desc_t md;     // the layout the primitive wants
  dnnl_primitive_t to_md;    // plain -> md, NULL when md is the plain layout
  dnnl_primitive_t from_md;  // md -> plain, NULL when md is the plain layout
} layout;

typedef struct conv_entry {
  atl_conv_shape s;
  int has_bias;
  int broken;  // oneDNN refused the shape: the caller falls back to im2col
  dnnl_primitive_t fwd, bwd_data, bwd_weights;
  dnnl_primitive_t fwd_relu;              // forward with a ReLU applied to its output, or NULL
  layout fwd_src, fwd_w, fwd_dst;         // forward
  layout bd_w, bd_diff_dst, bd_diff_src;  // backward data
  layout bw_src, bw_diff_dst, bw_diff_w;  // backward weights
  dnnl_memory_desc_t plain_src, plain_w, plain_dst, plain_bias;
  struct conv_entry *next;
} conv_entry;

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int dnnl_ready = -1;  // -1 unknown, 0 unusable, 1 ready
static conv_entry *entries;
// The scratch buffers are shared by every primitive; calls are rare and large,
// so one lock serialises them.
static pthread_mutex_t conv_lock = PTHREAD_MUTEX_INITIALIZER;
static char *scratch;
static size_t scratch_bytes;
static char *scratchpad;  // the primitives' own working memory
static size_t scratchpad_bytes;

static int dnnl_start(void) {
  if (dnnl_ready >= 0) return dnnl_ready;
  atl_threads();  // applies ATELIER_ISA before the first primitive
  dnnl_ready = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success &&
               dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) == dnnl_success;
  return dnnl_ready;
}

static size_t md_bytes(const dnnl_memory_desc_t *md) { return dnnl_memory_desc_get_size(md); }

// Attributes that give the scratchpad to the caller; NULL when oneDNN refuses.
static dnnl_primitive_attr_t user_scratchpad_attr(void) {
  dnnl_primitive_attr_t attr;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
  if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
    dnnl_primitive_attr_destroy(attr);
    return NULL;
  }
  return attr;
}

static dnnl_primitive_t reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to) {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t p = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad_attr();
  if (!attr) return NULL;
  if (dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, attr) == dnnl_success) {
    if (dnnl_primitive_create(&p, pd) != dnnl_success) p = NULL;
    dnnl_primitive_desc_destroy(pd);
  }
  dnnl_primitive_attr_destroy(attr);
  return p;
}

// Takes the primitive's layout for `what` and builds the reorders to and from plain.
static int take_layout(layout *l, dnnl_primitive_desc_t pd, dnnl_query_t what,
                       const dnnl_memory_desc_t *plain) {
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
  if (!md) return -1;
  l->md = *md;
  l->to_md = l->from_md = NULL;
  if (dnnl_memory_desc_equal(md, plain)) return 0;
  l->to_md = reorder(plain, md);
  l->from_md = reorder(md, plain);
  return l->to_md && l->from_md ? 0 : -1;
}

static void shape_dims(const atl_conv_shape *s, dnnl_dims_t src, dnnl_dims_t w, dnnl_dims_t dst,
                       dnnl_dims_t strides, dnnl_dims_t pad_l, dnnl_dims_t pad_r) {
  src[0] = s->N, src[1] = s->C, src[2] = s->H, src[3] = s->W;
  w[0] = s->K, w[1] = s->C, w[2] = s->R, w[3] = s->S;
  dst[0] = s->N, dst[1] = s->K, dst[2] = s->P, dst[3] = s->Q;
  strides[0] = s->stride_h, strides[1] = s->stride_w;
  pad_l[0] = s->pad_h, pad_l[1] = s->pad_w;
  // oneDNN wants the padding that makes the output exactly P x Q.
  pad_r[0] = (int64_t)(s->P - 1) * s->stride_h + s->R - s->H - s->pad_h;
  pad_r[1] = (int64_t)(s->Q - 1) * s->stride_w + s->S - s->W - s->pad_w;
}

// The forward primitive with ReLU as a post-op, when oneDNN gives it the same
// layouts as the plain forward (so that backward and the saved input still fit).
static dnnl_primitive_t forward_with_relu(const dnnl_convolution_desc_t *fd,
                                          dnnl_primitive_desc_t plain) {
  dnnl_post_ops_t ops;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_t p = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad_attr();
  if (!attr) return NULL;
  if (dnnl_post_ops_create(&ops) == dnnl_success) {
    if (dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
        dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success &&
        dnnl_primitive_desc_create(&pd, fd, attr, engine, NULL) == dnnl_success) {
      const dnnl_query_t same[] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md};
      int fits = 1;
      for (int i = 0; i < 3; i++)
        fits = fits && dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(pd, same[i], 0),
                                              dnnl_primitive_desc_query_md(plain, same[i], 0));
      if (!fits || dnnl_primitive_create(&p, pd) != dnnl_success) p = NULL;
      dnnl_primitive_desc_destroy(pd);
    }
    dnnl_post_ops_destroy(ops);
  }
  dnnl_primitive_attr_destroy(attr);
  return p;
}

static int build_entry(conv_entry *e, dnnl_alg_kind_t alg) {
  const atl_conv_shape *s = &e->s;
  dnnl_dims_t src_d, w_d, dst_d, strides, pad_l, pad_r, bias_d = {s->K};
  shape_dims(s, src_d, w_d, dst_d, strides, pad_l, pad_r);
  dnnl_memory_desc_t any_src, any_w, any_dst;
  dnnl_memory_desc_init_by_tag(&e->plain_src, 4, src_d, dnnl_f32, dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->plain_w, 4, w_d, dnnl_f32, dnnl_oihw);
  dnnl_memory_desc_init_by_tag(&e->plain_dst, 4, dst_d, dnnl_f32, dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->plain_bias, 1, bias_d, dnnl_f32, dnnl_x);
  dnnl_memory_desc_init_by_tag(&any_src, 4, src_d, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&any_w, 4, w_d, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&any_dst, 4, dst_d, dnnl_f32, dnnl_format_tag_any);
  const dnnl_memory_desc_t *bias = e->has_bias ? &e->plain_bias : NULL;

  dnnl_convolution_desc_t fd, bdd, bwd;
  dnnl_primitive_desc_t fpd = NULL, bdpd = NULL, bwpd = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad_attr();
  int ok =
      attr &&
      dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, alg, &any_src, &any_w, bias,
                                         &any_dst, strides, pad_l, pad_r) == dnnl_success &&
      dnnl_primitive_desc_create(&fpd, &fd, attr, engine, NULL) == dnnl_success;
  ok = ok &&
       dnnl_convolution_backward_data_desc_init(&bdd, alg, &any_src, &any_w, &any_dst, strides,
                                                pad_l, pad_r) == dnnl_success &&
       dnnl_primitive_desc_create(&bdpd, &bdd, attr, engine, fpd) == dnnl_success;
  ok = ok &&
       dnnl_convolution_backward_weights_desc_init(&bwd, alg, &any_src, &any_w, bias, &any_dst,
                                                   strides, pad_l, pad_r) == dnnl_success &&
       dnnl_primitive_desc_create(&bwpd, &bwd, attr, engine, fpd) == dnnl_success;
  if (attr) dnnl_primitive_attr_destroy(attr);
  ok = ok && take_layout(&e->fwd_src, fpd, dnnl_query_src_md, &e->plain_src) == 0 &&
       take_layout(&e->fwd_w, fpd, dnnl_query_weights_md, &e->plain_w) == 0 &&
       take_layout(&e->fwd_dst, fpd, dnnl_query_dst_md, &e->plain_dst) == 0 &&
       take_layout(&e->bd_w, bdpd, dnnl_query_weights_md, &e->plain_w) == 0 &&
       take_layout(&e->bd_diff_dst, bdpd, dnnl_query_diff_dst_md, &e->plain_dst) == 0 &&
       take_layout(&e->bd_diff_src, bdpd, dnnl_query_diff_src_md, &e->plain_src) == 0 &&
       take_layout(&e->bw_src, bwpd, dnnl_query_src_md, &e->plain_src) == 0 &&
       take_layout(&e->bw_diff_dst, bwpd, dnnl_query_diff_dst_md, &e->plain_dst) == 0 &&
       take_layout(&e->bw_diff_w, bwpd, dnnl_query_diff_weights_md, &e->plain_w) == 0;
  ok = ok && dnnl_primitive_create(&e->fwd, fpd) == dnnl_success &&
       dnnl_primitive_create(&e->bwd_data, bdpd) == dnnl_success &&
       dnnl_primitive_create(&e->bwd_weights, bwpd) == dnnl_success;
  if (ok) e->fwd_relu = forward_with_relu(&fd, fpd);
  if (fpd) dnnl_primitive_desc_destroy(fpd);
  if (bdpd) dnnl_primitive_desc_destroy(bdpd);
  if (bwpd) dnnl_primitive_desc_destroy(bwpd);
  return ok ? 0 : -1;
}

// Winograd F(4x4, 3x3) does a 3x3 stride-1 convolution in about a third of the
// multiplications; oneDNN has it for AVX-512 and whole blocks of 16 channels.
// Thin inputs (the first layer) run faster direct.
static int winograd_pays(const atl_conv_shape *s) {
  if (!atl_conv_winograd_enabled()) return 0;
  return s->R == 3 && s->S == 3 && s->stride_h == 1 && s->stride_w == 1 && s->C % 16 == 0 &&
         s->K % 16 == 0;
}

int atl_dnnl_has_winograd(void) { return dnnl_start() && atl_dnnl_isa_is_avx512(); }

static conv_entry *find_entry(const atl_conv_shape *s, int has_bias) {
  for (conv_entry *e = entries; e; e = e->next)
    if (!memcmp(&e->s, s, sizeof *s) && e->has_bias == has_bias) return e;
  conv_entry *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->s = *s;
  e->has_bias = has_bias;
  e->broken = 1;
  if (winograd_pays(s)) e->broken = build_entry(e, dnnl_convolution_winograd) != 0;
  if (e->broken) e->broken = build_entry(e, dnnl_convolution_direct) != 0;
  e->next = entries;
  entries = e;
  return e;
}

void atl_conv_release_scratch(void) {
  pthread_mutex_lock(&conv_lock);
  atl_free((float *)scratch);
  scratch = NULL;
  scratch_bytes = 0;
  atl_free((float *)scratchpad);
  scratchpad = NULL;
  scratchpad_bytes = 0;
  pthread_mutex_unlock(&conv_lock);
}

static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

// Runs a primitive (or a reorder) over (arg, pointer, descriptor) triples.
typedef struct {
  int arg;
  const dnnl_memory_desc_t *md;
  const void *data;
} binding;

// A grow-only buffer of at least `bytes`; NULL when out of memory.
static char *grown(char **buffer, size_t *capacity, size_t bytes) {
  if (bytes > *capacity) {
    atl_free((float *)*buffer);
    *capacity = 0;
    *buffer = (char *)atl_alloc_uninitialized((int64_t)(bytes / sizeof(float)) + 1);
    if (!*buffer) return NULL;
    *capacity = bytes;
  }
  return *buffer;
}

static char *scratch_of(size_t bytes) { return grown(&scratch, &scratch_bytes, bytes); }

// The scratchpad `p` asks for, from the grow-only buffer; NULL when out of memory.
static void *scratchpad_for(dnnl_primitive_t p, const dnnl_memory_desc_t **md) {
  const_dnnl_primitive_desc_t pd;
  *md = NULL;
  if (dnnl_primitive_get_primitive_desc(p, &pd) != dnnl_success) return NULL;
  *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  return grown(&scratchpad, &scratchpad_bytes, *md ? md_bytes(*md) : 0);
}

static int run(dnnl_primitive_t p, const binding *given, int n) {
  binding b[9];
  memcpy(b, given, sizeof *given * (size_t)n);
  const dnnl_memory_desc_t *pad_md;
  void *pad = scratchpad_for(p, &pad_md);
  if (pad_md && md_bytes(pad_md) > 0) {
    if (!pad) return -1;
    b[n++] = (binding){DNNL_ARG_SCRATCHPAD, pad_md, pad};
  }
  dnnl_exec_arg_t args[9];
  dnnl_memory_t mems[9];
  int made = 0, ok = 1;
  for (; made < n; made++) {
    if (dnnl_memory_create(&mems[made], b[made].md, engine, (void *)b[made].data) != dnnl_success) {
      ok = 0;
      break;
    }
    args[made].arg = b[made].arg;
    args[made].memory = mems[made];
  }
  ok = ok && dnnl_primitive_execute(p, stream, n, args) == dnnl_success &&
       dnnl_stream_wait(stream) == dnnl_success;
  for (int i = 0; i < made; i++) dnnl_memory_destroy(mems[i]);
  return ok ? 0 : -1;
}

// Brings plain data into layout `l`, into `buffer` when a reorder is needed.
static const void *into(const layout *l, const dnnl_memory_desc_t *plain, const void *data,
                        void *buffer) {
  if (!l->to_md) return data;
  binding b[] = {{DNNL_ARG_FROM, plain, data}, {DNNL_ARG_TO, &l->md, buffer}};
  return run(l->to_md, b, 2) == 0 ? buffer : NULL;
}

static int out_of(const layout *l, const dnnl_memory_desc_t *plain, const void *data, void *dst) {
  if (!l->from_md) return data == dst ? 0 : (memcpy(dst, data, md_bytes(plain)), 0);
  binding b[] = {{DNNL_ARG_FROM, &l->md, data}, {DNNL_ARG_TO, plain, dst}};
  return run(l->from_md, b, 2);
}

static conv_entry *usable_entry(const atl_conv_shape *s, int has_bias) {
  if (!dnnl_start()) return NULL;
  conv_entry *e = find_entry(s, has_bias);
  return e && !e->broken ? e : NULL;
}

int atl_conv_dnnl_supports(const atl_conv_shape *s, int has_bias) {
  pthread_mutex_lock(&conv_lock);
  int ok = usable_entry(s, has_bias) != NULL;
  pthread_mutex_unlock(&conv_lock);
  return ok;
}

int64_t atl_conv_dnnl_saved_size(const atl_conv_shape *s, int has_bias) {
  pthread_mutex_lock(&conv_lock);
  conv_entry *e = usable_entry(s, has_bias);
  int64_t floats = e && e->fwd_src.to_md ? (int64_t)(md_bytes(&e->fwd_src.md) / sizeof(float)) : 0;
  pthread_mutex_unlock(&conv_lock);
  return floats;
}

int atl_conv_dnnl_forward(const atl_conv_shape *s, const float *in, const float *w, const float *b,
                          float *out, float *saved, int relu) {
  pthread_mutex_lock(&conv_lock);
  int status = -1;
  conv_entry *e = usable_entry(s, b != NULL);
  if (!e) goto done;
  size_t src_bytes = e->fwd_src.to_md && !saved ? round64(md_bytes(&e->fwd_src.md)) : 0;
  size_t w_bytes = round64(md_bytes(&e->fwd_w.md)), dst_bytes = round64(md_bytes(&e->fwd_dst.md));
  char *work = scratch_of(src_bytes + w_bytes + dst_bytes);
  if (!work) goto done;
  const void *src = into(&e->fwd_src, &e->plain_src, in, saved ? (void *)saved : work);
  const void *wi = into(&e->fwd_w, &e->plain_w, w, work + src_bytes);
  void *dst = e->fwd_dst.from_md ? (void *)(work + src_bytes + w_bytes) : (void *)out;
  if (!src || !wi) goto done;
  binding args[] = {{DNNL_ARG_SRC, &e->fwd_src.md, src},
                    {DNNL_ARG_WEIGHTS, &e->fwd_w.md, wi},
                    {DNNL_ARG_DST, &e->fwd_dst.md, dst},
                    {DNNL_ARG_BIAS, &e->plain_bias, b}};
  dnnl_primitive_t conv = relu && e->fwd_relu ? e->fwd_relu : e->fwd;
  if (run(conv, args, b ? 4 : 3) != 0 || out_of(&e->fwd_dst, &e->plain_dst, dst, out) != 0)
    goto done;
  if (relu && !e->fwd_relu) atl_relu_forward(out, out, (int64_t)s->N * s->K * s->P * s->Q);
  status = 0;
done:
  pthread_mutex_unlock(&conv_lock);
  return status;
}

int atl_conv_dnnl_backward(const atl_conv_shape *s, const float *in, const float *w,
                           const float *dout, const float *saved, float *din, float *dw, float *db,
                           int has_bias) {
  pthread_mutex_lock(&conv_lock);
  int status = -1;
  conv_entry *e = usable_entry(s, has_bias);
  if (!e) goto done;
  // One buffer, carved: weights and output gradient for backward data, its input
  // gradient, the input and output gradient for backward weights, its weight
  // gradient, and a bias gradient the caller may not want.
  size_t sizes[] = {
      e->bd_w.to_md && din ? md_bytes(&e->bd_w.md) : 0,
      e->bd_diff_dst.to_md && din ? md_bytes(&e->bd_diff_dst.md) : 0,
      e->bd_diff_src.from_md && din ? md_bytes(&e->bd_diff_src.md) : 0,
      e->bw_src.to_md ? md_bytes(&e->bw_src.md) : 0,
      e->bw_diff_dst.to_md ? md_bytes(&e->bw_diff_dst.md) : 0,
      e->bw_diff_w.from_md ? md_bytes(&e->bw_diff_w.md) : 0,
      has_bias ? (size_t)s->K * sizeof(float) : 0,
  };
  char *part[7];
  size_t total = 0;
  for (int i = 0; i < 7; i++) total += round64(sizes[i]);
  char *work = scratch_of(total);
  if (!work) goto done;
  for (int i = 0, at = 0; i < 7; at += (int)round64(sizes[i]), i++) part[i] = work + at;

  const void *bw_diff_dst = into(&e->bw_diff_dst, &e->plain_dst, dout, part[4]);
  if (!bw_diff_dst) goto done;
  if (din) {
    const void *wi = into(&e->bd_w, &e->plain_w, w, part[0]);
    // Backward data usually wants the same layout as backward weights: reorder once.
    const void *ddst = dnnl_memory_desc_equal(&e->bd_diff_dst.md, &e->bw_diff_dst.md)
                           ? bw_diff_dst
                           : into(&e->bd_diff_dst, &e->plain_dst, dout, part[1]);
    void *dsrc = e->bd_diff_src.from_md ? (void *)part[2] : (void *)din;
    if (!wi || !ddst) goto done;
    binding args[] = {{DNNL_ARG_DIFF_DST, &e->bd_diff_dst.md, ddst},
                      {DNNL_ARG_WEIGHTS, &e->bd_w.md, wi},
                      {DNNL_ARG_DIFF_SRC, &e->bd_diff_src.md, dsrc}};
    if (run(e->bwd_data, args, 3) != 0 || out_of(&e->bd_diff_src, &e->plain_src, dsrc, din) != 0)
      goto done;
  }
  // The input as forward saved it in its layout, when that is the layout wanted here.
  const void *src = saved && dnnl_memory_desc_equal(&e->bw_src.md, &e->fwd_src.md)
                        ? (const void *)saved
                        : into(&e->bw_src, &e->plain_src, in, part[3]);
  void *dwi = e->bw_diff_w.from_md ? (void *)part[5] : (void *)dw;
  void *dbi = db ? (void *)db : (void *)part[6];
  if (!src) goto done;
  binding args[] = {{DNNL_ARG_SRC, &e->bw_src.md, src},
                    {DNNL_ARG_DIFF_DST, &e->bw_diff_dst.md, bw_diff_dst},
                    {DNNL_ARG_DIFF_WEIGHTS, &e->bw_diff_w.md, dwi},
                    {DNNL_ARG_DIFF_BIAS, &e->plain_bias, dbi}};
  if (run(e->bwd_weights, args, has_bias ? 4 : 3) != 0) goto done;
  status = out_of(&e->bw_diff_w, &e->plain_w, dwi, dw);
done:
  pthread_mutex_unlock(&conv_lock);
  return status;
}
