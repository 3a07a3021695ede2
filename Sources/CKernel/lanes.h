// 8-float vectors for reductions the auto-vectoriser leaves scalar: a sum kept in
// vector lanes needs no reassociation the compiler would have to prove safe.
#ifndef ATELIER_LANES_H
#define ATELIER_LANES_H

#include <stdint.h>

typedef float v8 __attribute__((vector_size(32)));
typedef int32_t mask8 __attribute__((vector_size(32)));  // a v8 comparison's result

// An unaligned load of 8 floats.
static inline v8 load8(const float *p) {
  v8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

#endif
