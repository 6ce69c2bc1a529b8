#include <stdint.h>

/* Kernels between a float query and int8-quantized rows (codes 0...255), in C because clang turns
   the byte-to-float widening into one instruction per eight lanes, where Swift's generic SIMD
   conversion compiles to an out-of-line call per vector. Eight-lane vectors,
   four independent accumulators; compiled with the importing module's target CPU. */

typedef float funnel_f8 __attribute__((ext_vector_type(8)));
typedef uint8_t funnel_u8x8 __attribute__((ext_vector_type(8)));

static inline funnel_f8 funnel_load_f8(const float *p) {
    funnel_f8 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline funnel_f8 funnel_widen_u8(const uint8_t *p) {
    funnel_u8x8 v;
    __builtin_memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, funnel_f8);
}

static inline float funnel_sum_f8(funnel_f8 s) {
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* Σ q[i] · c[i]. */
static inline float funnel_dot_u8(const float *q, const uint8_t *c, long n) {
    funnel_f8 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 += funnel_load_f8(q + i) * funnel_widen_u8(c + i);
        s1 += funnel_load_f8(q + i + 8) * funnel_widen_u8(c + i + 8);
        s2 += funnel_load_f8(q + i + 16) * funnel_widen_u8(c + i + 16);
        s3 += funnel_load_f8(q + i + 24) * funnel_widen_u8(c + i + 24);
    }
    for (; i + 8 <= n; i += 8) s0 += funnel_load_f8(q + i) * funnel_widen_u8(c + i);
    float total = funnel_sum_f8((s0 + s1) + (s2 + s3));
    for (; i < n; i++) total += q[i] * (float)c[i];
    return total;
}

/* Σ w[i] · (r[i] − c[i])². */
static inline float funnel_weighted_squared_distance_u8(const float *r, const float *w, const uint8_t *c, long n) {
    funnel_f8 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        funnel_f8 d0 = funnel_load_f8(r + i) - funnel_widen_u8(c + i);
        funnel_f8 d1 = funnel_load_f8(r + i + 8) - funnel_widen_u8(c + i + 8);
        funnel_f8 d2 = funnel_load_f8(r + i + 16) - funnel_widen_u8(c + i + 16);
        funnel_f8 d3 = funnel_load_f8(r + i + 24) - funnel_widen_u8(c + i + 24);
        s0 += funnel_load_f8(w + i) * d0 * d0;
        s1 += funnel_load_f8(w + i + 8) * d1 * d1;
        s2 += funnel_load_f8(w + i + 16) * d2 * d2;
        s3 += funnel_load_f8(w + i + 24) * d3 * d3;
    }
    for (; i + 8 <= n; i += 8) {
        funnel_f8 d = funnel_load_f8(r + i) - funnel_widen_u8(c + i);
        s0 += funnel_load_f8(w + i) * d * d;
    }
    float total = funnel_sum_f8((s0 + s1) + (s2 + s3));
    for (; i < n; i++) {
        float d = r[i] - (float)c[i];
        total += w[i] * d * d;
    }
    return total;
}
