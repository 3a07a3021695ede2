// Which instruction set the heavy kernels use, chosen at run time.
//
// oneDNN's JIT picks the widest ISA the CPU has, capped by ATELIER_ISA. OpenBLAS
// picks its kernels once, when the library loads, from its own CPU table; a CPU
// newer than the table (an AVX-512 Zen) gets the AVX2 kernels at half the speed.
// The executable asks `atl_openblas_core_to_force` before it does anything and,
// when OpenBLAS's choice is wrong for the CPU or for ATELIER_ISA, restarts itself
// with OPENBLAS_CORETYPE set, the only way to steer OpenBLAS.
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ckernel.h"

char *openblas_get_corename(void);
char *openblas_get_config(void);

// ATELIER_ISA: "avx2" holds every library to AVX2; anything else (or unset) lets
// each use the best the CPU has.
static int capped_to_avx2(void) {
  const char *isa = getenv("ATELIER_ISA");
  return isa && !strcasecmp(isa, "avx2");
}

static int cpu_has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

static int openblas_core_is_avx512(const char *core) {
  static const char *const avx512_cores[] = {"skylakex", "cooperlake", "sapphirerapids"};
  for (size_t i = 0; i < sizeof avx512_cores / sizeof *avx512_cores; i++)
    if (!strcasecmp(core, avx512_cores[i])) return 1;
  return 0;
}

const char *atl_openblas_core_to_force(void) {
  if (getenv("OPENBLAS_CORETYPE")) return NULL;  // the user's choice stands
  const char *core = openblas_get_corename();
  if (!core) return NULL;
  const int avx512 = openblas_core_is_avx512(core);
  if (capped_to_avx2()) return avx512 ? "HASWELL" : NULL;
  return cpu_has_avx512() && !avx512 ? "SKYLAKEX" : NULL;
}

void atl_isa_configure(void) {
  if (capped_to_avx2()) dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2);
}

int atl_dnnl_isa_is_avx512(void) {
  atl_threads();  // ATELIER_ISA caps oneDNN before its ISA is read
  return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
}

static const char *dnnl_isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "other";
  }
}

// Who runs 3x3 stride-1 convolutions, which are most of a wide net's work.
static const char *winograd_engine(void) {
  if (!atl_conv_winograd_enabled()) return "direct (Winograd off)";
  return atl_dnnl_has_winograd() ? "oneDNN's Winograd"
                                 : "Atelier's Winograd F(4x4, 3x3) and F(6x6, 3x3), AVX2";
}

// Who runs first layers (one to three input channels), thin work that blocked
// layouts pad out.
static const char *first_layer_engine(void) {
  if (!atl_conv_direct_enabled()) return "oneDNN";
  return atl_conv_direct_wide() ? "Atelier's direct kernel, AVX-512 forward"
                                : "Atelier's direct kernel, AVX2";
}

// Who runs strided 1x1 and 3x3 stride-2 convolutions from 64 channels (conv.c's
// im2col_pays).
static const char *strided_engine(void) {
  return atl_dnnl_has_winograd() ? "oneDNN" : "im2col + GEMM";
}

const char *atl_isa_summary(void) {
  static char text[400];
  atl_threads();
  const dnnl_version_t *v = dnnl_version();
  const char *dnnl_isa = dnnl_isa_name(dnnl_get_effective_cpu_isa());
  const int dnnl_gemm = atl_gemm_engine() == ATL_GEMM_DNNL;
  snprintf(text, sizeof text,
           "convolutions: oneDNN %d.%d.%d %s, 3x3 by %s, first layers by %s, strided by %s; GEMM: "
           "%s %s; CPU %s",
           v->major, v->minor, v->patch, dnnl_isa, winograd_engine(), first_layer_engine(),
           strided_engine(), dnnl_gemm ? "oneDNN sgemm" : "OpenBLAS",
           dnnl_gemm ? dnnl_isa : openblas_get_corename(),
           cpu_has_avx512() ? "has AVX-512" : "has no AVX-512");
  return text;
}
