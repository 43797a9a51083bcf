/* Array probes of include/mechanics/metrics.h against closed forms and
 * naive reference code written here from the formulas. */
#include "harness.h"

/* ---------------- helpers ---------------- */

static double *gaussian(uint64_t stream, size_t count)
{
    mech_rng *rng = NULL;
    double *a = malloc(count * sizeof *a);
    ck_assert_ok(mech_rng_create_seeded(&rng, 1234, stream));
    ck_assert_ok(mech_rng_normal(rng, a, count, 0.0, 1.0));
    mech_rng_destroy(rng);
    return a;
}

/* Random orthogonal q (d x d): the left singular vectors of a Gaussian. */
static void orthogonal(uint64_t stream, size_t d, double *q)
{
    double *g = gaussian(stream, d * d), *s = malloc(d * sizeof *s);
    ck_assert_ok(mech_svd(NULL, d, d, g, d, s, q, NULL));
    free(g);
    free(s);
}

/* c (m x n) = a (m x k) b (k x n), naive. */
static void matmul(const double *a, const double *b, size_t m, size_t k, size_t n, double *c)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < k; l++) s += a[i * k + l] * b[l * n + j];
            c[i * n + j] = s;
        }
}

/* Gram matrix a a^T (n x n) of a (n x p), optionally after centering columns. */
static double *gram(const double *a, size_t n, size_t p, bool center)
{
    double *c = malloc(n * p * sizeof *c), *k = malloc(n * n * sizeof *k);
    for (size_t j = 0; j < p; j++) {
        double m = 0.0;
        for (size_t i = 0; i < n; i++) m += a[i * p + j];
        for (size_t i = 0; i < n; i++) c[i * p + j] = a[i * p + j] - (center ? m / n : 0.0);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < p; l++) s += c[i * p + l] * c[j * p + l];
            k[i * n + j] = s;
        }
    free(c);
    return k;
}

/* Biased HSIC tr(K H L H) with explicit centering matrices (naive). */
static double naive_hsic_biased(const double *k, const double *l, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double kc = k[i * n + j], lc = l[i * n + j];
            double rk = 0, ck = 0, gk = 0, rl = 0, cl = 0, gl = 0;
            for (size_t t = 0; t < n; t++) {
                rk += k[i * n + t], ck += k[t * n + j], rl += l[i * n + t], cl += l[t * n + j];
                for (size_t u = 0; u < n; u++) gk += k[t * n + u], gl += l[t * n + u];
            }
            kc += -rk / n - ck / n + gk / ((double)n * n);
            lc += -rl / n - cl / n + gl / ((double)n * n);
            s += kc * lc;
        }
    return s / ((n - 1.0) * (n - 1.0));
}

/* Song et al. (2012) unbiased HSIC with K~, L~ the Gram matrices with
 * zeroed diagonals, straight from the formula (no centering). */
static double naive_hsic_unbiased(const double *k, const double *l, size_t n)
{
    double tr = 0, sk = 0, sl = 0, kl1 = 0;
    for (size_t i = 0; i < n; i++) {
        double rk = 0, rl = 0;
        for (size_t j = 0; j < n; j++) {
            if (i == j) continue;
            tr += k[i * n + j] * l[j * n + i];
            rk += k[i * n + j], rl += l[i * n + j];
        }
        sk += rk, sl += rl, kl1 += rk * rl;
    }
    double m = (double)n;
    return (tr + sk * sl / ((m - 1) * (m - 2)) - 2.0 / (m - 2) * kl1) / (m * (m - 3));
}

/* ---------------- CKA and HSIC ---------------- */

/* Both routes (n > p: feature space; n < p: Gram) against the naive
 * formulas; agreement to 1e-10 relative is round-off of O(n^2 p) sums. */
static void check_hsic_against_naive(size_t n, size_t p1, size_t p2, uint64_t stream)
{
    double *x = gaussian(stream, n * p1), *y = gaussian(stream + 1, n * p2);
    for (size_t i = 0; i < n * p2; i++) y[i] += 0.5 * x[i % (n * p1)] + 3.0; /* dependent, offset */
    double *k = gram(x, n, p1, false), *l = gram(y, n, p2, false);
    double hb, hu, cb, cu;
    ck_assert_ok(mech_hsic(NULL, x, n, p1, y, p2, MECH_HSIC_BIASED, &hb));
    ck_assert_ok(mech_hsic(NULL, x, n, p1, y, p2, MECH_HSIC_UNBIASED, &hu));
    ck_assert_close(hb, naive_hsic_biased(k, l, n), 1e-10);
    ck_assert_close(hu, naive_hsic_unbiased(k, l, n), 1e-10);
    ck_assert_ok(mech_cka(NULL, x, n, p1, y, p2, MECH_HSIC_BIASED, &cb));
    ck_assert_ok(mech_cka(NULL, x, n, p1, y, p2, MECH_HSIC_UNBIASED, &cu));
    ck_assert_close(cb, naive_hsic_biased(k, l, n) / sqrt(naive_hsic_biased(k, k, n) *
                                                         naive_hsic_biased(l, l, n)), 1e-10);
    ck_assert_close(cu, naive_hsic_unbiased(k, l, n) / sqrt(naive_hsic_unbiased(k, k, n) *
                                                           naive_hsic_unbiased(l, l, n)), 1e-10);
    free(x), free(y), free(k), free(l);
}

START_TEST(test_hsic_matches_naive)
{
    check_hsic_against_naive(30, 4, 3, 10);  /* feature space */
    check_hsic_against_naive(9, 12, 20, 20); /* Gram */
}
END_TEST

/* CKA(X, X) = 1 and CKA(Z, X) = CKA(Z, c X Q) for orthogonal Q, c > 0, to
 * 1e-12 (the acceptance tolerance; the sums are O(n p) double round-off). */
START_TEST(test_cka_invariances)
{
    const size_t shapes[2][2] = {{40, 6}, {8, 30}};
    for (int sh = 0; sh < 2; sh++) {
        size_t n = shapes[sh][0], p = shapes[sh][1];
        double *x = gaussian(30 + sh, n * p), *z = gaussian(40 + sh, n * 5);
        double *q = malloc(p * p * sizeof *q), *xq = malloc(n * p * sizeof *xq);
        orthogonal(50 + sh, p, q);
        matmul(x, q, n, p, p, xq);
        for (size_t i = 0; i < n * p; i++) xq[i] *= 3.7;
        for (int e = 0; e < 2; e++) {
            mech_hsic_estimator est = e ? MECH_HSIC_UNBIASED : MECH_HSIC_BIASED;
            double self, a, b;
            ck_assert_ok(mech_cka(NULL, x, n, p, x, p, est, &self));
            ck_assert_msg(fabs(self - 1.0) <= 1e-12, "CKA(X,X) = %.17g", self);
            ck_assert_ok(mech_cka(NULL, z, n, 5, x, p, est, &a));
            ck_assert_ok(mech_cka(NULL, z, n, 5, xq, p, est, &b));
            ck_assert_msg(fabs(a - b) <= 1e-12, "CKA %.17g vs %.17g after c X Q", a, b);
            ck_assert_ok(mech_cka(NULL, x, n, p, xq, p, est, &a));
            ck_assert_msg(fabs(a - 1.0) <= 1e-12, "CKA(X, c X Q) = %.17g", a);
        }
        free(x), free(z), free(q), free(xq);
    }
}
END_TEST

/* The unbiased HSIC of independent pairs has mean 0: over 20 pairs the
 * mean sits within 4 standard errors of 0. The biased estimator's mean is
 * positive (tr(KL)/(n-1)^2 of independent data is ~ p1 p2 / n), which the
 * same test detects: it shows the check can fail. The unbiased CKA's mean
 * is checked likewise. */
START_TEST(test_unbiased_hsic_mean_zero)
{
    const size_t n = 16, p1 = 5, p2 = 4, pairs = 20;
    double su = 0, su2 = 0, sb = 0, sb2 = 0, sc = 0, sc2 = 0;
    for (size_t t = 0; t < pairs; t++) {
        double *x = gaussian(100 + 2 * t, n * p1), *y = gaussian(101 + 2 * t, n * p2);
        double hu, hb, cu;
        ck_assert_ok(mech_hsic(NULL, x, n, p1, y, p2, MECH_HSIC_UNBIASED, &hu));
        ck_assert_ok(mech_hsic(NULL, x, n, p1, y, p2, MECH_HSIC_BIASED, &hb));
        ck_assert_ok(mech_cka(NULL, x, n, p1, y, p2, MECH_HSIC_UNBIASED, &cu));
        su += hu, su2 += hu * hu, sb += hb, sb2 += hb * hb, sc += cu, sc2 += cu * cu;
        free(x), free(y);
    }
    double k = (double)pairs;
    double mu = su / k, seu = sqrt((su2 / k - mu * mu) / (k - 1));
    double mb = sb / k, seb = sqrt((sb2 / k - mb * mb) / (k - 1));
    double mc = sc / k, sec = sqrt((sc2 / k - mc * mc) / (k - 1));
    ck_assert_msg(fabs(mu) <= 4 * seu, "unbiased HSIC mean %g, se %g", mu, seu);
    ck_assert_msg(fabs(mc) <= 4 * sec, "unbiased CKA mean %g, se %g", mc, sec);
    ck_assert_msg(mb > 4 * seb, "biased HSIC mean %g, se %g should be positive", mb, seb);
}
END_TEST

/* Y = X: no permutation reaches CKA = 1, so p = 1/(1 + n_perm) exactly.
 * Independent data: p is reproducible from the seed and is a valid value. */
START_TEST(test_cka_permutation)
{
    const size_t n = 25, p = 3, n_perm = 49;
    double *x = gaussian(200, n * p), *y = gaussian(201, n * p);
    mech_rng *rng = NULL;
    double cka, pv, pv2, cka2;
    ck_assert_ok(mech_rng_create_seeded(&rng, 7, 0));
    ck_assert_ok(mech_cka_permutation_test(NULL, x, n, p, x, p, MECH_HSIC_BIASED, n_perm, rng,
                                           &cka, &pv));
    ck_assert_close(cka, 1.0, 1e-12);
    ck_assert_close(pv, 1.0 / 50.0, 1e-15);
    ck_assert_ok(mech_rng_set_position(rng, 0));
    ck_assert_ok(mech_cka_permutation_test(NULL, x, n, p, y, p, MECH_HSIC_UNBIASED, n_perm, rng,
                                           &cka, &pv));
    ck_assert_ok(mech_rng_set_position(rng, 0));
    ck_assert_ok(mech_cka_permutation_test(NULL, x, n, p, y, p, MECH_HSIC_UNBIASED, n_perm, rng,
                                           &cka2, &pv2));
    double direct;
    ck_assert_ok(mech_cka(NULL, x, n, p, y, p, MECH_HSIC_UNBIASED, &direct));
    ck_assert_close(cka, direct, 1e-14);
    ck_assert(pv == pv2 && cka == cka2);
    double kk = pv * 50.0; /* 1 + count: an integer in [1, 50] */
    ck_assert(fabs(kk - round(kk)) < 1e-9 && kk >= 1.0 && kk <= 50.0);
    mech_rng_destroy(rng);
    free(x), free(y);
}
END_TEST

/* The Gram route (n < p) of the permutation test recomputes L for every
 * permutation: with Y = X a permuted CKA stays below 1 (a stale L would
 * give 1 and p = 1), so p = 1/(1 + n_perm); the observed CKA is 1. */
START_TEST(test_cka_permutation_gram_route)
{
    const size_t n = 8, p = 12, n_perm = 19;
    double *x = gaussian(210, n * p);
    mech_rng *rng = NULL;
    double cka, pv;
    ck_assert_ok(mech_rng_create_seeded(&rng, 9, 0));
    ck_assert_ok(mech_cka_permutation_test(NULL, x, n, p, x, p, MECH_HSIC_BIASED, n_perm, rng,
                                           &cka, &pv));
    ck_assert_close(cka, 1.0, 1e-12);
    ck_assert_close(pv, 1.0 / 20.0, 1e-15);
    mech_rng_destroy(rng);
    free(x);
}
END_TEST

START_TEST(test_cka_bad_input)
{
    double x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, y[12], out, pv;
    for (int i = 0; i < 12; i++) y[i] = sin(i);
    const mech_hsic_estimator B = MECH_HSIC_BIASED, U = MECH_HSIC_UNBIASED;
    ck_assert_fails_with(mech_cka(NULL, NULL, 4, 3, y, 3, B, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_cka(NULL, x, 4, 3, NULL, 3, B, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_cka(NULL, x, 4, 3, y, 3, B, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_cka(NULL, x, 0, 3, y, 3, B, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_cka(NULL, x, 4, 0, y, 3, B, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_cka(NULL, x, 4, 3, y, 0, B, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_cka(NULL, x, 4, 3, y, 3, (mech_hsic_estimator)7, &out),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_cka(NULL, x, 3, 4, y, 4, U, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_hsic(NULL, x, 3, 4, y, 4, U, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_hsic(NULL, x, 1, 12, y, 12, B, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_hsic(NULL, x, SIZE_MAX / 2, 3, y, 3, B, &out), MECH_EOVERFLOW);
    double c[12] = {0};
    ck_assert_fails_with(mech_cka(NULL, c, 4, 3, y, 3, B, &out), MECH_ERANGE);
    y[5] = NAN;
    ck_assert_fails_with(mech_cka(NULL, x, 4, 3, y, 3, B, &out), MECH_ENONFINITE);
    y[5] = 0.0;
    mech_rng *rng = NULL;
    ck_assert_ok(mech_rng_create_seeded(&rng, 1, 0));
    ck_assert_fails_with(mech_cka_permutation_test(NULL, x, 4, 3, y, 3, B, 0, rng, &out, &pv),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_cka_permutation_test(NULL, x, 4, 3, y, 3, B, 5, NULL, &out, &pv),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_cka_permutation_test(NULL, x, 4, 3, y, 3, B, 5, rng, &out, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_cka_permutation_test(NULL, x, 3, 4, y, 4, U, 5, rng, &out, &pv),
                         MECH_ERANGE);
    mech_rng_destroy(rng);
}
END_TEST

/* ---------------- spectrum and effective rank ---------------- */

/* A = U diag(s) V^T with known s: every measure has a closed form. */
START_TEST(test_matrix_spectrum_known)
{
    const size_t m = 8, n = 5;
    const double s[5] = {4, 3, 2, 1, 0.5};
    double *u = malloc(m * m * sizeof *u), *v = malloc(n * n * sizeof *v);
    orthogonal(300, m, u);
    orthogonal(301, n, v);
    double a[40] = {0};
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k++) a[i * n + j] += u[i * m + k] * s[k] * v[j * n + k];
    double sum = 0, sum2 = 0, h = 0;
    for (int k = 0; k < 5; k++) sum += s[k] * s[k], sum2 += pow(s[k], 4);
    for (int k = 0; k < 5; k++) h -= s[k] * s[k] / sum * log(s[k] * s[k] / sum);
    double sv[5];
    mech_spectrum_result r = {.size = sizeof r};
    ck_assert_ok(mech_matrix_spectrum(NULL, a, m, n, false, sv, &r));
    /* tolerances: LAPACK SVD of a well-conditioned 8 x 5 matrix, ~1e-14 */
    for (int k = 0; k < 5; k++) ck_assert_close(sv[k], s[k], 1e-12);
    ck_assert_uint_eq(r.count, 5);
    ck_assert_close(r.frobenius_norm, sqrt(sum), 1e-12);
    ck_assert_close(r.spectral_norm, 4.0, 1e-12);
    ck_assert_close(r.stable_rank, sum / 16.0, 1e-12);
    ck_assert_close(r.participation_ratio, sum * sum / sum2, 1e-12);
    ck_assert_close(r.entropy_rank, exp(h), 1e-12);
    /* a short size leaves later fields alone */
    mech_spectrum_result part = {.size = offsetof(mech_spectrum_result, spectral_norm),
                                 .spectral_norm = -1.0};
    ck_assert_ok(mech_matrix_spectrum(NULL, a, m, n, false, NULL, &part));
    ck_assert(part.spectral_norm == -1.0 && part.count == 5);
    free(u), free(v);
}
END_TEST

/* Rank 1: stable rank, participation ratio and entropy rank are 1 (the
 * other singular values are round-off, ~1e-16 relative, so their squared
 * share is ~1e-32). Centered: same ratios as the covariance eigenvalues
 * computed independently with mech_syev. */
START_TEST(test_rank_one_and_centered)
{
    double a[6 * 4], uvec[6] = {1, -2, 0.5, 3, 1, -1}, vvec[4] = {2, 1, -1, 0.25};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 4; j++) a[i * 4 + j] = uvec[i] * vvec[j];
    mech_spectrum_result r = {.size = sizeof r};
    ck_assert_ok(mech_matrix_spectrum(NULL, a, 6, 4, false, NULL, &r));
    ck_assert_close(r.stable_rank, 1.0, 1e-12);
    ck_assert_close(r.participation_ratio, 1.0, 1e-12);
    ck_assert_close(r.entropy_rank, 1.0, 1e-12);

    const size_t n = 30, p = 4;
    double *x = gaussian(310, n * p), cov[16] = {0}, w[4], pr, er;
    for (size_t i = 0; i < n * p; i++) x[i] = x[i] * (1.0 + (double)(i % p)) + 5.0;
    double mean[4] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) mean[j] += x[i * p + j] / n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            for (size_t k = 0; k < p; k++)
                cov[j * p + k] += (x[i * p + j] - mean[j]) * (x[i * p + k] - mean[k]) / (n - 1.0);
    ck_assert_ok(mech_syev(NULL, p, cov, p, w, NULL));
    ck_assert_ok(mech_effective_rank(w, p, &pr, &er));
    ck_assert_ok(mech_matrix_spectrum(NULL, x, n, p, true, NULL, &r));
    ck_assert_close(r.participation_ratio, pr, 1e-12);
    ck_assert_close(r.entropy_rank, er, 1e-12);
    free(x);
}
END_TEST

START_TEST(test_effective_rank_closed_form)
{
    double flat[4] = {2, 2, 2, 2}, one[3] = {0, 5, 0}, two[2] = {3, 1}, pr, er;
    ck_assert_ok(mech_effective_rank(flat, 4, &pr, &er));
    ck_assert_close(pr, 4.0, 1e-15);
    ck_assert_close(er, 4.0, 1e-15);
    ck_assert_ok(mech_effective_rank(one, 3, &pr, &er));
    ck_assert_close(pr, 1.0, 1e-15);
    ck_assert_close(er, 1.0, 1e-15);
    ck_assert_ok(mech_effective_rank(two, 2, &pr, NULL));
    ck_assert_close(pr, 16.0 / 10.0, 1e-15);
    ck_assert_ok(mech_effective_rank(two, 2, NULL, &er));
    ck_assert_close(er, exp(-0.75 * log(0.75) - 0.25 * log(0.25)), 1e-15);
}
END_TEST

START_TEST(test_spectrum_bad_input)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, pr;
    mech_spectrum_result r = {.size = sizeof r}, bad = {0};
    ck_assert_fails_with(mech_matrix_spectrum(NULL, NULL, 2, 3, false, NULL, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_matrix_spectrum(NULL, a, 2, 3, false, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_matrix_spectrum(NULL, a, 2, 3, false, NULL, &bad), MECH_EINVAL);
    ck_assert_fails_with(mech_matrix_spectrum(NULL, a, 0, 3, false, NULL, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_matrix_spectrum(NULL, a, 2, 0, false, NULL, &r), MECH_EINVAL);
    double one_row[3] = {1, 2, 3}, zero[6] = {0};
    ck_assert_fails_with(mech_matrix_spectrum(NULL, one_row, 1, 3, true, NULL, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_matrix_spectrum(NULL, zero, 2, 3, false, NULL, &r), MECH_ERANGE);
    a[2] = NAN;
    ck_assert_fails_with(mech_matrix_spectrum(NULL, a, 2, 3, false, NULL, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_effective_rank(a, 6, &pr, NULL), MECH_ENONFINITE);
    ck_assert_fails_with(mech_effective_rank(NULL, 6, &pr, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_effective_rank(zero, 0, &pr, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_effective_rank(zero, 6, &pr, NULL), MECH_ERANGE);
    double neg[2] = {1, -1e-3};
    ck_assert_fails_with(mech_effective_rank(neg, 2, &pr, NULL), MECH_ERANGE);
}
END_TEST

/* ---------------- power law (fast parts; recovery is in test_power_law) -- */

/* min_tail = m leaves the minimum as the only candidate: alpha, KS and the
 * standard error follow from their definitions computed here. Ties count
 * in the empirical CDF as one jump. Non-positive values are dropped. */
START_TEST(test_power_law_single_candidate)
{
    const double v[7] = {1.0, 2.0, 2.0, 5.0, 3.0, 9.0, -1.0};
    const double x[6] = {1, 2, 2, 3, 5, 9};
    double sum = 0;
    for (int i = 0; i < 6; i++) sum += log(x[i]);
    double alpha = 1.0 + 6.0 / sum, d = 0.0;
    /* distinct values 1, 2, 3, 5, 9 with CDF below / after */
    const double xs[5] = {1, 2, 3, 5, 9}, lo[5] = {0, 1, 3, 4, 5}, hi[5] = {1, 3, 4, 5, 6};
    for (int i = 0; i < 5; i++) {
        double f = 1.0 - pow(xs[i], 1.0 - alpha);
        d = fmax(d, fmax(fabs(lo[i] / 6 - f), fabs(hi[i] / 6 - f)));
    }
    mech_power_law_result r = {.size = sizeof r};
    ck_assert_ok(mech_power_law_tail_fit(v, 7, 6, &r));
    ck_assert_close(r.alpha, alpha, 1e-14);
    ck_assert_close(r.x_min, 1.0, 0);
    ck_assert_uint_eq(r.n_tail, 6);
    ck_assert_close(r.ks_distance, d, 1e-14);
    ck_assert_close(r.alpha_se, (alpha - 1) / sqrt(6.0), 1e-14);
}
END_TEST

/* W diagonal with entries sqrt(x_i): the eigenvalues of W^T W are x_i, so
 * the weight fit equals the direct fit on x. */
START_TEST(test_weight_power_law_diagonal)
{
    const size_t d = 60;
    double *u = gaussian(400, d), *w = calloc(d * d, sizeof *w), *x = malloc(d * sizeof *x);
    for (size_t i = 0; i < d; i++) {
        x[i] = pow(1.0 - 0.5 * (1.0 + erf(u[i] / sqrt(2.0))) * 0.999, -1.0 / 1.5);
        w[i * d + i] = sqrt(x[i]);
    }
    mech_power_law_result a = {.size = sizeof a}, b = {.size = sizeof b};
    double eig[60];
    ck_assert_ok(mech_power_law_tail_fit(x, d, 0, &a));
    ck_assert_ok(mech_weight_power_law(NULL, w, d, d, 0, eig, &b));
    ck_assert_uint_eq(a.n_tail, b.n_tail);
    ck_assert_close(b.alpha, a.alpha, 1e-12);
    ck_assert_close(b.x_min, a.x_min, 1e-12);
    for (size_t i = 1; i < d; i++) ck_assert(eig[i] <= eig[i - 1]);
    free(u), free(w), free(x);
}
END_TEST

START_TEST(test_power_law_bad_input)
{
    double v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, same[12];
    for (int i = 0; i < 12; i++) same[i] = 2.0;
    mech_power_law_result r = {.size = sizeof r}, bad = {0};
    ck_assert_fails_with(mech_power_law_tail_fit(NULL, 12, 0, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_power_law_tail_fit(v, 0, 0, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_power_law_tail_fit(v, 12, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_power_law_tail_fit(v, 12, 0, &bad), MECH_EINVAL);
    ck_assert_fails_with(mech_power_law_tail_fit(v, 12, 1, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_power_law_tail_fit(v, 12, 13, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_power_law_tail_fit(same, 12, 0, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_weight_power_law(NULL, v, 3, 4, 0, NULL, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_weight_power_law(NULL, NULL, 3, 4, 0, NULL, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_weight_power_law(NULL, v, 0, 4, 0, NULL, &r), MECH_EINVAL);
    v[3] = NAN;
    ck_assert_fails_with(mech_power_law_tail_fit(v, 12, 0, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_weight_power_law(NULL, v, 3, 4, 0, NULL, &r), MECH_ENONFINITE);
}
END_TEST

/* ---------------- neural collapse ---------------- */

enum { NC_C = 4, NC_P = 6, NC_PER = 25, NC_N = NC_C * NC_PER };

/* Simplex ETF class means sqrt(C/(C-1)) (e_c - 1/C) in the first C of p
 * coordinates, plus noise of standard deviation sd. */
static void etf_features(double sd, double *h, int64_t *labels, double *m)
{
    double *z = gaussian(500, NC_N * NC_P), sc = sqrt(NC_C / (NC_C - 1.0));
    for (int c = 0; c < NC_C; c++)
        for (int j = 0; j < NC_P; j++)
            m[c * NC_P + j] = j < NC_C ? sc * ((c == j) - 1.0 / NC_C) : 0.0;
    for (int i = 0; i < NC_N; i++) {
        labels[i] = i % NC_C;
        for (int j = 0; j < NC_P; j++) h[i * NC_P + j] = m[labels[i] * NC_P + j] + sd * z[i * NC_P + j];
    }
    free(z);
}

/* ETF with noise 1e-6: NC1 ~ sd^2 (C - 1) / (C lambda) ~ 1e-12, cosines
 * and norms within O(sd) = 1e-6 of the simplex, NC3 ~ sd^2, NC4 = 0. */
START_TEST(test_nc_simplex_etf)
{
    double h[NC_N * NC_P], m[NC_C * NC_P];
    int64_t labels[NC_N];
    etf_features(1e-6, h, labels, m);
    mech_neural_collapse_result r = {.size = sizeof r};
    ck_assert_ok(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, NULL, &r));
    ck_assert_msg(r.nc1 < 1e-10, "nc1 = %g", r.nc1);
    ck_assert_msg(r.equinorm < 1e-5, "equinorm = %g", r.equinorm);
    ck_assert_close(r.cos_mean, -1.0 / (NC_C - 1), 1e-5);
    ck_assert_msg(r.equiangular_max < 1e-5, "equiangular max = %g", r.equiangular_max);
    ck_assert(r.equiangular_mean <= r.equiangular_max);
    ck_assert_msg(r.nc3 < 1e-9, "nc3 = %g", r.nc3);
    ck_assert_close(r.nc4, 0.0, 0);
    /* an anti-aligned classifier disagrees everywhere; a dominant bias for
     * class 1 disagrees on the other 3/4 */
    double neg[NC_C * NC_P], bias[NC_C] = {0, 100, 0, 0};
    for (int i = 0; i < NC_C * NC_P; i++) neg[i] = -m[i];
    ck_assert_ok(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, neg, NULL, &r));
    ck_assert_close(r.nc4, 1.0, 0);
    ck_assert_close(r.nc3, 4.0, 1e-9); /* |-a - a|^2 for unit a */
    ck_assert_ok(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, bias, &r));
    ck_assert_close(r.nc4, 0.75, 0);
    /* without W */
    ck_assert_ok(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, NULL, NULL, &r));
    ck_assert(isnan(r.nc3) && isnan(r.nc4));
}
END_TEST

/* NC1 on random features against Sigma_W and Sigma_B built naively and
 * pseudo-inverted by mech_syev (an independent route from the library's
 * SVD of M); random features give a large NC1. */
START_TEST(test_nc1_random_against_naive)
{
    const size_t n = 60, p = 5, c = 3;
    double *h = gaussian(510, n * p);
    int64_t labels[60];
    for (size_t i = 0; i < n; i++) labels[i] = (int64_t)((i * 7) % c);
    double mu[15] = {0}, g[5] = {0}, sw[25] = {0}, sb[25] = {0}, cnt[3] = {0};
    for (size_t i = 0; i < n; i++) {
        cnt[labels[i]] += 1;
        for (size_t j = 0; j < p; j++) mu[labels[i] * p + j] += h[i * p + j];
    }
    for (size_t k = 0; k < c; k++)
        for (size_t j = 0; j < p; j++) mu[k * p + j] /= cnt[k], g[j] += mu[k * p + j] / c;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                sw[a * p + b] += (h[i * p + a] - mu[labels[i] * p + a]) *
                                 (h[i * p + b] - mu[labels[i] * p + b]) / n;
    for (size_t k = 0; k < c; k++)
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                sb[a * p + b] += (mu[k * p + a] - g[a]) * (mu[k * p + b] - g[b]) / c;
    double w[5], v[25], want = 0.0;
    ck_assert_ok(mech_syev(NULL, p, sb, p, w, v));
    for (size_t k = p - (c - 1); k < p; k++) /* the top C - 1 eigenpairs */
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++) want += v[a * p + k] * sw[a * p + b] * v[b * p + k] / w[k];
    want /= c;
    mech_neural_collapse_result r = {.size = sizeof r};
    ck_assert_ok(mech_neural_collapse(NULL, h, n, p, labels, c, NULL, NULL, &r));
    ck_assert_close(r.nc1, want, 1e-10);
    ck_assert_msg(r.nc1 > 1.0, "random features: nc1 = %g should be large", r.nc1);
    free(h);
}
END_TEST

START_TEST(test_nc_bad_input)
{
    double h[NC_N * NC_P], m[NC_C * NC_P];
    int64_t labels[NC_N];
    etf_features(0.1, h, labels, m);
    mech_neural_collapse_result r = {.size = sizeof r}, bad = {0};
    ck_assert_fails_with(mech_neural_collapse(NULL, NULL, NC_N, NC_P, labels, NC_C, m, NULL, &r),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, NULL, NC_C, m, NULL, &r),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, NULL, &bad),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_neural_collapse(NULL, h, 0, NC_P, labels, NC_C, m, NULL, &r),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, 0, m, NULL, &r),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, 1, m, NULL, &r),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, 5, NULL, NULL, &r),
                         MECH_ERANGE); /* class 4 has no examples */
    labels[3] = NC_C;
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, NULL, &r),
                         MECH_ERANGE);
    labels[3] = -1;
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, NULL, &r),
                         MECH_ERANGE);
    labels[3] = 3;
    double zero[NC_C * NC_P] = {0};
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, zero, NULL, &r),
                         MECH_ERANGE);
    double same[NC_N * NC_P];
    for (int i = 0; i < NC_N * NC_P; i++) same[i] = 1.0;
    ck_assert_fails_with(mech_neural_collapse(NULL, same, NC_N, NC_P, labels, NC_C, m, NULL, &r),
                         MECH_ERANGE);
    double bias[NC_C] = {0, NAN, 0, 0};
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, bias, &r),
                         MECH_ENONFINITE);
    m[2] = INFINITY;
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, m, NULL, &r),
                         MECH_ENONFINITE);
    h[7] = NAN;
    ck_assert_fails_with(mech_neural_collapse(NULL, h, NC_N, NC_P, labels, NC_C, NULL, NULL, &r),
                         MECH_ENONFINITE);
}
END_TEST

/* ---------------- neural feature ansatz ---------------- */

static double naive_pearson(const double *a, const double *b, size_t count)
{
    double ma = 0, mb = 0, ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < count; i++) ma += a[i] / count, mb += b[i] / count;
    for (size_t i = 0; i < count; i++)
        ab += (a[i] - ma) * (b[i] - mb), aa += (a[i] - ma) * (a[i] - ma),
            bb += (b[i] - mb) * (b[i] - mb);
    return ab / sqrt(aa * bb);
}

START_TEST(test_nfa)
{
    const size_t k = 7, d = 5, n = 40;
    double *w1 = gaussian(600, k * d), *g = gaussian(601, n * d);
    double nfm[25], agop[25], pear, cosv, want[25];
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double s = 0;
            for (size_t i = 0; i < k; i++) s += w1[i * d + a] * w1[i * d + b];
            nfm[a * d + b] = 2.5 * s;
        }
    ck_assert_ok(mech_nfa_correlation(NULL, w1, k, d, nfm, &pear, &cosv));
    ck_assert_close(pear, 1.0, 1e-13);
    ck_assert_close(cosv, 1.0, 1e-13);
    /* AGOP of per-example gradients against G^T G / n computed here */
    ck_assert_ok(mech_agop(NULL, g, n, d, agop));
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double s = 0;
            for (size_t i = 0; i < n; i++) s += g[i * d + a] * g[i * d + b];
            want[a * d + b] = s / n;
            ck_assert_close(agop[a * d + b], want[a * d + b], 1e-13);
        }
    ck_assert_ok(mech_nfa_correlation(NULL, w1, k, d, agop, &pear, NULL));
    ck_assert_close(pear, naive_pearson(nfm, want, d * d), 1e-12);
    /* gradients equal to the weight rows: AGOP = W1^T W1 / k */
    ck_assert_ok(mech_agop(NULL, w1, k, d, agop));
    ck_assert_ok(mech_nfa_correlation(NULL, w1, k, d, agop, &pear, &cosv));
    ck_assert_close(pear, 1.0, 1e-13);
    free(w1), free(g);
}
END_TEST

START_TEST(test_nfa_bad_input)
{
    double w1[6] = {1, 2, 3, 4, 5, 6}, agop[9] = {1, 0, 0, 0, 2, 0, 0, 0, 3}, out;
    ck_assert_fails_with(mech_agop(NULL, NULL, 2, 3, agop), MECH_EINVAL);
    ck_assert_fails_with(mech_agop(NULL, w1, 2, 3, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_agop(NULL, w1, 0, 3, agop), MECH_EINVAL);
    ck_assert_fails_with(mech_nfa_correlation(NULL, w1, 2, 3, agop, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_nfa_correlation(NULL, NULL, 2, 3, agop, &out, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_nfa_correlation(NULL, w1, 2, 3, NULL, &out, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_nfa_correlation(NULL, w1, 2, 0, agop, &out, NULL), MECH_EINVAL);
    double flat[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_fails_with(mech_nfa_correlation(NULL, w1, 2, 3, flat, &out, NULL), MECH_ERANGE);
    agop[4] = NAN;
    ck_assert_fails_with(mech_nfa_correlation(NULL, w1, 2, 3, agop, &out, NULL), MECH_ENONFINITE);
    w1[1] = INFINITY;
    ck_assert_fails_with(mech_agop(NULL, w1, 2, 3, flat), MECH_ENONFINITE);
}
END_TEST

/* ---------------- kernel alignment ---------------- */

START_TEST(test_kernel_alignment)
{
    const size_t n = 6, c = 2;
    double *y = gaussian(700, n * c), *f = gaussian(701, n * 3), yy[36], out;
    double *k = gram(f, n, 3, false);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            yy[i * n + j] = y[i * c] * y[j * c] + y[i * c + 1] * y[j * c + 1];
    ck_assert_ok(mech_kernel_target_alignment(NULL, yy, n, y, c, false, &out));
    ck_assert_close(out, 1.0, 1e-13);
    ck_assert_ok(mech_kernel_target_alignment(NULL, yy, n, y, c, true, &out));
    ck_assert_close(out, 1.0, 1e-13);
    /* against explicit H K H and H Y Y^T H */
    double *kc = malloc(n * n * sizeof *kc), *tc = malloc(n * n * sizeof *tc);
    for (int centered = 0; centered < 2; centered++) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double a = k[i * n + j], b = yy[i * n + j];
                if (centered)
                    for (size_t t = 0; t < n; t++) {
                        a -= (k[i * n + t] + k[t * n + j]) / n;
                        b -= (yy[i * n + t] + yy[t * n + j]) / n;
                        for (size_t u = 0; u < n; u++)
                            a += k[t * n + u] / (n * n), b += yy[t * n + u] / (n * n);
                    }
                kc[i * n + j] = a, tc[i * n + j] = b;
            }
        double ab = 0, aa = 0, bb = 0;
        for (size_t i = 0; i < n * n; i++) ab += kc[i] * tc[i], aa += kc[i] * kc[i], bb += tc[i] * tc[i];
        ck_assert_ok(mech_kernel_target_alignment(NULL, k, n, y, c, centered, &out));
        ck_assert_close(out, ab / sqrt(aa * bb), 1e-12);
    }
    /* kernel distance: 0 for proportional kernels; naive otherwise */
    double k3[36];
    for (size_t i = 0; i < n * n; i++) k3[i] = 3.0 * k[i];
    ck_assert_ok(mech_kernel_distance(k, k3, n, &out));
    ck_assert(fabs(out) < 1e-14);
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n * n; i++) ab += k[i] * yy[i], aa += k[i] * k[i], bb += yy[i] * yy[i];
    ck_assert_ok(mech_kernel_distance(k, yy, n, &out));
    ck_assert_close(out, 1.0 - ab / sqrt(aa * bb), 1e-13);
    free(y), free(f), free(k), free(kc), free(tc);
}
END_TEST

START_TEST(test_kernel_alignment_bad_input)
{
    double k[4] = {1, 0.5, 0.5, 1}, y[2] = {1, -1}, same[2] = {2, 2}, zero[4] = {0}, out;
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, NULL, 2, y, 1, false, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, k, 2, NULL, 1, false, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, k, 2, y, 1, false, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, k, 0, y, 1, false, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, k, 2, y, 0, false, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, k, 2, same, 1, true, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, zero, 2, y, 1, false, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_kernel_distance(k, zero, 2, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_kernel_distance(NULL, k, 2, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_distance(k, k, 0, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_distance(k, k, 2, NULL), MECH_EINVAL);
    k[1] = NAN;
    ck_assert_fails_with(mech_kernel_target_alignment(NULL, k, 2, y, 1, false, &out), MECH_ENONFINITE);
    ck_assert_fails_with(mech_kernel_distance(k, zero, 2, &out), MECH_ENONFINITE);
}
END_TEST

/* ---------------- information plane ---------------- */

START_TEST(test_info_binned_closed_forms)
{
    enum { N = 30 };
    double t[N], flat[N * 2];
    int64_t y[N];
    for (int i = 0; i < N; i++) t[i] = i, y[i] = i % 3, flat[2 * i] = flat[2 * i + 1] = 0.7;
    mech_information_plane r = {.size = sizeof r};
    /* injective binning: I(X;T) = log n; T determines Y: I(T;Y) = H(Y) */
    ck_assert_ok(mech_information_plane_binned(t, N, 1, y, 3, N, &r));
    ck_assert_close(r.i_xt, log(N), 1e-14);
    ck_assert_close(r.i_ty, log(3.0), 1e-13);
    ck_assert_uint_eq(r.n_patterns, N);
    /* constant T: nothing */
    ck_assert_ok(mech_information_plane_binned(flat, N, 2, y, 3, 10, &r));
    ck_assert_close(r.i_xt, 0.0, 1e-15);
    ck_assert_close(r.i_ty, 0.0, 1e-15);
    ck_assert_uint_eq(r.n_patterns, 1);
    /* two bins: halves of the range; labels = half, so both are log 2 */
    for (int i = 0; i < N; i++) y[i] = i >= N / 2;
    ck_assert_ok(mech_information_plane_binned(t, N, 1, y, 2, 2, &r));
    ck_assert_close(r.i_xt, log(2.0), 1e-14);
    ck_assert_close(r.i_ty, log(2.0), 1e-14);
    ck_assert_ok(mech_information_plane_binned(t, N, 1, NULL, 0, 2, &r));
    ck_assert(isnan(r.i_ty));
}
END_TEST

/* Random layer, 3 bins, 4 units: H(T) and I(T;Y) against an O(n^2)
 * pattern comparison written here (checks the hashing). */
START_TEST(test_info_binned_naive)
{
    enum { N = 200, P = 4, B = 3, C = 3 };
    double *t = gaussian(800, N * P), lo = INFINITY, hi = -INFINITY;
    int64_t y[N];
    int code[N * P], sym[N], nsym = 0;
    for (int i = 0; i < N; i++) y[i] = (t[i * P] > 0) + (t[i * P + 1] > 1.0);
    for (int i = 0; i < N * P; i++) lo = fmin(lo, t[i]), hi = fmax(hi, t[i]);
    for (int i = 0; i < N * P; i++) {
        int b = (int)floor((t[i] - lo) / (hi - lo) * B);
        code[i] = b < B ? b : B - 1;
    }
    for (int i = 0; i < N; i++) {
        sym[i] = -1;
        for (int j = 0; j < i && sym[i] < 0; j++)
            if (memcmp(code + i * P, code + j * P, P * sizeof(int)) == 0) sym[i] = sym[j];
        if (sym[i] < 0) sym[i] = nsym++;
    }
    double ht = 0, hty = 0, hy = 0;
    for (int s = 0; s < nsym; s++) {
        int cs = 0;
        for (int i = 0; i < N; i++) cs += sym[i] == s;
        ht -= (double)cs / N * log((double)cs / N);
        for (int c = 0; c < C; c++) {
            int cc = 0;
            for (int i = 0; i < N; i++) cc += sym[i] == s && y[i] == c;
            if (cc) hty -= (double)cc / N * log((double)cc / N);
        }
    }
    for (int c = 0; c < C; c++) {
        int cc = 0;
        for (int i = 0; i < N; i++) cc += y[i] == c;
        if (cc) hy -= (double)cc / N * log((double)cc / N);
    }
    mech_information_plane r = {.size = sizeof r};
    ck_assert_ok(mech_information_plane_binned(t, N, P, y, C, B, &r));
    ck_assert_uint_eq(r.n_patterns, (size_t)nsym);
    ck_assert_close(r.i_xt, ht, 1e-13);
    ck_assert_close(r.i_ty, ht + hy - hty, 1e-13);
    free(t);
}
END_TEST

START_TEST(test_info_kde)
{
    enum { N = 24, P = 3 };
    double *t = gaussian(900, N * P);
    int64_t y[N];
    for (int i = 0; i < N; i++) y[i] = i % 4;
    const double var = 0.8;
    double all = 0, within = 0;
    for (int i = 0; i < N; i++) {
        double s = 0, sc = 0;
        for (int j = 0; j < N; j++) {
            double d2 = 0;
            for (int k = 0; k < P; k++) d2 += pow(t[i * P + k] - t[j * P + k], 2);
            s += exp(-d2 / (2 * var)) / N;
            if (y[j] == y[i]) sc += exp(-d2 / (2 * var)) / (N / 4);
        }
        all -= log(s) / N, within -= log(sc) / N;
    }
    mech_information_plane r = {.size = sizeof r};
    ck_assert_ok(mech_information_plane_kde(NULL, t, N, P, y, 4, var, &r));
    ck_assert_close(r.i_xt, all, 1e-12);
    ck_assert_close(r.i_ty, all - within, 1e-12);
    /* tiny noise (1e-8 against squared distances ~ 1): I(X;T) = log n,
     * I(T;Y) = H(Y) = log 4; huge noise (1e8): both ~ d^2 / var ~ 1e-7 */
    ck_assert_ok(mech_information_plane_kde(NULL, t, N, P, y, 4, 1e-8, &r));
    ck_assert_close(r.i_xt, log(N), 1e-12);
    ck_assert_close(r.i_ty, log(4.0), 1e-12);
    ck_assert_ok(mech_information_plane_kde(NULL, t, N, P, NULL, 0, 1e8, &r));
    ck_assert_msg(r.i_xt >= 0 && r.i_xt < 1e-6, "I(X;T) = %g", r.i_xt);
    ck_assert(isnan(r.i_ty));
    free(t);
}
END_TEST

START_TEST(test_info_bad_input)
{
    double t[6] = {1, 2, 3, 4, 5, 6};
    int64_t y[3] = {0, 1, 2};
    mech_information_plane r = {.size = sizeof r}, bad = {0};
    ck_assert_fails_with(mech_information_plane_binned(NULL, 3, 2, y, 3, 4, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, y, 3, 4, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, y, 3, 4, &bad), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_binned(t, 0, 2, y, 3, 4, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, y, 3, 0, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, y, 0, 4, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, y, 2, 4, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_information_plane_kde(NULL, NULL, 3, 2, y, 3, 1.0, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 0, y, 3, 1.0, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 2, y, 3, 0.0, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 2, y, 3, -1.0, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 2, y, 3, NAN, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 2, y, 2, 1.0, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 2, y, 3, 1.0, &bad), MECH_EINVAL);
    y[1] = -3;
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, y, 3, 4, &r), MECH_ERANGE);
    t[4] = NAN;
    ck_assert_fails_with(mech_information_plane_binned(t, 3, 2, NULL, 0, 4, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_information_plane_kde(NULL, t, 3, 2, NULL, 0, 1.0, &r), MECH_ENONFINITE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hsic_matches_naive);
    tcase_add_test(tc, test_cka_invariances);
    tcase_add_test(tc, test_unbiased_hsic_mean_zero);
    tcase_add_test(tc, test_cka_permutation);
    tcase_add_test(tc, test_cka_permutation_gram_route);
    tcase_add_test(tc, test_cka_bad_input);
    tcase_add_test(tc, test_matrix_spectrum_known);
    tcase_add_test(tc, test_rank_one_and_centered);
    tcase_add_test(tc, test_effective_rank_closed_form);
    tcase_add_test(tc, test_spectrum_bad_input);
    tcase_add_test(tc, test_power_law_single_candidate);
    tcase_add_test(tc, test_weight_power_law_diagonal);
    tcase_add_test(tc, test_power_law_bad_input);
    tcase_add_test(tc, test_nc_simplex_etf);
    tcase_add_test(tc, test_nc1_random_against_naive);
    tcase_add_test(tc, test_nc_bad_input);
    tcase_add_test(tc, test_nfa);
    tcase_add_test(tc, test_nfa_bad_input);
    tcase_add_test(tc, test_kernel_alignment);
    tcase_add_test(tc, test_kernel_alignment_bad_input);
    tcase_add_test(tc, test_info_binned_closed_forms);
    tcase_add_test(tc, test_info_binned_naive);
    tcase_add_test(tc, test_info_kde);
    tcase_add_test(tc, test_info_bad_input);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
