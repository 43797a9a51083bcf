/* Decoupled mode dynamics of deep linear networks (THEORY.md section 1):
 * du/dt = L u^{2-2/L} (s - u), closed form at L = 2, DOPRI5 on ln u
 * otherwise (ln u keeps relative accuracy from tiny initializations up). */
#include <math.h>
#include <stdlib.h>

#include "mechanics/deep_linear.h"
#include "mechanics/ode.h"
#include "internal.h"

#define SAXE_RTOL 1e-11
#define SAXE_RTOL_CHECK 1e-13

typedef struct mode_system {
    const double *s;
    double depth;
    size_t n;
} mode_system;

/* y = ln u: dy/dt = L u^{1-2/L} (s - u). */
static int mode_rhs(double t, const double *y, double *dydt, void *ud)
{
    (void)t;
    const mode_system *m = ud;
    for (size_t a = 0; a < m->n; a++)
        dydt[a] = m->depth * exp((1.0 - 2.0 / m->depth) * y[a]) * (m->s[a] - exp(y[a]));
    return 0;
}

static mech_status check_modes(const double *s, const double *u0, size_t n_modes,
                               size_t depth)
{
    MECH_CHECK_PTR(NULL, s);
    MECH_CHECK_PTR(NULL, u0);
    MECH_CHECK_NONZERO(NULL, n_modes);
    if (depth < 2)
        return mech__fail(NULL, MECH_EINVAL, "depth must be >= 2 (got %zu)", depth);
    MECH_TRY(mech__check_finite(s, n_modes, "s", NULL));
    MECH_TRY(mech__check_finite(u0, n_modes, "u0", NULL));
    for (size_t a = 0; a < n_modes; a++)
        if (!(s[a] > 0.0) || !(u0[a] > 0.0))
            return mech__fail(NULL, MECH_ERANGE,
                              "mode %zu: need s > 0 and u0 > 0 (got s = %g, u0 = %g)", a,
                              s[a], u0[a]);
    return MECH_OK;
}

static mech_status check_times(const double *t, size_t n_t)
{
    MECH_CHECK_PTR(NULL, t);
    MECH_CHECK_NONZERO(NULL, n_t);
    MECH_TRY(mech__check_finite(t, n_t, "t", NULL));
    if (t[0] < 0.0)
        return mech__fail(NULL, MECH_ERANGE, "times must be >= 0 (t[0] = %g)", t[0]);
    for (size_t i = 1; i < n_t; i++)
        if (t[i] < t[i - 1])
            return mech__fail(NULL, MECH_EINVAL, "times must be non-decreasing (t[%zu] < t[%zu])",
                              i, i - 1);
    return MECH_OK;
}

/* Integrates ln u from t = 0 to every t[] at one relative tolerance. */
static mech_status integrate_modes(mech_ode *ode, const double *y0, const double *t,
                                   size_t n_t, double rtol, double *y_out)
{
    MECH_TRY(mech_ode_set_f64(ode, MECH_ODE_RTOL, rtol));
    MECH_TRY(mech_ode_set_f64(ode, MECH_ODE_ATOL, rtol));
    mech_status st = mech_ode_solve(ode, 0.0, y0, t, n_t, y_out);
    if (st < 0)
        return mech__fail(NULL, MECH_ENOCONV, "mode integration failed: %s",
                          mech_ode_last_error(ode));
    return MECH_OK;
}

static mech_status ode_modes(const double *s, const double *u0, size_t n_modes, size_t depth,
                             const double *t, size_t n_t, double *u, mech_flow_report *rep)
{
    size_t total;
    MECH_TRY(mech__mul(n_t, n_modes, &total, NULL));
    double *work = mech__calloc(total + n_modes, sizeof(double), NULL);
    if (!work) return MECH_ENOMEM;
    double *y0 = work + total;
    for (size_t a = 0; a < n_modes; a++) y0[a] = log(u0[a]);
    mode_system ud = {s, (double)depth, n_modes};
    mech_ode *ode = NULL;
    mech_status st = mech_ode_create(&ode, NULL, n_modes, mode_rhs, &ud);
    double steps = 0.0, evals = 0.0, err = 0.0;
    if (st == MECH_OK) st = integrate_modes(ode, y0, t, n_t, SAXE_RTOL_CHECK, work);
    if (st == MECH_OK) st = integrate_modes(ode, y0, t, n_t, SAXE_RTOL, u);
    if (st == MECH_OK) {
        mech_ode_get_stat(ode, MECH_ODE_STAT_ACCEPTED, &steps);
        mech_ode_get_stat(ode, MECH_ODE_STAT_RHS_EVALS, &evals);
        for (size_t i = 0; i < n_t; i++)
            for (size_t a = 0; a < n_modes; a++) {
                double *ui = &u[i * n_modes + a];
                *ui = exp(*ui);
                err = fmax(err, fabs(*ui - exp(work[i * n_modes + a])) / s[a]);
            }
    }
    mech_ode_destroy(ode);
    free(work);
    if (st == MECH_OK && rep && rep->size >= sizeof(mech_flow_report)) {
        rep->steps = (size_t)steps;
        rep->rhs_evals = (size_t)evals;
        rep->error_estimate = err;
    }
    return st;
}

MECH_API mech_status mech_saxe_modes(const double *s, const double *u0, size_t n_modes,
                                     size_t depth, const double *t, size_t n_t, double *u,
                                     mech_flow_report *report)
{
    MECH_TRY(check_modes(s, u0, n_modes, depth));
    MECH_TRY(check_times(t, n_t));
    MECH_CHECK_PTR(NULL, u);
    if (depth > 2) return ode_modes(s, u0, n_modes, depth, t, n_t, u, report);
    for (size_t i = 0; i < n_t; i++)
        for (size_t a = 0; a < n_modes; a++)
            u[i * n_modes + a] =
                s[a] / (1.0 + (s[a] / u0[a] - 1.0) * exp(-2.0 * s[a] * t[i]));
    if (report && report->size >= sizeof(mech_flow_report)) {
        report->steps = 0;
        report->rhs_evals = 0;
        report->error_estimate = 0.0;
    }
    return MECH_OK;
}

MECH_API mech_status mech_saxe_loss(const double *s, const double *u, size_t n_modes,
                                    size_t n_t, double y_sq, double *loss)
{
    MECH_CHECK_PTR(NULL, s);
    MECH_CHECK_PTR(NULL, u);
    MECH_CHECK_PTR(NULL, loss);
    MECH_CHECK_NONZERO(NULL, n_modes);
    MECH_CHECK_NONZERO(NULL, n_t);
    size_t total;
    MECH_TRY(mech__mul(n_t, n_modes, &total, NULL));
    MECH_TRY(mech__check_finite(s, n_modes, "s", NULL));
    MECH_TRY(mech__check_finite(u, total, "u", NULL));
    if (!isfinite(y_sq)) return mech__fail(NULL, MECH_ENONFINITE, "y_sq is not finite");
    double s2 = 0.0;
    for (size_t a = 0; a < n_modes; a++) {
        if (s[a] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "s[%zu] = %g is negative", a, s[a]);
        s2 += s[a] * s[a];
    }
    if (y_sq < s2 * (1.0 - 1e-12))
        return mech__fail(NULL, MECH_ERANGE,
                          "y_sq = %g is below sum s^2 = %g (negative unexplained variance)",
                          y_sq, s2);
    for (size_t i = 0; i < n_t; i++) {
        double l = 0.5 * (y_sq - s2);
        for (size_t a = 0; a < n_modes; a++) {
            double e = s[a] - u[i * n_modes + a];
            l += 0.5 * e * e;
        }
        loss[i] = l;
    }
    return MECH_OK;
}

/* dt/d(ln u) for one mode; the ODE "time" is ln u and its state is t. */
typedef struct time_ud {
    double s, depth;
} time_ud;

static int time_rhs(double v, const double *y, double *dydv, void *ud)
{
    (void)y;
    const time_ud *m = ud;
    double u = exp(v);
    dydv[0] = 1.0 / (m->depth * exp((1.0 - 2.0 / m->depth) * v) * (m->s - u));
    return 0;
}

static mech_status one_learning_time(double s, double u0, double uf, size_t depth,
                                     double *t)
{
    if (uf == u0) {
        *t = 0.0;
        return MECH_OK;
    }
    if (depth == 2) {
        *t = log(uf * (s - u0) / (u0 * (s - uf))) / (2.0 * s);
        return MECH_OK;
    }
    time_ud ud = {s, (double)depth};
    mech_ode *ode = NULL;
    MECH_TRY(mech_ode_create(&ode, NULL, 1, time_rhs, &ud));
    double y0 = 0.0;
    mech_status st = mech_ode_set_f64(ode, MECH_ODE_RTOL, 1e-12);
    if (st == MECH_OK) st = mech_ode_set_f64(ode, MECH_ODE_ATOL, 1e-13 / s);
    if (st == MECH_OK) st = mech_ode_integrate(ode, log(u0), &y0, log(uf), t);
    if (st < 0)
        st = mech__fail(NULL, MECH_ENOCONV, "learning-time integral failed: %s",
                        mech_ode_last_error(ode));
    mech_ode_destroy(ode);
    return st;
}

MECH_API mech_status mech_saxe_learning_time(const double *s, const double *u0,
                                             const double *uf, size_t n_modes,
                                             size_t depth, double *t_out)
{
    MECH_TRY(check_modes(s, u0, n_modes, depth));
    MECH_CHECK_PTR(NULL, uf);
    MECH_CHECK_PTR(NULL, t_out);
    MECH_TRY(mech__check_finite(uf, n_modes, "uf", NULL));
    for (size_t a = 0; a < n_modes; a++) {
        bool reachable = uf[a] == u0[a] || (u0[a] < uf[a] && uf[a] < s[a]) ||
                         (s[a] < uf[a] && uf[a] < u0[a]);
        if (!reachable)
            return mech__fail(NULL, MECH_ERANGE,
                              "mode %zu: uf = %g is not strictly between u0 = %g and s = %g",
                              a, uf[a], u0[a], s[a]);
    }
    for (size_t a = 0; a < n_modes; a++)
        MECH_TRY(one_learning_time(s[a], u0[a], uf[a], depth, &t_out[a]));
    return MECH_OK;
}

MECH_API mech_status mech_saxe_schedule(const double *s, const double *u0, size_t n_modes,
                                        size_t depth, double *t_half)
{
    MECH_TRY(check_modes(s, u0, n_modes, depth));
    MECH_CHECK_PTR(NULL, t_half);
    for (size_t a = 0; a < n_modes; a++) {
        if (!(u0[a] < 0.5 * s[a]))
            return mech__fail(NULL, MECH_ERANGE, "mode %zu: u0 = %g is not below s/2 = %g",
                              a, u0[a], 0.5 * s[a]);
        double half = 0.5 * s[a];
        MECH_TRY(one_learning_time(s[a], u0[a], half, depth, &t_half[a]));
    }
    return MECH_OK;
}
