/* Infinite-width kernels and linearized training against independent
 * references: closed forms vs quadrature, Price's theorem, known kernel
 * identities, naive loops, a Taylor-series matrix exponential and an
 * explicit gradient-descent iteration. Monte Carlo checks against finite
 * networks are in test_kernels_width.c (slow suite). */
#include "harness.h"

static const double PI = 3.14159265358979323846;

static void normals(uint64_t seed, double *x, size_t n)
{
    mech_rng *r;
    ck_assert_ok(mech_rng_create_seeded(&r, seed, 0));
    ck_assert_ok(mech_rng_normal(r, x, n, 0, 1));
    mech_rng_destroy(r);
}

/* ---------------- Gaussian moments ---------------- */

static const double VARS1[] = {0.1, 1, 4};
static const double VARS2[] = {0.5, 2};
static const double RHOS[] = {-1, -0.999, -0.5, 0, 0.3, 0.999, 1};
#define LEN(a) (sizeof(a) / sizeof(a)[0])

/* Closed form (nodes = 0) vs piecewise quadrature over the grid. */
static void closed_vs_quad(mech_activation act, size_t nodes, double tol)
{
    for (size_t a = 0; a < LEN(VARS1); a++)
        for (size_t b = 0; b < LEN(VARS2); b++)
            for (size_t r = 0; r < LEN(RHOS); r++)
                for (int which = 0; which < 2; which++) {
                    const double k11 = VARS1[a], k22 = VARS2[b];
                    const double k12 = RHOS[r] * sqrt(k11 * k22);
                    double cf, q;
                    ck_assert_ok(mech_gaussian_expectation(act, which, k11, k12, k22, 0, &cf));
                    ck_assert_ok(mech_gaussian_expectation(act, which, k11, k12, k22, nodes, &q));
                    ck_assert_msg(fabs(cf - q) <= tol * fmax(1, fabs(cf)),
                                  "%s moment %d at (%g, %g, %g): closed %.17g quad %.17g",
                                  mech_activation_name(act), which, k11, k12, k22, cf, q);
                }
}

/* Acceptance numbers: erf 1e-12, relu 1e-10 with the split at the kink.
 * Measured errors are ~3e-15 (erf, 96 nodes) and ~6e-16 (relu, 64). */
START_TEST(erf_closed_form_equals_quadrature)
{
    closed_vs_quad(MECH_ACT_ERF, 96, 1e-12);
    closed_vs_quad(MECH_ACT_SCALED_ERF, 96, 1e-12);
}
END_TEST

START_TEST(relu_closed_form_equals_quadrature)
{
    closed_vs_quad(MECH_ACT_RELU, 64, 1e-10);
}
END_TEST

/* Polynomials: the quadrature is exact up to the truncation (1e-22). */
START_TEST(polynomial_closed_forms_equal_quadrature)
{
    closed_vs_quad(MECH_ACT_IDENTITY, 32, 1e-12);
    closed_vs_quad(MECH_ACT_QUADRATIC, 32, 1e-12);
}
END_TEST

/* Known values: relu at k11 = k22 = 1, rho = 0 gives 1/(2 pi) and 1/4;
 * erf at rho = 0 gives 0 (odd); gelu at rho = 0 factorizes into
 * E[gelu(u)] = k E[Phi'(u)] = k / sqrt(2 pi (1 + k)) (Stein's lemma). */
START_TEST(moments_known_values)
{
    double v;
    ck_assert_ok(mech_gaussian_expectation(MECH_ACT_RELU, MECH_MOMENT_PHI_PHI, 1, 0, 1, 0, &v));
    ck_assert_close(v, 1 / (2 * PI), 1e-15);
    ck_assert_ok(mech_gaussian_expectation(MECH_ACT_RELU, MECH_MOMENT_DPHI_DPHI, 1, 0, 1, 0, &v));
    ck_assert_close(v, 0.25, 1e-15);
    const double k11 = 0.7, k22 = 2.5;
    ck_assert_ok(mech_gaussian_expectation(MECH_ACT_GELU, MECH_MOMENT_PHI_PHI, k11, 0, k22, 0, &v));
    const double want = k11 / sqrt(2 * PI * (1 + k11)) * k22 / sqrt(2 * PI * (1 + k22));
    ck_assert_close(v, want, 1e-12);
}
END_TEST

/* Price's theorem: d E[phi(u) phi(v)] / d k12 = E[phi'(u) phi'(v)], an
 * independent check of the quadrature-only activations. Central
 * difference with h = 1e-4: truncation ~h^2 = 1e-8, rounding ~1e-12. */
START_TEST(quadrature_obeys_price_theorem)
{
    const mech_activation acts[] = {MECH_ACT_TANH, MECH_ACT_GELU, MECH_ACT_SOFTPLUS,
                                    MECH_ACT_ERF};
    const double k11 = 1.3, k22 = 0.8, h = 1e-4;
    for (size_t a = 0; a < LEN(acts); a++)
        for (double rho = -0.9; rho < 0.95; rho += 0.45) {
            const double k12 = rho * sqrt(k11 * k22);
            double up, dn, d;
            ck_assert_ok(mech_gaussian_expectation(acts[a], 0, k11, k12 + h, k22, 0, &up));
            ck_assert_ok(mech_gaussian_expectation(acts[a], 0, k11, k12 - h, k22, 0, &dn));
            ck_assert_ok(mech_gaussian_expectation(acts[a], 1, k11, k12, k22, 0, &d));
            ck_assert_close((up - dn) / (2 * h), d, 1e-7);
        }
}
END_TEST

START_TEST(moments_bad_input)
{
    double v;
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, 0, 1, 0, 1, 0, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_gaussian_expectation((mech_activation)99, 0, 1, 0, 1, 0, &v),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, (mech_gauss_moment)2, 1, 0,
                                                   1, 0, &v),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, 0, -1, 0, 1, 0, &v),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, 0, 1, 1.5, 1, 0, &v),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, 0, 1, NAN, 1, 0, &v),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, 0, 1, 0, 1, 1, &v),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_gaussian_expectation(MECH_ACT_RELU, 0, 1, 0, 1,
                                                   MECH_KERNEL_MAX_NODES + 1, &v),
                         MECH_ERANGE);
}
END_TEST

/* ---------------- kernels ---------------- */

/* Depth 0: K = Theta = sw2 x.x'/d + sb2 (naive loop; rounding of a
 * 3-term dot product). */
START_TEST(depth_zero_is_the_linear_kernel)
{
    enum { N1 = 5, N2 = 7, D = 3 };
    double x1[N1 * D], x2[N2 * D], k[N1 * N2], t[N1 * N2];
    normals(1, x1, N1 * D);
    normals(2, x2, N2 * D);
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_TANH, 0, 1.7, 0.3, x1, N1, x2, N2, D, k, t));
    for (size_t i = 0; i < N1; i++)
        for (size_t j = 0; j < N2; j++) {
            double dot = 0;
            for (size_t c = 0; c < D; c++) dot += x1[i * D + c] * x2[j * D + c];
            ck_assert_close(k[i * N2 + j], 1.7 * dot / D + 0.3, 1e-14);
            ck_assert_close(t[i * N2 + j], k[i * N2 + j], 0);
        }
}
END_TEST

/* He-initialized relu (sw2 = 2, sb2 = 0) keeps the variance: K^{L+1}(x,x)
 * = K^1(x,x) = 2|x|^2/d, and E[phi'phi'] = 1/2 at angle 0 gives Theta = (L+1) K. */
START_TEST(relu_he_diagonal_identities)
{
    enum { N = 4, D = 6, L = 5 };
    double x[N * D], k[N * N], t[N * N];
    normals(3, x, N * D);
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_RELU, L, 2, 0, x, N, NULL, N, D, k, t));
    for (size_t i = 0; i < N; i++) {
        double sq = 0;
        for (size_t c = 0; c < D; c++) sq += x[i * D + c] * x[i * D + c];
        ck_assert_close(k[i * N + i], 2 * sq / D, 1e-14);
        ck_assert_close(t[i * N + i], (L + 1) * 2 * sq / D, 1e-14);
    }
}
END_TEST

static double min_eig_ratio(const double *a, size_t n)
{
    double *w = malloc(n * sizeof *w);
    ck_assert_ok(mech_syev(NULL, n, a, n, w, NULL));
    const double r = w[0] / fmax(fabs(w[0]), fabs(w[n - 1]));
    free(w);
    return r;
}

/* Symmetric (exactly: one triangle mirrored) and PSD up to rounding. */
START_TEST(kernels_are_symmetric_psd)
{
    enum { N = 12, D = 4 };
    const mech_activation acts[] = {MECH_ACT_RELU, MECH_ACT_TANH, MECH_ACT_ERF};
    double x[N * D], k[N * N], t[N * N];
    normals(4, x, N * D);
    for (size_t a = 0; a < LEN(acts); a++) {
        ck_assert_ok(mech_nngp_ntk(NULL, acts[a], 3, 1.5, 0.2, x, N, NULL, N, D, k, t));
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++) {
                ck_assert(k[i * N + j] == k[j * N + i]);
                ck_assert(t[i * N + j] == t[j * N + i]);
            }
        ck_assert(min_eig_ratio(k, N) >= -1e-10);
        ck_assert(min_eig_ratio(t, N) >= -1e-10);
    }
}
END_TEST

/* x2 = NULL equals passing x1 (the diagonal differs only by the rounding
 * of the Gram product against the row norm). Either output may be NULL. */
START_TEST(null_x2_equals_x1)
{
    enum { N = 9, D = 5 };
    double x[N * D], k1[N * N], t1[N * N], k2[N * N], t2[N * N];
    normals(5, x, N * D);
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_GELU, 2, 1.2, 0.1, x, N, NULL, N, D, k1, t1));
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_GELU, 2, 1.2, 0.1, x, N, x, N, D, k2, NULL));
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_GELU, 2, 1.2, 0.1, x, N, x, N, D, NULL, t2));
    for (size_t i = 0; i < N * N; i++) {
        ck_assert_close(k2[i], k1[i], 1e-13);
        ck_assert_close(t2[i], t1[i], 1e-13);
    }
}
END_TEST

/* The blocked path (256 rows per block; n1 = 300 spans two blocks) equals
 * a naive per-entry recursion built on mech_gaussian_expectation. */
START_TEST(blockwise_equals_naive_loop)
{
    enum { N1 = 300, N2 = 3, D = 4, L = 2 };
    const double sw2 = 1.8, sb2 = 0.05;
    double *x1 = malloc(N1 * D * sizeof *x1), x2[N2 * D];
    double *k = malloc(N1 * N2 * sizeof *k), *t = malloc(N1 * N2 * sizeof *t);
    normals(6, x1, N1 * D);
    normals(7, x2, N2 * D);
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_ERF, L, sw2, sb2, x1, N1, x2, N2, D, k, t));
    for (size_t i = 0; i < N1; i++)
        for (size_t j = 0; j < N2; j++) {
            double q1 = 0, q2 = 0, c = 0;
            for (size_t d = 0; d < D; d++) {
                q1 += x1[i * D + d] * x1[i * D + d];
                q2 += x2[j * D + d] * x2[j * D + d];
                c += x1[i * D + d] * x2[j * D + d];
            }
            q1 = sw2 * q1 / D + sb2;
            q2 = sw2 * q2 / D + sb2;
            c = sw2 * c / D + sb2;
            double th = c;
            for (int l = 0; l < L; l++) {
                double pp, dd, p1, p2;
                ck_assert_ok(mech_gaussian_expectation(MECH_ACT_ERF, 0, q1, c, q2, 0, &pp));
                ck_assert_ok(mech_gaussian_expectation(MECH_ACT_ERF, 1, q1, c, q2, 0, &dd));
                ck_assert_ok(mech_gaussian_expectation(MECH_ACT_ERF, 0, q1, q1, q1, 0, &p1));
                ck_assert_ok(mech_gaussian_expectation(MECH_ACT_ERF, 0, q2, q2, q2, 0, &p2));
                c = sw2 * pp + sb2;
                th = c + sw2 * th * dd;
                q1 = sw2 * p1 + sb2;
                q2 = sw2 * p2 + sb2;
            }
            ck_assert_close(k[i * N2 + j], c, 1e-12);
            ck_assert_close(t[i * N2 + j], th, 1e-12);
        }
    free(x1);
    free(k);
    free(t);
}
END_TEST

static int stop_after_first(const char *task, double done, double total, void *ud)
{
    (void)task;
    (void)done;
    (void)total;
    ++*(int *)ud;
    return 1;
}

START_TEST(progress_can_stop)
{
    enum { N = 300, D = 2 };
    double *x = calloc(N * D, sizeof *x), *k = malloc(N * N * sizeof *k);
    mech_ctx *ctx;
    int calls = 0;
    ck_assert_ok(mech_ctx_create(&ctx));
    ck_assert_ok(mech_ctx_set_progress(ctx, stop_after_first, &calls));
    ck_assert_int_eq(mech_nngp_ntk(ctx, MECH_ACT_RELU, 1, 2, 0, x, N, NULL, N, D, k, NULL),
                     MECH_STOPPED);
    ck_assert_int_eq(calls, 1);
    mech_ctx_destroy(ctx);
    free(x);
    free(k);
}
END_TEST

START_TEST(kernels_bad_input)
{
    double x[6] = {1, 2, 3, 4, 5, 6}, k[4], t[4];
    const mech_activation R = MECH_ACT_RELU;
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, NULL, 2, NULL, 2, 3, k, t), MECH_EINVAL);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 2, NULL, 2, 3, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_nngp_ntk(NULL, (mech_activation)-1, 1, 2, 0, x, 2, NULL, 2, 3, k, t),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 0, NULL, 0, 3, k, t), MECH_EINVAL);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 2, NULL, 2, 0, k, t), MECH_EINVAL);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 2, NULL, 1, 3, k, t), MECH_ESHAPE);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, -2, 0, x, 2, NULL, 2, 3, k, t), MECH_ERANGE);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, -1e-3, x, 2, NULL, 2, 3, k, t),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, NAN, 0, x, 2, NULL, 2, 3, k, t),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, MECH_KERNEL_MAX_DEPTH + 1, 2, 0, x, 2, NULL, 2,
                                       3, k, t),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 2, NULL, SIZE_MAX, 3, k, t),
                         MECH_ESHAPE);
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, SIZE_MAX, x, SIZE_MAX, 3, k, t),
                         MECH_EOVERFLOW);
    /* Variance growth of a quadratic network overflows at large depth. */
    ck_assert_fails_with(mech_nngp_ntk(NULL, MECH_ACT_QUADRATIC, 40, 4, 0, x, 2, NULL, 2, 3, k,
                                       t),
                         MECH_ENONFINITE);
    x[4] = NAN;
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 2, NULL, 2, 3, k, t),
                         MECH_ENONFINITE);
    double y[3] = {0, 0, 0};
    x[4] = 5;
    y[1] = INFINITY;
    ck_assert_fails_with(mech_nngp_ntk(NULL, R, 1, 2, 0, x, 2, y, 1, 3, k, t), MECH_ENONFINITE);
    /* The maximum depth itself is accepted. */
    ck_assert_ok(mech_nngp_ntk(NULL, R, MECH_KERNEL_MAX_DEPTH, 2, 0, x, 2, NULL, 2, 3, k, t));
}
END_TEST

/* ---------------- linearized training ---------------- */

enum { LN = 6, LM = 3, LO = 2, LP = 4 };

/* Joint train/test kernel from random features: Theta = Z Z^T / p (+ ridge
 * on the training block when full rank is wanted). */
static void joint_kernel(size_t p, double ridge, double *th, double *tt)
{
    double z[(LN + LM) * 8];
    ck_assert(p <= 8);
    normals(11, z, (LN + LM) * p);
    for (size_t i = 0; i < LN + LM; i++)
        for (size_t j = 0; j < LN; j++) {
            double s = 0;
            for (size_t c = 0; c < p; c++) s += z[i * p + c] * z[j * p + c];
            s /= (double)p;
            if (i < LN)
                th[i * LN + j] = s + (i == j ? ridge : 0);
            else
                tt[(i - LN) * LN + j] = s;
        }
}

static void matmul(const double *a, const double *b, double *c, size_t n, size_t k, size_t m)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double s = 0;
            for (size_t r = 0; r < k; r++) s += a[i * k + r] * b[r * m + j];
            c[i * m + j] = s;
        }
}

/* Independent reference for GF: with tau = t/n, the series
 *   e^{-Theta tau} = sum_k (-tau Theta)^k / k!,
 *   Theta^{-1}(I - e^{-Theta tau}) = sum_{k>=1} (-1)^{k+1} tau^k Theta^{k-1} / k!
 * (valid for singular Theta), summed to 80 terms (tau |Theta| <= 3 here:
 * the remainder is < 3^80/80! ~ 1e-81). */
static void series_reference(const double *th, const double *tt, const double *f0,
                             const double *f0t, const double *y, double tau, double *ftr,
                             double *fte)
{
    double e[LN * LN] = {0}, g[LN * LN] = {0}, pw[LN * LN] = {0}, tmp[LN * LN];
    for (size_t i = 0; i < LN; i++) pw[i * LN + i] = e[i * LN + i] = 1;
    double c = 1; /* (-1)^k tau^k / k! */
    for (int k = 1; k <= 80; k++) {
        for (size_t i = 0; i < LN * LN; i++) g[i] += c * tau / k * pw[i]; /* pw = Theta^{k-1} */
        c *= -tau / k;
        matmul(pw, th, tmp, LN, LN, LN);
        memcpy(pw, tmp, sizeof tmp);
        for (size_t i = 0; i < LN * LN; i++) e[i] += c * pw[i];
    }
    double r[LN * LO], er[LN * LO], gr[LN * LO];
    for (size_t i = 0; i < LN * LO; i++) r[i] = f0[i] - y[i];
    matmul(e, r, er, LN, LN, LO);
    matmul(g, r, gr, LN, LN, LO);
    for (size_t i = 0; i < LN * LO; i++) ftr[i] = y[i] + er[i];
    matmul(tt, gr, fte, LM, LN, LO);
    for (size_t i = 0; i < LM * LO; i++) fte[i] = f0t[i] - fte[i];
}

START_TEST(gradient_flow_matches_series)
{
    double th[LN * LN], tt[LM * LN], f0[LN * LO], f0t[LM * LO], y[LN * LO];
    double ftr[LN * LO], fte[LM * LO], rtr[LN * LO], rte[LM * LO];
    normals(12, f0, LN * LO);
    normals(13, f0t, LM * LO);
    normals(14, y, LN * LO);
    /* Full rank, then rank LP < LN (singular Theta). */
    for (int singular = 0; singular < 2; singular++) {
        joint_kernel(singular ? LP : 8, singular ? 0 : 0.1, th, tt);
        double lam[LN];
        ck_assert_ok(mech_syev(NULL, LN, th, LN, lam, NULL));
        const double t = 2.0 * LN / lam[LN - 1]; /* tau lambda_max = 2 */
        ck_assert_ok(mech_linearized_predict(NULL, th, tt, LN, LM, f0, f0t, y, LO, t, -1, 0,
                                             ftr, fte));
        series_reference(th, tt, f0, f0t, y, t / LN, rtr, rte);
        for (size_t i = 0; i < LN * LO; i++) ck_assert_close(ftr[i], rtr[i], 1e-10);
        for (size_t i = 0; i < LM * LO; i++) ck_assert_close(fte[i], rte[i], 1e-10);
    }
}
END_TEST

/* GD: explicit iteration of the linearized dynamics
 *   f(X) <- f(X) - (eta/n) Theta (f(X) - y), f(x) <- f(x) - (eta/n) Theta(x,X)(f(X) - y). */
START_TEST(gradient_descent_matches_iteration)
{
    double th[LN * LN], tt[LM * LN], f0[LN * LO], f0t[LM * LO], y[LN * LO];
    double ftr[LN * LO], fte[LM * LO], itr[LN * LO], ite[LM * LO];
    normals(15, f0, LN * LO);
    normals(16, f0t, LM * LO);
    normals(17, y, LN * LO);
    joint_kernel(LP, 0, th, tt); /* singular: the zero modes must stay put */
    const double eta = 0.7;
    const int64_t steps = 37;
    mech_linearized *h;
    ck_assert_ok(mech_linearized_create(&h, NULL, th, tt, LN, LM, f0, f0t, y, LO));
    ck_assert_ok(mech_linearized_at_steps(h, steps, eta, ftr, fte));
    memcpy(itr, f0, sizeof itr);
    memcpy(ite, f0t, sizeof ite);
    for (int64_t k = 0; k < steps; k++) {
        double r[LN * LO], d[LN * LO], dt[LM * LO];
        for (size_t i = 0; i < LN * LO; i++) r[i] = itr[i] - y[i];
        matmul(th, r, d, LN, LN, LO);
        matmul(tt, r, dt, LM, LN, LO);
        for (size_t i = 0; i < LN * LO; i++) itr[i] -= eta / LN * d[i];
        for (size_t i = 0; i < LM * LO; i++) ite[i] -= eta / LN * dt[i];
    }
    for (size_t i = 0; i < LN * LO; i++) ck_assert_close(ftr[i], itr[i], 1e-10);
    for (size_t i = 0; i < LM * LO; i++) ck_assert_close(fte[i], ite[i], 1e-10);
    /* Zero steps: the initial outputs. */
    ck_assert_ok(mech_linearized_at_steps(h, 0, eta, ftr, fte));
    for (size_t i = 0; i < LN * LO; i++) ck_assert_close(ftr[i], f0[i], 1e-12);
    for (size_t i = 0; i < LM * LO; i++) ck_assert_close(fte[i], f0t[i], 1e-12);
    mech_linearized_destroy(h);
}
END_TEST

/* t -> infinity with f0 = 0: interpolation of y on the training points and
 * kernel regression (ridge 0) on the test points; e^{-lambda_min t/n} =
 * e^{-800} = 0. Tolerance: condition number of Theta (< 1e3) times 1e-13. */
START_TEST(long_time_limit_is_kernel_regression)
{
    double th[LN * LN], tt[LM * LN], y[LN * LO], ftr[LN * LO], fte[LM * LO], krr[LM * LO];
    double lam[LN];
    normals(18, y, LN * LO);
    joint_kernel(8, 0.1, th, tt);
    mech_linearized *h;
    ck_assert_ok(mech_linearized_create(&h, NULL, th, tt, LN, LM, NULL, NULL, y, LO));
    ck_assert_ok(mech_linearized_eigenvalues(h, lam, LN));
    ck_assert(lam[0] > 0);
    ck_assert_ok(mech_linearized_at_time(h, 800.0 * LN / lam[0], ftr, fte));
    ck_assert_ok(mech_kernel_regression(NULL, th, tt, y, LN, LM, LO, 0, krr));
    for (size_t i = 0; i < LN * LO; i++) ck_assert_close(ftr[i], y[i], 1e-10);
    for (size_t i = 0; i < LM * LO; i++) ck_assert_close(fte[i], krr[i], 1e-10);
    /* At t = 0 nothing has moved (f0 = 0). */
    ck_assert_ok(mech_linearized_at_time(h, 0, ftr, NULL));
    for (size_t i = 0; i < LN * LO; i++) ck_assert_close(ftr[i], 0, 1e-14);
    mech_linearized_destroy(h);
}
END_TEST

/* Ridge > 0 on the training points themselves: with alpha the solution,
 * y - K alpha = ridge alpha, so (K + ridge I)(y - pred) = ridge y. */
START_TEST(kernel_regression_solves_the_ridge_system)
{
    double th[LN * LN], tt[LM * LN], y[LN * LO], pred[LN * LO], res[LN * LO], chk[LN * LO];
    const double ridge = 0.3;
    normals(19, y, LN * LO);
    joint_kernel(LP, 0, th, tt); /* singular K: ridge makes it definite */
    ck_assert_ok(mech_kernel_regression(NULL, th, th, y, LN, LN, LO, ridge, pred));
    for (size_t i = 0; i < LN * LO; i++) res[i] = y[i] - pred[i];
    matmul(th, res, chk, LN, LN, LO);
    for (size_t i = 0; i < LN * LO; i++) ck_assert_close(chk[i] + ridge * res[i], ridge * y[i], 1e-12);
}
END_TEST

START_TEST(linearized_bad_input)
{
    double th[LN * LN], tt[LM * LN], y[LN * LO], f[LN * LO], ft[LM * LO];
    normals(20, y, LN * LO);
    joint_kernel(8, 0.1, th, tt);
    mech_linearized *h = NULL;
    ck_assert_fails_with(mech_linearized_create(NULL, NULL, th, tt, LN, LM, NULL, NULL, y, LO),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_linearized_create(&h, NULL, NULL, tt, LN, LM, NULL, NULL, y, LO),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_linearized_create(&h, NULL, th, tt, LN, LM, NULL, NULL, NULL, LO),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_linearized_create(&h, NULL, th, tt, 0, LM, NULL, NULL, y, LO),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_linearized_create(&h, NULL, th, tt, LN, LM, NULL, NULL, y, 0),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_linearized_create(&h, NULL, th, NULL, LN, LM, NULL, NULL, y, LO),
                         MECH_ESHAPE);
    ck_assert_fails_with(mech_linearized_create(&h, NULL, th, tt, SIZE_MAX, LM, NULL, NULL, y, LO),
                         MECH_EOVERFLOW);
    th[3] = NAN;
    ck_assert_fails_with(mech_linearized_create(&h, NULL, th, tt, LN, LM, NULL, NULL, y, LO),
                         MECH_ENONFINITE);
    ck_assert_ptr_null(h);
    joint_kernel(8, 0.1, th, tt);
    ck_assert_ok(mech_linearized_create(&h, NULL, th, tt, LN, LM, NULL, NULL, y, LO));
    ck_assert_fails_with(mech_linearized_at_time(NULL, 1, f, ft), MECH_EINVAL);
    ck_assert_fails_with(mech_linearized_at_time(h, -1, f, ft), MECH_ERANGE);
    ck_assert_fails_with(mech_linearized_at_time(h, INFINITY, f, ft), MECH_ENONFINITE);
    ck_assert_str_ne(mech_linearized_last_error(h), "");
    ck_assert_fails_with(mech_linearized_at_steps(h, -1, 0.1, f, ft), MECH_ERANGE);
    ck_assert_fails_with(mech_linearized_at_steps(h, 1, 0, f, ft), MECH_ERANGE);
    ck_assert_fails_with(mech_linearized_at_steps(h, 1, NAN, f, ft), MECH_ENONFINITE);
    /* A rate far above 2n/lambda_max diverges to Inf: reported, not returned. */
    ck_assert_fails_with(mech_linearized_at_steps(h, 100000, 1e6, f, ft), MECH_ENONFINITE);
    double lam[LN];
    ck_assert_fails_with(mech_linearized_eigenvalues(h, lam, LN - 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_linearized_eigenvalues(h, NULL, LN), MECH_EINVAL);
    /* Still usable after the failures. */
    ck_assert_ok(mech_linearized_at_time(h, 1, f, ft));
    mech_linearized_destroy(h);
    mech_linearized_destroy(NULL);
    ck_assert_str_eq(mech_linearized_last_error(NULL), "");
    ck_assert_fails_with(mech_linearized_predict(NULL, th, tt, LN, LM, NULL, NULL, y, LO, -1, -1,
                                                 0, f, ft),
                         MECH_ERANGE);
}
END_TEST

START_TEST(kernel_regression_bad_input)
{
    double th[LN * LN], tt[LM * LN], y[LN * LO], p[LM * LO];
    normals(21, y, LN * LO);
    joint_kernel(LP, 0, th, tt);
    ck_assert_fails_with(mech_kernel_regression(NULL, NULL, tt, y, LN, LM, LO, 0.1, p), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, NULL, y, LN, LM, LO, 0.1, p), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, NULL, LN, LM, LO, 0.1, p), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, LM, LO, 0.1, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, 0, LM, LO, 0.1, p), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, 0, LO, 0.1, p), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, LM, 0, 0.1, p), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, LM, LO, -0.1, p), MECH_ERANGE);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, LM, LO, NAN, p),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, SIZE_MAX, LM, LO, 0.1, p),
                         MECH_EOVERFLOW);
    /* Rank LP < LN without ridge: not positive definite. */
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, LM, LO, 0, p), MECH_ELINALG);
    y[2] = NAN;
    ck_assert_fails_with(mech_kernel_regression(NULL, th, tt, y, LN, LM, LO, 0.1, p),
                         MECH_ENONFINITE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("moments");
    tcase_add_test(tc, erf_closed_form_equals_quadrature);
    tcase_add_test(tc, relu_closed_form_equals_quadrature);
    tcase_add_test(tc, polynomial_closed_forms_equal_quadrature);
    tcase_add_test(tc, moments_known_values);
    tcase_add_test(tc, quadrature_obeys_price_theorem);
    tcase_add_test(tc, moments_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("kernels");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, depth_zero_is_the_linear_kernel);
    tcase_add_test(tc, relu_he_diagonal_identities);
    tcase_add_test(tc, kernels_are_symmetric_psd);
    tcase_add_test(tc, null_x2_equals_x1);
    tcase_add_test(tc, blockwise_equals_naive_loop);
    tcase_add_test(tc, progress_can_stop);
    tcase_add_test(tc, kernels_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("linearized");
    tcase_add_test(tc, gradient_flow_matches_series);
    tcase_add_test(tc, gradient_descent_matches_iteration);
    tcase_add_test(tc, long_time_limit_is_kernel_regression);
    tcase_add_test(tc, kernel_regression_solves_the_ridge_system);
    tcase_add_test(tc, linearized_bad_input);
    tcase_add_test(tc, kernel_regression_bad_input);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
