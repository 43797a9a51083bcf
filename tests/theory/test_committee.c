/* Committee machine theory: Gaussian integrals against Monte Carlo, and
 * exact properties of the order-parameter ODE. */
#include "compare_fixture.h"

/* Draws n samples of a zero-mean Gaussian with covariance cov (k x k) and
 * averages the integrand of `which`; returns mean and standard error. */
static void monte_carlo(mech_committee_act act, mech_committee_integral which, const double *cov,
                        size_t k, size_t n, double *mean, double *se)
{
    double l[16] = {0};
    /* Cholesky factor, written out (k <= 4) so the test does not lean on
     * the library's linear algebra for its reference. */
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = cov[i * k + j];
            for (size_t p = 0; p < j; p++) s -= l[i * 4 + p] * l[j * 4 + p];
            l[i * 4 + j] = (i == j) ? sqrt(fmax(s, 0.0)) : (l[j * 4 + j] > 0 ? s / l[j * 4 + j] : 0);
        }
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 7, (uint64_t)which * 10 + k));
    const size_t chunk = 4096;
    double *z = malloc(sizeof(double) * chunk * k);
    double sum = 0.0, sum2 = 0.0;
    for (size_t done = 0; done < n; done += chunk) {
        ck_assert_ok(mech_rng_normal(rng, z, chunk * k, 0.0, 1.0));
        for (size_t s = 0; s < chunk; s++) {
            double u[4] = {0};
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j <= i; j++) u[i] += l[i * 4 + j] * z[s * k + j];
            double g[4], dg[4];
            for (size_t i = 0; i < k; i++) {
                if (act == MECH_COMMITTEE_LINEAR) {
                    g[i] = u[i];
                    dg[i] = 1.0;
                } else {
                    g[i] = erf(u[i] / sqrt(2.0));
                    dg[i] = sqrt(2.0 / acos(-1.0)) * exp(-0.5 * u[i] * u[i]);
                }
            }
            double f = 0.0;
            switch (which) {
            case MECH_COMMITTEE_I2: f = g[0] * g[1]; break;
            case MECH_COMMITTEE_J2: f = dg[0] * dg[1]; break;
            case MECH_COMMITTEE_I3: f = dg[0] * u[1] * g[2]; break;
            case MECH_COMMITTEE_I4: f = dg[0] * dg[1] * g[2] * g[3]; break;
            }
            sum += f;
            sum2 += f * f;
        }
    }
    double total = (double)((n + chunk - 1) / chunk * chunk);
    *mean = sum / total;
    *se = sqrt(fmax(sum2 / total - *mean * *mean, 0.0) / (total - 1.0));
    free(z);
    mech_rng_destroy(rng);
}

START_TEST(integrals_match_monte_carlo)
{
    /* A generic positive-definite 4 x 4 covariance of local fields. */
    const double c4[16] = {1.3, 0.4, -0.3, 0.5,  0.4, 0.9, 0.2, -0.1,
                           -0.3, 0.2, 1.1, 0.35, 0.5, -0.1, 0.35, 0.8};
    const mech_committee_integral which[4] = {MECH_COMMITTEE_I2, MECH_COMMITTEE_J2,
                                              MECH_COMMITTEE_I3, MECH_COMMITTEE_I4};
    const size_t dims[4] = {2, 2, 3, 4};
    double exact[8], mc[8], se[8], idx[8];
    for (int a = 0; a < 2; a++)
        for (int w = 0; w < 4; w++) {
            size_t k = dims[w], i = (size_t)(a * 4 + w);
            double cov[16];
            for (size_t r = 0; r < k; r++)
                for (size_t c = 0; c < k; c++) cov[r * k + c] = c4[r * 4 + c];
            ck_assert_ok(mech_committee_gaussian((mech_committee_act)a, which[w], cov, &exact[i]));
            monte_carlo((mech_committee_act)a, which[w], cov, k, 1000000, &mc[i], &se[i]);
            fprintf(stderr, "# act %d integral %d: closed form %.8f, Monte Carlo %.8f +- %.8f\n",
                    a, w, exact[i], mc[i], se[i]);
        }
    /* acceptance: >= 1e6 samples, each integral within 4 standard errors;
     * 1e-15 of rounding is allowed because a constant integrand (linear
     * J2) has se = 0: |mc - exact| <= 4 se + 1e-15, i.e. max_z <= 4 with
     * the allowance in se. */
    double se_eff[8];
    allowance_se(se, exact, 8, 4.0, 0.0, 1e-15, se_eff);
    index_axis(idx, 8);
    mech_comparison c =
        compare_pointwise("committee integrals vs Monte Carlo (z with 1e-15 allowance)", idx,
                          exact, mc, se_eff, 8, 1e-12);
    ck_assert_double_le(c.max_z, 4.0);
}
END_TEST

/* With a linear activation, K = M = 1 and v = A = 1, eps_g = (Q - 2R + T)/2
 * and the ODE is linear: dR = lr (T - R), dQ = 2 lr (R - Q) +
 * lr^2 (Q - 2R + T + noise^2). Its exact solution follows from a 2 x 2
 * matrix exponential, evaluated here by a Taylor series. */
START_TEST(linear_ode_matches_exact_solution)
{
    const double lr = 0.3, noise = 0.2, tt = 1.0;
    const double q0 = 0.5, r0 = 0.1;
    const double alphas[4] = {0.0, 0.5, 2.0, 6.0};
    double eps[4], q[4], r[4], v0 = 1.0, a = 1.0, vout[4];
    ck_assert_ok(mech_committee_ode(NULL, MECH_COMMITTEE_LINEAR, 1, 1, &q0, &r0, &tt, &v0, &a,
                                    lr, 0.0, noise, 0.0, alphas, 4, eps, q, r, vout));
    /* d/dalpha (R, Q, 1) = A (R, Q, 1) */
    double A[3][3] = {{-lr, 0.0, lr * tt},
                      {2 * lr - 2 * lr * lr, -2 * lr + lr * lr, lr * lr * (tt + noise * noise)},
                      {0, 0, 0}};
    for (int s = 0; s < 4; s++) {
        double x[3] = {r0, q0, 1.0}, term[3] = {r0, q0, 1.0};
        for (int p = 1; p < 80; p++) {
            double nt[3] = {0};
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) nt[i] += A[i][j] * term[j] * alphas[s] / p;
            for (int i = 0; i < 3; i++) {
                term[i] = nt[i];
                x[i] += nt[i];
            }
        }
        ck_assert_close(r[s], x[0], 1e-8);
        ck_assert_close(q[s], x[1], 1e-8);
        ck_assert_close(eps[s], 0.5 * (x[1] - 2 * x[0] + tt), 1e-8);
        ck_assert(vout[s] == 1.0); /* second layer fixed */
    }
}
END_TEST

START_TEST(eps_g_of_the_teacher_itself_is_zero)
{
    /* A student equal to the teacher: Q = R = T, v = A. */
    const double t[4] = {1.0, 0.2, 0.2, 0.8}, a[2] = {1.0, -0.5};
    double eps;
    ck_assert_ok(mech_committee_eps_g(MECH_COMMITTEE_SCALED_ERF, 2, 2, t, t, t, a, a, &eps));
    ck_assert(fabs(eps) < 1e-15);
    /* A student at zero weights has eps_g = E[f*^2]/2 = sum A A I2 / 2. */
    const double z[4] = {0}, v[2] = {1, 1};
    ck_assert_ok(mech_committee_eps_g(MECH_COMMITTEE_SCALED_ERF, 2, 2, z, z, t, v, a, &eps));
    double want = 0.0;
    for (int n = 0; n < 2; n++)
        for (int m = 0; m < 2; m++)
            want += a[n] * a[m] * (2.0 / acos(-1.0)) *
                    asin(t[n * 2 + m] / sqrt((1 + t[n * 2 + n]) * (1 + t[m * 2 + m])));
    ck_assert_close(eps, 0.5 * want, 1e-14);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    double out, cov2[4] = {1, 0.5, 0.5, 1}, bad[4] = {1, 2, 2, 1}, neg[4] = {-1, 0, 0, 1};
    double q = 0.5, r = 0.1, t = 1.0, v = 1.0, a = 1.0, al[2] = {0, 1}, eps[2];
    double unsorted[2] = {1, 0}, nanv = NAN;
    ck_assert_fails_with(mech_committee_gaussian(MECH_COMMITTEE_SCALED_ERF, MECH_COMMITTEE_I2,
                                                 NULL, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_committee_gaussian((mech_committee_act)9, MECH_COMMITTEE_I2, cov2,
                                                 &out), MECH_EINVAL);
    ck_assert_fails_with(mech_committee_gaussian(MECH_COMMITTEE_SCALED_ERF,
                                                 (mech_committee_integral)9, cov2, &out),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_committee_gaussian(MECH_COMMITTEE_SCALED_ERF, MECH_COMMITTEE_I2,
                                                 bad, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_committee_gaussian(MECH_COMMITTEE_SCALED_ERF, MECH_COMMITTEE_J2,
                                                 neg, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_committee_ode(NULL, MECH_COMMITTEE_SCALED_ERF, 1, 1, &q, &r, &t,
                                            &v, &a, -0.1, 0, 0, 0, al, 2, eps, NULL, NULL, NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_committee_ode(NULL, MECH_COMMITTEE_SCALED_ERF, 0, 1, &q, &r, &t,
                                            &v, &a, 0.1, 0, 0, 0, al, 2, eps, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_committee_ode(NULL, MECH_COMMITTEE_SCALED_ERF, 1, 1, &q, &r, &t,
                                            &v, &a, 0.1, 0, 0, 0, unsorted, 2, eps, NULL, NULL,
                                            NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_committee_ode(NULL, MECH_COMMITTEE_SCALED_ERF, 1, 1, &nanv, &r,
                                            &t, &v, &a, 0.1, 0, 0, 0, al, 2, eps, NULL, NULL,
                                            NULL),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_committee_eps_g(MECH_COMMITTEE_SCALED_ERF, 1, 1, &q, &r, &t, &v,
                                              &a, NULL), MECH_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("committee");
    TCase *tc = tcase_create("committee");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, eps_g_of_the_teacher_itself_is_zero);
    tcase_add_test(tc, linear_ode_matches_exact_solution);
    tcase_add_test(tc, bad_input_is_refused);
    tcase_add_test(tc, integrals_match_monte_carlo);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
