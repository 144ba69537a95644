// AVX512-VNNI int8 GEMM pieces: activations quantised per row and per group of 32 k-quads (128 k) to
// unsigned bytes (q = round(x/s) + 128, s = max|x|/127 over the group), and a 6x32 tile of vpdpbusd
// (u8 x s8 -> i32, four k per lane per instruction; 12 ZMM integer accumulators, 12 F32 ones). After
// each group the +128 offset is removed with the weights' group sums,
// sum_k (q_k + 128) w_k = sum_k q_k w_k + 128 * sum_k w_k, and the group's integers are scaled by its
// activation scale into the F32 sums; the weight scale (per row) multiplies once at the store. A scale
// per group rather than per row keeps one large activation from coarsening the whole row (per row, the
// embedded model's logits moved 8.4 % of their scale; per group of 128 they stay within the int8 weight
// error). Swift cannot emit vpdpbusd, hence C.
// The naive twin is Reference.matmulInt8VNNI in Kernels.
#include "CKernels.h"
#include <immintrin.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

VNNI_TARGET
void unmask_u8_quads_avx512(const float *x, long lda, long rows, long k, uint32_t *out, long kquads, float *scales) {
    long groups = (kquads + UNMASK_VNNI_GROUP_QUADS - 1) / UNMASK_VNNI_GROUP_QUADS;
    __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), off = _mm512_set1_epi32(128);
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * lda;
        uint8_t *o = (uint8_t *)(out + r * kquads);
        for (long g = 0; g < groups; g++) {
            long k0 = g * UNMASK_VNNI_GROUP_QUADS * 4, k1 = k0 + UNMASK_VNNI_GROUP_QUADS * 4;
            if (k1 > kquads * 4) k1 = kquads * 4;
            __m512 mx = _mm512_setzero_ps();
            for (long i = k0; i < k1; i += 16) {
                long left = k - i;
                __mmask16 m = (__mmask16)(left >= 16 ? 0xFFFF : (left > 0 ? ((1u << left) - 1) : 0));
                mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_maskz_loadu_ps(m, row + i)));
            }
            float amax = _mm512_reduce_max_ps(mx);
            scales[r * groups + g] = amax / 127.0f;
            __m512 vinv = _mm512_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
            for (long i = k0; i < k1; i += 16) {
                long left = k - i;
                __mmask16 m = (__mmask16)(left >= 16 ? 0xFFFF : (left > 0 ? ((1u << left) - 1) : 0));
                __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), vinv));   // nearest even
                q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(q, lo), hi), off);
                long bytes = k1 - i;                                               // padding k get q = 128 (x = 0)
                _mm_mask_storeu_epi8(o + i, (__mmask16)(bytes >= 16 ? 0xFFFF : ((1u << bytes) - 1)), _mm512_cvtepi32_epi8(q));
            }
        }
    }
}

VNNI_TARGET
void unmask_vnni_tile_avx512(long kq, const uint32_t *a, long lda, const uint32_t *b0, const uint32_t *b1,
                             float *c, long ldc, long rows, long cols, const float *ascale,
                             const float *ws0, const float *ws1, const int32_t *sum0, const int32_t *sum1, int add) {
    long groups = (kq + UNMASK_VNNI_GROUP_QUADS - 1) / UNMASK_VNNI_GROUP_QUADS;
    __m512 f00 = _mm512_setzero_ps(), f01 = f00, f10 = f00, f11 = f00, f20 = f00, f21 = f00;
    __m512 f30 = f00, f31 = f00, f40 = f00, f41 = f00, f50 = f00, f51 = f00;
    const long r1 = rows > 1, r2 = rows > 2, r3 = rows > 3, r4 = rows > 4, r5 = rows > 5;   // rows past `rows` reread row 0
    const uint32_t *a0 = a, *a1 = a + lda * r1, *a2 = a + 2 * lda * r2, *a3 = a + 3 * lda * r3, *a4 = a + 4 * lda * r4, *a5 = a + 5 * lda * r5;
    const float *s0 = ascale, *s1 = ascale + groups * r1, *s2 = ascale + 2 * groups * r2, *s3 = ascale + 3 * groups * r3,
                *s4 = ascale + 4 * groups * r4, *s5 = ascale + 5 * groups * r5;
    const uint32_t *b1r = b1 ? b1 : b0;
    const int32_t *sum1r = sum1 ? sum1 : sum0;
    for (long g = 0; g < groups; g++) {
        __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        long p1 = (g + 1) * UNMASK_VNNI_GROUP_QUADS;
        if (p1 > kq) p1 = kq;
        for (long p = g * UNMASK_VNNI_GROUP_QUADS; p < p1; p++) {
            __m512i w0 = _mm512_loadu_si512((const void *)(b0 + p * 16));
            __m512i w1 = _mm512_loadu_si512((const void *)(b1r + p * 16));
            __m512i v;
            v = _mm512_set1_epi32((int)a0[p]); c00 = _mm512_dpbusd_epi32(c00, v, w0); c01 = _mm512_dpbusd_epi32(c01, v, w1);
            v = _mm512_set1_epi32((int)a1[p]); c10 = _mm512_dpbusd_epi32(c10, v, w0); c11 = _mm512_dpbusd_epi32(c11, v, w1);
            v = _mm512_set1_epi32((int)a2[p]); c20 = _mm512_dpbusd_epi32(c20, v, w0); c21 = _mm512_dpbusd_epi32(c21, v, w1);
            v = _mm512_set1_epi32((int)a3[p]); c30 = _mm512_dpbusd_epi32(c30, v, w0); c31 = _mm512_dpbusd_epi32(c31, v, w1);
            v = _mm512_set1_epi32((int)a4[p]); c40 = _mm512_dpbusd_epi32(c40, v, w0); c41 = _mm512_dpbusd_epi32(c41, v, w1);
            v = _mm512_set1_epi32((int)a5[p]); c50 = _mm512_dpbusd_epi32(c50, v, w0); c51 = _mm512_dpbusd_epi32(c51, v, w1);
        }
        // The group's 128 * Σ w per output column, then F += s_x[row, g] * (C - offset).
        __m512i o0 = _mm512_slli_epi32(_mm512_loadu_si512((const void *)(sum0 + g * 16)), 7);
        __m512i o1 = _mm512_slli_epi32(_mm512_loadu_si512((const void *)(sum1r + g * 16)), 7);
#define FOLD(f, acc, o, s) f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, o)), _mm512_set1_ps((s)[g]), f)
        FOLD(f00, c00, o0, s0); FOLD(f01, c01, o1, s0); FOLD(f10, c10, o0, s1); FOLD(f11, c11, o1, s1);
        FOLD(f20, c20, o0, s2); FOLD(f21, c21, o1, s2); FOLD(f30, c30, o0, s3); FOLD(f31, c31, o1, s3);
        FOLD(f40, c40, o0, s4); FOLD(f41, c41, o1, s4); FOLD(f50, c50, o0, s5); FOLD(f51, c51, o1, s5);
#undef FOLD
    }
    __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : ((1u << cols) - 1));
    __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : (cols > 16 ? ((1u << (cols - 16)) - 1) : 0));
    __m512 w0 = _mm512_maskz_loadu_ps(m0, ws0), w1 = m1 ? _mm512_maskz_loadu_ps(m1, ws1) : _mm512_setzero_ps();
#define STORE_ROW(r, v0, v1) do { if ((r) < rows) { float *dst = c + (r) * ldc; \
        __m512 x0 = _mm512_mul_ps(v0, w0), x1 = _mm512_mul_ps(v1, w1); \
        if (add) { x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, dst)); x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, dst + 16)); } \
        _mm512_mask_storeu_ps(dst, m0, x0); if (m1) _mm512_mask_storeu_ps(dst + 16, m1, x1); } } while (0)
    STORE_ROW(0, f00, f01); STORE_ROW(1, f10, f11); STORE_ROW(2, f20, f21);
    STORE_ROW(3, f30, f31); STORE_ROW(4, f40, f41); STORE_ROW(5, f50, f51);
#undef STORE_ROW
}
