/* Stability thresholds against the library's own optimizers on quadratics,
 * the SDE scaling rules' formulas, the critical batch size against exact
 * per-example gradients of a linear regression (in expectation and by
 * Monte Carlo), and bad input. */
#include <stddef.h>

#include "harness.h"

#define D 4

/* H = Q diag(eigs) Q with the Householder reflection Q = I - 2 u u^T,
 * so the top eigenvalue is known exactly and H is not diagonal. */
static void rotated_hessian(const double eigs[D], double H[D * D])
{
    const double u[D] = {0.5, -0.5, 0.5, 0.5}; /* unit norm */
    double Q[D * D];
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) Q[i * D + j] = (i == j) - 2.0 * u[i] * u[j];
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0.0;
            for (int k = 0; k < D; k++) s += Q[i * D + k] * eigs[k] * Q[j * D + k];
            H[i * D + j] = s;
        }
}

static double norm(const double *x)
{
    double s = 0.0;
    for (int i = 0; i < D; i++) s += x[i] * x[i];
    return sqrt(s);
}

/* Runs o on (1/2) theta^T H theta from theta0 for at most `steps` steps;
 * returns |theta_end| / |theta0|, stopping early once it exceeds `cap`. */
static double growth(mech_optimizer *o, const double H[D * D], double theta0, int steps,
                     double cap)
{
    double th[D], g[D];
    for (int i = 0; i < D; i++) th[i] = theta0 * (1.0 + 0.1 * i);
    const double n0 = norm(th);
    int st = MECH_OK; /* one assertion after the loop: Check's are costly */
    for (int k = 0; k < steps && norm(th) <= cap * n0 && st == MECH_OK; k++) {
        for (int i = 0; i < D; i++) {
            g[i] = 0.0;
            for (int j = 0; j < D; j++) g[i] += H[i * D + j] * th[j];
        }
        st = mech_optimizer_step(o, th, g);
    }
    ck_assert_ok(st);
    return norm(th) / n0;
}

static const mech_optimizer_kind momentum_kinds[] = {
    MECH_OPTIMIZER_GD, MECH_OPTIMIZER_SGD, MECH_OPTIMIZER_HEAVY_BALL, MECH_OPTIMIZER_NESTEROV};

/* 0.99 of the threshold: every mode contracts by at least ~0.98 per step
 * (GD; the top mode) or sqrt(beta) (momentum: complex roots for every
 * mode here), so 1000 steps shrink the iterate below 1e-6; 1.01: a root
 * beyond -1.02 grows past 1e6 well within 1000 steps. */
START_TEST(momentum_kinds_are_stable_below_and_diverge_above)
{
    mech_optimizer_kind kind = momentum_kinds[_i / 2];
    const double beta = (_i % 2) ? 0.9 : 0.5;
    const double eigs[D] = {0.5, 3.0, 1.0, 2.0};
    double H[D * D];
    rotated_hessian(eigs, H);
    double lr_max, s_max;
    ck_assert_ok(mech_stability_max_lr(kind, 3.0, beta, &lr_max));
    ck_assert_ok(mech_stability_threshold(kind, lr_max, beta, &s_max));
    ck_assert_close(s_max, 3.0, 1e-14);
    for (int side = 0; side < 2; side++) {
        const double f = side ? 1.01 : 0.99;
        mech_optimizer *o;
        ck_assert_ok(mech_optimizer_create(&o, NULL, kind, D));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, f * lr_max));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_MOMENTUM, beta));
        ck_assert_ok(mech_optimizer_setup(o));
        double r = growth(o, H, 1.0, 1000, 1e6);
        if (side) ck_assert_msg(r > 1e6, "%s at 1.01: growth %g", mech_optimizer_kind_name(kind), r);
        else ck_assert_msg(r < 1e-6, "%s at 0.99: growth %g", mech_optimizer_kind_name(kind), r);
        mech_optimizer_destroy(o);
    }
}
END_TEST

/* Frozen-preconditioner Adam and RMSProp with the library's optimizer:
 * eps = 1 dwarfs sqrt(vhat) <= max |g| <= 1e-5 (theta starts at 1e-12
 * and a run stops once it grew 1e6-fold), so P = sqrt(vhat) + eps is 1
 * within 1e-5, far inside the 1% margin. The threshold is a property of
 * the recurrence once Adam's bias correction 1/(1 - b1^k) has settled (the
 * first corrected steps move like GD at up to 19 times its threshold, a
 * transient growth of ~1e16 at b1 = 0.9), so 400 zero-gradient steps come
 * first: they leave m = 0 and theta in place and make b1^k < 1e-18. A non-uniform preconditioner comes from
 * per-coordinate rate multipliers m_i (groups): the effective P_i = 1/m_i,
 * so lambda_max(P^-1 H) is the top eigenvalue of M^1/2 H M^1/2. */
START_TEST(frozen_preconditioner_adaptive_kinds)
{
    const mech_optimizer_kind kind = _i == 2 ? MECH_OPTIMIZER_RMSPROP
                                   : _i ? MECH_OPTIMIZER_ADAMW : MECH_OPTIMIZER_ADAM;
    const double eigs[D] = {0.5, 3.0, 1.0, 2.0}, mult[D] = {1.0, 0.3, 2.0, 0.7};
    double H[D * D], A[D * D], w[D];
    rotated_hessian(eigs, H);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) A[i * D + j] = sqrt(mult[i] * mult[j]) * H[i * D + j];
    ck_assert_ok(mech_syev(NULL, D, A, D, w, NULL));
    const double s = w[D - 1], beta1 = 0.9;
    double lr_max;
    ck_assert_ok(mech_stability_max_lr(kind, s, beta1, &lr_max));
    const size_t offsets[D + 1] = {0, 1, 2, 3, 4};
    for (int side = 0; side < 2; side++) {
        const double f = side ? 1.01 : 0.99;
        mech_optimizer *o;
        ck_assert_ok(mech_optimizer_create(&o, NULL, kind, D));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, f * lr_max));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA1, beta1));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, 1.0));
        ck_assert_ok(mech_optimizer_set_groups(o, offsets, mult, D));
        ck_assert_ok(mech_optimizer_setup(o));
        double zero[D] = {0}, still[D] = {0};
        int st = MECH_OK;
        for (int k = 0; k < 400 && st == MECH_OK; k++) st = mech_optimizer_step(o, still, zero);
        ck_assert_ok(st);
        ck_assert(norm(still) == 0.0);
        double r = growth(o, H, 1e-12, 3000, 1e6);
        if (side) ck_assert_msg(r > 1e6, "%s at 1.01: growth %g", mech_optimizer_kind_name(kind), r);
        else ck_assert_msg(r < 1e-3, "%s at 0.99: growth %g", mech_optimizer_kind_name(kind), r);
        mech_optimizer_destroy(o);
    }
}
END_TEST

START_TEST(threshold_values)
{
    double s;
    ck_assert_ok(mech_stability_threshold(MECH_OPTIMIZER_ADAM, 0.01, 0.9, &s));
    ck_assert_close(s, 3800.0, 1e-12); /* 38 / lr */
    ck_assert_ok(mech_stability_threshold(MECH_OPTIMIZER_NESTEROV, 0.5, 0.0, &s));
    ck_assert_close(s, 4.0, 1e-15); /* b = 0 is GD */
    ck_assert_ok(mech_stability_threshold(MECH_OPTIMIZER_RMSPROP, 0.5, 7.0, &s)); /* b ignored */
    ck_assert_close(s, 4.0, 1e-15);
}
END_TEST

START_TEST(threshold_bad_input)
{
    double s;
    ck_assert_fails_with(mech_stability_threshold(MECH_OPTIMIZER_GD, 0.1, 0.0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_stability_threshold(MECH_OPTIMIZER_SIGN, 0.1, 0.0, &s), MECH_EINVAL);
    ck_assert_fails_with(mech_stability_threshold((mech_optimizer_kind)99, 0.1, 0.0, &s),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_stability_threshold(MECH_OPTIMIZER_GD, 0.0, 0.0, &s), MECH_ERANGE);
    ck_assert_fails_with(mech_stability_threshold(MECH_OPTIMIZER_GD, NAN, 0.0, &s),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_stability_threshold(MECH_OPTIMIZER_ADAM, 0.1, 1.0, &s), MECH_ERANGE);
    ck_assert_fails_with(mech_stability_threshold(MECH_OPTIMIZER_HEAVY_BALL, 0.1, -0.1, &s),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_stability_max_lr(MECH_OPTIMIZER_GD, -1.0, 0.0, &s), MECH_ERANGE);
    ck_assert_fails_with(mech_stability_max_lr(MECH_OPTIMIZER_GD, INFINITY, 0.0, &s),
                         MECH_ENONFINITE);
}
END_TEST

START_TEST(sde_rules)
{
    double lr = 0.1;
    ck_assert_ok(mech_sde_scale(MECH_OPTIMIZER_SGD, 4.0, &lr, NULL, NULL, NULL));
    ck_assert_close(lr, 0.4, 1e-15);
    double b1 = 0.9, b2 = 0.99, eps = 1e-8;
    lr = 1e-3;
    ck_assert_ok(mech_sde_scale(MECH_OPTIMIZER_ADAM, 4.0, &lr, &b1, &b2, &eps));
    ck_assert_close(lr, 2e-3, 1e-15);
    ck_assert_close(b1, 0.6, 1e-14);
    ck_assert_close(b2, 0.96, 1e-14);
    ck_assert_close(eps, 5e-9, 1e-15);
    /* kappa then 1/kappa is the identity */
    ck_assert_ok(mech_sde_scale(MECH_OPTIMIZER_ADAM, 0.25, &lr, &b1, &b2, &eps));
    ck_assert_close(lr, 1e-3, 1e-14);
    ck_assert_close(b1, 0.9, 1e-14);
    ck_assert_close(b2, 0.99, 1e-14);
    ck_assert_close(eps / 1e-8, 1.0, 1e-14);
    b2 = 0.9, lr = 1.0, eps = 0.0;
    ck_assert_ok(mech_sde_scale(MECH_OPTIMIZER_RMSPROP, 2.0, &lr, NULL, &b2, &eps));
    ck_assert_close(b2, 0.8, 1e-14);
    ck_assert_close(lr, sqrt(2.0), 1e-15);
}
END_TEST

START_TEST(sde_bad_input_keeps_values)
{
    double lr = 1e-3, b1 = 0.9, b2 = 0.99, eps = 1e-8;
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_ADAM, 20.0, &lr, &b1, &b2, &eps),
                         MECH_ERANGE); /* 20 (1 - 0.9) > 1 */
    ck_assert(lr == 1e-3 && b1 == 0.9 && b2 == 0.99 && eps == 1e-8);
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_ADAM, 2.0, &lr, NULL, &b2, &eps),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_SGD, 2.0, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_SGD, 0.0, &lr, NULL, NULL, NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_SGD, NAN, &lr, NULL, NULL, NULL),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_HEAVY_BALL, 2.0, &lr, &b1, &b2, &eps),
                         MECH_EUNSUPPORTED);
    ck_assert_fails_with(mech_sde_scale((mech_optimizer_kind)42, 2.0, &lr, &b1, &b2, &eps),
                         MECH_EINVAL);
    eps = -1.0;
    ck_assert_fails_with(mech_sde_scale(MECH_OPTIMIZER_ADAM, 2.0, &lr, &b1, &b2, &eps),
                         MECH_ERANGE);
    ck_assert(lr == 1e-3);
}
END_TEST

/* ---------------- critical batch ---------------- */

#define NEX 64
#define DIM 5

typedef struct regression {
    double g[NEX][DIM]; /* per-example gradients x_i (x_i . w - y_i) */
    double G[DIM];      /* full gradient */
    double g_sq, tr_sigma; /* |G|^2 and tr of the per-example covariance (1/n) */
} regression;

static void make_regression(regression *r)
{
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 7, 1));
    double x[NEX * DIM], w[DIM], noise[NEX];
    ck_assert_ok(mech_rng_normal(rng, x, NEX * DIM, 0.0, 1.0));
    ck_assert_ok(mech_rng_normal(rng, w, DIM, 0.0, 1.0));
    ck_assert_ok(mech_rng_normal(rng, noise, NEX, 0.0, 0.5));
    mech_rng_destroy(rng);
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < NEX; i++) {
        double res = noise[i]; /* w_current = 0, y = x.w + noise: residual -y */
        for (int j = 0; j < DIM; j++) res += x[i * DIM + j] * w[j];
        for (int j = 0; j < DIM; j++) r->g[i][j] = -x[i * DIM + j] * res;
        for (int j = 0; j < DIM; j++) r->G[j] += r->g[i][j] / NEX;
    }
    for (int j = 0; j < DIM; j++) r->g_sq += r->G[j] * r->G[j];
    for (int i = 0; i < NEX; i++)
        for (int j = 0; j < DIM; j++)
            r->tr_sigma += (r->g[i][j] - r->G[j]) * (r->g[i][j] - r->G[j]) / NEX;
}

/* E|G_B|^2 = |G|^2 + tr(Sigma)/B for batches drawn with replacement, so the
 * expectations give back |G|^2 and tr Sigma to rounding. */
START_TEST(critical_batch_from_expectations)
{
    regression r;
    make_regression(&r);
    double bs, g, s;
    ck_assert_ok(mech_critical_batch(r.g_sq + r.tr_sigma / 2.0, r.g_sq + r.tr_sigma / 32.0, 2.0,
                                     32.0, &bs, &g, &s));
    ck_assert_close(g, r.g_sq, 1e-12);
    ck_assert_close(s, r.tr_sigma, 1e-12);
    ck_assert_close(bs, r.tr_sigma / r.g_sq, 1e-12);
}
END_TEST

/* Monte Carlo: mean |G_B|^2 over R random batches at B = 2 and 32; the
 * estimates must fall within 5 standard errors (propagated from the two
 * sample means, which are independent) of the exact values. */
START_TEST(critical_batch_monte_carlo)
{
    regression r;
    make_regression(&r);
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 11, 2));
    enum { R = 4000 };
    const size_t sizes[2] = {2, 32};
    double mean[2], se[2];
    int st = MECH_OK;
    for (int b = 0; b < 2; b++) {
        double s1 = 0.0, s2 = 0.0;
        for (int rep = 0; rep < R; rep++) {
            double gb[DIM] = {0};
            for (size_t k = 0; k < sizes[b]; k++) {
                uint64_t i = 0;
                st |= mech_rng_below(rng, NEX, &i);
                for (int j = 0; j < DIM; j++) gb[j] += r.g[i][j] / (double)sizes[b];
            }
            double q = 0.0;
            for (int j = 0; j < DIM; j++) q += gb[j] * gb[j];
            s1 += q, s2 += q * q;
        }
        mean[b] = s1 / R;
        se[b] = sqrt((s2 / R - mean[b] * mean[b]) / (R - 1));
    }
    mech_rng_destroy(rng);
    ck_assert_ok(st);
    double bs, g, s;
    ck_assert_ok(mech_critical_batch(mean[0], mean[1], 2.0, 32.0, &bs, &g, &s));
    const double se_s = hypot(se[0], se[1]) / (0.5 - 1.0 / 32.0);
    const double se_g = hypot(2.0 * se[0], 32.0 * se[1]) / 30.0;
    ck_assert_msg(fabs(s - r.tr_sigma) <= 5.0 * se_s, "tr Sigma %g vs %g (se %g)", s,
                  r.tr_sigma, se_s);
    ck_assert_msg(fabs(g - r.g_sq) <= 5.0 * se_g, "|G|^2 %g vs %g (se %g)", g, r.g_sq, se_g);
    /* the standard errors are small enough for the check to mean something */
    ck_assert(se_s < 0.1 * r.tr_sigma && se_g < 0.2 * r.g_sq);
}
END_TEST

START_TEST(critical_batch_edge_cases_and_bad_input)
{
    double bs;
    ck_assert_ok(mech_critical_batch(1.0, 1.0, 1.0, 2.0, &bs, NULL, NULL)); /* no noise */
    ck_assert(bs == 0.0);
    ck_assert_ok(mech_critical_batch(1.0, 0.4, 1.0, 2.0, &bs, NULL, NULL)); /* g_sq < 0 */
    ck_assert(isinf(bs) && bs > 0.0);
    ck_assert_fails_with(mech_critical_batch(1.0, 0.5, 2.0, 2.0, &bs, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_critical_batch(1.0, 0.5, 0.0, 2.0, &bs, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_critical_batch(-1.0, 0.5, 1.0, 2.0, &bs, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_critical_batch(NAN, 0.5, 1.0, 2.0, &bs, NULL, NULL),
                         MECH_ENONFINITE);
}
END_TEST

static Suite *stability_suite(void)
{
    Suite *s = suite_create("stability");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, momentum_kinds_are_stable_below_and_diverge_above, 0, 8);
    tcase_add_loop_test(tc, frozen_preconditioner_adaptive_kinds, 0, 3);
    tcase_add_test(tc, threshold_values);
    tcase_add_test(tc, threshold_bad_input);
    tcase_add_test(tc, sde_rules);
    tcase_add_test(tc, sde_bad_input_keeps_values);
    tcase_add_test(tc, critical_batch_from_expectations);
    tcase_add_test(tc, critical_batch_monte_carlo);
    tcase_add_test(tc, critical_batch_edge_cases_and_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(stability_suite()); }
