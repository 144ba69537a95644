// CPU feature detection: CPUID leaves 1, 7.0 and 7.1 for the instructions, XGETBV(0) for the OS's
// saved-state flags (an instruction the OS does not save the registers of must not be used).
#include "CKernels.h"
#include <cpuid.h>
#include <string.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

uint32_t unmask_cpu_features(void) {
    unsigned a, b, c, d;
    uint32_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    uint64_t xcr0 = xgetbv0();
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6;
    unsigned max = __get_cpuid_max(0, 0);
    if (max < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, f512 = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int vnni512 = (c >> 11) & 1;
    unsigned a1 = 0, b1, c1, d1;
    __cpuid_count(7, 1, a1, b1, c1, d1);
    int avxvnni = (a1 >> 4) & 1, bf16 = (a1 >> 5) & 1;
    if (ymm && avx2 && fma) f |= UNMASK_CPU_AVX2;
    if (ymm && avxvnni && avx2) f |= UNMASK_CPU_AVXVNNI;
    if (zmm && f512 && dq && bw && vl && (f & UNMASK_CPU_AVX2)) {
        f |= UNMASK_CPU_AVX512F;
        if (bf16) f |= UNMASK_CPU_AVX512BF16;
        if (vnni512) f |= UNMASK_CPU_AVX512VNNI;
    }
    return f;
}

void unmask_cpu_brand(char out[49]) {
    unsigned r[12] = {0};
    memset(out, 0, 49);
    if (__get_cpuid_max(0x80000000, 0) < 0x80000004) return;
    for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    memcpy(out, r, 48);
}
