/* Power-law scaling models against closed forms (zeta values, the
 * Mittag-Leffler sum of 1/(1 + gamma k^2)), against mech_eigenlearning on
 * an explicit spectrum, the compute frontier against a brute-force scan;
 * the learning-rate sweep on synthetic bowls; bad input. The exponent grid
 * is in test_powerlaw_exponents.c (slow). */
#include <stddef.h>

#include "harness.h"

static const double PI = 3.14159265358979323846;

/* At t = 0 the time curve is (1/2) zeta(1 + alpha beta): pi^2/12 for
 * alpha beta = 1 and pi^4/180 for 3. The explicit sum stops at 1024 and the
 * tail is an integral with the f'/24 correction, so this checks the tail
 * to the Euler-Maclaurin remainder (~p^3 K^-(p+3) ~ 1e-11 relative). */
START_TEST(time_curve_at_zero_is_zeta)
{
    double x = 1e-300, l;
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 1.0, 1.0, &x, 1, &l));
    ck_assert_close(l, PI * PI / 12.0, 1e-10);
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 1.5, 2.0, &x, 1, &l));
    ck_assert_close(l, pow(PI, 4) / 180.0, 1e-10);
}
END_TEST

/* A naive direct sum (all terms up to 5e4, then the integral of
 * k^-p (1 - 2 t k^-alpha), exp expanded to first order: 2 t k^-alpha <= 6e-5
 * there, so the neglected second order is ~1e-9 of a tail ~1e-3 of the sum) at t > 0,
 * independent of the library's tail: agreement to 1e-9 relative. */
START_TEST(time_curve_matches_direct_sum)
{
    const double alpha = 1.5, beta = 0.7, p = 1.0 + alpha * beta, t = 300.0;
    double direct = 0.0;
    const double K = 5e4;
    for (double k = K; k >= 1.0; k -= 1.0) /* small terms first */
        direct += pow(k, -p) * exp(-2.0 * t * pow(k, -alpha));
    direct += pow(K + 0.5, 1.0 - p) / (p - 1.0) -
              2.0 * t * pow(K + 0.5, 1.0 - p - alpha) / (p + alpha - 1.0);
    double l;
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, alpha, beta, &t, 1, &l));
    ck_assert_msg(fabs(l - 0.5 * direct) <= 1e-9 * l, "%.15g vs %.15g", l, 0.5 * direct);
}
END_TEST

/* alpha = 2, beta = 1/2: lambda_k = k^-2, v_k^2 = k^-2, and
 * S(gamma) = sum_k 1/(1 + gamma k^2) = (pi coth(pi/sqrt(gamma))/sqrt(gamma) - 1)/2.
 * Width N = S(gamma) has loss (1/2) sum_k v_k^2 gamma/(lambda_k + gamma)
 * = (1/2) gamma S(gamma) = gamma N / 2. */
START_TEST(width_curve_closed_form)
{
    const double gammas[3] = {1e-2, 1e-5, 1e-9};
    for (int i = 0; i < 3; i++) {
        double g = gammas[i], r = PI / sqrt(g);
        double n = 0.5 * (r / tanh(r) - 1.0), l;
        ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_WIDTH, 2.0, 0.5, &n, 1, &l));
        ck_assert_close(l / (0.5 * g * n), 1.0, 1e-9);
    }
}
END_TEST

/* Ridgeless eigenlearning on 20000 explicit modes at alpha = 4, beta = 1.5:
 * the omitted modes weigh sum_{k>20000} v_k^2 ~ 1e-26 and
 * sum lambda_k ~ 4e-14 (kappa >= 1e-6), so both must agree to the root
 * solvers' accuracy. The library reports the 1/2-MSE, eigenlearning the MSE. */
START_TEST(data_curve_matches_eigenlearning)
{
    enum { M = 20000 };
    const double alpha = 4.0, beta = 1.5;
    double *lam = malloc(M * sizeof *lam), *v = malloc(M * sizeof *v);
    ck_assert(lam && v);
    for (int k = 1; k <= M; k++) {
        lam[k - 1] = pow(k, -alpha);
        v[k - 1] = pow(k, -0.5 * (1.0 + alpha * beta));
    }
    const double ns[3] = {3.0, 10.0, 30.5};
    double l[3];
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_DATA, alpha, beta, ns, 3, l));
    for (int i = 0; i < 3; i++) {
        mech_eigenlearning_result r = {.size = sizeof r};
        ck_assert_ok(mech_eigenlearning(lam, v, M, ns[i], 0.0, 0.0, NULL, &r));
        ck_assert_close(l[i] / (0.5 * r.test_mse), 1.0, 1e-8);
    }
    free(lam);
    free(v);
}
END_TEST

/* L(N, t): t = 0 is the untrained loss (the time curve at 0) and a very
 * long time reaches the width curve. */
START_TEST(width_time_loss_limits)
{
    double l0, t0 = 1e-300, untrained, lt, lw, n = 50.0, tinf = 1e14;
    ck_assert_ok(mech_powerlaw_model_loss(2.0, 0.7, n, 0.0, &l0));
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 2.0, 0.7, &t0, 1, &untrained));
    ck_assert_close(l0 / untrained, 1.0, 1e-12);
    ck_assert_ok(mech_powerlaw_model_loss(2.0, 0.7, n, tinf, &lt));
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_WIDTH, 2.0, 0.7, &n, 1, &lw));
    /* modes still decaying at t have lambda < 1e-13 and learnability below
     * 1e-13 / gamma ~ 1e-9 */
    ck_assert_close(lt / lw, 1.0, 1e-6);
}
END_TEST

/* The frontier is the minimum over N: no N on a scan does better, the
 * reported N achieves the reported loss and is a local minimum (N 0.1%
 * either side costs more, to rounding). */
START_TEST(frontier_matches_scan)
{
    const double alpha = 2.0, beta = 0.7, c = 1e5;
    double lf, nf;
    ck_assert_ok(mech_powerlaw_compute_frontier(alpha, beta, &c, 1, &lf, &nf));
    double at;
    ck_assert_ok(mech_powerlaw_model_loss(alpha, beta, nf, c / nf, &at));
    ck_assert_close(at / lf, 1.0, 1e-9);
    for (int i = 0; i <= 20; i++) {
        double n = exp(log(c) * i / 20.0), l;
        ck_assert_ok(mech_powerlaw_model_loss(alpha, beta, n, c / n, &l));
        ck_assert_msg(l >= lf * (1.0 - 1e-12), "N = %g: %g below the frontier %g", n, l, lf);
    }
    for (int side = -1; side <= 1; side += 2) {
        double n = nf * (1.0 + 1e-3 * side), l;
        ck_assert_ok(mech_powerlaw_model_loss(alpha, beta, n, c / n, &l));
        ck_assert_msg(l >= lf * (1.0 - 1e-12), "N = %g: %g below %g", n, l, lf);
    }
    double curve;
    ck_assert_ok(mech_powerlaw_model_curve(MECH_POWERLAW_COMPUTE, alpha, beta, &c, 1, &curve));
    ck_assert(curve == lf);
}
END_TEST

/* One cheap case of the time and width laws within 5% (the full grid of
 * all four kinds is the slow test). */
START_TEST(exponents_one_case)
{
    double fitted, predicted;
    ck_assert_ok(mech_powerlaw_model_exponent(MECH_POWERLAW_TIME, 2.5, 0.5, 1e3, 1e6, &fitted,
                                              &predicted));
    ck_assert_msg(fabs(fitted / 0.5 - 1.0) < 0.05 && predicted == 0.5, "time: %g", fitted);
    ck_assert_ok(mech_powerlaw_model_exponent(MECH_POWERLAW_WIDTH, 2.5, 1.5, 1e2, 1e4, &fitted,
                                              &predicted));
    ck_assert_msg(fabs(fitted / 2.5 - 1.0) < 0.05 && predicted == 2.5, "width: %g", fitted);
}
END_TEST

START_TEST(powerlaw_bad_input)
{
    double x = 10.0, l, f;
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_DATA, 1.0, 1.0, &x, 1, &l),
                         MECH_ERANGE); /* alpha must exceed 1 */
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 1.0, 0.0, &x, 1, &l),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, NAN, 1.0, &x, 1, &l),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_powerlaw_model_curve((mech_powerlaw_kind)7, 2.0, 1.0, &x, 1, &l),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 2.0, 1.0, NULL, 1, &l),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 2.0, 1.0, &x, 0, &l),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 2.0, 1.0, &x, 1, NULL),
                         MECH_EINVAL);
    x = -1.0;
    ck_assert_fails_with(mech_powerlaw_model_curve(MECH_POWERLAW_TIME, 2.0, 1.0, &x, 1, &l),
                         MECH_ERANGE);
    x = 1.0;
    ck_assert_fails_with(mech_powerlaw_compute_frontier(2.0, 1.0, &x, 1, &l, NULL),
                         MECH_ERANGE); /* c must exceed 1 */
    ck_assert_fails_with(mech_powerlaw_model_loss(2.0, 1.0, 0.0, 1.0, &l), MECH_ERANGE);
    ck_assert_fails_with(mech_powerlaw_model_loss(2.0, 1.0, 1.0, -1.0, &l), MECH_ERANGE);
    ck_assert_fails_with(mech_powerlaw_model_loss(2.0, 1.0, 1.0, INFINITY, &l), MECH_ENONFINITE);
    ck_assert_fails_with(mech_powerlaw_model_loss(2.0, 1.0, 1.0, 1.0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_powerlaw_model_exponent(MECH_POWERLAW_TIME, 2.0, 1.0, 10.0, 10.0,
                                                      &f, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_powerlaw_model_exponent(MECH_POWERLAW_COMPUTE, 2.0, 1.0, 0.5,
                                                      10.0, &f, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_powerlaw_model_exponent(MECH_POWERLAW_TIME, 2.0, 1.0, NAN, 10.0,
                                                      &f, NULL), MECH_ENONFINITE);
}
END_TEST

/* ---------------- learning-rate sweep ---------------- */

enum { NW = 3, NL = 9, NS = 4 };

/* Bowls quadratic in ln lr with optimum lr*(w) = 0.01 (w/64)^-1 (an SP-like
 * drift), seed offsets that average to zero, and divergence (NaN) past
 * 8 lr*: the parabola through three grid points of a quadratic is the
 * quadratic, so the vertex is exact. */
static void bowls(const double *widths, const double *lrs, double *losses, double *opt)
{
    static const double offsets[NS] = {0.3, -0.1, -0.5, 0.3};
    for (int w = 0; w < NW; w++) {
        opt[w] = 0.01 * 64.0 / widths[w];
        for (int l = 0; l < NL; l++)
            for (int s = 0; s < NS; s++) {
                double d = log(lrs[l] / opt[w]);
                losses[(w * NL + l) * NS + s] =
                    lrs[l] > 8.0 * opt[w] ? NAN : 1.0 + 0.2 * d * d + offsets[s];
            }
    }
}

START_TEST(lr_sweep_recovers_optimum_and_drift)
{
    const double widths[NW] = {64, 128, 256};
    double lrs[NL], losses[NW * NL * NS], opt[NW], best[NW], shift[NW], slope;
    for (int l = 0; l < NL; l++) lrs[l] = 1e-4 * pow(3.0, l); /* 1e-4 .. 0.66 */
    bowls(widths, lrs, losses, opt);
    ck_assert_ok(mech_lr_sweep_best(widths, NW, lrs, NL, losses, NS, best, shift, &slope));
    for (int w = 0; w < NW; w++) {
        ck_assert_close(best[w] / opt[w], 1.0, 1e-12);
        ck_assert_close(shift[w], -w * log(2.0) / log(3.0), 1e-12);
    }
    ck_assert_close(slope, -1.0, 1e-12);
}
END_TEST

START_TEST(lr_sweep_edges)
{
    const double widths[2] = {10, 20}, lrs[3] = {0.1, 0.2, 0.4};
    /* width 0: minimum at the last rate (no refinement); width 1: all diverged */
    const double losses[2 * 3] = {3.0, 2.0, 1.0, NAN, INFINITY, -INFINITY};
    double best[2], shift[2], slope;
    ck_assert_ok(mech_lr_sweep_best(widths, 2, lrs, 3, losses, 1, best, shift, &slope));
    ck_assert(best[0] == 0.4);
    ck_assert(isnan(best[1]) && isnan(shift[1]) && isnan(slope));
    ck_assert(shift[0] == 0.0);
    /* a diverged neighbour: the grid point itself */
    const double l2[3] = {1.0, 0.5, NAN};
    ck_assert_ok(mech_lr_sweep_best(widths, 1, lrs, 3, l2, 1, best, NULL, NULL));
    ck_assert(best[0] == 0.2);
}
END_TEST

START_TEST(lr_sweep_bad_input)
{
    const double widths[1] = {10}, lrs[3] = {0.1, 0.2, 0.4}, losses[3] = {1, 0, 1};
    const double unsorted[3] = {0.1, 0.4, 0.2}, negative[3] = {-0.1, 0.2, 0.4};
    double best[1];
    ck_assert_fails_with(mech_lr_sweep_best(NULL, 1, lrs, 3, losses, 1, best, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_lr_sweep_best(widths, 1, lrs, 3, losses, 1, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_lr_sweep_best(widths, 1, lrs, 2, losses, 1, best, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_lr_sweep_best(widths, 1, lrs, 3, losses, 0, best, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_lr_sweep_best(widths, 1, unsorted, 3, losses, 1, best, NULL, NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_lr_sweep_best(widths, 1, negative, 3, losses, 1, best, NULL, NULL),
                         MECH_ERANGE);
    const double nanw[1] = {NAN};
    ck_assert_fails_with(mech_lr_sweep_best(nanw, 1, lrs, 3, losses, 1, best, NULL, NULL),
                         MECH_ENONFINITE);
}
END_TEST

static Suite *powerlaw_suite(void)
{
    Suite *s = suite_create("powerlaw_model");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, time_curve_at_zero_is_zeta);
    tcase_add_test(tc, time_curve_matches_direct_sum);
    tcase_add_test(tc, width_curve_closed_form);
    tcase_add_test(tc, data_curve_matches_eigenlearning);
    tcase_add_test(tc, width_time_loss_limits);
    tcase_add_test(tc, frontier_matches_scan);
    tcase_add_test(tc, exponents_one_case);
    tcase_add_test(tc, powerlaw_bad_input);
    tcase_add_test(tc, lr_sweep_recovers_optimum_and_drift);
    tcase_add_test(tc, lr_sweep_edges);
    tcase_add_test(tc, lr_sweep_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(powerlaw_suite()); }
