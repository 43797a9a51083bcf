/* linalg: every routine in double and float against naive reference code
 * on random matrices (loop index 0 = double, 1 = float), plus bad input.
 *
 * Tolerances: entries are O(1) and sizes <= 10, so rounding errors are
 * about n * eps * max|entry| <= 1e-13 in double and 1e-5 in float (float
 * also rounds the inputs, relative 6e-8). TOL gives a margin of ~10. */
#include <stdint.h>

#include "harness.h"

#define TOL(f32) ((f32) ? 2e-4 : 1e-11)

static mech_rng *rng;

static void setup(void) { ck_assert_ok(mech_rng_create_seeded(&rng, 12345, 0)); }
static void teardown(void) { mech_rng_destroy(rng); }

/* Uniform entries in [-1, 1). */
static double *rand_mat(size_t count)
{
    double *x = malloc(count * sizeof *x);
    ck_assert_ok(mech_rng_uniform(rng, x, count));
    for (size_t i = 0; i < count; i++) x[i] = 2 * x[i] - 1;
    return x;
}

static float *to_f(const double *x, size_t count)
{
    if (!x) return NULL; /* an empty array passed as NULL stays NULL */
    float *f = malloc((count ? count : 1) * sizeof *f);
    for (size_t i = 0; i < count; i++) f[i] = (float)x[i];
    return f;
}

static void from_f(double *x, float *f, size_t count)
{
    for (size_t i = 0; x && i < count; i++) x[i] = f[i];
    free(f);
}

/* ---- precision dispatch: run the double or float entry point on double
 * data (float copies in and out), so one test body covers both ---- */

static int gemm_p(int f32, const mech_ctx *ctx, bool ta, bool tb, size_t m, size_t n,
                  size_t k, double alpha, const double *a, size_t lda, const double *b,
                  size_t ldb, double beta, double *c, size_t ldc)
{
    if (!f32) return mech_gemm(ctx, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    size_t na = (ta ? k : m) * lda, nb = (tb ? n : k) * ldb, nc = m * ldc;
    float *fa = to_f(a, na), *fb = to_f(b, nb), *fc = to_f(c, nc);
    int st = mech_gemm_f32(ctx, ta, tb, m, n, k, (float)alpha, fa, lda, fb, ldb,
                           (float)beta, fc, ldc);
    free(fa);
    free(fb);
    from_f(c, fc, nc);
    return st;
}

static int gemv_p(int f32, bool tr, size_t m, size_t n, double alpha, const double *a,
                  size_t lda, const double *x, double beta, double *y)
{
    if (!f32) return mech_gemv(NULL, tr, m, n, alpha, a, lda, x, beta, y);
    size_t nx = tr ? m : n, ny = tr ? n : m;
    float *fa = to_f(a, m * lda), *fx = to_f(x, nx), *fy = to_f(y, ny);
    int st = mech_gemv_f32(NULL, tr, m, n, (float)alpha, fa, lda, fx, (float)beta, fy);
    free(fa);
    free(fx);
    from_f(y, fy, ny);
    return st;
}

static int syev_p(int f32, size_t n, const double *a, size_t lda, double *w, double *v)
{
    if (!f32) return mech_syev(NULL, n, a, lda, w, v);
    float *fa = to_f(a, n * lda), *fw = to_f(w, n), *fv = v ? to_f(v, n * n) : NULL;
    int st = mech_syev_f32(NULL, n, fa, lda, fw, fv);
    free(fa);
    from_f(w, fw, n);
    if (v) from_f(v, fv, n * n);
    return st;
}

static int svd_p(int f32, size_t m, size_t n, const double *a, size_t lda, double *s,
                 double *u, double *vt)
{
    if (!f32) return mech_svd(NULL, m, n, a, lda, s, u, vt);
    size_t mn = m < n ? m : n;
    float *fa = to_f(a, m * lda), *fs = to_f(s, mn);
    float *fu = u ? to_f(u, m * mn) : NULL, *fv = vt ? to_f(vt, mn * n) : NULL;
    int st = mech_svd_f32(NULL, m, n, fa, lda, fs, fu, fv);
    free(fa);
    from_f(s, fs, mn);
    if (u) from_f(u, fu, m * mn);
    if (vt) from_f(vt, fv, mn * n);
    return st;
}

static int chol_p(int f32, size_t n, size_t nrhs, const double *a, size_t lda, double *b,
                  size_t ldb)
{
    if (!f32) return mech_cholesky_solve(NULL, n, nrhs, a, lda, b, ldb);
    float *fa = to_f(a, n * lda), *fb = to_f(b, n * ldb);
    int st = mech_cholesky_solve_f32(NULL, n, nrhs, fa, lda, fb, ldb);
    free(fa);
    from_f(b, fb, n * ldb);
    return st;
}

/* Entry (i, j) of op(X) for row-major X with leading dimension ld. */
static double op_at(const double *x, size_t ld, bool t, size_t i, size_t j)
{
    return t ? x[j * ld + i] : x[i * ld + j];
}

START_TEST(gemm_matches_triple_loop)
{
    const int f32 = _i;
    const size_t m = 5, n = 7, k = 3;
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        size_t lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
        double *a = rand_mat((ta ? k : m) * lda), *b = rand_mat((tb ? n : k) * ldb);
        double *c = rand_mat(m * ldc), *want = malloc(m * ldc * sizeof *want);
        for (size_t i = 0; i < m; i++) c[i * ldc + n] = NAN; /* padding: never touched */
        memcpy(want, c, m * ldc * sizeof *want);
        const double alpha = 0.75, beta = -1.25;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                double s = 0;
                for (size_t p = 0; p < k; p++)
                    s += op_at(a, lda, ta, i, p) * op_at(b, ldb, tb, p, j);
                want[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
            }
        ck_assert_ok(gemm_p(f32, NULL, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
        for (size_t i = 0; i < m; i++) {
            ck_assert(isnan(c[i * ldc + n]));
            for (size_t j = 0; j < n; j++) ck_assert_close(c[i * ldc + j], want[i * ldc + j], TOL(f32));
        }
        free(a);
        free(b);
        free(c);
        free(want);
    }
}
END_TEST

START_TEST(gemm_beta_zero_and_degenerate_sizes)
{
    const int f32 = _i;
    double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}; /* A 2x3, B 3x2 */
    double c[4] = {NAN, NAN, NAN, INFINITY};
    ck_assert_ok(gemm_p(f32, NULL, false, false, 2, 2, 3, 1.0, a, 3, b, 2, 0.0, c, 2));
    const double want[4] = {4, 5, 10, 11};
    for (int i = 0; i < 4; i++) ck_assert_close(c[i], want[i], TOL(f32));
    /* k == 0: C = beta C, and beta == 0 clears NaN */
    double c2[4] = {1, 2, 3, 4};
    ck_assert_ok(gemm_p(f32, NULL, false, false, 2, 2, 0, 1.0, NULL, 1, NULL, 2, 2.0, c2, 2));
    for (int i = 0; i < 4; i++) ck_assert_close(c2[i], 2.0 * (i + 1), TOL(f32));
    double c3[4] = {NAN, NAN, NAN, NAN};
    ck_assert_ok(gemm_p(f32, NULL, false, false, 2, 2, 0, 1.0, NULL, 1, NULL, 2, 0.0, c3, 2));
    for (int i = 0; i < 4; i++) ck_assert(c3[i] == 0.0);
    /* m == 0 or n == 0: nothing to do; empty arrays may be NULL */
    ck_assert_ok(gemm_p(f32, NULL, false, false, 0, 2, 3, 1.0, NULL, 3, b, 2, 0.0, NULL, 2));
    ck_assert_ok(gemm_p(f32, NULL, false, false, 2, 0, 3, 1.0, a, 3, NULL, 1, 0.0, NULL, 1));
    /* one-column matrices with ld == 1 */
    double x[3] = {1, 2, 3}, y[1] = {2}, z[3];
    ck_assert_ok(gemm_p(f32, NULL, false, false, 3, 1, 1, 1.0, x, 1, y, 1, 0.0, z, 1));
    for (int i = 0; i < 3; i++) ck_assert_close(z[i], 2.0 * (i + 1), TOL(f32));
}
END_TEST

static int syrk_p(int f32, bool tr, size_t n, size_t k, double alpha, const double *a,
                  size_t lda, double beta, double *c, size_t ldc)
{
    if (!f32) return mech_syrk(NULL, tr, n, k, alpha, a, lda, beta, c, ldc);
    size_t na = (tr ? k : n) * lda, nc = n * ldc;
    float *fa = to_f(a, na), *fc = to_f(c, nc);
    int st = mech_syrk_f32(NULL, tr, n, k, (float)alpha, fa, lda, (float)beta, fc, ldc);
    free(fa);
    from_f(c, fc, nc);
    return st;
}

/* syrk against gemm of A with itself (an independent BLIS path), both
 * orientations, both triangles, padding untouched, beta on a symmetric C. */
START_TEST(syrk_matches_gemm)
{
    const int f32 = _i;
    const size_t n = 6, k = 4;
    for (int t = 0; t < 2; t++) {
        const bool tr = t;
        size_t lda = (tr ? n : k) + 2, ldc = n + 1;
        double *a = rand_mat((tr ? k : n) * lda), *c = rand_mat(n * ldc);
        double *want = malloc(n * ldc * sizeof *want);
        for (size_t i = 0; i < n; i++) {
            c[i * ldc + n] = NAN; /* padding: never touched */
            for (size_t j = 0; j < i; j++) c[j * ldc + i] = c[i * ldc + j];
        }
        memcpy(want, c, n * ldc * sizeof *want);
        const double alpha = 0.75, beta = -1.25;
        /* op(A) op(A)^T: A A^T (A n x k) or A^T A (A k x n) */
        ck_assert_ok(gemm_p(f32, NULL, tr, !tr, n, n, k, alpha, a, lda, a, lda, beta, want,
                            ldc));
        ck_assert_ok(syrk_p(f32, tr, n, k, alpha, a, lda, beta, c, ldc));
        for (size_t i = 0; i < n; i++) {
            ck_assert(isnan(c[i * ldc + n]));
            for (size_t j = 0; j < n; j++) {
                ck_assert_close(c[i * ldc + j], want[i * ldc + j], TOL(f32));
                ck_assert(c[i * ldc + j] == c[j * ldc + i]);
            }
        }
        free(a);
        free(c);
        free(want);
    }
}
END_TEST

START_TEST(syrk_beta_zero_and_degenerate_sizes)
{
    const int f32 = _i;
    double a[6] = {1, 2, 3, 4, 5, 6}; /* 2 x 3 */
    double c[4] = {NAN, NAN, NAN, INFINITY};
    ck_assert_ok(syrk_p(f32, false, 2, 3, 1.0, a, 3, 0.0, c, 2)); /* A A^T */
    const double want[4] = {14, 32, 32, 77};
    for (int i = 0; i < 4; i++) ck_assert_close(c[i], want[i], TOL(f32));
    double d[9];
    ck_assert_ok(syrk_p(f32, true, 3, 2, 2.0, a, 3, 0.0, d, 3)); /* 2 A^T A */
    const double want_t[9] = {34, 44, 54, 44, 58, 72, 54, 72, 90};
    for (int i = 0; i < 9; i++) ck_assert_close(d[i], want_t[i], TOL(f32));
    /* k == 0: C = beta C (both triangles from the lower one) */
    double c2[4] = {1, 2, 2, 4};
    ck_assert_ok(syrk_p(f32, false, 2, 0, 1.0, NULL, 1, 3.0, c2, 2));
    for (int i = 0; i < 4; i++) ck_assert_close(c2[i], 3.0 * (i == 3 ? 4 : i ? 2 : 1), TOL(f32));
    /* n == 0: nothing to do */
    ck_assert_ok(syrk_p(f32, false, 0, 3, 1.0, NULL, 3, 0.0, NULL, 1));
}
END_TEST

START_TEST(syrk_bad_input)
{
    double a[4] = {1, 2, 3, 4}, c[4] = {0};
    float fa[4] = {1, 2, 3, 4}, fc[4] = {0};
    const size_t huge = (size_t)1 << 62;
    ck_assert_fails_with(mech_syrk(NULL, false, 2, 2, 1, NULL, 2, 0, c, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_syrk(NULL, false, 2, 2, 1, a, 2, 0, NULL, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_syrk(NULL, false, 2, 2, 1, a, 1, 0, c, 2), MECH_ESHAPE);
    ck_assert_fails_with(mech_syrk(NULL, true, 2, 1, 1, a, 1, 0, c, 2), MECH_ESHAPE);
    ck_assert_fails_with(mech_syrk(NULL, false, 2, 2, 1, a, 2, 0, c, 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_syrk(NULL, false, huge, 2, 1, a, 2, 0, c, huge), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_syrk_f32(NULL, false, 2, 2, 1, NULL, 2, 0, fc, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_syrk_f32(NULL, true, 2, 2, 1, fa, 2, 0, fc, 1), MECH_ESHAPE);
}
END_TEST

START_TEST(gemm_two_threads_agree)
{
    /* Two threads split the work differently but each entry is the same dot
     * product up to summation order: 1e-12 relative at k = 170. */
    const size_t m = 120, n = 90, k = 170;
    double *a = rand_mat(m * k), *b = rand_mat(k * n);
    double *c1 = calloc(m * n, sizeof *c1), *c2 = calloc(m * n, sizeof *c2);
    mech_ctx *ctx = NULL;
    ck_assert_ok(mech_ctx_create(&ctx));
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_THREADS, 2));
    ck_assert_ok(mech_gemm(NULL, false, true, m, n, k, 1.0, a, k, b, k, 0.0, c1, n));
    ck_assert_ok(mech_gemm(ctx, false, true, m, n, k, 1.0, a, k, b, k, 0.0, c2, n));
    for (size_t i = 0; i < m * n; i++) ck_assert_close(c2[i], c1[i], 1e-12);
    mech_ctx_destroy(ctx);
    free(a);
    free(b);
    free(c1);
    free(c2);
}
END_TEST

START_TEST(gemv_dot_axpy_match_loops)
{
    const int f32 = _i;
    const size_t m = 6, n = 4, lda = 7;
    double *a = rand_mat(m * lda), *x = rand_mat(m), *y = rand_mat(m), want[6], ax[6];
    for (int tr = 0; tr < 2; tr++) {
        size_t ny = tr ? n : m, nx = tr ? m : n;
        memcpy(want, y, ny * sizeof *y);
        for (size_t i = 0; i < ny; i++) {
            double s = 0;
            for (size_t j = 0; j < nx; j++) s += op_at(a, lda, tr, i, j) * x[j];
            ax[i] = 0.5 * s;
            want[i] = ax[i] - 2.0 * y[i];
        }
        ck_assert_ok(gemv_p(f32, tr, m, n, 0.5, a, lda, x, -2.0, y));
        for (size_t i = 0; i < ny; i++) ck_assert_close(y[i], want[i], TOL(f32));
        /* beta == 0 ignores NaN in y */
        for (size_t i = 0; i < ny; i++) y[i] = NAN;
        ck_assert_ok(gemv_p(f32, tr, m, n, 0.5, a, lda, x, 0.0, y));
        for (size_t i = 0; i < ny; i++) ck_assert_close(y[i], ax[i], TOL(f32));
    }
    double d = 0, s = 0;
    for (size_t i = 0; i < m; i++) s += x[i] * y[i];
    if (f32) {
        float *fx = to_f(x, m), *fy = to_f(y, m), fd = 0;
        ck_assert_ok(mech_dot_f32(m, fx, fy, &fd));
        ck_assert_close(fd, s, TOL(1));
        ck_assert_ok(mech_axpy_f32(m, 2.f, fx, fy));
        for (size_t i = 0; i < m; i++) ck_assert_close(fy[i], y[i] + 2 * x[i], TOL(1));
        ck_assert_ok(mech_dot_f32(0, NULL, NULL, &fd));
        ck_assert(fd == 0.f);
        ck_assert_ok(mech_axpy_f32(0, 1.f, NULL, NULL));
        free(fx);
        free(fy);
    } else {
        ck_assert_ok(mech_dot(m, x, y, &d));
        ck_assert_close(d, s, TOL(0));
        memcpy(want, y, m * sizeof *y);
        ck_assert_ok(mech_axpy(m, 2.0, x, y));
        for (size_t i = 0; i < m; i++) ck_assert_close(y[i], want[i] + 2 * x[i], TOL(0));
        ck_assert_ok(mech_dot(0, NULL, NULL, &d));
        ck_assert(d == 0.0);
        ck_assert_ok(mech_axpy(0, 1.0, NULL, NULL));
    }
    free(a);
    free(x);
    free(y);
}
END_TEST

/* Random symmetric n x n in storage with leading dimension ld; the strict
 * upper triangle of the storage holds NaN (it must never be read) and
 * `full` gets the dense symmetric matrix. */
static double *rand_sym(size_t n, size_t ld, double *full)
{
    double *a = rand_mat(n * ld);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (j > i) a[i * ld + j] = NAN;
            full[i * n + j] = j <= i ? a[i * ld + j] : a[j * ld + i];
        }
    return a;
}

START_TEST(syev_decomposes)
{
    const int f32 = _i;
    enum { N = 6 };
    const size_t lda = 8;
    double full[N * N], w[N], v[N * N], w2[N];
    double *a = rand_sym(N, lda, full);
    ck_assert_ok(syev_p(f32, N, a, lda, w, v));
    for (size_t j = 0; j + 1 < N; j++) ck_assert_double_le(w[j], w[j + 1]);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double av = 0, vtv = 0;
            for (size_t p = 0; p < N; p++) {
                av += full[i * N + p] * v[p * N + j];
                vtv += v[p * N + i] * v[p * N + j];
            }
            ck_assert_close(av, v[i * N + j] * w[j], TOL(f32)); /* A V = V diag(w) */
            ck_assert_close(vtv, i == j ? 1.0 : 0.0, TOL(f32)); /* V^T V = I */
        }
    ck_assert_ok(syev_p(f32, N, a, lda, w2, NULL));
    for (size_t j = 0; j < N; j++) ck_assert_close(w2[j], w[j], TOL(f32));
    /* trace = sum of eigenvalues: an independent check of the values */
    double tr = 0, sw = 0;
    for (size_t j = 0; j < N; j++) {
        tr += full[j * N + j];
        sw += w[j];
    }
    ck_assert_close(sw, tr, TOL(f32));
    free(a);
}
END_TEST

static void check_svd(int f32, size_t m, size_t n)
{
    const size_t lda = n + 1, mn = m < n ? m : n;
    double *a = rand_mat(m * lda), *s = malloc(mn * sizeof *s), *s2 = malloc(mn * sizeof *s2);
    double *u = malloc(m * mn * sizeof *u), *vt = malloc(mn * n * sizeof *vt);
    ck_assert_ok(svd_p(f32, m, n, a, lda, s, u, vt));
    for (size_t j = 0; j < mn; j++) {
        ck_assert_double_ge(s[j], 0);
        if (j + 1 < mn) ck_assert_double_ge(s[j], s[j + 1]);
    }
    for (size_t i = 0; i < m; i++) /* U diag(s) V^T = A */
        for (size_t j = 0; j < n; j++) {
            double r = 0;
            for (size_t p = 0; p < mn; p++) r += u[i * mn + p] * s[p] * vt[p * n + j];
            ck_assert_close(r, a[i * lda + j], TOL(f32));
        }
    for (size_t i = 0; i < mn; i++) /* U^T U = I and V^T V = I */
        for (size_t j = 0; j < mn; j++) {
            double uu = 0, vv = 0;
            for (size_t p = 0; p < m; p++) uu += u[p * mn + i] * u[p * mn + j];
            for (size_t p = 0; p < n; p++) vv += vt[i * n + p] * vt[j * n + p];
            ck_assert_close(uu, i == j ? 1.0 : 0.0, TOL(f32));
            ck_assert_close(vv, i == j ? 1.0 : 0.0, TOL(f32));
        }
    /* values alone, and with only one factor, are the same */
    ck_assert_ok(svd_p(f32, m, n, a, lda, s2, NULL, NULL));
    for (size_t j = 0; j < mn; j++) ck_assert_close(s2[j], s[j], TOL(f32));
    ck_assert_ok(svd_p(f32, m, n, a, lda, s2, u, NULL));
    ck_assert_ok(svd_p(f32, m, n, a, lda, s2, NULL, vt));
    for (size_t j = 0; j < mn; j++) ck_assert_close(s2[j], s[j], TOL(f32));
    free(a);
    free(s);
    free(s2);
    free(u);
    free(vt);
}

START_TEST(svd_decomposes)
{
    check_svd(_i, 7, 4);
    check_svd(_i, 4, 7);
    check_svd(_i, 5, 5);
}
END_TEST

START_TEST(cholesky_solves)
{
    const int f32 = _i;
    enum { N = 5, R = 3 };
    const size_t lda = 6, ldb = 4;
    double *m = rand_mat(N * N), full[N * N];
    double *a = malloc(N * lda * sizeof *a), *b = rand_mat(N * ldb), b0[N * 4];
    /* A = M M^T + N I is SPD with condition number O(10) */
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = i == j ? N : 0;
            for (size_t p = 0; p < N; p++) s += m[i * N + p] * m[j * N + p];
            full[i * N + j] = s;
            a[i * lda + j] = j <= i ? s : NAN;
        }
    memcpy(b0, b, sizeof b0);
    ck_assert_ok(chol_p(f32, N, R, a, lda, b, ldb));
    for (size_t i = 0; i < N; i++) /* A X = B */
        for (size_t j = 0; j < R; j++) {
            double r = 0;
            for (size_t p = 0; p < N; p++) r += full[i * N + p] * b[p * ldb + j];
            ck_assert_close(r, b0[i * ldb + j], TOL(f32));
        }
    /* not positive definite: MECH_ELINALG, B untouched */
    double bad[4] = {1, 0, 0, -1}, rhs[2] = {1, 2};
    ck_assert_fails_with(chol_p(f32, 2, 1, bad, 2, rhs, 1), MECH_ELINALG);
    ck_assert(rhs[0] == 1 && rhs[1] == 2);
    free(m);
    free(a);
    free(b);
}
END_TEST

START_TEST(bad_input)
{
    double a[16] = {4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 4}, c[16] = {0}, w[4], v[16];
    float fa[16] = {0}, fc[16] = {0}, fw[4];
    const size_t huge = (size_t)1 << 62, over_int = (size_t)INT32_MAX + 1;
    /* gemm: NULL, ld too small, overflowing extent, sizes above dim_t */
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, 2, 2, 2, 1, NULL, 2, a, 2, 0, c, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, 2, 2, 2, 1, a, 2, NULL, 2, 0, c, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, 2, 2, 2, 1, a, 2, a, 2, 0, NULL, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, 2, 3, 2, 1, a, 2, a, 2, 0, c, 2), MECH_ESHAPE);
    ck_assert_fails_with(mech_gemm(NULL, 1, 0, 3, 2, 2, 1, a, 2, a, 2, 0, c, 2), MECH_ESHAPE);
    ck_assert_fails_with(mech_gemm(NULL, 0, 1, 2, 2, 3, 1, a, 3, a, 2, 0, c, 2), MECH_ESHAPE);
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, 2, 0, 2, 1, a, 2, a, 0, 0, c, 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, huge, 2, 2, 1, a, huge, a, 2, 0, c, 2),
                         MECH_EOVERFLOW);
    ck_assert_fails_with(mech_gemm(NULL, 0, 0, SIZE_MAX, 2, 2, 1, a, 2, a, 2, 0, c, 2),
                         MECH_EOVERFLOW);
    ck_assert_fails_with(mech_gemm_f32(NULL, 0, 0, 2, 2, 2, 1, fa, 1, fa, 2, 0, fc, 2),
                         MECH_ESHAPE);
    ck_assert_fails_with(mech_gemm_f32(NULL, 0, 0, 2, 2, 2, 1, NULL, 2, fa, 2, 0, fc, 2),
                         MECH_EINVAL);
    /* gemv */
    ck_assert_fails_with(mech_gemv(NULL, 0, 2, 2, 1, NULL, 2, a, 0, c), MECH_EINVAL);
    ck_assert_fails_with(mech_gemv(NULL, 0, 2, 2, 1, a, 2, NULL, 0, c), MECH_EINVAL);
    ck_assert_fails_with(mech_gemv(NULL, 1, 2, 2, 1, a, 2, a, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_gemv(NULL, 0, 2, 3, 1, a, 2, a, 0, c), MECH_ESHAPE);
    ck_assert_fails_with(mech_gemv_f32(NULL, 0, 2, 3, 1, fa, 2, fa, 0, fc), MECH_ESHAPE);
    ck_assert_fails_with(mech_gemv_f32(NULL, 0, 2, 2, 1, fa, 2, NULL, 0, fc), MECH_EINVAL);
    /* dot, axpy */
    ck_assert_fails_with(mech_dot(2, NULL, a, c), MECH_EINVAL);
    ck_assert_fails_with(mech_dot(2, a, NULL, c), MECH_EINVAL);
    ck_assert_fails_with(mech_dot(2, a, a, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_dot(SIZE_MAX, a, a, c), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_dot_f32(2, fa, NULL, fc), MECH_EINVAL);
    ck_assert_fails_with(mech_dot_f32(2, fa, fa, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_axpy(2, 1, NULL, c), MECH_EINVAL);
    ck_assert_fails_with(mech_axpy(2, 1, a, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_axpy_f32(2, 1, NULL, fc), MECH_EINVAL);
    ck_assert_fails_with(mech_axpy_f32(2, 1, fa, NULL), MECH_EINVAL);
    /* syev */
    ck_assert_fails_with(mech_syev(NULL, 0, a, 4, w, v), MECH_EINVAL);
    ck_assert_fails_with(mech_syev(NULL, 4, NULL, 4, w, v), MECH_EINVAL);
    ck_assert_fails_with(mech_syev(NULL, 4, a, 4, NULL, v), MECH_EINVAL);
    ck_assert_fails_with(mech_syev(NULL, 4, a, 3, w, v), MECH_ESHAPE);
    ck_assert_fails_with(mech_syev(NULL, over_int, a, over_int, w, v), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_syev(NULL, 40000, a, 40000, w, v), MECH_EOVERFLOW);
    a[9] = NAN; /* lower triangle, row 2 column 1 */
    ck_assert_fails_with(mech_syev(NULL, 4, a, 4, w, v), MECH_ENONFINITE);
    ck_assert_fails_with(mech_svd(NULL, 4, 4, a, 4, w, NULL, NULL), MECH_ENONFINITE);
    ck_assert_fails_with(mech_cholesky_solve(NULL, 4, 1, a, 4, c, 1), MECH_ENONFINITE);
    a[9] = 0;
    ck_assert_fails_with(mech_syev_f32(NULL, 0, fa, 4, fw, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_syev_f32(NULL, 4, fa, 2, fw, NULL), MECH_ESHAPE);
    fa[4] = INFINITY;
    ck_assert_fails_with(mech_syev_f32(NULL, 4, fa, 4, fw, NULL), MECH_ENONFINITE);
    ck_assert_fails_with(mech_svd_f32(NULL, 4, 4, fa, 4, fw, NULL, NULL), MECH_ENONFINITE);
    ck_assert_fails_with(mech_cholesky_solve_f32(NULL, 4, 1, fa, 4, fc, 1), MECH_ENONFINITE);
    fa[4] = 0;
    /* svd */
    ck_assert_fails_with(mech_svd(NULL, 0, 4, a, 4, w, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_svd(NULL, 4, 0, a, 4, w, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_svd(NULL, 4, 4, NULL, 4, w, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_svd(NULL, 4, 4, a, 4, NULL, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_svd(NULL, 4, 5, a, 4, w, NULL, NULL), MECH_ESHAPE);
    ck_assert_fails_with(mech_svd(NULL, over_int, 1, a, 1, w, NULL, NULL), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_svd(NULL, 100000, 100000, a, 100000, w, NULL, NULL),
                         MECH_EOVERFLOW);
    ck_assert_fails_with(mech_svd_f32(NULL, 0, 4, fa, 4, fw, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_svd_f32(NULL, 4, 4, fa, 3, fw, NULL, NULL), MECH_ESHAPE);
    /* cholesky */
    ck_assert_fails_with(mech_cholesky_solve(NULL, 0, 1, a, 4, c, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_cholesky_solve(NULL, 4, 0, a, 4, c, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_cholesky_solve(NULL, 4, 1, NULL, 4, c, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_cholesky_solve(NULL, 4, 1, a, 4, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_cholesky_solve(NULL, 4, 2, a, 4, c, 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_cholesky_solve(NULL, over_int, 1, a, over_int, c, 1),
                         MECH_EOVERFLOW);
    c[2] = NAN;
    ck_assert_fails_with(mech_cholesky_solve(NULL, 4, 1, a, 4, c, 1), MECH_ENONFINITE);
    ck_assert_fails_with(mech_cholesky_solve_f32(NULL, 0, 1, fa, 4, fc, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_cholesky_solve_f32(NULL, 4, 1, fa, 4, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_cholesky_solve_f32(NULL, 4, 1, fa, 4, fc, 1), MECH_ELINALG);
    /* still working after all that */
    for (int i = 0; i < 4; i++) c[i] = 1;
    ck_assert_ok(mech_cholesky_solve(NULL, 4, 1, a, 4, c, 1));
    ck_assert_close(c[0], 0.25, 1e-15);
}
END_TEST

static Suite *linalg_suite(void)
{
    Suite *s = suite_create("linalg");
    TCase *tc = tcase_create("linalg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, gemm_matches_triple_loop, 0, 2);
    tcase_add_loop_test(tc, gemm_beta_zero_and_degenerate_sizes, 0, 2);
    tcase_add_test(tc, gemm_two_threads_agree);
    tcase_add_loop_test(tc, syrk_matches_gemm, 0, 2);
    tcase_add_loop_test(tc, syrk_beta_zero_and_degenerate_sizes, 0, 2);
    tcase_add_test(tc, syrk_bad_input);
    tcase_add_loop_test(tc, gemv_dot_axpy_match_loops, 0, 2);
    tcase_add_loop_test(tc, syev_decomposes, 0, 2);
    tcase_add_loop_test(tc, svd_decomposes, 0, 2);
    tcase_add_loop_test(tc, cholesky_solves, 0, 2);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(linalg_suite()); }
