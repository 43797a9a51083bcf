/* Eigenlearning against independent kernel ridge regression simulations on
 * a finite measure whose kernel eigensystem is known exactly (a truncated
 * Fourier basis on M points of a circle). */
#include <stdio.h>

#include "compare_fixture.h"

#define M 1000 /* points of the measure */
#define P 120  /* kernel modes (P < M so the Fourier basis is orthonormal) */

static double lam[P], coef[P];
static double phi[M * P]; /* phi[j*P + i] = eigenfunction i at point j */

/* Orthonormal in L2(uniform on M points): 1, sqrt2 cos, sqrt2 sin, ... */
static void build_basis(void)
{
    for (size_t j = 0; j < M; j++) {
        double x = 2.0 * acos(-1.0) * (double)j / M;
        phi[j * P] = 1.0;
        for (size_t i = 1; i < P; i++) {
            double k = (double)((i + 1) / 2);
            phi[j * P + i] = sqrt(2.0) * ((i % 2) ? cos(k * x) : sin(k * x));
        }
    }
    /* Power-law spectrum and target: lambda_i = i^-1.5, v_i^2 = i^-1.3. */
    for (size_t i = 0; i < P; i++) {
        lam[i] = pow((double)(i + 1), -1.5);
        coef[i] = pow((double)(i + 1), -0.65) * ((i % 3) ? 1.0 : -1.0);
    }
}

static double kernel_at(size_t a, size_t b)
{
    double s = 0.0;
    for (size_t i = 0; i < P; i++) s += lam[i] * phi[a * P + i] * phi[b * P + i];
    return s;
}

START_TEST(finite_measure_eigensystem_recovers_the_spectrum)
{
    build_basis();
    double *k = malloc(sizeof(double) * M * M);
    double *target = malloc(sizeof(double) * M);
    double *w = malloc(sizeof(double) * M), *v = malloc(sizeof(double) * M);
    for (size_t a = 0; a < M; a++) {
        for (size_t b = 0; b < M; b++) k[a * M + b] = kernel_at(a, b);
        double f = 0.0;
        for (size_t i = 0; i < P; i++) f += coef[i] * phi[a * P + i];
        target[a] = f;
    }
    ck_assert_ok(mech_kernel_eigensystem(NULL, k, NULL, M, target, w, v, NULL));
    /* Paired cos/sin modes share an eigenvalue, so compare the sorted
     * spectrum and the energy per eigenvalue (sum of v^2 over the pair). */
    double *sorted = malloc(sizeof(double) * P);
    memcpy(sorted, lam, sizeof(double) * P);
    for (size_t i = 0; i < P; i++)
        for (size_t j = i + 1; j < P; j++)
            if (sorted[j] > sorted[i]) {
                double t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
    for (size_t i = 0; i < P; i++) ck_assert_close(w[i], sorted[i], 1e-12);
    for (size_t i = P; i < M; i++) ck_assert(fabs(w[i]) < 1e-12);
    double energy_true = 0.0, energy = 0.0;
    for (size_t i = 0; i < P; i++) energy_true += coef[i] * coef[i];
    for (size_t i = 0; i < M; i++) energy += v[i] * v[i];
    ck_assert_close(energy, energy_true, 1e-12);
    free(k);
    free(target);
    free(w);
    free(v);
    free(sorted);
}
END_TEST

/* Empirical KRR test and train MSE over `draws` independent datasets.
 * Inputs are Gaussian with covariance diag(lambda) and the kernel is
 * linear, so the kernel's eigenfunctions under the data measure are the
 * standardized coordinates phi_i(x) ~ N(0, 1): the setting in which the
 * eigenlearning equations are asymptotically exact. (Structured
 * eigenfunctions such as Fourier modes on a grid deviate from it at small
 * n, by design of the theory, not by error of the code.) The test error
 * is computed exactly from the learned coefficients, so no test sample is
 * needed: f = sum_i c_i phi_i with c_i = lambda_i (Phi_X^T a)_i. */
static void simulate_krr(size_t n, double ridge, double noise_sd, size_t draws, double *test,
                         double *test_se, double *train, double *train_se)
{
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 20261128, n * 1000 + (uint64_t)(ridge * 1e6)));
    double *phix = malloc(sizeof(double) * n * P);   /* features of the samples */
    double *lphix = malloc(sizeof(double) * n * P);  /* scaled by lambda */
    double *kxx = malloc(sizeof(double) * n * n);
    double *alpha = malloc(sizeof(double) * n);
    double *noise = malloc(sizeof(double) * n);
    double *c = malloc(sizeof(double) * P);
    double s_te = 0, s2_te = 0, s_tr = 0, s2_tr = 0;
    for (size_t d = 0; d < draws; d++) {
        ck_assert_ok(mech_rng_normal(rng, phix, n * P, 0.0, 1.0));
        ck_assert_ok(mech_rng_normal(rng, noise, n, 0.0, noise_sd));
        for (size_t s = 0; s < n; s++) {
            double f = 0.0;
            for (size_t i = 0; i < P; i++) {
                lphix[s * P + i] = lam[i] * phix[s * P + i];
                f += coef[i] * phix[s * P + i];
            }
            alpha[s] = f + noise[s]; /* the labels y */
        }
        /* a = (K(X,X) + ridge I)^-1 y */
        ck_assert_ok(mech_gemm(NULL, false, true, n, n, P, 1.0, phix, P, lphix, P, 0.0, kxx, n));
        for (size_t s = 0; s < n; s++) kxx[s * n + s] += ridge;
        ck_assert_ok(mech_cholesky_solve(NULL, n, 1, kxx, n, alpha, 1));
        ck_assert_ok(mech_gemv(NULL, true, n, P, 1.0, lphix, P, alpha, 0.0, c));
        /* test MSE against noisy labels: sum (c - v)^2 + noise_var */
        double te = noise_sd * noise_sd;
        for (size_t i = 0; i < P; i++) te += (c[i] - coef[i]) * (c[i] - coef[i]);
        /* train MSE: f(x_s) = (K(X,X) a)_s = y_s - ridge a_s */
        double tr = 0.0;
        for (size_t s = 0; s < n; s++) tr += ridge * alpha[s] * ridge * alpha[s] / (double)n;
        s_te += te;
        s2_te += te * te;
        s_tr += tr;
        s2_tr += tr * tr;
    }
    double D = (double)draws;
    *test = s_te / D;
    *test_se = sqrt(fmax(s2_te / D - *test * *test, 0.0) / (D - 1.0));
    *train = s_tr / D;
    *train_se = sqrt(fmax(s2_tr / D - *train * *train, 0.0) / (D - 1.0));
    mech_rng_destroy(rng);
    free(phix);
    free(lphix);
    free(kxx);
    free(alpha);
    free(noise);
    free(c);
}

START_TEST(krr_simulation_matches_prediction)
{
    build_basis();
    const double noise_sd = 0.3;
    const size_t ns[] = {40, 80};
    const double ridges[] = {1e-3, 1e-2, 1e-1};
    /* One comparison per ridge and error kind on the axis n (samples); the
     * prediction is the eigenlearning curve at the simulated n. */
    for (size_t b = 0; b < 3; b++) {
        double n_axis[2], te[2], te_se[2], tr[2], tr_se[2], p_te[2], p_tr[2];
        for (size_t a = 0; a < 2; a++) {
            mech_eigenlearning_result r = {.size = sizeof r};
            ck_assert_ok(mech_eigenlearning(lam, coef, P, (double)ns[a], ridges[b],
                                            noise_sd * noise_sd, NULL, &r));
            simulate_krr(ns[a], ridges[b], noise_sd, 400, &te[a], &te_se[a], &tr[a], &tr_se[a]);
            n_axis[a] = (double)ns[a];
            p_te[a] = r.test_mse;
            p_tr[a] = r.train_mse;
            printf("# n=%zu ridge=%g: test %.5g +- %.2g (theory %.5g, %+.2f%%), train %.5g "
                   "+- %.2g (theory %.5g)\n",
                   ns[a], ridges[b], te[a], te_se[a], p_te[a], 100.0 * (te[a] / p_te[a] - 1.0),
                   tr[a], tr_se[a], p_tr[a]);
        }
        /* Acceptance: within 3 standard errors + 2% (the theory's finite-n
         * error is O(1/n) relative and a few % at n = 40), as max_z <= 3
         * with the 2% allowance in se. */
        double se_eff[2];
        char name[96];
        allowance_se(te_se, p_te, 2, 3.0, 0.02, 0.0, se_eff);
        snprintf(name, sizeof name,
                 "eigenlearning test MSE vs KRR, ridge %g (z with 2%% allowance)", ridges[b]);
        ck_assert_double_le(compare_pointwise(name, n_axis, p_te, te, se_eff, 2, 0.0).max_z, 3.0);
        allowance_se(tr_se, p_tr, 2, 3.0, 0.02, 0.0, se_eff);
        snprintf(name, sizeof name,
                 "eigenlearning train MSE vs KRR, ridge %g (z with 2%% allowance)", ridges[b]);
        ck_assert_double_le(compare_pointwise(name, n_axis, p_tr, tr, se_eff, 2, 0.0).max_z, 3.0);
    }
}
END_TEST

START_TEST(identities_of_the_solution)
{
    build_basis();
    double learn[P];
    mech_eigenlearning_result r = {.size = sizeof r};
    ck_assert_ok(mech_eigenlearning(lam, coef, P, 30.0, 0.05, 0.1, learn, &r));
    double z = 0.0, q = 0.0;
    for (size_t i = 0; i < P; i++) {
        ck_assert_close(learn[i], lam[i] / (lam[i] + r.kappa), 1e-15);
        z += learn[i];
        q += learn[i] * learn[i];
    }
    /* sum L_i + ridge/kappa = n (the conservation law) */
    ck_assert_close(z + 0.05 / r.kappa, 30.0, 1e-12);
    ck_assert_close(r.e0, 30.0 / (30.0 - q), 1e-12);
    ck_assert(r.residual < 1e-12);
    /* ridgeless: train error is zero */
    ck_assert_ok(mech_eigenlearning(lam, coef, P, 30.0, 0.0, 0.1, NULL, &r));
    ck_assert(r.train_mse == 0.0);
    /* a truncated result struct is filled only up to its size */
    struct { size_t size; double kappa; } small = {sizeof small, -1.0};
    ck_assert_ok(mech_eigenlearning(lam, coef, P, 30.0, 0.05, 0.1, NULL,
                                    (mech_eigenlearning_result *)&small));
    ck_assert(small.kappa > 0.0 && small.size == sizeof small);
}
END_TEST

START_TEST(bad_parameters_are_refused)
{
    build_basis();
    mech_eigenlearning_result r = {.size = sizeof r};
    double bad[3] = {1.0, -0.5, 0.1}, nan3[3] = {1.0, NAN, 0.1}, v[3] = {1, 1, 1};
    ck_assert_fails_with(mech_eigenlearning(NULL, coef, P, 10, 0, 0, NULL, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_eigenlearning(lam, NULL, P, 10, 0, 0, NULL, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_eigenlearning(lam, coef, 0, 10, 0, 0, NULL, &r), MECH_EINVAL);
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, 10, 0, 0, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_eigenlearning(bad, v, 3, 1, 0, 0, NULL, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_eigenlearning(nan3, v, 3, 1, 0, 0, NULL, &r), MECH_ENONFINITE);
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, -1, 0, 0, NULL, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, 10, -1, 0, NULL, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, 10, 0, -1, NULL, &r), MECH_ERANGE);
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, NAN, 0, 0, NULL, &r), MECH_ENONFINITE);
    /* ridgeless with n at least the number of modes */
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, (double)P, 0, 0, NULL, &r), MECH_ERANGE);
    ck_assert_ok(mech_eigenlearning(lam, coef, P, (double)P, 1e-3, 0, NULL, &r));
    r.size = 0;
    ck_assert_fails_with(mech_eigenlearning(lam, coef, P, 10, 0, 0, NULL, &r), MECH_EINVAL);

    double k4[4] = {1, 0, 0, 1}, w2[2], y2[2] = {1, 2}, est[1], rid[1] = {0.1};
    double badw[2] = {0.7, 0.7};
    ck_assert_fails_with(mech_kernel_eigensystem(NULL, NULL, NULL, 2, NULL, w2, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_eigensystem(NULL, k4, NULL, 0, NULL, w2, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_kernel_eigensystem(NULL, k4, badw, 2, NULL, w2, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_kernel_eigensystem(NULL, k4, NULL, 2, y2, w2, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_gcv_estimate(NULL, k4, 2, y2, rid, 0, est), MECH_EINVAL);
    rid[0] = 0.0;
    ck_assert_fails_with(mech_gcv_estimate(NULL, k4, 2, y2, rid, 1, est), MECH_ERANGE);
    k4[1] = NAN;
    rid[0] = 0.1;
    ck_assert_fails_with(mech_gcv_estimate(NULL, k4, 2, y2, rid, 1, est), MECH_ENONFINITE);
}
END_TEST

/* GCV against a direct computation with an explicit inverse. */
START_TEST(gcv_matches_direct_formula)
{
    const size_t n = 6;
    double x[6] = {-1.0, -0.4, 0.1, 0.3, 0.8, 1.5}, y[6] = {0.2, -0.1, 0.5, 0.4, 1.0, 0.7};
    double k[36], rid[2] = {0.05, 0.5}, est[2];
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) k[a * n + b] = exp(-0.5 * (x[a] - x[b]) * (x[a] - x[b]));
    ck_assert_ok(mech_gcv_estimate(NULL, k, n, y, rid, 2, est));
    for (size_t r = 0; r < 2; r++) {
        /* S = K (K + ridge I)^-1 column by column via Cholesky solves. */
        double a[36], s[36];
        for (size_t i = 0; i < 36; i++) a[i] = k[i];
        for (size_t i = 0; i < n; i++) a[i * n + i] += rid[r];
        double kt[36];
        for (size_t i = 0; i < 36; i++) kt[i] = k[i];
        /* (K + rI)^-1 K = S^T, and S is symmetric */
        ck_assert_ok(mech_cholesky_solve(NULL, n, n, a, n, kt, n));
        memcpy(s, kt, sizeof s);
        double tr = 0.0, res = 0.0;
        for (size_t i = 0; i < n; i++) {
            tr += s[i * n + i];
            double yh = 0.0;
            for (size_t j = 0; j < n; j++) yh += s[i * n + j] * y[j];
            res += (y[i] - yh) * (y[i] - yh);
        }
        double want = (res / n) / ((1.0 - tr / n) * (1.0 - tr / n));
        ck_assert_close(est[r], want, 1e-10);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("eigenlearning");
    TCase *tc = tcase_create("eigenlearning");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, finite_measure_eigensystem_recovers_the_spectrum);
    tcase_add_test(tc, identities_of_the_solution);
    tcase_add_test(tc, bad_parameters_are_refused);
    tcase_add_test(tc, gcv_matches_direct_formula);
    tcase_add_test(tc, krr_simulation_matches_prediction);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
