/* Scaling-law fits: the internal L-BFGS on problems with known minimizers,
 * the Huber-LSE gradient against finite differences, exact recovery of
 * power laws and of the Chinchilla law by variable projection on noiseless
 * data, the compute-optimal allocation against a direct minimization, and
 * bad input. The fits on real and noisy data are in test_laws_fit.c. */
#include <stddef.h>

#include "harness.h"
#include "laws/laws_internal.h"
#include "laws/lbfgs.h"

/* ---------------- L-BFGS ---------------- */

static int rosenbrock(const double *x, double *f, double *g, void *user)
{
    size_t n = *(const size_t *)user;
    *f = 0.0;
    for (size_t i = 0; i < n; i++) g[i] = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1.0 - x[i];
        *f += 100.0 * a * a + b * b;
        g[i] += -400.0 * a * x[i] - 2.0 * b;
        g[i + 1] += 200.0 * a;
    }
    return 0;
}

static mech__lbfgs_opts tight(double gtol)
{
    mech__lbfgs_opts o = mech__lbfgs_defaults();
    o.gtol = gtol, o.ftol = 0.0; /* only the gradient test may stop it */
    return o;
}

START_TEST(lbfgs_finds_the_rosenbrock_minimum)
{
    size_t n = (size_t)_i;
    double x[6], work[200];
    for (size_t i = 0; i < n; i++) x[i] = (i % 2) ? 1.0 : -1.2;
    mech__lbfgs_opts o = tight(1e-10);
    ck_assert(mech__lbfgs_work_size(n, o.memory) <= 200);
    mech__lbfgs_result res;
    ck_assert_int_eq(mech__lbfgs(n, x, rosenbrock, &n, &o, work, &res), 1);
    ck_assert_int_eq(res.stop, MECH__LBFGS_GTOL);
    ck_assert(res.gnorm <= 1e-10);
    /* Near (1, ..., 1) the Hessian's smallest eigenvalue is ~0.4 (n = 2)
     * down to ~0.1 (n = 6): |x - 1| <= |g| / 0.1 = 1e-9; 1e-7 is loose. */
    for (size_t i = 0; i < n; i++) ck_assert_close(x[i], 1.0, 1e-7);
}
END_TEST

#define QN 20
/* f = (x - x*)^T Q (x - x*) / 2, Q = tridiag(-1, 3, -1) (eigenvalues in
 * [1.02, 4.98]); written around x* so f -> 0 and rounding of f does not
 * hide progress before the gradient test is met. */
static int quadratic(const double *x, double *f, double *g, void *user)
{
    const double *xstar = user;
    double e[QN];
    for (size_t i = 0; i < QN; i++) e[i] = x[i] - xstar[i];
    *f = 0.0;
    for (size_t i = 0; i < QN; i++) {
        g[i] = 3.0 * e[i] - (i > 0 ? e[i - 1] : 0.0) - (i + 1 < QN ? e[i + 1] : 0.0);
        *f += 0.5 * e[i] * g[i];
    }
    return 0;
}

START_TEST(lbfgs_solves_a_convex_quadratic_exactly)
{
    double xstar[QN], x[QN] = {0}, work[600];
    for (size_t i = 0; i < QN; i++) xstar[i] = sin((double)i + 1.0);
    mech__lbfgs_opts o = tight(1e-12);
    ck_assert(mech__lbfgs_work_size(QN, o.memory) <= 600);
    mech__lbfgs_result res;
    ck_assert_int_eq(mech__lbfgs(QN, x, quadratic, xstar, &o, work, &res), 1);
    ck_assert_int_eq(res.stop, MECH__LBFGS_GTOL);
    /* |x - x*| <= |Q^-1| |g|_2 <= sqrt(QN) 1e-12 / 1.02 < 5e-12 */
    for (size_t i = 0; i < QN; i++) ck_assert_close(x[i], xstar[i], 5e-12);
}
END_TEST

/* f = x - log x on x > 0 (NaN beyond): the line search must back off
 * from steps into the non-finite region. Minimum at x = 1. */
static int barrier(const double *x, double *f, double *g, void *user)
{
    (void)user;
    *f = x[0] - log(x[0]);
    g[0] = 1.0 - 1.0 / x[0];
    return isfinite(*f) ? 0 : 1;
}

START_TEST(lbfgs_backs_off_from_nonfinite_steps)
{
    double x[1] = {30.0}, work[100];
    mech__lbfgs_opts o = tight(1e-12);
    mech__lbfgs_result res;
    ck_assert_int_eq(mech__lbfgs(1, x, barrier, NULL, &o, work, &res), 1);
    ck_assert_close(x[0], 1.0, 1e-10); /* f'' = 1 at the minimum */
    double bad[1] = {-1.0};
    ck_assert_int_eq(mech__lbfgs(1, bad, barrier, NULL, &o, work, &res), 0);
    ck_assert_int_eq(res.stop, MECH__LBFGS_NONFINITE);
}
END_TEST

/* ---------------- Chinchilla objective ---------------- */

#define NRUN 30
static double ln_[NRUN], ld_[NRUN], ll_[NRUN];

/* Runs on a 5 x 6 grid of N and D, with losses off the law by +-3% in a
 * fixed pattern so residuals fall on both sides of a Huber delta of 0.02. */
static mech__chin_data chin_runs(double delta, int simd)
{
    for (size_t i = 0; i < NRUN; i++) {
        double n = 7e7 * pow(3.0, (double)(i / 6)), d = 2e9 * pow(2.5, (double)(i % 6));
        double law = 1.7 + 400.0 * pow(n, -0.34) + 1800.0 * pow(d, -0.28);
        ln_[i] = log(n), ld_[i] = log(d);
        ll_[i] = log(law) + 0.03 * sin(3.7 * (double)i);
    }
    return (mech__chin_data){NRUN, ln_, ld_, ll_, delta, simd};
}

/* _i = 0: the libm path; _i = 1: the AVX2 path where the CPU has it */
START_TEST(huber_lse_gradient_matches_central_differences)
{
    if (_i == 1 && !mech__simd_available()) return;
    mech__chin_data dat = chin_runs(0.02, _i);
    const double p[5] = {6.2, 7.3, 0.45, 0.31, 0.3}; /* near, not at, the law */
    /* no residual within 1e-4 of the Huber kink, so f is smooth within
     * the difference steps below (|dr/dp| <= 22 times h = 1e-6) */
    int inside = 0;
    for (size_t i = 0; i < NRUN; i++) {
        double t1 = p[0] - p[3] * ln_[i], t2 = p[1] - p[4] * ld_[i];
        double r = log(exp(t1) + exp(t2) + exp(p[2])) - ll_[i];
        ck_assert(fabs(fabs(r) - dat.delta) > 1e-4);
        inside += fabs(r) < dat.delta;
    }
    ck_assert(inside > 0 && inside < NRUN); /* both branches exercised */
    double f, g[5], gp[5];
    ck_assert_int_eq(mech__huber_lse(p, &f, g, &dat), 0);
    double gmax = 0.0;
    for (int j = 0; j < 5; j++) gmax = fmax(gmax, fabs(g[j]));
    for (int j = 0; j < 5; j++) {
        double h = 1e-6, q[5], fp, fm;
        memcpy(q, p, sizeof q);
        q[j] = p[j] + h;
        mech__huber_lse(q, &fp, gp, &dat);
        q[j] = p[j] - h;
        mech__huber_lse(q, &fm, gp, &dat);
        /* truncation h^2 |f'''| ~ 1e-12 * 1e3 and rounding eps |f| / h
         * ~ 1e-10 against |g|max ~ 1e1: 1e-7 of |g|max is ample */
        double fd = (fp - fm) / (2.0 * h);
        ck_assert_msg(fabs(fd - g[j]) <= 1e-7 * gmax, "d/dp%d: analytic %.12g, fd %.12g", j,
                      g[j], fd);
    }
}
END_TEST

START_TEST(huber_lse_survives_extreme_parameters)
{
    mech__chin_data dat = chin_runs(1e-3, mech__simd_available());
    const double p[5] = {900.0, -900.0, 800.0, -5.0, 40.0}; /* exp would overflow */
    double f, g[5];
    ck_assert_int_eq(mech__huber_lse(p, &f, g, &dat), 0);
    ck_assert(isfinite(f) && f > 0.0);
}
END_TEST

/* The AVX2 path (own exp and log, 4 runs at a time) against the libm
 * path, over parameters from the grid's corners to the optimum, with some
 * blocks of 4 runs past the unshifted range and a remainder of 2 runs. */
START_TEST(huber_lse_simd_matches_libm)
{
    if (!mech__simd_available()) return; /* nothing to compare on this CPU */
    mech__chin_data lib = chin_runs(1e-3, 0), vec = chin_runs(1e-3, 1);
    const double ps[][5] = {{6.0, 7.6, 0.53, 0.34, 0.28}, {0.0, 25.0, -1.0, 2.0, 0.0},
                            {25.0, 0.0, 1.0, 0.0, 2.0},   {12.0, 3.0, 0.2, 1.5, 0.5},
                            {720.0, 5.0, 0.5, 36.0, 0.3}, {6.0, 7.6, 0.53, -3.0, 0.28}};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        double f1, g1[5], f2, g2[5];
        ck_assert_int_eq(mech__huber_lse(ps[k], &f1, g1, &lib), 0);
        ck_assert_int_eq(mech__huber_lse(ps[k], &f2, g2, &vec), 0);
        /* 2-ulp exp/log and another summation order over 30 runs: a few
         * hundred eps of relative difference at most; 1e-12 */
        ck_assert_msg(fabs(f1 - f2) <= 1e-12 * fabs(f1), "set %zu: f %.17g vs %.17g", k, f1, f2);
        double gmax = 0.0;
        for (int j = 0; j < 5; j++) gmax = fmax(gmax, fabs(g1[j]));
        for (int j = 0; j < 5; j++)
            ck_assert_msg(fabs(g1[j] - g2[j]) <= 1e-12 * gmax, "set %zu: g%d %.17g vs %.17g", k,
                          j, g1[j], g2[j]);
    }
}
END_TEST

/* ---------------- Variable projection and compute-optimal ---------------- */

static const mech_chinchilla_fit TRUE_LAW = {.size = sizeof(mech_chinchilla_fit), .E = 1.7,
                                             .A = 400.0, .B = 1800.0, .alpha = 0.34,
                                             .beta = 0.28};

static void law_grid(double *n, double *d, double *loss)
{
    for (size_t i = 0; i < NRUN; i++) {
        n[i] = 7e7 * pow(3.0, (double)(i / 6)), d[i] = 2e9 * pow(2.5, (double)(i % 6));
        ck_assert_ok(mech_chinchilla_loss(&TRUE_LAW, n[i], d[i], &loss[i]));
    }
}

START_TEST(varpro_recovers_a_noiseless_law)
{
    double n[NRUN], d[NRUN], loss[NRUN];
    law_grid(n, d, loss);
    mech_chinchilla_fit fit = {.size = sizeof fit};
    ck_assert_ok(mech_varpro_chinchilla(NULL, n, d, loss, NRUN, &fit));
    /* Noiseless: the projected objective is 0 at the truth, so the fit is
     * limited by the 1e-10 gradient tolerance and the conditioning of
     * A, B against E: 1e-5 relative is a safe margin. */
    ck_assert_close(fit.E, 1.7, 1e-5);
    ck_assert_close(fit.A, 400.0, 1e-5);
    ck_assert_close(fit.B, 1800.0, 1e-5);
    ck_assert_close(fit.alpha, 0.34, 1e-5);
    ck_assert_close(fit.beta, 0.28, 1e-5);
    ck_assert(fit.objective < 1e-16);
    ck_assert(isnan(fit.se_A) && fit.bootstrap == 0);

    /* ... and initializes the Huber fit, which stays there */
    mech_chinchilla_fit huber = {.size = sizeof huber};
    ck_assert_ok(mech_fit_chinchilla_from(NULL, n, d, loss, NRUN, 1e-3, &fit, &huber));
    ck_assert_int_eq(huber.n_starts, 1);
    ck_assert(huber.objective <= 1e-12);
    ck_assert_close(huber.alpha, 0.34, 1e-4);
    ck_assert_close(huber.beta, 0.28, 1e-4);
    ck_assert_close(huber.E, 1.7, 1e-4);
}
END_TEST

/* Independent reference: golden-section minimization of
 * L(N, C / (6N)) over log N (unimodal: a sum of two monotone powers). */
static double loss_at_budget(const mech_chinchilla_fit *f, double c, double log_n)
{
    double n = exp(log_n), loss;
    ck_assert_ok(mech_chinchilla_loss(f, n, c / (6.0 * n), &loss));
    return loss;
}

START_TEST(compute_optimal_matches_direct_minimization)
{
    const double budgets[] = {1e18, 5.76e23, 1e27};
    for (size_t k = 0; k < 3; k++) {
        double c = budgets[k], n_opt, d_opt;
        ck_assert_ok(mech_chinchilla_compute_optimal(&TRUE_LAW, c, &n_opt, &d_opt));
        ck_assert_close(6.0 * n_opt * d_opt / c, 1.0, 1e-12);
        double lo = log(1.0), hi = log(c / 6.0), r = 0.5 * (sqrt(5.0) - 1.0);
        while (hi - lo > 1e-9) {
            double a = hi - r * (hi - lo), b = lo + r * (hi - lo);
            if (loss_at_budget(&TRUE_LAW, c, a) < loss_at_budget(&TRUE_LAW, c, b)) hi = b;
            else lo = a;
        }
        /* the loss is flat at the optimum: comparisons resolve log N only
         * to ~sqrt(eps * L / L'') ~ 1e-7 relative of the loss; 1e-4 on N */
        ck_assert_close(exp(0.5 * (lo + hi)) / n_opt, 1.0, 1e-4);
        double tokens_per_param = d_opt / n_opt;
        ck_assert(tokens_per_param > 0.0);
    }
}
END_TEST

/* ---------------- Power laws ---------------- */

START_TEST(power_law_with_offset_recovers_exact_parameters)
{
    double x[30], y[30], y0[30];
    for (size_t i = 0; i < 30; i++) {
        x[i] = pow(10.0, 3.0 * (double)i / 29.0);
        y[i] = 0.5 + 3.0 * pow(x[i], -0.7);
        y0[i] = 2.0 * pow(x[i], -1.3);
    }
    mech_power_law_fit fit = {.size = sizeof fit};
    ck_assert_ok(mech_fit_power_law(x, y, 30, true, &fit));
    /* noiseless: golden search to 1e-12 relative in alpha; E, A follow */
    ck_assert_close(fit.alpha, 0.7, 1e-9);
    ck_assert_close(fit.E, 0.5, 1e-9);
    ck_assert_close(fit.A, 3.0, 1e-9);
    ck_assert(fit.rss < 1e-20);
    ck_assert_ok(mech_fit_power_law(x, y0, 30, false, &fit));
    ck_assert_close(fit.alpha, 1.3, 1e-9);
    ck_assert_close(fit.A, 2.0, 1e-9);
    ck_assert(fit.E == 0.0);
}
END_TEST

START_TEST(broken_power_law_recovers_exact_parameters)
{
    double x[40], y[40];
    const double xb = 123.4, A = 5.0, a1 = 0.3, a2 = 1.1;
    for (size_t i = 0; i < 40; i++) {
        x[i] = pow(10.0, 4.0 * (double)i / 39.0);
        y[i] = x[i] <= xb ? A * pow(x[i], -a1) : A * pow(xb, a2 - a1) * pow(x[i], -a2);
    }
    mech_broken_power_law_fit fit = {.size = sizeof fit};
    ck_assert_ok(mech_fit_broken_power_law(x, y, 40, &fit));
    ck_assert_close(fit.alpha1, a1, 1e-8);
    ck_assert_close(fit.alpha2, a2, 1e-8);
    ck_assert_close(fit.A, A, 1e-8);
    ck_assert_close(fit.x_break / xb, 1.0, 1e-6); /* break located via the slopes */
    ck_assert(fit.rss < 1e-18);
}
END_TEST

/* ---------------- ABI struct size and bad input ---------------- */

START_TEST(fields_past_size_are_not_written)
{
    double n[NRUN], d[NRUN], loss[NRUN];
    law_grid(n, d, loss);
    mech_chinchilla_fit fit;
    memset(&fit, 0, sizeof fit);
    fit.size = offsetof(mech_chinchilla_fit, objective);
    fit.objective = -123.0;
    ck_assert_ok(mech_varpro_chinchilla(NULL, n, d, loss, NRUN, &fit));
    ck_assert(fit.objective == -123.0);
    ck_assert(fit.size == offsetof(mech_chinchilla_fit, objective));
    ck_assert_close(fit.alpha, 0.34, 1e-5);
}
END_TEST

START_TEST(bad_input_is_rejected)
{
    double n[NRUN], d[NRUN], loss[NRUN];
    law_grid(n, d, loss);
    mech_chinchilla_fit fit = {.size = sizeof fit}, unsized = {.size = 0};
    ck_assert_fails_with(mech_fit_chinchilla(NULL, NULL, d, loss, NRUN, 0, 1e-3, 0, &fit), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, 1e-3, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, 1e-3, 0, &unsized), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, 4, 0, 1e-3, 0, &fit), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 26, 1e-3, 0, &fit), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, 0.0, 0, &fit), MECH_ERANGE);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, -1.0, 0, &fit), MECH_ERANGE);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, NAN, 0, &fit), MECH_ENONFINITE);
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, 1e-3, (size_t)INT32_MAX + 1, &fit),
                         MECH_ERANGE);
    double saved = n[3];
    n[3] = NAN;
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, 1e-3, 0, &fit), MECH_ENONFINITE);
    ck_assert_fails_with(mech_varpro_chinchilla(NULL, n, d, loss, NRUN, &fit), MECH_ENONFINITE);
    n[3] = 0.0;
    ck_assert_fails_with(mech_fit_chinchilla(NULL, n, d, loss, NRUN, 0, 1e-3, 0, &fit), MECH_ERANGE);
    n[3] = saved;
    d[0] = -1.0;
    ck_assert_fails_with(mech_varpro_chinchilla(NULL, n, d, loss, NRUN, &fit), MECH_ERANGE);
    d[0] = 2e9;
    loss[7] = 0.0;
    ck_assert_fails_with(mech_fit_chinchilla_from(NULL, n, d, loss, NRUN, 1e-3, &TRUE_LAW, &fit), MECH_ERANGE);
    ck_assert_ok(mech_chinchilla_loss(&TRUE_LAW, n[7], d[7], &loss[7]));
    ck_assert_fails_with(mech_varpro_chinchilla(NULL, n, d, loss, 4, &fit), MECH_EINVAL);
    ck_assert_fails_with(mech_varpro_chinchilla(NULL, n, d, loss, NRUN, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_varpro_chinchilla(NULL, n, d, loss, NRUN, &unsized), MECH_EINVAL);

    mech_chinchilla_fit start = TRUE_LAW;
    ck_assert_fails_with(mech_fit_chinchilla_from(NULL, n, d, loss, NRUN, 1e-3, NULL, &fit), MECH_EINVAL);
    start.A = -1.0;
    ck_assert_fails_with(mech_fit_chinchilla_from(NULL, n, d, loss, NRUN, 1e-3, &start, &fit), MECH_ERANGE);
    start.A = 400.0, start.alpha = NAN;
    ck_assert_fails_with(mech_fit_chinchilla_from(NULL, n, d, loss, NRUN, 1e-3, &start, &fit), MECH_ENONFINITE);
    ck_assert_fails_with(mech_fit_chinchilla_from(NULL, n, d, loss, NRUN, 0.0, &TRUE_LAW, &fit), MECH_ERANGE);

    double v, no, dopt;
    ck_assert_fails_with(mech_chinchilla_loss(NULL, 1e9, 1e10, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_chinchilla_loss(&TRUE_LAW, 1e9, 1e10, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_chinchilla_loss(&TRUE_LAW, 0.0, 1e10, &v), MECH_ERANGE);
    ck_assert_fails_with(mech_chinchilla_loss(&TRUE_LAW, 1e9, INFINITY, &v), MECH_ENONFINITE);
    ck_assert_fails_with(mech_chinchilla_loss(&unsized, 1e9, 1e10, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_chinchilla_compute_optimal(NULL, 1e21, &no, &dopt), MECH_EINVAL);
    ck_assert_fails_with(mech_chinchilla_compute_optimal(&TRUE_LAW, 1e21, NULL, &dopt), MECH_EINVAL);
    ck_assert_fails_with(mech_chinchilla_compute_optimal(&TRUE_LAW, 1e21, &no, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_chinchilla_compute_optimal(&TRUE_LAW, -1.0, &no, &dopt), MECH_ERANGE);
    ck_assert_fails_with(mech_chinchilla_compute_optimal(&TRUE_LAW, NAN, &no, &dopt), MECH_ENONFINITE);
    start = TRUE_LAW, start.beta = 0.0;
    ck_assert_fails_with(mech_chinchilla_compute_optimal(&start, 1e21, &no, &dopt), MECH_ERANGE);

    double x[5] = {1, 2, 3, 4, 5}, y[5] = {5, 4, 3, 2, 1};
    mech_power_law_fit pl = {.size = sizeof pl};
    mech_broken_power_law_fit bpl = {.size = sizeof bpl};
    ck_assert_fails_with(mech_fit_power_law(NULL, y, 5, true, &pl), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_power_law(x, y, 5, true, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_power_law(x, y, 2, true, &pl), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_power_law(x, y, 1, false, &pl), MECH_EINVAL);
    x[2] = -3.0;
    ck_assert_fails_with(mech_fit_power_law(x, y, 5, true, &pl), MECH_ERANGE);
    x[2] = 3.0, y[1] = NAN;
    ck_assert_fails_with(mech_fit_power_law(x, y, 5, true, &pl), MECH_ENONFINITE);
    ck_assert_fails_with(mech_fit_broken_power_law(x, y, 5, &bpl), MECH_ENONFINITE);
    y[1] = -4.0;
    ck_assert_fails_with(mech_fit_broken_power_law(x, y, 5, &bpl), MECH_ERANGE);
    y[1] = 4.0;
    double same[5] = {2, 2, 2, 2, 2};
    ck_assert_fails_with(mech_fit_power_law(same, y, 5, true, &pl), MECH_EINVAL);
    double three[5] = {1, 2, 3, 3, 1};
    ck_assert_fails_with(mech_fit_broken_power_law(three, y, 5, &bpl), MECH_EINVAL);
    ck_assert_fails_with(mech_fit_broken_power_law(x, y, 5, NULL), MECH_EINVAL);
    pl.size = 0;
    ck_assert_fails_with(mech_fit_power_law(x, y, 5, true, &pl), MECH_EINVAL);
}
END_TEST

static Suite *laws_suite(void)
{
    Suite *s = suite_create("laws");
    TCase *tc = tcase_create("laws");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, lbfgs_finds_the_rosenbrock_minimum, 2, 7);
    tcase_add_test(tc, lbfgs_solves_a_convex_quadratic_exactly);
    tcase_add_test(tc, lbfgs_backs_off_from_nonfinite_steps);
    tcase_add_loop_test(tc, huber_lse_gradient_matches_central_differences, 0, 2);
    tcase_add_test(tc, huber_lse_survives_extreme_parameters);
    tcase_add_test(tc, huber_lse_simd_matches_libm);
    tcase_add_test(tc, varpro_recovers_a_noiseless_law);
    tcase_add_test(tc, compute_optimal_matches_direct_minimization);
    tcase_add_test(tc, power_law_with_offset_recovers_exact_parameters);
    tcase_add_test(tc, broken_power_law_recovers_exact_parameters);
    tcase_add_test(tc, fields_past_size_are_not_written);
    tcase_add_test(tc, bad_input_is_rejected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mech_test_run(laws_suite());
}
