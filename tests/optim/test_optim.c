/* Optimizers: every rule and schedule against hand-derived references
 * (closed forms, explicit sums, matrix powers), state round trips, and
 * bad input. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

/* |a - b| <= tol * |b| (relative; for values that decay far below 1). */
#define ck_assert_rel(a, b, tol)                                              \
    do {                                                                      \
        double a_ = (a), b_ = (b);                                            \
        ck_assert_msg(fabs(a_ - b_) <= (tol) * fabs(b_),                      \
                      "%s = %.17g, want %.17g (rel tol %g)", #a, a_, b_,      \
                      (double)(tol));                                         \
    } while (0)

static mech_optimizer *make(mech_optimizer_kind kind, size_t n, double lr)
{
    mech_optimizer *o = NULL;
    ck_assert_ok(mech_optimizer_create(&o, NULL, kind, n));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, lr));
    return o;
}

/* Gradient of the diagonal quadratic 1/2 sum lam_i theta_i^2. */
static void quad_grad(const double *lam, const double *theta, double *g, size_t n)
{
    for (size_t i = 0; i < n; i++) g[i] = lam[i] * theta[i];
}

static char *temp_path(const char *tag)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/mech_optim_%s_%ld.bin", tag, (long)getpid());
    return buf;
}

START_TEST(gd_on_diagonal_quadratic_is_geometric)
{
    const double lam[3] = {0.5, 2.0, 7.0}, eta = 0.1;
    double theta[3] = {1.0, -2.0, 0.25}, g[3];
    const double theta0[3] = {1.0, -2.0, 0.25};
    mech_optimizer *o = make(MECH_OPTIMIZER_GD, 3, eta);
    ck_assert_ok(mech_optimizer_setup(o));
    for (int k = 1; k <= 100; k++) {
        quad_grad(lam, theta, g, 3);
        ck_assert_ok(mech_optimizer_step(o, theta, g));
    }
    /* 100 steps of rounding at ~1e-16 each: 1e-13 leaves a margin of ~5. */
    for (int i = 0; i < 3; i++)
        ck_assert_rel(theta[i], theta0[i] * pow(1 - eta * lam[i], 100), 1e-13);
    uint64_t count = 0;
    ck_assert_ok(mech_optimizer_step_count(o, &count));
    ck_assert_uint_eq(count, 100);
    mech_optimizer_destroy(o);
}
END_TEST

/* [x_K, x_{K-1}] = M^(K-1) [x_1, x_0] for x_{k+1} = a x_k + b x_{k-1},
 * M = [[a, b], [1, 0]], by binary powering. */
static double two_term_recurrence(double a, double b, double x0, double x1, unsigned K)
{
    double r[4] = {1, 0, 0, 1}, p[4] = {a, b, 1, 0}, t[4];
    for (unsigned e = K - 1; e; e >>= 1) {
        if (e & 1) {
            t[0] = r[0] * p[0] + r[1] * p[2]; t[1] = r[0] * p[1] + r[1] * p[3];
            t[2] = r[2] * p[0] + r[3] * p[2]; t[3] = r[2] * p[1] + r[3] * p[3];
            memcpy(r, t, sizeof t);
        }
        t[0] = p[0] * p[0] + p[1] * p[2]; t[1] = p[0] * p[1] + p[1] * p[3];
        t[2] = p[2] * p[0] + p[3] * p[2]; t[3] = p[2] * p[1] + p[3] * p[3];
        memcpy(p, t, sizeof t);
    }
    return r[0] * x1 + r[1] * x0;
}

/* Momentum methods on 1/2 lam theta^2 against their two-term recurrences in
 * theta alone (derived by eliminating the velocity):
 *   heavy ball: theta_1 = (1 - eta lam) theta_0,
 *               theta_{k+1} = (1 + beta - eta lam) theta_k - beta theta_{k-1};
 *   Nesterov:   theta_1 = (1 - eta lam (1 + beta)) theta_0,
 *               theta_{k+1} = (1 + beta)(1 - eta lam) theta_k - beta (1 - eta lam) theta_{k-1}.
 * Parameters give real characteristic roots, so theta decays monotonically
 * and relative rounding grows only linearly in K: 1e-12 over 60 steps. */
START_TEST(momentum_matches_closed_recurrence)
{
    const double lam[2] = {1.0, 3.0}, eta = 0.1, beta = 0.3, th0 = 1.5;
    const unsigned K = 60;
    for (int nesterov = 0; nesterov <= 1; nesterov++) {
        mech_optimizer *o = make(nesterov ? MECH_OPTIMIZER_NESTEROV : MECH_OPTIMIZER_HEAVY_BALL,
                                 2, eta);
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_MOMENTUM, beta));
        ck_assert_ok(mech_optimizer_setup(o));
        double theta[2] = {th0, th0}, g[2];
        for (unsigned k = 0; k < K; k++) {
            quad_grad(lam, theta, g, 2);
            ck_assert_ok(mech_optimizer_step(o, theta, g));
        }
        for (int i = 0; i < 2; i++) {
            double h = eta * lam[i], a, b, th1;
            if (nesterov) {
                a = (1 + beta) * (1 - h); b = -beta * (1 - h); th1 = (1 - h * (1 + beta)) * th0;
            } else {
                a = 1 + beta - h; b = -beta; th1 = (1 - h) * th0;
            }
            ck_assert_rel(theta[i], two_term_recurrence(a, b, th0, th1, K), 1e-12);
        }
        mech_optimizer_destroy(o);
    }
}
END_TEST

START_TEST(adam_first_step_is_lr_times_sign)
{
    const double eta = 0.01;
    double theta[3] = {1.0, -1.0, 0.5};
    const double g[3] = {3.0, -1e-6, 0.0};
    mech_optimizer *o = make(MECH_OPTIMIZER_ADAM, 3, eta);
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, 0.0));
    ck_assert_ok(mech_optimizer_setup(o));
    ck_assert_ok(mech_optimizer_step(o, theta, g));
    /* mhat / sqrt(shat) = g / |g| up to the rounding of (1-b)g/(1-b): 1e-15. */
    ck_assert_close(theta[0], 1.0 - eta, 1e-15);
    ck_assert_close(theta[1], -1.0 + eta, 1e-15);
    ck_assert(theta[2] == 0.5); /* zero gradient, zero denominator: no move */
    mech_optimizer_destroy(o);
}
END_TEST

/* Three Adam steps with prescribed gradients against the unrolled sums
 * mhat_k = (1-b1) sum_j b1^(k-j) g_j / (1-b1^k) (same for shat with g^2). */
START_TEST(adam_three_steps_match_unrolled_sums)
{
    const double eta = 0.05, b1 = 0.8, b2 = 0.95, eps = 1e-3;
    const double gs[3][2] = {{1.0, -0.5}, {-2.0, 0.25}, {0.5, 4.0}};
    double theta[2] = {0.3, -0.7};
    const double th0[2] = {0.3, -0.7};
    mech_optimizer *o = make(MECH_OPTIMIZER_ADAM, 2, eta);
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA1, b1));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA2, b2));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, eps));
    ck_assert_ok(mech_optimizer_setup(o));
    for (int k = 0; k < 3; k++) ck_assert_ok(mech_optimizer_step(o, theta, gs[k]));
    for (int i = 0; i < 2; i++) {
        double want = th0[i];
        for (int k = 1; k <= 3; k++) {
            double m = 0, s = 0;
            for (int j = 1; j <= k; j++) {
                m += (1 - b1) * pow(b1, k - j) * gs[j - 1][i];
                s += (1 - b2) * pow(b2, k - j) * gs[j - 1][i] * gs[j - 1][i];
            }
            want -= eta * (m / (1 - pow(b1, k))) / (sqrt(s / (1 - pow(b2, k))) + eps);
        }
        ck_assert_close(theta[i], want, 1e-14); /* a few roundings of O(1) terms */
    }
    /* Preconditioner after 3 steps: sqrt(s_3 / (1 - b2^3)) + eps. */
    double p[2], scale[2];
    ck_assert_ok(mech_optimizer_preconditioner(o, p, 2));
    ck_assert_ok(mech_optimizer_step_scale(o, scale, 2));
    for (int i = 0; i < 2; i++) {
        double s = 0;
        for (int j = 1; j <= 3; j++) s += (1 - b2) * pow(b2, 3 - j) * gs[j - 1][i] * gs[j - 1][i];
        double want = sqrt(s / (1 - pow(b2, 3))) + eps;
        ck_assert_close(p[i], want, 1e-14);
        ck_assert_close(scale[i], eta / want, 1e-14);
    }
    mech_optimizer_destroy(o);
}
END_TEST

/* Adam's L2 term enters the gradient (its sign can flip the step); AdamW's
 * decay shrinks theta by eta lambda theta outside the adaptive ratio. With
 * eps = 0 the first step is eta sign(.), so both are exact by hand. */
START_TEST(adamw_decay_is_decoupled)
{
    const double eta = 0.1, lambda = 0.1, g = -0.01;
    for (int w = 0; w <= 1; w++) {
        mech_optimizer *o = make(w ? MECH_OPTIMIZER_ADAMW : MECH_OPTIMIZER_ADAM, 1, eta);
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, 0.0));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_WEIGHT_DECAY, lambda));
        ck_assert_ok(mech_optimizer_setup(o));
        double theta = 1.0;
        ck_assert_ok(mech_optimizer_step(o, &theta, &g));
        /* Adam: g + lambda theta = 0.09 > 0, moves down by eta.
         * AdamW: theta (1 - eta lambda) = 0.99, then up by eta (g < 0). */
        ck_assert_close(theta, w ? 0.99 + eta : 1.0 - eta, 1e-15);
        mech_optimizer_destroy(o);
    }
}
END_TEST

START_TEST(rmsprop_two_steps_by_hand)
{
    /* b2 = 0.5, eps = 0.5, eta = 1, g = 2 then 4:
     * s1 = 0.5*4 = 2,          theta1 = 0 - 2/(sqrt 2 + 0.5)
     * s2 = 0.5*2 + 0.5*16 = 9, theta2 = theta1 - 4/(3 + 0.5) */
    mech_optimizer *o = make(MECH_OPTIMIZER_RMSPROP, 1, 1.0);
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA2, 0.5));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, 0.5));
    ck_assert_ok(mech_optimizer_setup(o));
    double theta = 0, g1 = 2, g2 = 4, p;
    ck_assert_ok(mech_optimizer_step(o, &theta, &g1));
    ck_assert_close(theta, -2 / (sqrt(2.0) + 0.5), 1e-15);
    ck_assert_ok(mech_optimizer_step(o, &theta, &g2));
    ck_assert_close(theta, -2 / (sqrt(2.0) + 0.5) - 4 / 3.5, 1e-15);
    ck_assert_ok(mech_optimizer_preconditioner(o, &p, 1));
    ck_assert_close(p, 3.5, 1e-15); /* no bias correction for RMSProp */
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(sign_descent_moves_by_lr)
{
    mech_optimizer *o = make(MECH_OPTIMIZER_SIGN, 3, 0.25);
    ck_assert_ok(mech_optimizer_setup(o));
    double theta[3] = {1, 1, 1};
    const double g[3] = {1e-9, -50, 0};
    ck_assert_ok(mech_optimizer_step(o, theta, g));
    ck_assert(theta[0] == 0.75 && theta[1] == 1.25 && theta[2] == 1.0);
    double p[3];
    ck_assert_fails_with(mech_optimizer_preconditioner(o, p, 3), MECH_EUNSUPPORTED);
    ck_assert_fails_with(mech_optimizer_step_scale(o, p, 3), MECH_EUNSUPPORTED);
    mech_optimizer_destroy(o);
}
END_TEST

static double lr_at(mech_optimizer *o, uint64_t k)
{
    double lr = -1;
    ck_assert_ok(mech_optimizer_lr_at(o, k, &lr));
    return lr;
}

/* Values worked out by hand from the formulas in optim.h. */
START_TEST(schedules_at_chosen_steps)
{
    mech_optimizer *o = make(MECH_OPTIMIZER_SGD, 1, 1.0);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 8));
    ck_assert_close(lr_at(o, 3), 1.0, 1e-15); /* CONSTANT ignores warmup */

    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_WARMUP_LINEAR));
    ck_assert_close(lr_at(o, 2), 0.25, 1e-15);
    ck_assert_close(lr_at(o, 8), 1.0, 1e-15);
    ck_assert_close(lr_at(o, 1000), 1.0, 1e-15);

    /* COSINE: W = 10, T = 110, f = 0.1; midpoint 0.1 + 0.9 * 0.5 = 0.55. */
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_COSINE));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 10));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_TOTAL_STEPS, 110));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_FINAL_LR_FRACTION, 0.1));
    ck_assert_close(lr_at(o, 5), 0.5, 1e-15);
    ck_assert_close(lr_at(o, 10), 1.0, 1e-15);
    ck_assert_close(lr_at(o, 35), 0.1 + 0.9 * 0.5 * (1 + sqrt(0.5)), 1e-15); /* pi/4 */
    ck_assert_close(lr_at(o, 60), 0.55, 1e-15);
    ck_assert_close(lr_at(o, 110), 0.1, 1e-15);
    ck_assert_close(lr_at(o, 500), 0.1, 1e-15);

    /* WSD: lr 2, W = 4, T = 100, decay 0.25 -> D = 25, decay from k = 75, f = 0. */
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 2.0));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_WSD));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 4));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_TOTAL_STEPS, 100));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_DECAY_FRACTION, 0.25));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_FINAL_LR_FRACTION, 0.0));
    ck_assert_close(lr_at(o, 2), 1.0, 1e-15);
    ck_assert_close(lr_at(o, 75), 2.0, 1e-15);
    ck_assert_close(lr_at(o, 80), 1.6, 1e-15);
    ck_assert_close(lr_at(o, 100), 0.0, 1e-15);
    ck_assert_close(lr_at(o, 150), 0.0, 1e-15);

    /* STEP: lr 1, W = 0, step 10, gamma 0.5. */
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 1.0));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_STEP));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 0));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_STEP_SIZE, 10));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_GAMMA, 0.5));
    ck_assert_close(lr_at(o, 1), 1.0, 1e-15);
    ck_assert_close(lr_at(o, 10), 1.0, 1e-15);
    ck_assert_close(lr_at(o, 11), 0.5, 1e-15);
    ck_assert_close(lr_at(o, 25), 0.25, 1e-15);

    /* INV_SQRT: W = 16 -> k/16 up to 16, then sqrt(16/k); W = 0 -> 1/sqrt(k). */
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_INV_SQRT));
    ck_assert_close(lr_at(o, 4), 0.5, 1e-15);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 16));
    ck_assert_close(lr_at(o, 4), 0.25, 1e-15);
    ck_assert_close(lr_at(o, 16), 1.0, 1e-15);
    ck_assert_close(lr_at(o, 64), 0.5, 1e-15);
    ck_assert_close(lr_at(o, 100), 0.4, 1e-15);
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(step_uses_schedule_at_its_index)
{
    /* Warmup 4, lr 1, g = 1: steps 1..3 move by 0.25 + 0.5 + 0.75. */
    mech_optimizer *o = make(MECH_OPTIMIZER_SGD, 1, 1.0);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_WARMUP_LINEAR));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 4));
    ck_assert_ok(mech_optimizer_setup(o));
    double theta = 0, g = 1;
    for (int k = 0; k < 3; k++) ck_assert_ok(mech_optimizer_step(o, &theta, &g));
    ck_assert_close(theta, -1.5, 1e-15);
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(group_multipliers_scale_the_update)
{
    mech_optimizer *o = make(MECH_OPTIMIZER_SGD, 4, 0.1);
    const size_t off[3] = {0, 1, 4};
    const double mult[2] = {2.0, 0.5};
    ck_assert_ok(mech_optimizer_set_groups(o, off, mult, 2));
    ck_assert_ok(mech_optimizer_setup(o));
    double theta[4] = {0, 0, 0, 0};
    const double g[4] = {1, 1, 2, -4};
    ck_assert_ok(mech_optimizer_step(o, theta, g));
    ck_assert_close(theta[0], -0.2, 1e-15);
    ck_assert_close(theta[1], -0.05, 1e-15);
    ck_assert_close(theta[2], -0.1, 1e-15);
    ck_assert_close(theta[3], 0.2, 1e-15);
    double scale[4];
    ck_assert_ok(mech_optimizer_step_scale(o, scale, 4));
    ck_assert_close(scale[0], 0.2, 1e-15);
    ck_assert_close(scale[3], 0.05, 1e-15);
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(clipping_caps_the_global_norm)
{
    mech_optimizer *o = make(MECH_OPTIMIZER_SGD, 2, 1.0);
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_CLIP_NORM, 1.0));
    ck_assert_ok(mech_optimizer_setup(o));
    double theta[2] = {0, 0};
    const double big[2] = {3, -4}, small[2] = {0.3, 0.4}, huge[2] = {3e300, 4e300};
    ck_assert_ok(mech_optimizer_step(o, theta, big)); /* |g| = 5 -> scaled by 1/5 */
    ck_assert_close(theta[0], -0.6, 1e-15);
    ck_assert_close(theta[1], 0.8, 1e-15);
    ck_assert_ok(mech_optimizer_step(o, theta, small)); /* |g| = 0.5: unchanged */
    ck_assert_close(theta[0], -0.9, 1e-15);
    ck_assert_close(theta[1], 0.4, 1e-15);
    ck_assert_ok(mech_optimizer_step(o, theta, huge)); /* norm would overflow naively */
    ck_assert_close(theta[0], -1.5, 1e-15);
    ck_assert_close(theta[1], -0.4, 1e-15);
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(l2_decay_is_added_after_clipping)
{
    /* SGD, lambda 0.5, clip 1: g = (0, 6) clips to (0, 1), then + 0.5 theta. */
    mech_optimizer *o = make(MECH_OPTIMIZER_SGD, 2, 1.0);
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_CLIP_NORM, 1.0));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_WEIGHT_DECAY, 0.5));
    ck_assert_ok(mech_optimizer_setup(o));
    double theta[2] = {2, 2};
    const double g[2] = {0, 6};
    ck_assert_ok(mech_optimizer_step(o, theta, g));
    ck_assert_close(theta[0], 1.0, 1e-15);
    ck_assert_close(theta[1], 0.0, 1e-15);
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(float_step_rounds_the_double_step)
{
    /* Same float-representable inputs through step_f32 and step: each float
     * parameter is the double result rounded (rel 6e-8) three times over. */
    const float g32[3][2] = {{0.5f, -1.0f}, {0.25f, 2.0f}, {-1.5f, 0.125f}};
    float p32[2] = {1.0f, -0.5f};
    double p64[2] = {1.0, -0.5};
    mech_optimizer *a = make(MECH_OPTIMIZER_ADAM, 2, 0.01), *b = make(MECH_OPTIMIZER_ADAM, 2, 0.01);
    ck_assert_ok(mech_optimizer_setup(a));
    ck_assert_ok(mech_optimizer_setup(b));
    for (int k = 0; k < 3; k++) {
        double g64[2] = {g32[k][0], g32[k][1]};
        ck_assert_ok(mech_optimizer_step_f32(a, p32, g32[k]));
        ck_assert_ok(mech_optimizer_step(b, p64, g64));
    }
    for (int i = 0; i < 2; i++) ck_assert_rel((double)p32[i], p64[i], 3e-7);
    mech_optimizer_destroy(a);
    mech_optimizer_destroy(b);
}
END_TEST

/* Runs `steps` Adam steps on a quadratic from theta. */
static void run_adam(mech_optimizer *o, double *theta, int steps)
{
    const double lam[3] = {1.0, 4.0, 0.25};
    double g[3];
    for (int k = 0; k < steps; k++) {
        quad_grad(lam, theta, g, 3);
        ck_assert_ok(mech_optimizer_step(o, theta, g));
    }
}

static mech_optimizer *adam3(void)
{
    mech_optimizer *o = make(MECH_OPTIMIZER_ADAM, 3, 0.05);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_COSINE));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_TOTAL_STEPS, 20));
    ck_assert_ok(mech_optimizer_setup(o));
    return o;
}

START_TEST(save_load_continue_is_bitwise)
{
    double straight[3] = {1, -2, 3}, resumed[3] = {1, -2, 3};
    mech_optimizer *a = adam3(), *b = adam3();
    run_adam(a, straight, 12);
    run_adam(b, resumed, 5);
    const char *path = temp_path("resume");
    ck_assert_ok(mech_optimizer_save(b, path));
    mech_optimizer_destroy(b);
    b = adam3();
    ck_assert_ok(mech_optimizer_load(b, path));
    uint64_t count = 0;
    ck_assert_ok(mech_optimizer_step_count(b, &count));
    ck_assert_uint_eq(count, 5);
    run_adam(b, resumed, 7);
    ck_assert(memcmp(straight, resumed, sizeof straight) == 0);

    /* In-memory state holds the file's bytes and restores the same way. */
    size_t size = 0;
    ck_assert_ok(mech_optimizer_state_size(b, &size));
    unsigned char *mem = malloc(size), *file = malloc(size + 1);
    ck_assert_ok(mech_optimizer_get_state(b, mem, size));
    ck_assert_ok(mech_optimizer_save(b, path));
    FILE *f = fopen(path, "rb");
    ck_assert_uint_eq(fread(file, 1, size + 1, f), size);
    fclose(f);
    ck_assert(memcmp(mem, file, size) == 0);
    double again[3] = {resumed[0], resumed[1], resumed[2]};
    run_adam(a, straight, 3);
    mech_optimizer *c = adam3();
    ck_assert_ok(mech_optimizer_set_state(c, mem, size));
    run_adam(c, again, 3);
    ck_assert(memcmp(straight, again, sizeof again) == 0);
    remove(path);
    free(mem);
    free(file);
    mech_optimizer_destroy(a);
    mech_optimizer_destroy(b);
    mech_optimizer_destroy(c);
}
END_TEST

static void write_bytes(const char *path, const unsigned char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

START_TEST(bad_state_is_refused_and_state_kept)
{
    double theta[3] = {1, -2, 3};
    mech_optimizer *o = adam3();
    run_adam(o, theta, 4);
    size_t size = 0;
    ck_assert_ok(mech_optimizer_state_size(o, &size));
    unsigned char *good = malloc(size), *bad = malloc(size), *now = malloc(size);
    ck_assert_ok(mech_optimizer_get_state(o, good, size));

    /* A different state to try to restore over the current one. */
    mech_optimizer *other = adam3();
    double th2[3] = {5, 5, 5};
    run_adam(other, th2, 2);
    ck_assert_ok(mech_optimizer_get_state(other, bad, size));

    const char *path = temp_path("bad");
    write_bytes(path, bad, size - 5); /* truncated */
    ck_assert_fails_with(mech_optimizer_load(o, path), MECH_EFORMAT);
    ck_assert_fails_with(mech_optimizer_set_state(o, bad, size - 5), MECH_EFORMAT);
    ck_assert_fails_with(mech_optimizer_set_state(o, bad, 10), MECH_EFORMAT);
    bad[size - 3] ^= 0x40; /* corrupted payload byte */
    write_bytes(path, bad, size);
    ck_assert_fails_with(mech_optimizer_load(o, path), MECH_EFORMAT);
    ck_assert_fails_with(mech_optimizer_set_state(o, bad, size), MECH_EFORMAT);
    bad[size - 3] ^= 0x40;
    bad[0] = 'X'; /* not an optimizer state */
    write_bytes(path, bad, size);
    ck_assert_fails_with(mech_optimizer_load(o, path), MECH_EFORMAT);
    ck_assert_fails_with(mech_optimizer_set_state(o, bad, size), MECH_EFORMAT);
    ck_assert_fails_with(mech_optimizer_load(o, "/nonexistent/dir/state.bin"), MECH_EIO);

    ck_assert_ok(mech_optimizer_get_state(o, now, size));
    ck_assert(memcmp(good, now, size) == 0);

    /* Other kind: EFORMAT; other n_params: ESHAPE. */
    mech_optimizer *sgd = make(MECH_OPTIMIZER_HEAVY_BALL, 3, 0.1), *wide = make(MECH_OPTIMIZER_ADAM, 4, 0.1);
    ck_assert_ok(mech_optimizer_setup(sgd));
    ck_assert_ok(mech_optimizer_setup(wide));
    ck_assert_fails_with(mech_optimizer_set_state(sgd, good, size), MECH_EFORMAT);
    ck_assert_fails_with(mech_optimizer_set_state(wide, good, size), MECH_ESHAPE);
    ck_assert_ok(mech_optimizer_save(o, path));
    ck_assert_fails_with(mech_optimizer_load(wide, path), MECH_ESHAPE);
    remove(path);
    free(good);
    free(bad);
    free(now);
    mech_optimizer_destroy(o);
    mech_optimizer_destroy(other);
    mech_optimizer_destroy(sgd);
    mech_optimizer_destroy(wide);
}
END_TEST

START_TEST(reset_restarts_the_state)
{
    double t1[3] = {1, -2, 3}, t2[3] = {1, -2, 3};
    mech_optimizer *o = adam3();
    run_adam(o, t1, 3);
    ck_assert_ok(mech_optimizer_reset(o));
    uint64_t count = 9;
    ck_assert_ok(mech_optimizer_step_count(o, &count));
    ck_assert_uint_eq(count, 0);
    double t1b[3] = {1, -2, 3};
    run_adam(o, t1b, 3);
    mech_optimizer *fresh = adam3();
    run_adam(fresh, t2, 3);
    ck_assert(memcmp(t1b, t2, sizeof t2) == 0);
    mech_optimizer_destroy(o);
    mech_optimizer_destroy(fresh);
}
END_TEST

START_TEST(options_are_registered)
{
    int n = 0, key = -1;
    ck_assert_ok(mech_option_count(MECH_KIND_OPTIMIZER, &n));
    ck_assert_int_eq(n, 14);
    ck_assert_ok(mech_option_lookup(MECH_KIND_OPTIMIZER, "weight_decay", &key));
    ck_assert_int_eq(key, MECH_OPTIMIZER_WEIGHT_DECAY);
    mech_optimizer *o = make(MECH_OPTIMIZER_SGD, 1, 0.5);
    double v = 0;
    int64_t i = -1;
    ck_assert_ok(mech_optimizer_get_f64(o, MECH_OPTIMIZER_LR, &v));
    ck_assert(v == 0.5);
    ck_assert_ok(mech_optimizer_get_i64(o, MECH_OPTIMIZER_SCHEDULE, &i));
    ck_assert_int_eq(i, MECH_LR_CONSTANT);
    ck_assert_str_eq(mech_optimizer_kind_name(MECH_OPTIMIZER_ADAMW), "adamw");
    ck_assert_str_eq(mech_optimizer_kind_name((mech_optimizer_kind)99), "unknown");
    mech_optimizer_destroy(o);
}
END_TEST

START_TEST(bad_input_everywhere)
{
    mech_optimizer *o = NULL;
    double x[2] = {1, 2}, g[2] = {0.5, 0.5}, d;
    float xf[2] = {1, 2}, gf[2] = {0.5f, 0.5f};
    int64_t iv;
    uint64_t u;
    size_t sz;
    unsigned char buf[256];
    const size_t off_ok[2] = {0, 2}, off_bad0[2] = {1, 2}, off_flat[3] = {0, 1, 1},
                 off_short[2] = {0, 1};
    const double mult_ok[2] = {1, 1}, mult_neg[1] = {-1}, mult_nan[1] = {NAN};

    ck_assert_fails_with(mech_optimizer_create(NULL, NULL, MECH_OPTIMIZER_SGD, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_create(&o, NULL, MECH_OPTIMIZER_SGD, 0), MECH_EINVAL);
    ck_assert_ptr_null(o);
    ck_assert_fails_with(mech_optimizer_create(&o, NULL, (mech_optimizer_kind)8, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_create(&o, NULL, (mech_optimizer_kind)-1, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_create(&o, NULL, MECH_OPTIMIZER_SGD, SIZE_MAX), MECH_EOVERFLOW);
    ck_assert_ok(mech_optimizer_create(&o, NULL, MECH_OPTIMIZER_ADAM, 2));

    /* Options. */
    ck_assert_fails_with(mech_optimizer_set_f64(NULL, MECH_OPTIMIZER_LR, 0.1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, -0.1), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, INFINITY), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_MOMENTUM, 1.0), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA1, 1.0), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA2, 1.5), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, -1e-8), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_f64(o, MECH_OPTIMIZER_FINAL_LR_FRACTION, 1.5), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, 6), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_i64(o, MECH_OPTIMIZER_STEP_SIZE, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_i64(o, MECH_OPTIMIZER_LR, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_i64(o, (mech_optimizer_opt)14, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_i64(NULL, MECH_OPTIMIZER_SCHEDULE, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_get_f64(o, MECH_OPTIMIZER_LR, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_get_f64(NULL, MECH_OPTIMIZER_LR, &d), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_get_i64(o, MECH_OPTIMIZER_LR, &iv), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_get_i64(NULL, MECH_OPTIMIZER_SCHEDULE, &iv), MECH_EINVAL);
    ck_assert_str_ne(mech_optimizer_last_error(o), "");
    ck_assert_str_eq(mech_optimizer_last_error(NULL), "");
    ck_assert_ok(mech_optimizer_get_f64(o, MECH_OPTIMIZER_LR, &d));
    ck_assert(d == 1e-3); /* unchanged by the failures */

    /* Groups. */
    ck_assert_fails_with(mech_optimizer_set_groups(NULL, off_ok, mult_ok, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_groups(o, NULL, mult_ok, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_ok, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_ok, mult_ok, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_bad0, mult_ok, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_flat, mult_ok, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_short, mult_ok, 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_ok, mult_neg, 1), MECH_ERANGE);
    ck_assert_fails_with(mech_optimizer_set_groups(o, off_ok, mult_nan, 1), MECH_ENONFINITE);

    /* Before setup. */
    ck_assert_fails_with(mech_optimizer_step(o, x, g), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_step_f32(o, xf, gf), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_preconditioner(o, x, 2), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_save(o, temp_path("never")), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_load(o, temp_path("never")), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_state_size(o, &sz), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_get_state(o, buf, sizeof buf), MECH_ESTATE);
    ck_assert_fails_with(mech_optimizer_set_state(o, buf, sizeof buf), MECH_ESTATE);

    /* Inconsistent schedule: refused by setup, lr_at and step. */
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_COSINE));
    ck_assert_fails_with(mech_optimizer_setup(o), MECH_EINVAL); /* total_steps 0 */
    ck_assert_fails_with(mech_optimizer_lr_at(o, 1, &d), MECH_EINVAL);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_TOTAL_STEPS, 10));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 11));
    ck_assert_fails_with(mech_optimizer_setup(o), MECH_EINVAL);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_WSD));
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 9)); /* > 10 - 2 */
    ck_assert_fails_with(mech_optimizer_setup(o), MECH_EINVAL);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 8));
    ck_assert_ok(mech_optimizer_setup(o));
    ck_assert_fails_with(mech_optimizer_setup(o), MECH_ESTATE);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_WARMUP_STEPS, 9));
    ck_assert_fails_with(mech_optimizer_step(o, x, g), MECH_EINVAL);
    ck_assert_ok(mech_optimizer_set_i64(o, MECH_OPTIMIZER_SCHEDULE, MECH_LR_CONSTANT));

    /* Step and the rest after setup. */
    ck_assert_fails_with(mech_optimizer_step(NULL, x, g), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step(o, NULL, g), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step(o, x, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step_f32(NULL, xf, gf), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step_f32(o, NULL, gf), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step_f32(o, xf, NULL), MECH_EINVAL);
    const double g_nan[2] = {0.5, NAN}, g_inf[2] = {-INFINITY, 0};
    const float gf_nan[2] = {NAN, 0};
    ck_assert_fails_with(mech_optimizer_step(o, x, g_nan), MECH_ENONFINITE);
    ck_assert_fails_with(mech_optimizer_step(o, x, g_inf), MECH_ENONFINITE);
    ck_assert_fails_with(mech_optimizer_step_f32(o, xf, gf_nan), MECH_ENONFINITE);
    ck_assert(x[0] == 1 && x[1] == 2 && xf[0] == 1);
    ck_assert_ok(mech_optimizer_step_count(o, &u));
    ck_assert_uint_eq(u, 0);
    ck_assert_fails_with(mech_optimizer_step_count(NULL, &u), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step_count(o, NULL), MECH_EINVAL);
    mech_optimizer_kind kind = MECH_OPTIMIZER_GD;
    size_t np = 0;
    bool ready = false;
    ck_assert_ok(mech_optimizer_info(o, &kind, &np, &ready));
    ck_assert(kind == MECH_OPTIMIZER_ADAM && np == 2 && ready);
    ck_assert_ok(mech_optimizer_info(o, NULL, NULL, NULL));
    ck_assert_fails_with(mech_optimizer_info(NULL, &kind, &np, &ready), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_lr_at(NULL, 1, &d), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_lr_at(o, 1, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_reset(NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_preconditioner(NULL, x, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_preconditioner(o, NULL, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_preconditioner(o, x, 3), MECH_ESHAPE);
    ck_assert_fails_with(mech_optimizer_step_scale(NULL, x, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step_scale(o, NULL, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_step_scale(o, x, 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_optimizer_save(NULL, "x"), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_save(o, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_save(o, "/nonexistent/dir/state.bin"), MECH_EIO);
    ck_assert_fails_with(mech_optimizer_load(NULL, "x"), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_load(o, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_state_size(NULL, &sz), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_state_size(o, NULL), MECH_EINVAL);
    ck_assert_ok(mech_optimizer_state_size(o, &sz));
    ck_assert_fails_with(mech_optimizer_get_state(NULL, buf, sz), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_get_state(o, NULL, sz), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_get_state(o, buf, sz - 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_optimizer_set_state(NULL, buf, sz), MECH_EINVAL);
    ck_assert_fails_with(mech_optimizer_set_state(o, NULL, sz), MECH_EINVAL);

    /* Non-adaptive kinds have no preconditioner; SGD's step scale is eta. */
    mech_optimizer *sgd = make(MECH_OPTIMIZER_SGD, 2, 0.1);
    ck_assert_fails_with(mech_optimizer_preconditioner(sgd, x, 2), MECH_EUNSUPPORTED);
    ck_assert_fails_with(mech_optimizer_step_scale(sgd, x, 2), MECH_ESTATE);
    ck_assert_ok(mech_optimizer_reset(sgd)); /* nothing to reset yet */

    /* Still usable after all that. */
    ck_assert_ok(mech_optimizer_step(o, x, g));
    mech_optimizer_destroy(sgd);
    mech_optimizer_destroy(o);
    mech_optimizer_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("optim");
    tcase_add_test(tc, gd_on_diagonal_quadratic_is_geometric);
    tcase_add_test(tc, momentum_matches_closed_recurrence);
    tcase_add_test(tc, adam_first_step_is_lr_times_sign);
    tcase_add_test(tc, adam_three_steps_match_unrolled_sums);
    tcase_add_test(tc, adamw_decay_is_decoupled);
    tcase_add_test(tc, rmsprop_two_steps_by_hand);
    tcase_add_test(tc, sign_descent_moves_by_lr);
    tcase_add_test(tc, schedules_at_chosen_steps);
    tcase_add_test(tc, step_uses_schedule_at_its_index);
    tcase_add_test(tc, group_multipliers_scale_the_update);
    tcase_add_test(tc, clipping_caps_the_global_norm);
    tcase_add_test(tc, l2_decay_is_added_after_clipping);
    tcase_add_test(tc, float_step_rounds_the_double_step);
    tcase_add_test(tc, save_load_continue_is_bitwise);
    tcase_add_test(tc, bad_state_is_refused_and_state_kept);
    tcase_add_test(tc, reset_restarts_the_state);
    tcase_add_test(tc, options_are_registered);
    tcase_add_test(tc, bad_input_everywhere);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
