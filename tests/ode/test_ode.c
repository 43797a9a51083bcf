/* ODE integrators: RK4 and DOPRI5 against closed-form solutions, dense
 * output, events, step caps, callback protocol and bad input. */
#include <float.h>
#include <stdint.h>

#include "harness.h"

#define PI 3.14159265358979323846

/* ---------------- right-hand sides with known solutions ---------------- */

/* y' = -lambda y, y = y0 exp(-lambda t) */
static int decay(double t, const double *y, double *dy, void *ud)
{
    dy[0] = -*(const double *)ud * y[0];
    return 0;
}

/* y0' = y1, y1' = -y0: y = (cos t, -sin t) from (1, 0) */
static int oscillator(double t, const double *y, double *dy, void *ud)
{
    dy[0] = y[1];
    dy[1] = -y[0];
    return 0;
}

/* y' = A y with A row-major 2 x 2 in ud */
static int linear2(double t, const double *y, double *dy, void *ud)
{
    const double *a = ud;
    dy[0] = a[0] * y[0] + a[1] * y[1];
    dy[1] = a[2] * y[0] + a[3] * y[1];
    return 0;
}

/* height and velocity of a ball under gravity 9.81 */
static int falling(double t, const double *y, double *dy, void *ud)
{
    dy[0] = y[1];
    dy[1] = -9.81;
    return 0;
}

static int first_component(double t, const double *y, double *g, void *ud)
{
    *g = y[0];
    return 0;
}

/* g = y0 - 0.5, returning *ud after t0; *ud == 99 instead makes g NaN */
static int g_misbehaves(double t, const double *y, double *g, void *ud)
{
    int *ret = ud;
    *g = *ret == 99 ? NAN : y[0] - 0.5;
    return *ret == 99 ? 0 : (t > 0 ? *ret : 0);
}

static mech_ode *make(size_t dim, mech_ode_rhs_fn f, void *ud, int method)
{
    mech_ode *o = NULL;
    ck_assert_ok(mech_ode_create(&o, NULL, dim, f, ud));
    ck_assert_ok(mech_ode_set_i64(o, MECH_ODE_METHOD, method));
    return o;
}

static double stat(const mech_ode *o, mech_ode_stat k)
{
    double v = NAN;
    ck_assert_ok(mech_ode_get_stat(o, k, &v));
    return v;
}

/* ---------------- accuracy ---------------- */

static double rk4_decay_error(double h)
{
    double lambda = 1.0, y = 1.0;
    mech_ode *o = make(1, decay, &lambda, MECH_ODE_RK4);
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, h));
    ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 2.0, &y));
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_ACCEPTED), round(2.0 / h));
    mech_ode_destroy(o);
    return fabs(y - exp(-2.0));
}

START_TEST(rk4_is_fourth_order)
{
    /* global error C h^4 + O(h^5): halving h divides it by 16 up to the
     * next-order term, here a few percent of the leading one at h <= 0.1,
     * so [12, 20] brackets 16 with room; errors stay far above rounding */
    double e1 = rk4_decay_error(0.1), e2 = rk4_decay_error(0.05),
           e3 = rk4_decay_error(0.025);
    ck_assert_msg(e1 / e2 >= 12 && e1 / e2 <= 20, "ratio %g", e1 / e2);
    ck_assert_msg(e2 / e3 >= 12 && e2 / e3 <= 20, "ratio %g", e2 / e3);
    ck_assert_double_gt(e3, 1e-13);
}
END_TEST

START_TEST(dopri5_meets_rtol_on_decay)
{
    /* ATOL is negligible, so each step's embedded error estimate is held
     * below rtol relative (safety factor 0.9). For decay the relative
     * local errors add up without amplification, and since the controller
     * takes longer steps at looser tolerance (~9 steps at 1e-4, ~120 at
     * 1e-10) the sum stays of order rtol (tolerance proportionality; about
     * 1-2 rtol here). The 5th-order result is no worse than the 4th-order
     * estimate on this smooth problem, so 10 rtol has a wide margin. */
    for (int p = 4; p <= 10; p++) {
        double rtol = pow(10.0, -p), lambda = 1.5, y = 2.0;
        mech_ode *o = make(1, decay, &lambda, MECH_ODE_DOPRI5);
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, rtol));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-300));
        ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 3.0, &y));
        double exact = 2.0 * exp(-4.5);
        ck_assert_msg(fabs(y - exact) <= 10 * rtol * exact, "rtol %g: rel err %g", rtol,
                      fabs(y - exact) / exact);
        ck_assert_double_le(stat(o, MECH_ODE_STAT_ERR_LAST), 1.0);
        ck_assert_double_eq(stat(o, MECH_ODE_STAT_T_LAST), 3.0);
        mech_ode_destroy(o);
    }
}
END_TEST

START_TEST(oscillator_ten_periods)
{
    /* at rtol = atol = 1e-10 the global error grows linearly over the
     * ~1000 steps of 10 periods; 1e-8 in phase and 1e-8 in energy is that
     * budget (each step's error is below 1e-10) with a margin */
    double y[2] = {1.0, 0.0}, T = 20.0 * PI;
    mech_ode *o = make(2, oscillator, NULL, MECH_ODE_DOPRI5);
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 1e-10));
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-10));
    ck_assert_ok(mech_ode_integrate(o, 0.0, y, T, y));
    ck_assert_double_le(fabs(y[0] - cos(T)), 1e-8);
    ck_assert_double_le(fabs(y[1] + sin(T)), 1e-8);
    ck_assert_double_le(fabs(y[0] * y[0] + y[1] * y[1] - 1.0), 1e-8);
    ck_assert_int_eq((int)stat(o, MECH_ODE_STAT_STOP), MECH_ODE_STOP_END);
    mech_ode_destroy(o);

    /* RK4 at h = 0.01: global error ~ T h^4 / 120 ~ 5e-9 */
    double z[2] = {1.0, 0.0};
    o = make(2, oscillator, NULL, MECH_ODE_RK4);
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.01));
    ck_assert_ok(mech_ode_integrate(o, 0.0, z, T, z));
    ck_assert_double_le(fabs(z[0] - cos(T)), 1e-7);
    ck_assert_double_le(fabs(z[1] + sin(T)), 1e-7);
    mech_ode_destroy(o);
}
END_TEST

/* exp(A t) for a 2 x 2 A with complex eigenvalues mu +- i w:
 * exp(mu t) (cos(w t) I + sin(w t) / w (A - mu I)) */
static void expm2(const double *a, double t, double *e)
{
    double mu = 0.5 * (a[0] + a[3]);
    double w = sqrt(a[0] * a[3] - a[1] * a[2] - mu * mu);
    double c = cos(w * t), s = sin(w * t) / w, g = exp(mu * t);
    e[0] = g * (c + s * (a[0] - mu));
    e[1] = g * s * a[1];
    e[2] = g * s * a[2];
    e[3] = g * (c + s * (a[3] - mu));
}

START_TEST(linear_system_matches_expm)
{
    /* non-normal A, eigenvalues -0.4 +- i sqrt(1.99); rtol 1e-10 over
     * t = 5 (about 100 steps) leaves errors of order 1e-9 */
    double a[4] = {-0.5, 2.0, -1.0, -0.3}, y0[2] = {1.0, -0.5}, e[4];
    for (int method = 0; method <= 1; method++) {
        mech_ode *o = make(2, linear2, a, method);
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 1e-10));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-12));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.005));
        for (double t1 = -2.0; t1 <= 5.0; t1 += 7.0) { /* backward and forward */
            double y[2];
            ck_assert_ok(mech_ode_integrate(o, 0.0, y0, t1, y));
            expm2(a, t1, e);
            ck_assert_close(y[0], e[0] * y0[0] + e[1] * y0[1], 1e-8);
            ck_assert_close(y[1], e[2] * y0[0] + e[3] * y0[1], 1e-8);
        }
        mech_ode_destroy(o);
    }
}
END_TEST

START_TEST(dense_output_matches_solution)
{
    /* 100 requested times; DOPRI5 fills them from its 4th-order continuous
     * extension, whose error per step is of the same order as the step
     * error (rtol 1e-10), RK4 hits them exactly */
    double t_out[100], y_out[200], y0[2] = {1.0, 0.0};
    for (int i = 0; i < 100; i++) t_out[i] = 0.1 * i + 0.0137 * (i % 3);
    for (int method = 0; method <= 1; method++) {
        mech_ode *o = make(2, oscillator, NULL, method);
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 1e-10));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-10));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.01));
        ck_assert_ok(mech_ode_solve(o, 0.0, y0, t_out, 100, y_out));
        ck_assert_double_eq(stat(o, MECH_ODE_STAT_OUTPUTS), 100);
        for (int i = 0; i < 100; i++) {
            ck_assert_double_le(fabs(y_out[2 * i] - cos(t_out[i])), 1e-8);
            ck_assert_double_le(fabs(y_out[2 * i + 1] + sin(t_out[i])), 1e-8);
        }
        if (method == MECH_ODE_DOPRI5) { /* dense output does not force steps */
            double steps = stat(o, MECH_ODE_STAT_ACCEPTED), y1[2];
            ck_assert_ok(mech_ode_integrate(o, 0.0, y0, t_out[99], y1));
            ck_assert_double_eq(stat(o, MECH_ODE_STAT_ACCEPTED), steps);
            ck_assert_double_eq(y1[0], y_out[198]);
        }
        mech_ode_destroy(o);
    }
}
END_TEST

START_TEST(backward_solve)
{
    /* y' = -y backwards from y(2) = 1: y(t) = exp(2 - t); both methods at
     * settings whose global error is below 1e-9 (RK4: h^4 / 120 * 2 e^2) */
    double t_out[3] = {2.0, 1.5, 0.0}, y_out[3], lambda = 1.0, y0 = 1.0;
    for (int method = 0; method <= 1; method++) {
        mech_ode *o = make(1, decay, &lambda, method);
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.005));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 1e-11));
        ck_assert_ok(mech_ode_solve(o, 2.0, &y0, t_out, 3, y_out));
        for (int i = 0; i < 3; i++) ck_assert_close(y_out[i], exp(2.0 - t_out[i]), 1e-9);
        ck_assert_double_lt(stat(o, MECH_ODE_STAT_H_LAST), 0);
        mech_ode_destroy(o);
    }
}
END_TEST

START_TEST(gradient_flow_relaxation)
{
    /* gradient flow on L = lambda y^2: y' = -2 lambda y, y = exp(-2 lambda t).
     * rtol 1e-11 per step, relative local errors add over ~100-400 steps:
     * 1e-8 relative is that sum with a factor 10 to spare */
    double lambdas[3] = {0.1, 1.0, 10.0}, t_out[4] = {0.1, 0.5, 1.0, 2.0}, y[4];
    for (int k = 0; k < 3; k++) {
        double rate = 2.0 * lambdas[k], y0 = 1.0;
        mech_ode *o = make(1, decay, &rate, MECH_ODE_DOPRI5);
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 1e-11));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-300));
        ck_assert_ok(mech_ode_solve(o, 0.0, &y0, t_out, 4, y));
        for (int i = 0; i < 4; i++) {
            double exact = exp(-rate * t_out[i]);
            ck_assert_msg(fabs(y[i] - exact) <= 1e-8 * exact, "lambda %g t %g rel %g",
                          lambdas[k], t_out[i], fabs(y[i] - exact) / exact);
        }
        mech_ode_destroy(o);
    }
}
END_TEST

/* ---------------- events ---------------- */

START_TEST(events_find_zeros_of_cos)
{
    /* y0 = cos t crosses zero at pi/2 (falling), 3pi/2 (rising), 5pi/2
     * (falling) on [0, 10]. At rtol = atol = 1e-12 the dense output of y0
     * is good to ~1e-11 and |g'| = 1 there, so the times are good to 1e-10 */
    double y[2] = {1.0, 0.0}, t;
    int d;
    for (int method = 0; method <= 1; method++) {
        mech_ode *o = make(2, oscillator, NULL, method);
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 1e-12));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-12));
        ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.001));
        ck_assert_ok(mech_ode_set_event(o, first_component, 0, false, 2, NULL));
        double y1[2];
        ck_assert_ok(mech_ode_integrate(o, 0.0, y, 10.0, y1));
        ck_assert_double_eq(stat(o, MECH_ODE_STAT_EVENTS), 3); /* 2 stored */
        ck_assert_ok(mech_ode_get_event(o, 0, &t, &d));
        ck_assert_double_le(fabs(t - PI / 2), 1e-10);
        ck_assert_int_eq(d, -1);
        ck_assert_ok(mech_ode_get_event(o, 1, &t, NULL));
        ck_assert_double_le(fabs(t - 3 * PI / 2), 1e-10);
        ck_assert_fails_with(mech_ode_get_event(o, 2, &t, &d), MECH_ERANGE);

        /* rising only */
        ck_assert_ok(mech_ode_set_event(o, first_component, 1, false, 4, NULL));
        ck_assert_ok(mech_ode_integrate(o, 0.0, y, 10.0, y1));
        ck_assert_double_eq(stat(o, MECH_ODE_STAT_EVENTS), 1);
        ck_assert_ok(mech_ode_get_event(o, 0, &t, &d));
        ck_assert_double_le(fabs(t - 3 * PI / 2), 1e-10);
        ck_assert_int_eq(d, 1);
        mech_ode_destroy(o);
    }
}
END_TEST

START_TEST(terminal_event_stops_ball)
{
    /* from 10 m at rest, the ball lands at sqrt(20 / 9.81). The solution
     * is quadratic, which DOPRI5 and its continuous extension reproduce
     * exactly, so only rounding and the root bracket remain */
    double y[2] = {10.0, 0.0}, y1[2], t_hit = sqrt(20.0 / 9.81);
    double t_out[3] = {0.5, 1.0, 5.0}, y_out[6] = {0};
    mech_ode *o = make(2, falling, NULL, MECH_ODE_DOPRI5);
    ck_assert_ok(mech_ode_set_event(o, first_component, -1, true, 1, NULL));
    ck_assert_int_eq(mech_ode_integrate(o, 0.0, y, 10.0, y1), MECH_STOPPED);
    ck_assert_double_le(fabs(stat(o, MECH_ODE_STAT_T_EVENT) - t_hit), 1e-12 * t_hit);
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_T_LAST), stat(o, MECH_ODE_STAT_T_EVENT));
    ck_assert_int_eq((int)stat(o, MECH_ODE_STAT_STOP), MECH_ODE_STOP_EVENT);
    ck_assert_double_le(fabs(y1[0]), 1e-10);
    ck_assert_double_le(fabs(y1[1] + 9.81 * t_hit), 1e-10);

    /* solve: rows before the landing are written, the last one is not */
    ck_assert_int_eq(mech_ode_solve(o, 0.0, y, t_out, 3, y_out), MECH_STOPPED);
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_OUTPUTS), 2);
    ck_assert_double_le(fabs(y_out[2] - (10.0 - 0.5 * 9.81)), 1e-12);
    ck_assert_double_eq(y_out[4], 0.0);
    mech_ode_destroy(o);
}
END_TEST

/* ---------------- caps and callback protocol ---------------- */

/* stiff: y' = -1e4 (y - cos t); explicit steps are held to ~3e-4 */
static int stiff(double t, const double *y, double *dy, void *ud)
{
    dy[0] = -1e4 * (y[0] - cos(t));
    return 0;
}

START_TEST(max_steps_stops_cleanly)
{
    double y = 0.0, y1 = -1.0;
    mech_ode *o = make(1, stiff, NULL, MECH_ODE_DOPRI5);
    ck_assert_ok(mech_ode_set_i64(o, MECH_ODE_MAX_STEPS, 300));
    ck_assert_fails_with(mech_ode_integrate(o, 0.0, &y, 100.0, &y1), MECH_ENOCONV);
    ck_assert_str_ne(mech_ode_last_error(o), "");
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_ACCEPTED) + stat(o, MECH_ODE_STAT_REJECTED),
                        300);
    double t_last = stat(o, MECH_ODE_STAT_T_LAST);
    ck_assert_double_gt(t_last, 0.0);
    ck_assert_double_lt(t_last, 1.0);
    /* y1 is the last accepted state, which has relaxed onto cos t */
    ck_assert_double_le(fabs(y1 - cos(t_last)), 1e-3);
    ck_assert_int_eq((int)stat(o, MECH_ODE_STAT_STOP), MECH_ODE_STOP_ERROR);
    /* still usable */
    ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 0.01, &y1));
    mech_ode_destroy(o);
}
END_TEST

typedef struct counter {
    int calls, limit, ret;
} counter;

static int abort_after(double t, const double *y, double *dy, void *ud)
{
    counter *c = ud;
    dy[0] = -y[0];
    return ++c->calls > c->limit ? c->ret : 0;
}

/* y' = -10 y that refuses negative arguments (step too large), like a
 * physical constraint a big step would violate */
static int refuses_negative(double t, const double *y, double *dy, void *ud)
{
    dy[0] = -10.0 * y[0];
    return y[0] < 0 ? 1 : 0;
}

static int nan_for_large_steps(double t, const double *y, double *dy, void *ud)
{
    dy[0] = y[0] < 0 ? NAN : -10.0 * y[0];
    return 0;
}

START_TEST(callback_protocol)
{
    double y = 1.0, y1;
    counter c = {0, 5, -7};
    mech_ode *o = make(1, abort_after, &c, MECH_ODE_DOPRI5);
    ck_assert_fails_with(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_ECALLBACK);
    mech_ode_destroy(o);

    /* > 0 and non-finite: retried smaller and still accurate. H_INIT = 1
     * makes the first stages overshoot below zero. */
    mech_ode_rhs_fn fns[2] = {refuses_negative, nan_for_large_steps};
    for (int k = 0; k < 2; k++)
        for (int method = 0; method <= 1; method++) {
            o = make(1, fns[k], NULL, method);
            ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_INIT, 1.0));
            ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 1.0));
            ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 1e-300)); /* relative */
            if (method == MECH_ODE_RK4) /* equal steps of 0.25 would also overshoot */
                ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 0.25, &y1));
            else
                ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 1.0, &y1));
            ck_assert_double_ge(stat(o, MECH_ODE_STAT_REJECTED), 1);
            if (method == MECH_ODE_DOPRI5) { /* 10 rtol, as on decay above */
                ck_assert_double_le(fabs(y1 - exp(-10.0)), 1e-7 * exp(-10.0));
            } else {
                /* the 0.25 step is refused at its second stage (y - 1.25 y
                 * < 0), so exactly two halved steps of 0.125 follow, each
                 * multiplying y by RK4's stability polynomial R(-1.25) */
                double z = -1.25, r = 1 + z + z * z / 2 + z * z * z / 6 + z * z * z * z / 24;
                ck_assert_double_le(fabs(y1 - r * r), 1e-15);
                ck_assert_double_eq(stat(o, MECH_ODE_STAT_ACCEPTED), 2);
            }
            mech_ode_destroy(o);
        }
}
END_TEST

static int stop_at_step_3(double t, const double *y, void *ud)
{
    counter *c = ud;
    return ++c->calls >= 3 ? c->ret : 0;
}

START_TEST(event_function_protocol)
{
    double lambda = 1.0, y = 1.0, y1;
    int ret = 1;
    mech_ode *o = make(1, decay, &lambda, MECH_ODE_DOPRI5);
    ck_assert_ok(mech_ode_set_event(o, g_misbehaves, 0, true, 1, &ret));
    /* > 0: stop cleanly at the start of the first step */
    ck_assert_int_eq(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_STOPPED);
    ck_assert_int_eq((int)stat(o, MECH_ODE_STAT_STOP), MECH_ODE_STOP_CALLBACK);
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_T_LAST), 0.0);
    ck_assert_double_eq(y1, 1.0);
    ret = -2;
    ck_assert_fails_with(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_ECALLBACK);
    ret = 99;
    ck_assert_fails_with(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_ENONFINITE);
    /* removing it restores a plain run; a good event still works after */
    ck_assert_ok(mech_ode_set_event(o, NULL, 0, false, 0, NULL));
    ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 1.0, &y1));
    ret = 0;
    ck_assert_ok(mech_ode_set_event(o, g_misbehaves, -1, true, 0, &ret));
    ck_assert_int_eq(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_STOPPED);
    ck_assert_double_le(fabs(stat(o, MECH_ODE_STAT_T_EVENT) - log(2.0)), 1e-7);
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_EVENTS), 1);
    mech_ode_destroy(o);
}
END_TEST

START_TEST(observer_stops_and_aborts)
{
    double lambda = 1.0, y = 1.0, y1;
    counter c = {0, 0, 1};
    mech_ode *o = make(1, decay, &lambda, MECH_ODE_RK4);
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.1));
    ck_assert_ok(mech_ode_set_observer(o, stop_at_step_3, &c));
    ck_assert_int_eq(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_STOPPED);
    ck_assert_close(stat(o, MECH_ODE_STAT_T_LAST), 0.3, 1e-15);
    ck_assert_double_le(fabs(y1 - exp(-0.3)), 1e-6);
    ck_assert_int_eq((int)stat(o, MECH_ODE_STAT_STOP), MECH_ODE_STOP_CALLBACK);
    c.calls = 0;
    c.ret = -1;
    ck_assert_fails_with(mech_ode_integrate(o, 0.0, &y, 1.0, &y1), MECH_ECALLBACK);
    ck_assert_ok(mech_ode_set_observer(o, NULL, NULL));
    ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 1.0, &y1));
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_ACCEPTED), 10);
    mech_ode_destroy(o);
}
END_TEST

START_TEST(h_max_caps_steps)
{
    double lambda = 0.01, y = 1.0, y1;
    mech_ode *o = make(1, decay, &lambda, MECH_ODE_DOPRI5);
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_MAX, 0.25));
    ck_assert_ok(mech_ode_integrate(o, 0.0, &y, 10.0, &y1));
    ck_assert_double_ge(stat(o, MECH_ODE_STAT_ACCEPTED), 40);
    ck_assert_double_le(fabs(stat(o, MECH_ODE_STAT_H_LAST)), 0.25);
    mech_ode_destroy(o);
}
END_TEST

/* ---------------- bad input ---------------- */

START_TEST(bad_input)
{
    double lambda = 1.0, y = 1.0, y1, v, nan = NAN, t, t_out[3] = {0.5, 0.2, 1.0}, y_out[3];
    int64_t i;
    mech_ode *o = NULL;
    ck_assert_fails_with(mech_ode_create(NULL, NULL, 1, decay, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_create(&o, NULL, 0, decay, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_create(&o, NULL, 1, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_create(&o, NULL, SIZE_MAX / 2, decay, NULL),
                         MECH_EOVERFLOW);
    ck_assert_ptr_null(o);
    o = make(1, decay, &lambda, MECH_ODE_DOPRI5);

    ck_assert_fails_with(mech_ode_integrate(NULL, 0, &y, 1, &y1), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_integrate(o, 0, NULL, 1, &y1), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_integrate(o, 0, &y, 1, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_integrate(o, 0, &nan, 1, &y1), MECH_ENONFINITE);
    ck_assert_fails_with(mech_ode_integrate(o, NAN, &y, 1, &y1), MECH_ENONFINITE);
    ck_assert_fails_with(mech_ode_integrate(o, 0, &y, INFINITY, &y1), MECH_ENONFINITE);

    ck_assert_fails_with(mech_ode_solve(NULL, 0, &y, t_out, 3, y_out), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_solve(o, 0, NULL, t_out, 3, y_out), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_solve(o, 0, &y, NULL, 3, y_out), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_solve(o, 0, &y, t_out, 3, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_solve(o, 0, &y, t_out, 0, y_out), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_solve(o, 0, &y, t_out, 3, y_out), MECH_EINVAL);
    double behind[2] = {0.5, 1.0}; /* 0.5 lies behind t0 = 0.7 */
    ck_assert_fails_with(mech_ode_solve(o, 0.7, &y, behind, 2, y_out), MECH_EINVAL);
    t_out[1] = NAN;
    ck_assert_fails_with(mech_ode_solve(o, 0, &y, t_out, 3, y_out), MECH_ENONFINITE);

    ck_assert_fails_with(mech_ode_set_i64(NULL, MECH_ODE_METHOD, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_set_i64(o, MECH_ODE_METHOD, 2), MECH_ERANGE);
    ck_assert_fails_with(mech_ode_set_i64(o, MECH_ODE_MAX_STEPS, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_ode_set_f64(o, MECH_ODE_RTOL, -1e-3), MECH_ERANGE);
    ck_assert_fails_with(mech_ode_set_f64(o, MECH_ODE_ATOL, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_ode_set_f64(o, MECH_ODE_H_MAX, 0.0), MECH_ERANGE);
    ck_assert_fails_with(mech_ode_set_f64(o, MECH_ODE_METHOD, 1.0), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_set_i64(o, (mech_ode_opt)99, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_i64(o, MECH_ODE_METHOD, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_i64(NULL, MECH_ODE_METHOD, &i), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_f64(o, MECH_ODE_MAX_STEPS, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_f64(NULL, MECH_ODE_RTOL, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_set_observer(NULL, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_set_event(NULL, first_component, 0, false, 1, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_ode_set_event(o, first_component, 2, false, 1, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_stat(o, (mech_ode_stat)42, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_stat(o, MECH_ODE_STAT_ACCEPTED, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_stat(NULL, MECH_ODE_STAT_ACCEPTED, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_event(NULL, 0, &t, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_event(o, 0, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ode_get_event(o, 0, &t, NULL), MECH_ERANGE);

    /* option combinations refused at integration time */
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_RTOL, 0.0));
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_ATOL, 0.0));
    ck_assert_fails_with(mech_ode_integrate(o, 0, &y, 1, &y1), MECH_EINVAL);
    ck_assert_ok(mech_ode_set_i64(o, MECH_ODE_METHOD, MECH_ODE_RK4));
    ck_assert_fails_with(mech_ode_integrate(o, 0, &y, 1, &y1), MECH_EINVAL);

    /* the handle is still usable with its settings intact */
    ck_assert_ok(mech_ode_get_i64(o, MECH_ODE_METHOD, &i));
    ck_assert_int_eq(i, MECH_ODE_RK4);
    ck_assert_ok(mech_ode_set_f64(o, MECH_ODE_H_FIXED, 0.01));
    ck_assert_ok(mech_ode_integrate(o, 0, &y, 1, &y1));
    ck_assert_double_le(fabs(y1 - exp(-1.0)), 1e-9);
    ck_assert_str_ne(mech_ode_last_error(o), "");
    ck_assert_str_eq(mech_ode_last_error(NULL), "");
    mech_ode_destroy(o);
    mech_ode_destroy(NULL);
}
END_TEST

START_TEST(options_introspection_and_defaults)
{
    int n = 0, key = -1;
    double lo, hi, v;
    int64_t i;
    ck_assert_ok(mech_option_count(MECH_KIND_ODE, &n));
    ck_assert_int_eq(n, 7);
    ck_assert_ok(mech_option_lookup(MECH_KIND_ODE, "h_max", &key));
    ck_assert_int_eq(key, MECH_ODE_H_MAX);
    ck_assert_ok(mech_option_bounds(MECH_KIND_ODE, MECH_ODE_RTOL, &lo, &hi));
    ck_assert_double_eq(hi, 1.0);

    double lambda = 1.0;
    mech_ode *o = NULL;
    ck_assert_ok(mech_ode_create(&o, NULL, 1, decay, &lambda));
    ck_assert_ok(mech_ode_get_i64(o, MECH_ODE_METHOD, &i));
    ck_assert_int_eq(i, MECH_ODE_DOPRI5);
    ck_assert_ok(mech_ode_get_f64(o, MECH_ODE_RTOL, &v));
    ck_assert_double_eq(v, 1e-8);
    ck_assert_ok(mech_ode_get_f64(o, MECH_ODE_ATOL, &v));
    ck_assert_double_eq(v, 1e-10);
    ck_assert_ok(mech_ode_get_f64(o, MECH_ODE_H_MAX, &v));
    ck_assert(isinf(v));
    ck_assert_ok(mech_ode_get_i64(o, MECH_ODE_MAX_STEPS, &i));
    ck_assert_int_eq(i, 1000000);
    /* t1 == t0 copies y0, takes no step */
    double y = 3.0, y1 = 0.0;
    ck_assert_ok(mech_ode_integrate(o, 1.0, &y, 1.0, &y1));
    ck_assert_double_eq(y1, 3.0);
    ck_assert_double_eq(stat(o, MECH_ODE_STAT_ACCEPTED), 0);
    mech_ode_destroy(o);
}
END_TEST

static Suite *ode_suite(void)
{
    Suite *s = suite_create("ode");
    TCase *tc = tcase_create("ode");
    tcase_add_test(tc, rk4_is_fourth_order);
    tcase_add_test(tc, dopri5_meets_rtol_on_decay);
    tcase_add_test(tc, oscillator_ten_periods);
    tcase_add_test(tc, linear_system_matches_expm);
    tcase_add_test(tc, dense_output_matches_solution);
    tcase_add_test(tc, backward_solve);
    tcase_add_test(tc, gradient_flow_relaxation);
    tcase_add_test(tc, events_find_zeros_of_cos);
    tcase_add_test(tc, terminal_event_stops_ball);
    tcase_add_test(tc, max_steps_stops_cleanly);
    tcase_add_test(tc, callback_protocol);
    tcase_add_test(tc, event_function_protocol);
    tcase_add_test(tc, observer_stops_and_aborts);
    tcase_add_test(tc, h_max_caps_steps);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, options_introspection_and_defaults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(ode_suite()); }
