// The store shared by the 6x32 F32-accumulating tiles (bf16.c, f32.c): row r of C (c + r*ldc) gets
// the two accumulators v0 (columns 0..15) and v1 (16..31) under the column masks m0/m1, added to what is
// there when `add`; rows at or past `rows` are not written. Needs c, ldc, rows, add, m0, m1 in scope.
#ifndef UNMASK_TILE_STORE_H
#define UNMASK_TILE_STORE_H
#define UNMASK_STORE_ROW(r, v0, v1) do { if ((r) < rows) { float *dst = c + (r) * ldc; __m512 x0 = (v0), x1 = (v1); \
        if (add) { x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, dst)); x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, dst + 16)); } \
        _mm512_mask_storeu_ps(dst, m0, x0); if (m1) _mm512_mask_storeu_ps(dst + 16, m1, x1); } } while (0)
#endif
