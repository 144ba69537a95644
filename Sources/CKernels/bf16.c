// AVX512-BF16 GEMM pieces: activations rounded to BF16 pairs, and a 6x32 tile of vdpbf16ps (12 ZMM
// accumulators: enough independent chains to cover the instruction's latency). Swift has no
// __m512bh type or vdpbf16ps intrinsic, hence C. The naive twin is Reference.matmulBF16 in Kernels.
#include "CKernels.h"
#include <immintrin.h>
#include "tile_store.h"

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

BF16_TARGET
void unmask_bf16_pairs_avx512(const float *x, long lda, long rows, long k, uint32_t *out, long kpairs) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * lda;
        uint32_t *o = out + r * kpairs;
        long i = 0;
        for (; i + 32 <= k; i += 32) {
            // cvtne2ps(hi, lo): BF16 lanes 0..15 from lo, 16..31 from hi, so word p = (x[2p], x[2p+1]).
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + i + 16), _mm512_loadu_ps(row + i));
            _mm512_storeu_si512((void *)(o + i / 2), (__m512i)v);
        }
        if (i < k) {
            __mmask16 m0 = (__mmask16)((k - i >= 16) ? 0xFFFF : ((1u << (k - i)) - 1));
            __mmask16 m1 = (__mmask16)((k - i >= 32) ? 0xFFFF : (k - i > 16 ? ((1u << (k - i - 16)) - 1) : 0));
            __m512 lo = _mm512_maskz_loadu_ps(m0, row + i), hi = _mm512_maskz_loadu_ps(m1, row + i + 16);
            __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);
            long words = kpairs - i / 2;
            _mm512_mask_storeu_epi32((void *)(o + i / 2), (__mmask16)((1u << words) - 1), (__m512i)v);
        }
    }
}

BF16_TARGET
void unmask_bf16_tile_avx512(long kp, const uint32_t *a, long lda, const uint32_t *b0, const uint32_t *b1,
                             float *c, long ldc, long rows, long cols, int add) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const uint32_t *a0 = a, *a1 = a + lda * (rows > 1), *a2 = a + 2 * lda * (rows > 2), *a3 = a + 3 * lda * (rows > 3),
                   *a4 = a + 4 * lda * (rows > 4), *a5 = a + 5 * lda * (rows > 5);   // rows past `rows` reread row 0
    if (b1) {
        for (long p = 0; p < kp; p++) {
            __m512bh w0 = (__m512bh)_mm512_loadu_si512((const void *)(b0 + p * 16));
            __m512bh w1 = (__m512bh)_mm512_loadu_si512((const void *)(b1 + p * 16));
            __m512bh v;
            v = (__m512bh)_mm512_set1_epi32((int)a0[p]); c00 = _mm512_dpbf16_ps(c00, v, w0); c01 = _mm512_dpbf16_ps(c01, v, w1);
            v = (__m512bh)_mm512_set1_epi32((int)a1[p]); c10 = _mm512_dpbf16_ps(c10, v, w0); c11 = _mm512_dpbf16_ps(c11, v, w1);
            v = (__m512bh)_mm512_set1_epi32((int)a2[p]); c20 = _mm512_dpbf16_ps(c20, v, w0); c21 = _mm512_dpbf16_ps(c21, v, w1);
            v = (__m512bh)_mm512_set1_epi32((int)a3[p]); c30 = _mm512_dpbf16_ps(c30, v, w0); c31 = _mm512_dpbf16_ps(c31, v, w1);
            v = (__m512bh)_mm512_set1_epi32((int)a4[p]); c40 = _mm512_dpbf16_ps(c40, v, w0); c41 = _mm512_dpbf16_ps(c41, v, w1);
            v = (__m512bh)_mm512_set1_epi32((int)a5[p]); c50 = _mm512_dpbf16_ps(c50, v, w0); c51 = _mm512_dpbf16_ps(c51, v, w1);
        }
    } else {
        for (long p = 0; p < kp; p++) {
            __m512bh w0 = (__m512bh)_mm512_loadu_si512((const void *)(b0 + p * 16));
            c00 = _mm512_dpbf16_ps(c00, (__m512bh)_mm512_set1_epi32((int)a0[p]), w0);
            c10 = _mm512_dpbf16_ps(c10, (__m512bh)_mm512_set1_epi32((int)a1[p]), w0);
            c20 = _mm512_dpbf16_ps(c20, (__m512bh)_mm512_set1_epi32((int)a2[p]), w0);
            c30 = _mm512_dpbf16_ps(c30, (__m512bh)_mm512_set1_epi32((int)a3[p]), w0);
            c40 = _mm512_dpbf16_ps(c40, (__m512bh)_mm512_set1_epi32((int)a4[p]), w0);
            c50 = _mm512_dpbf16_ps(c50, (__m512bh)_mm512_set1_epi32((int)a5[p]), w0);
        }
    }
    __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : ((1u << cols) - 1));
    __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : (cols > 16 ? ((1u << (cols - 16)) - 1) : 0));
    UNMASK_STORE_ROW(0, c00, c01); UNMASK_STORE_ROW(1, c10, c11); UNMASK_STORE_ROW(2, c20, c21);
    UNMASK_STORE_ROW(3, c30, c31); UNMASK_STORE_ROW(4, c40, c41); UNMASK_STORE_ROW(5, c50, c51);
}
