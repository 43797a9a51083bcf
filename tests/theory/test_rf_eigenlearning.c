/* Random-feature eigenlearning against independent simulations of
 * random-feature ridge regression whose limiting kernel has a known
 * eigensystem: Gaussian inputs x ~ N(0, diag lambda), features
 * phi(x) = F^T x / sqrt(k) with F a P x k standard Gaussian matrix, so
 * phi(x).phi(x') -> x.x' (the linear kernel, eigenvalues lambda_i,
 * eigenfunctions x_i / sqrt(lambda_i)) as k -> Inf. */
#include <stdio.h>

#include "compare_fixture.h"

#define P 60 /* input dimension = kernel modes */

static double lam[P], coef[P];

/* Power-law spectrum and target: lambda_i = i^-1.5, v_i^2 = i^-1.3. */
static void build_task(void)
{
    for (size_t i = 0; i < P; i++) {
        lam[i] = pow((double)(i + 1), -1.5);
        coef[i] = pow((double)(i + 1), -0.65) * ((i % 3) ? 1.0 : -1.0);
    }
}

typedef struct stats {
    double s, s2;
} stats;

static void add(stats *a, double v)
{
    a->s += v;
    a->s2 += v * v;
}

static double mean(const stats *a, double d) { return a->s / d; }

static double se(const stats *a, double d)
{
    double m = a->s / d;
    return sqrt(fmax(a->s2 / d - m * m, 0.0) / (d - 1.0));
}

/* Empirical test and train MSE of RF ridge regression over `draws` draws
 * of data (n samples) and features (k). Labels y = sum_i v_i g_i + noise
 * with g = standardized inputs. The learned function is linear in x,
 * f(x) = sum_i c_i g_i, so its test MSE against noisy labels is exactly
 * sum (c_i - v_i)^2 + noise_var (no test sample needed). The ridge solve
 * is primal (k x k) when k < n, dual (n x n) otherwise, so the ridgeless
 * fits on either side of the threshold are defined. */
static void simulate_rf(size_t n, size_t k, double ridge, double noise_sd, size_t draws,
                        stats *test, stats *train)
{
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 2024, n * 100000 + k * 10 + (ridge > 0)));
    size_t r = k < n ? k : n;
    double *g = malloc(sizeof(double) * n * P), *x = malloc(sizeof(double) * n * P);
    double *f = malloc(sizeof(double) * P * k), *z = malloc(sizeof(double) * n * k);
    double *gram = malloc(sizeof(double) * r * r), *rhs = malloc(sizeof(double) * k);
    double *y = malloc(sizeof(double) * n), *a = malloc(sizeof(double) * k);
    double *w = malloc(sizeof(double) * P), *fit = malloc(sizeof(double) * n);
    double sk = 1.0 / sqrt((double)k);
    for (size_t d = 0; d < draws; d++) {
        ck_assert_ok(mech_rng_normal(rng, g, n * P, 0.0, 1.0));
        ck_assert_ok(mech_rng_normal(rng, f, P * k, 0.0, sk)); /* F / sqrt(k) */
        ck_assert_ok(mech_rng_normal(rng, y, n, 0.0, noise_sd));
        for (size_t s = 0; s < n; s++)
            for (size_t i = 0; i < P; i++) {
                x[s * P + i] = sqrt(lam[i]) * g[s * P + i];
                y[s] += coef[i] * g[s * P + i];
            }
        /* Z = X F / sqrt(k), n x k */
        ck_assert_ok(mech_gemm(NULL, false, false, n, k, P, 1.0, x, P, f, k, 0.0, z, k));
        if (k < n) { /* a = (Z^T Z + ridge I)^-1 Z^T y */
            ck_assert_ok(mech_gemm(NULL, true, false, k, k, n, 1.0, z, k, z, k, 0.0, gram, k));
            for (size_t i = 0; i < k; i++) gram[i * k + i] += ridge;
            ck_assert_ok(mech_gemv(NULL, true, n, k, 1.0, z, k, y, 0.0, a));
            ck_assert_ok(mech_cholesky_solve(NULL, k, 1, gram, k, a, 1));
        } else { /* a = Z^T (Z Z^T + ridge I)^-1 y */
            ck_assert_ok(mech_gemm(NULL, false, true, n, n, k, 1.0, z, k, z, k, 0.0, gram, n));
            for (size_t i = 0; i < n; i++) gram[i * n + i] += ridge;
            memcpy(rhs, y, sizeof(double) * n);
            ck_assert_ok(mech_cholesky_solve(NULL, n, 1, gram, n, rhs, 1));
            ck_assert_ok(mech_gemv(NULL, true, n, k, 1.0, z, k, rhs, 0.0, a));
        }
        /* weights on x: w = F a / sqrt(k); coefficient on g_i: sqrt(lambda_i) w_i */
        ck_assert_ok(mech_gemv(NULL, false, P, k, 1.0, f, k, a, 0.0, w));
        double te = noise_sd * noise_sd;
        for (size_t i = 0; i < P; i++) {
            double c = sqrt(lam[i]) * w[i] - coef[i];
            te += c * c;
        }
        ck_assert_ok(mech_gemv(NULL, false, n, k, 1.0, z, k, a, 0.0, fit));
        double tr = 0.0;
        for (size_t s = 0; s < n; s++) tr += (fit[s] - y[s]) * (fit[s] - y[s]) / (double)n;
        add(test, te);
        add(train, tr);
    }
    mech_rng_destroy(rng);
    free(g);
    free(x);
    free(f);
    free(z);
    free(gram);
    free(rhs);
    free(y);
    free(a);
    free(w);
    free(fit);
}

START_TEST(rf_simulation_matches_prediction)
{
    build_task();
    const double noise_sd = 0.3;
    /* train_rel: relative allowance for the train MSE. Near the
     * double-descent peak (k = 1.5 n, small ridge) the train MSE is tiny
     * and its finite-size error large: +23% here, and in a numpy check of
     * the same ratios +41%, +3.7%, +1.6% at (P, n, k) = (60, 30, 45),
     * (120, 60, 90), (240, 120, 180), i.e. it vanishes with size. */
    const struct {
        size_t n, k;
        double ridge, train_rel;
    } cases[] = {
        {40, 15, 1e-2, 0.03}, {40, 120, 1e-2, 0.03}, {80, 30, 1e-1, 0.03},
        {30, 45, 1e-3, 0.30},
        {40, 100, 0.0, 0.03}, /* ridgeless, k > n: interpolation */
        {60, 20, 0.0, 0.03},  /* ridgeless, k < n: least squares on k features */
    };
    enum { NC = sizeof cases / sizeof cases[0] };
    const size_t draws = 400;
    /* Cases share n (and ridges differ), so the comparison axis is the
     * case index: one comparison for the test MSE, one for the train MSE. */
    double idx[NC], te_m[NC], te_se[NC], te_p[NC], tr_m[NC], tr_se[NC], tr_p[NC];
    for (size_t c = 0; c < NC; c++) {
        double n = (double)cases[c].n, k = (double)cases[c].k, ridge = cases[c].ridge;
        mech_eigenlearning_result r = {.size = sizeof r};
        double gamma = 0.0;
        ck_assert_ok(mech_rf_eigenlearning(lam, coef, P, n, k, ridge, noise_sd * noise_sd,
                                           &gamma, &r));
        stats te = {0, 0}, tr = {0, 0};
        simulate_rf(cases[c].n, cases[c].k, ridge, noise_sd, draws, &te, &tr);
        double D = (double)draws;
        te_m[c] = mean(&te, D);
        te_se[c] = se(&te, D);
        te_p[c] = r.test_mse;
        tr_m[c] = mean(&tr, D);
        tr_se[c] = se(&tr, D);
        tr_p[c] = r.train_mse;
        printf("# case %zu, n=%g k=%g ridge=%g: test %.5g +- %.2g (theory %.5g, %+.2f%%), "
               "train %.5g +- %.2g (theory %.5g)\n",
               c, n, k, ridge, te_m[c], te_se[c], te_p[c], 100.0 * (te_m[c] / te_p[c] - 1.0),
               tr_m[c], tr_se[c], tr_p[c]);
    }
    /* Acceptance: test MSE within 3 standard errors + 3%: the
     * deterministic equivalents are exact only as n, k, P grow
     * together; at n, k ~ 15-120 their relative error is
     * O(1/min(n, k)), a few % (the simulation comes out slightly
     * worse than the theory, most near the peak k ~ n). Train MSE within
     * 3 standard errors + train_rel + 1e-12 (ridgeless: zero). Both as
     * max_z <= 3 with the allowance in se (rel_floor 1e-12 keeps the
     * reported max_rel of the ridgeless zero finite). */
    double se_eff[NC];
    index_axis(idx, NC);
    allowance_se(te_se, te_p, NC, 3.0, 0.03, 0.0, se_eff);
    ck_assert_double_le(compare_pointwise("rf_eigenlearning test MSE vs RF regression "
                                          "(z with 3% allowance)",
                                          idx, te_p, te_m, se_eff, NC, 0.0).max_z,
                        3.0);
    for (size_t c = 0; c < NC; c++)
        allowance_se(&tr_se[c], &tr_p[c], 1, 3.0, cases[c].train_rel, 1e-12, &se_eff[c]);
    ck_assert_double_le(compare_pointwise("rf_eigenlearning train MSE vs RF regression "
                                          "(z with train_rel + 1e-12 allowance)",
                                          idx, tr_p, tr_m, se_eff, NC, 1e-12).max_z,
                        3.0);
}
END_TEST

/* k -> Inf recovers kernel ridge regression; gamma -> kappa. */
START_TEST(infinite_features_limit_is_krr)
{
    build_task();
    const double ridges[] = {0.0, 1e-3, 0.1};
    for (size_t b = 0; b < 3; b++) {
        mech_eigenlearning_result krr = {.size = sizeof krr}, rf = {.size = sizeof rf};
        double gamma;
        ck_assert_ok(mech_eigenlearning(lam, coef, P, 30.0, ridges[b], 0.05, NULL, &krr));
        ck_assert_ok(mech_rf_eigenlearning(lam, coef, P, 30.0, 1e10, ridges[b], 0.05, &gamma,
                                           &rf));
        ck_assert_close(rf.kappa / krr.kappa, 1.0, 1e-8);
        ck_assert_close(gamma / krr.kappa, 1.0, 1e-8);
        ck_assert_close(rf.e0, krr.e0, 1e-8);
        ck_assert_close(rf.test_mse / krr.test_mse, 1.0, 1e-8);
        if (ridges[b] > 0.0) ck_assert_close(rf.train_mse / krr.train_mse, 1.0, 1e-8);
        else ck_assert(rf.train_mse == 0.0);
    }
}
END_TEST

/* The two equations hold at the root; fewer features never help at the
 * same (small) ridge in this task; ridgeless least squares on k < n
 * features has E0 = n / (n - k). */
START_TEST(identities_of_the_solution)
{
    build_task();
    mech_eigenlearning_result r = {.size = sizeof r};
    double gamma, n = 30.0, k = 20.0, ridge = 0.02;
    ck_assert_ok(mech_rf_eigenlearning(lam, coef, P, n, k, ridge, 0.1, &gamma, &r));
    double z = 0.0;
    for (size_t i = 0; i < P; i++) z += lam[i] / (lam[i] + gamma);
    ck_assert_close(z + ridge / r.kappa, n, 1e-12);
    ck_assert_close(z + k * r.kappa / gamma, k, 1e-12);
    ck_assert_close(r.sum_learnability, z, 1e-12);
    ck_assert(r.residual < 1e-12);
    ck_assert(gamma > r.kappa);
    mech_eigenlearning_result more = {.size = sizeof more};
    ck_assert_ok(mech_rf_eigenlearning(lam, coef, P, n, 4.0 * k, ridge, 0.1, NULL, &more));
    ck_assert(more.test_mse < r.test_mse);
    ck_assert_ok(mech_rf_eigenlearning(lam, coef, P, 50.0, 20.0, 0.0, 0.1, &gamma, &r));
    ck_assert_close(r.e0, 50.0 / 30.0, 1e-12);
    ck_assert(r.kappa == 0.0);
    ck_assert_close(r.train_mse, 0.36 * r.test_mse, 1e-12);
}
END_TEST

START_TEST(bad_parameters_are_refused)
{
    build_task();
    mech_eigenlearning_result r = {.size = sizeof r};
    double g, bad[3] = {1.0, -0.5, 0.1}, v[3] = {1, 1, 1};
    ck_assert_fails_with(mech_rf_eigenlearning(NULL, coef, P, 10, 5, 0.1, 0, &g, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, NULL, P, 10, 5, 0.1, 0, &g, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, 0, 10, 5, 0.1, 0, &g, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, 5, 0.1, 0, &g, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_rf_eigenlearning(bad, v, 3, 1, 5, 0.1, 0, &g, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, 0, 0.1, 0, &g, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, -3, 0.1, 0, &g, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, NAN, 0.1, 0, &g, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, INFINITY, 0.1, 0, &g, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, 5, -1, 0, &g, &r), MECH_ERANGE);
    /* ridgeless at the threshold, and with min(n, k) >= the modes */
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, 10, 0, 0, &g, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, P, 2 * P, 0, 0, &g, &r), MECH_ERANGE);
    ck_assert_ok(mech_rf_eigenlearning(lam, coef, P, 2 * P, P - 1, 0, 0, NULL, &r));
    r.size = 0;
    ck_assert_fails_with(mech_rf_eigenlearning(lam, coef, P, 10, 5, 0.1, 0, &g, &r), MECH_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rf_eigenlearning");
    TCase *tc = tcase_create("rf_eigenlearning");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, infinite_features_limit_is_krr);
    tcase_add_test(tc, identities_of_the_solution);
    tcase_add_test(tc, bad_parameters_are_refused);
    tcase_add_test(tc, rf_simulation_matches_prediction);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
