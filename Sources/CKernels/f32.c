// AVX-512F F32 GEMM tile: 6 rows x 32 columns (two 16-feature F32 panels), 12 ZMM accumulators of
// vfmadd231ps with A broadcast from memory: twice the AVX2 tile's width per instruction. In C, not
// Swift, so that the Kernels target can stay built for AVX2 (x86-64-v3) and this function alone carries
// the AVX-512 target attribute, called only after CPUID said so. The naive twin is Reference.matmul.
#include "CKernels.h"
#include <immintrin.h>
#include "tile_store.h"

#define F32_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

F32_TARGET
void unmask_f32_tile_avx512(long kc, const float *a, long lda, const float *b0, const float *b1,
                            float *c, long ldc, long rows, long cols, int add) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = a, *a1 = a + lda * (rows > 1), *a2 = a + 2 * lda * (rows > 2), *a3 = a + 3 * lda * (rows > 3),
                *a4 = a + 4 * lda * (rows > 4), *a5 = a + 5 * lda * (rows > 5);   // rows past `rows` reread row 0
    const float *b1r = b1 ? b1 : b0;
    for (long p = 0; p < kc; p++) {
        __m512 w0 = _mm512_loadu_ps(b0 + p * 16), w1 = _mm512_loadu_ps(b1r + p * 16);
        __m512 v;
        v = _mm512_set1_ps(a0[p]); c00 = _mm512_fmadd_ps(v, w0, c00); c01 = _mm512_fmadd_ps(v, w1, c01);
        v = _mm512_set1_ps(a1[p]); c10 = _mm512_fmadd_ps(v, w0, c10); c11 = _mm512_fmadd_ps(v, w1, c11);
        v = _mm512_set1_ps(a2[p]); c20 = _mm512_fmadd_ps(v, w0, c20); c21 = _mm512_fmadd_ps(v, w1, c21);
        v = _mm512_set1_ps(a3[p]); c30 = _mm512_fmadd_ps(v, w0, c30); c31 = _mm512_fmadd_ps(v, w1, c31);
        v = _mm512_set1_ps(a4[p]); c40 = _mm512_fmadd_ps(v, w0, c40); c41 = _mm512_fmadd_ps(v, w1, c41);
        v = _mm512_set1_ps(a5[p]); c50 = _mm512_fmadd_ps(v, w0, c50); c51 = _mm512_fmadd_ps(v, w1, c51);
    }
    __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : ((1u << cols) - 1));
    __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : (cols > 16 ? ((1u << (cols - 16)) - 1) : 0));
    UNMASK_STORE_ROW(0, c00, c01); UNMASK_STORE_ROW(1, c10, c11); UNMASK_STORE_ROW(2, c20, c21);
    UNMASK_STORE_ROW(3, c30, c31); UNMASK_STORE_ROW(4, c40, c41); UNMASK_STORE_ROW(5, c50, c51);
}
