/* Compiled CPU kernels for the decoder's elementwise work (numerics/cpu_kernels.py builds and loads this
   file): causal softmax attention for many small heads, and the tanh-approximated GELU.

   Every tensor argument is float32, or bfloat16 when the entry point's `bf16` flag is set (the lse buffer
   is always float32); arithmetic is float32 either way. A bfloat16 value widens exactly to float32 and a
   float32 result narrows to bfloat16 by round-to-nearest-even, as torch's .to(torch.bfloat16) does.

   Attention layout: qkv (N, L, 3, H, D) row-major, the linear layer's output as it comes; queries are the
   positions start..L-1, keys and values all L positions. out (N, L - start, H, D); lse (N, L - start, H)
   the log of each query's softmax normaliser, saved for the backward pass (flash-attention style
   recompute). Each row n is copied into float32 [position][d][head] buffers so that every inner loop runs
   over the H heads with unit stride: with heads of dimension 4 the work is H-wide elementwise arithmetic,
   not matmuls, and the compiler vectorises it over heads. Loops touch only j <= i (the causal half). */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#define INLINE static inline __attribute__((always_inline))

/* Subnormal floats (below 1.2e-38) take a slow microcode path on x86: softmax weights exp(s - lse) far
   below 1 and their products made the attention's backward pass 1.5x slower in training. Each entry
   point flushes them to zero (MXCSR FTZ | DAZ) while it runs and restores the caller's mode. */
#if defined(__SSE__)
#define FLUSH_SUBNORMALS unsigned int mxcsr_ = _mm_getcsr(); _mm_setcsr(mxcsr_ | 0x8040)
#define RESTORE_SUBNORMALS _mm_setcsr(mxcsr_)
#else
#define FLUSH_SUBNORMALS
#define RESTORE_SUBNORMALS
#endif

/* element i of a float32 (bf == 0) or bfloat16 (bf == 1) array, as float32 */
INLINE float ld(const void *p, size_t i, const int bf) {
    if (!bf) return ((const float *)p)[i];
    uint32_t u = (uint32_t)((const uint16_t *)p)[i] << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* store v as element i of a float32 or bfloat16 array (round to nearest even; NaN stays NaN) */
INLINE void st(void *p, size_t i, float v, const int bf) {
    if (!bf) {
        ((float *)p)[i] = v;
        return;
    }
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u = v != v ? 0x7FC00000u : u + 0x7FFFu + ((u >> 16) & 1u);
    ((uint16_t *)p)[i] = (uint16_t)(u >> 16);
}

/* exp (Cephes expf: 2^n p(r), |r| <= ln2/2, relative error below 2e-7), written with arithmetic the
   compiler can vectorise. x is clamped to [-87, 88]: exp(-87) ~ 1.6e-38 is nothing beside a softmax
   normaliser >= 1 or beside 1 in a sigmoid, and exp(88) ~ 1.7e38 is still finite. */
INLINE float exp_clamped(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float fn = x * 1.44269504088896341f + 12582912.0f; /* round to nearest: 1.5 * 2^23 */
    fn -= 12582912.0f;
    float r = x - fn * 0.693359375f;
    r = r + fn * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int e = ((int)fn + 127) << 23;
    float two_n;
    memcpy(&two_n, &e, sizeof two_n);
    return p * two_n;
}

/* row n of qkv, [L][3][H][D] -> three float32 [L][D][H] buffers */
INLINE void split(const void *restrict x, size_t n, float *restrict q, float *restrict k, float *restrict v,
                  int L, const int H, const int D, const int bf) {
    size_t base = n * L * 3 * H * D;
    for (int i = 0; i < L; i++)
        for (int t = 0; t < 3; t++) {
            float *dst = (t == 0 ? q : t == 1 ? k : v) + (size_t)i * D * H;
            size_t src = base + ((size_t)i * 3 + t) * H * D;
            for (int h = 0; h < H; h++)
                for (int d = 0; d < D; d++) dst[d * H + h] = ld(x, src + h * D + d, bf);
        }
}

/* s[h] = scale * sum_d a[d][h] b[d][h] */
INLINE void dot_heads(const float *restrict a, const float *restrict b, float *restrict s, const int H,
                      const int D, float scale) {
    for (int h = 0; h < H; h++) s[h] = 0.0f;
    for (int d = 0; d < D; d++)
        for (int h = 0; h < H; h++) s[h] += a[d * H + h] * b[d * H + h];
    for (int h = 0; h < H; h++) s[h] *= scale;
}

INLINE int forward(const void *restrict qkv, void *restrict out, float *restrict lse, int N, int L,
                   const int H, const int D, int start, float scale, const int bf) {
    size_t row = (size_t)L * D * H;
    float *buf = malloc(sizeof(float) * (3 * row + (size_t)L * H + 3 * (size_t)H + (size_t)D * H));
    if (!buf) return 1;
    float *restrict q = buf, *restrict k = q + row, *restrict v = k + row, *restrict s = v + row,
          *restrict m = s + (size_t)L * H, *restrict z = m + H, *restrict o = z + H;
    for (int n = 0; n < N; n++) {
        split(qkv, n, q, k, v, L, H, D, bf);
        for (int i = start; i < L; i++) {
            const float *qi = q + (size_t)i * D * H;
            for (int h = 0; h < H; h++) m[h] = -INFINITY;
            for (int j = 0; j <= i; j++) {
                float *sj = s + (size_t)j * H;
                dot_heads(qi, k + (size_t)j * D * H, sj, H, D, scale);
                for (int h = 0; h < H; h++) m[h] = sj[h] > m[h] ? sj[h] : m[h];
            }
            for (int h = 0; h < H; h++) z[h] = 0.0f;
            for (int x = 0; x < D * H; x++) o[x] = 0.0f;
            for (int j = 0; j <= i; j++) {
                float *sj = s + (size_t)j * H;
                const float *vj = v + (size_t)j * D * H;
                for (int h = 0; h < H; h++) {
                    sj[h] = exp_clamped(sj[h] - m[h]);
                    z[h] += sj[h];
                }
                for (int d = 0; d < D; d++)
                    for (int h = 0; h < H; h++) o[d * H + h] += sj[h] * vj[d * H + h];
            }
            size_t at = (size_t)n * (L - start) + (i - start);
            for (int h = 0; h < H; h++) {
                float inv = 1.0f / z[h];
                for (int d = 0; d < D; d++) st(out, (at * H + h) * D + d, o[d * H + h] * inv, bf);
                lse[at * H + h] = m[h] + logf(z[h]);
            }
        }
    }
    free(buf);
    return 0;
}

/* Gradient of sum(gout * out) with respect to qkv, written to gqkv (N, L, 3, H, D): for j <= i,
   p = exp(s_ij - lse_i), dv_j += p go_i, ds = p (go_i . v_j - go_i . o_i), dq_i += scale ds k_j,
   dk_j += scale ds q_i. Query rows below start get zero. */
INLINE int backward(const void *restrict qkv, const void *restrict out, const float *restrict lse,
                    const void *restrict gout, void *restrict gqkv, int N, int L, const int H, const int D,
                    int start, float scale, const int bf) {
    size_t row = (size_t)L * D * H;
    float *buf = malloc(sizeof(float) * (6 * row + 2 * (size_t)D * H + 2 * (size_t)H));
    if (!buf) return 1;
    float *restrict q = buf, *restrict k = q + row, *restrict v = k + row, *restrict dq = v + row,
          *restrict dk = dq + row, *restrict dv = dk + row, *restrict go = dv + row,
          *restrict oi = go + (size_t)D * H, *restrict di = oi + (size_t)D * H, *restrict li = di + H;
    int lq = L - start;
    for (int n = 0; n < N; n++) {
        split(qkv, n, q, k, v, L, H, D, bf);
        memset(dq, 0, sizeof(float) * 3 * row);
        for (int i = start; i < L; i++) {
            size_t at = (size_t)n * lq + (i - start);
            for (int h = 0; h < H; h++) {
                li[h] = lse[at * H + h];
                di[h] = 0.0f;
                for (int d = 0; d < D; d++) {
                    go[d * H + h] = ld(gout, (at * H + h) * D + d, bf);
                    oi[d * H + h] = ld(out, (at * H + h) * D + d, bf);
                }
            }
            for (int d = 0; d < D; d++)
                for (int h = 0; h < H; h++) di[h] += go[d * H + h] * oi[d * H + h];
            const float *restrict qi = q + (size_t)i * D * H;
            float dqi[D * H]; /* this query's gradient stays in registers over the keys */
            for (int x = 0; x < D * H; x++) dqi[x] = 0.0f;
            for (int j = 0; j <= i; j++) {
                const float *restrict kj = k + (size_t)j * D * H, *restrict vj = v + (size_t)j * D * H;
                float *restrict dkj = dk + (size_t)j * D * H, *restrict dvj = dv + (size_t)j * D * H;
                float pj[H], dpj[H], dsj[H];
                dot_heads(qi, kj, pj, H, D, scale);
                dot_heads(go, vj, dpj, H, D, 1.0f);
                for (int h = 0; h < H; h++) {
                    pj[h] = exp_clamped(pj[h] - li[h]);
                    dsj[h] = pj[h] * (dpj[h] - di[h]) * scale;
                }
                for (int d = 0; d < D; d++)
                    for (int h = 0; h < H; h++) {
                        int x = d * H + h;
                        dvj[x] += pj[h] * go[x];
                        dqi[x] += dsj[h] * kj[x];
                        dkj[x] += dsj[h] * qi[x];
                    }
            }
            float *restrict dq_row = dq + (size_t)i * D * H;
            for (int x = 0; x < D * H; x++) dq_row[x] = dqi[x];
        }
        size_t base = (size_t)n * L * 3 * H * D;
        for (int i = 0; i < L; i++)
            for (int t = 0; t < 3; t++) {
                const float *src = (t == 0 ? dq : t == 1 ? dk : dv) + (size_t)i * D * H;
                size_t dst = base + ((size_t)i * 3 + t) * H * D;
                for (int h = 0; h < H; h++)
                    for (int d = 0; d < D; d++) st(gqkv, dst + h * D + d, src[d * H + h], bf);
            }
    }
    free(buf);
    return 0;
}

/* Entry points. The head shapes of specs/table1.toml (32 x 4) and of verify.table1's quick decoder (8 x 8)
   get their own compiled copies, with the head loops fully unrolled over vector registers; each shape in
   float32 and in bfloat16. */
#define SHAPE(h, d, call, ...) \
    (bf16 ? call(__VA_ARGS__, h, d, start, scale, 1) : call(__VA_ARGS__, h, d, start, scale, 0))
#define BY_SHAPE(call, ...)                                \
    (H == 32 && D == 4  ? SHAPE(32, 4, call, __VA_ARGS__) \
     : H == 8 && D == 8 ? SHAPE(8, 8, call, __VA_ARGS__)  \
                        : SHAPE(H, D, call, __VA_ARGS__))

int small_heads_forward(const void *qkv, void *out, float *lse, int N, int L, int H, int D, int start,
                        float scale, int bf16) {
    FLUSH_SUBNORMALS;
    int status = BY_SHAPE(forward, qkv, out, lse, N, L);
    RESTORE_SUBNORMALS;
    return status;
}

int small_heads_backward(const void *qkv, const void *out, const float *lse, const void *gout, void *gqkv,
                         int N, int L, int H, int D, int start, float scale, int bf16) {
    FLUSH_SUBNORMALS;
    int status = BY_SHAPE(backward, qkv, out, lse, gout, gqkv, N, L);
    RESTORE_SUBNORMALS;
    return status;
}

/* GELU with the tanh approximation (GPT-2, torch's approximate="tanh"):
   gelu(x) = x (1 + tanh(u)) / 2 = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3);
   gelu'(x) = s + x s (1 - s) 2 sqrt(2/pi) (1 + 3 0.044715 x^2), s = sigmoid(2u). */
#define GELU_C 0.7978845608028654f
#define GELU_A 0.044715f

INLINE void gelu_fwd(const void *restrict x, void *restrict y, long n, const int bf) {
    for (long i = 0; i < n; i++) {
        float xi = ld(x, i, bf);
        float u = GELU_C * (xi + GELU_A * xi * xi * xi);
        st(y, i, xi / (1.0f + exp_clamped(-2.0f * u)), bf);
    }
}

INLINE void gelu_bwd(const void *restrict x, const void *restrict gy, void *restrict gx, long n, const int bf) {
    for (long i = 0; i < n; i++) {
        float xi = ld(x, i, bf);
        float u = GELU_C * (xi + GELU_A * xi * xi * xi);
        float s = 1.0f / (1.0f + exp_clamped(-2.0f * u));
        float du = 2.0f * GELU_C * (1.0f + 3.0f * GELU_A * xi * xi);
        st(gx, i, ld(gy, i, bf) * (s + xi * s * (1.0f - s) * du), bf);
    }
}

void gelu_forward(const void *x, void *y, long n, int bf16) {
    FLUSH_SUBNORMALS;
    if (bf16)
        gelu_fwd(x, y, n, 1);
    else
        gelu_fwd(x, y, n, 0);
    RESTORE_SUBNORMALS;
}

void gelu_backward(const void *x, const void *gy, void *gx, long n, int bf16) {
    FLUSH_SUBNORMALS;
    if (bf16)
        gelu_bwd(x, gy, gx, n, 1);
    else
        gelu_bwd(x, gy, gx, n, 0);
    RESTORE_SUBNORMALS;
}
