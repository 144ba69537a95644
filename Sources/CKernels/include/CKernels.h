// Micro-kernels for instructions Swift cannot emit (AVX512-BF16's vdpbf16ps, VNNI's vpdpbusd; AVX-512
// F32 FMA, which the AVX2-built Kernels target must not emit unconditionally) and the
// CPU feature check that decides at run time whether they may be called. Every function here is
// compiled for its own ISA with a target attribute and is only called after `unmask_cpu_features`
// said the CPU and the OS support it; the portable build never calls them.
#ifndef UNMASK_CKERNELS_H
#define UNMASK_CKERNELS_H
#include <stdint.h>

enum {
    UNMASK_CPU_AVX2 = 1 << 0,         // AVX2 + FMA, with the OS saving YMM state
    UNMASK_CPU_AVX512F = 1 << 1,      // AVX-512 F/BW/VL/DQ, with the OS saving ZMM and opmask state
    UNMASK_CPU_AVX512BF16 = 1 << 2,   // vdpbf16ps (needs AVX512F)
    UNMASK_CPU_AVX512VNNI = 1 << 3,   // vpdpbusd on ZMM (needs AVX512F)
    UNMASK_CPU_AVXVNNI = 1 << 4,      // vpdpbusd on YMM (VEX-encoded)
};

/// CPUID and XGETBV: the UNMASK_CPU_* bits this CPU and OS support.
uint32_t unmask_cpu_features(void);
/// The CPU's brand string (CPUID 0x80000002-4), NUL-terminated, into out[48].
void unmask_cpu_brand(char out[49]);

/// x [rows, k] F32 (row stride lda) -> out [rows, kpairs] words, word p of a row = BF16(x[2p]) |
/// BF16(x[2p+1]) << 16, round to nearest even; an odd k is padded with a zero BF16. AVX512-BF16.
void unmask_bf16_pairs_avx512(const float *x, long lda, long rows, long k, uint32_t *out, long kpairs);

/// C[rows<=6, cols<=32] (+)= A[rows, kp pairs] . B, AVX512-BF16 (vdpbf16ps, F32 accumulation).
/// a: row r's pairs at a + r*lda (words); b0, b1: two 16-feature panels' pair blocks [kp][16] words
/// (b1 may be NULL when cols <= 16); c: row r at c + r*ldc.
void unmask_bf16_tile_avx512(long kp, const uint32_t *a, long lda, const uint32_t *b0, const uint32_t *b1,
                             float *c, long ldc, long rows, long cols, int add);

/// C[rows<=6, cols<=32] (+)= A[rows, kc] . B, AVX-512F (vfmadd231ps). a: row r at a + r*lda (floats);
/// b0, b1: two 16-feature F32 panels' k blocks [kc][16] (b1 may be NULL when cols <= 16); c: row r at c + r*ldc.
void unmask_f32_tile_avx512(long kc, const float *a, long lda, const float *b0, const float *b1,
                            float *c, long ldc, long rows, long cols, int add);

/// k-quads per activation scale of the VNNI path (128 k; PackedMatrix.groupK).
#define UNMASK_VNNI_GROUP_QUADS 32

/// x [rows, k] F32 (row stride lda) -> out [rows, kquads] words of four unsigned bytes, byte b of word q
/// = round(x[4q+b] / s) + 128 clamped to 1..255 (128 past k), s = scales[r * groups + g] = max|x| / 127
/// over group g (k in 128g ..< 128g + 128; groups = ceil(kquads / 32)). AVX512-VNNI.
void unmask_u8_quads_avx512(const float *x, long lda, long rows, long k, uint32_t *out, long kquads, float *scales);

/// C[rows<=6, cols<=32] (+)= ws[j] * sum_g ascale[r, g] * (sum_{q in g} A[r,q] . B[q,j] - 128 * sum[g, j]),
/// vpdpbusd with int32 accumulation per group. a: row r's quads at a + r*lda (words); ascale: row r's
/// group scales at ascale + r*groups; b0, b1: two 16-feature panels' quad blocks [kq][16] words (b1 may
/// be NULL when cols <= 16); ws0/ws1: their rows' scales; sum0/sum1: their group sums [groups][16].
void unmask_vnni_tile_avx512(long kq, const uint32_t *a, long lda, const uint32_t *b0, const uint32_t *b1,
                             float *c, long ldc, long rows, long cols, const float *ascale,
                             const float *ws0, const float *ws1, const int32_t *sum0, const int32_t *sum1, int add);
#endif
