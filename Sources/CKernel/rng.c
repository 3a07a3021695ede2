// xoshiro256** seeded through splitmix64: fast, reproducible across platforms.
#include <math.h>

#include "ckernel.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void atl_rng_seed(atl_rng *rng, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

uint64_t atl_rng_next(atl_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double atl_rng_double(atl_rng *rng) { return (double)(atl_rng_next(rng) >> 11) * 0x1.0p-53; }

void atl_rng_uniform(atl_rng *rng, float *out, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) out[i] = (float)(lo + (hi - lo) * atl_rng_double(rng));
}

void atl_rng_normal(atl_rng *rng, float *out, int64_t n, float mean, float std) {
  for (int64_t i = 0; i < n; i += 2) {
    double u1 = atl_rng_double(rng), u2 = atl_rng_double(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    double r = sqrt(-2.0 * log(u1)), a = 2.0 * M_PI * u2;
    out[i] = (float)(mean + std * r * cos(a));
    if (i + 1 < n) out[i + 1] = (float)(mean + std * r * sin(a));
  }
}
