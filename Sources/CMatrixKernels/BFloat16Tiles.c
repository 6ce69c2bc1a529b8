#include "CMatrixKernels.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cpuid.h>

/* A tile: 16 rows of 64 bytes (32 bfloat16 or 16 float32). */
#define TILE_ROWS 16
#define TILE_DEPTH 32           /* bf16 elements of k per tile row */
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static long round_up(long x, long to) { return (x + to - 1) / to * to; }

int funnel_amx_bf16_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int amx_bf16 = (d >> 22) & 1, amx_tile = (d >> 24) & 1;
    int avx512bf16 = __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1);
    if (!amx_bf16 || !amx_tile || !avx512bf16) return 0;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

/* B is padded to multiples of 32 in k and n and cut into tiles of 16 columns by 32 rows of k,
   each tile row holding, column by column, the pair of k values the dot product instruction
   reads together. Tiles run down k within a column strip. */
size_t funnel_bf16_packed_count(long k, long n) {
    return (size_t)round_up(k, TILE_DEPTH) * (size_t)round_up(n, 32);
}

static uint16_t to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((u >> 16) | 0x40);  /* NaN stays NaN */
    u += 0x7FFF + ((u >> 16) & 1);   /* round to nearest even */
    return (uint16_t)(u >> 16);
}

void funnel_bf16_pack(const float *b, long k, long n, long ldb, uint16_t *packed) {
    long kp = round_up(k, TILE_DEPTH), np = round_up(n, 32);
    long kblocks = kp / TILE_DEPTH;
    for (long nt = 0; nt < np / 16; nt++) {
        for (long kb = 0; kb < kblocks; kb++) {
            uint16_t *tile = packed + (nt * kblocks + kb) * (TILE_ROWS * TILE_DEPTH);
            for (long r = 0; r < TILE_ROWS; r++) {
                for (long col = 0; col < 16; col++) {
                    for (long pair = 0; pair < 2; pair++) {
                        long row = kb * TILE_DEPTH + 2 * r + pair, column = nt * 16 + col;
                        tile[r * 32 + col * 2 + pair] = row < k && column < n ? to_bf16(b[row * ldb + column]) : 0;
                    }
                }
            }
        }
    }
}

size_t funnel_amx_scratch_count(long m, long k) {
    return (size_t)round_up(m, 32) * (size_t)round_up(k, TILE_DEPTH);
}

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

__attribute__((target("avx512f,avx512bf16")))
static void convert_rows(long m, long k, const float *a, long lda, uint16_t *out, long kp, long mp) {
    for (long r = 0; r < mp; r++) {
        uint16_t *o = out + r * kp;
        if (r >= m) { memset(o, 0, (size_t)kp * 2); continue; }
        const float *x = a + r * lda;
        long j = 0;
        for (; j + 32 <= k; j += 32) {
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + j + 16), _mm512_loadu_ps(x + j));
            _mm512_storeu_si512((void *)(o + j), (__m512i)v);
        }
        for (; j < k; j++) o[j] = to_bf16(x[j]);
        for (; j < kp; j++) o[j] = 0;
    }
}

__attribute__((target("avx512f")))
static inline void store_rows(const float *part, long row, long col, long m, long n, float *c, long ldc,
                              const float *scale, const float *shift, int relu) {
    if (col >= n || row >= m) return;
    long width = n - col < 16 ? n - col : 16;
    __mmask16 mask = (__mmask16)((1u << width) - 1);
    __m512 s = scale ? _mm512_maskz_loadu_ps(mask, scale + col) : _mm512_set1_ps(1);
    __m512 b = shift ? _mm512_maskz_loadu_ps(mask, shift + col) : _mm512_setzero_ps();
    for (long i = 0; i < 16 && row + i < m; i++) {
        __m512 v = _mm512_fmadd_ps(_mm512_load_ps(part + 16 * i), s, b);
        if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
        _mm512_mask_storeu_ps(c + (row + i) * ldc + col, mask, v);
    }
}

/* Stores tile `t` of C at (row, col) through the epilogue: each column j scaled by scale[j]
   and shifted by shift[j] (either may be NULL), then clamped at 0 when `relu` is set. The
   tile passes through a 1 KiB buffer that stays in L1, so the epilogue costs no extra pass
   over C. */
#define STORE_TILE(t, row, col)                                                                   \
    do {                                                                                          \
        float part[16 * 16] __attribute__((aligned(64)));                                         \
        _tile_stored(t, part, 64);                                                                \
        store_rows(part, (row), (col), m, n, c, ldc, scale, shift, relu);                         \
    } while (0)

#define LOAD_TILE(t, row, col)                                                                    \
    do {                                                                                          \
        if (beta == 0) { _tile_zero(t); }                                                         \
        else if ((row) + 16 <= m && (col) + 16 <= n) { _tile_loadd(t, c + (row) * ldc + (col), ldc * 4); } \
        else {                                                                                    \
            float part[16 * 16] = {0};                                                            \
            for (long i = 0; i < 16 && (row) + i < m; i++)                                        \
                for (long j = 0; j < 16 && (col) + j < n; j++) part[i * 16 + j] = c[((row) + i) * ldc + (col) + j]; \
            _tile_loadd(t, part, 64);                                                             \
        }                                                                                         \
    } while (0)

__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16")))
void funnel_amx_gemm(long m, long n, long k, const float *a, long lda, const uint16_t *packed,
                     float beta, float *c, long ldc, uint16_t *scratch,
                     const float *scale, const float *shift, int relu) {
    long kp = round_up(k, TILE_DEPTH), mp = round_up(m, 32), np = round_up(n, 32);
    long kblocks = kp / TILE_DEPTH;
    convert_rows(m, k, a, lda, scratch, kp, mp);
    tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.rows[t] = 16; config.colsb[t] = 64; }
    _tile_loadconfig(&config);
    /* Tiles 0–3 hold a 32 × 32 block of C, 4–5 two row tiles of A, 6–7 two column tiles of B. */
    for (long row = 0; row < mp; row += 32) {
        for (long col = 0; col < np; col += 32) {
            LOAD_TILE(0, row, col);
            LOAD_TILE(1, row, col + 16);
            LOAD_TILE(2, row + 16, col);
            LOAD_TILE(3, row + 16, col + 16);
            const uint16_t *b0 = packed + (col / 16) * kblocks * 512, *b1 = b0 + kblocks * 512;
            const uint16_t *a0 = scratch + row * kp, *a1 = a0 + 16 * kp;
            for (long kb = 0; kb < kblocks; kb++) {
                _tile_loadd(4, a0 + kb * TILE_DEPTH, kp * 2);
                _tile_loadd(5, a1 + kb * TILE_DEPTH, kp * 2);
                _tile_loadd(6, b0 + kb * 512, 64);
                _tile_loadd(7, b1 + kb * 512, 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(2, 5, 6);
                _tile_dpbf16ps(3, 5, 7);
            }
            STORE_TILE(0, row, col);
            STORE_TILE(1, row, col + 16);
            STORE_TILE(2, row + 16, col);
            STORE_TILE(3, row + 16, col + 16);
        }
    }
    _tile_release();
}

#else  /* no AMX off x86-64: callers check funnel_amx_bf16_available first */

int funnel_amx_bf16_available(void) { return 0; }
size_t funnel_bf16_packed_count(long k, long n) { (void)k; (void)n; return 0; }
void funnel_bf16_pack(const float *b, long k, long n, long ldb, uint16_t *packed) {
    (void)b; (void)k; (void)n; (void)ldb; (void)packed;
}
size_t funnel_amx_scratch_count(long m, long k) { (void)m; (void)k; return 0; }
void funnel_amx_gemm(long m, long n, long k, const float *a, long lda, const uint16_t *packed,
                     float beta, float *c, long ldc, uint16_t *scratch,
                     const float *scale, const float *shift, int relu) {
    (void)scale; (void)shift; (void)relu;
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)beta; (void)c; (void)ldc; (void)scratch;
}

#endif
