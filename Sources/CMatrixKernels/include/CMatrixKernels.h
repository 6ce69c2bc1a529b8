#ifndef FUNNEL_MATRIX_KERNELS_H
#define FUNNEL_MATRIX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Matrix products on Intel AMX tiles: inputs rounded to bfloat16, sums kept in float32.
   C = A · B + beta · C with A and C row-major floats and B packed once by
   funnel_bf16_pack (a model's weights are packed when first served and reused). */

/* Whether this CPU has AMX-BF16 and the operating system lets this process use the tiles. */
int funnel_amx_bf16_available(void);

/* Elements of B [k, n] once packed (k and n padded to multiples of 32). */
size_t funnel_bf16_packed_count(long k, long n);

/* Packs row-major B [k, n], rows `ldb` apart, into `packed`. */
void funnel_bf16_pack(const float *b, long k, long n, long ldb, uint16_t *packed);

/* Elements of scratch funnel_amx_gemm needs for `m` rows of depth `k`. */
size_t funnel_amx_scratch_count(long m, long k);

/* C [m, n] (rows ldc apart) = A [m, k] (rows lda apart) · packed B + beta · C, beta 0 or 1,
   then, column by column, times scale[j] plus shift[j] (NULL: 1 and 0), clamped at 0 when
   `relu` is set: a dense layer's bias, folded batch norm and ReLU in the product's own store. */
void funnel_amx_gemm(long m, long n, long k, const float *a, long lda, const uint16_t *packed,
                     float beta, float *c, long ldc, uint16_t *scratch,
                     const float *scale, const float *shift, int relu);

#endif
