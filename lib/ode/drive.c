/* The integration loop shared by both methods and both entry points:
 * step-size selection, acceptance, events, outputs and the observer. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ode/ode_internal.h"

/* Where outputs go: solve's requested times, or nothing (integrate). */
typedef struct outputs {
    const double *t;
    size_t n;
    double *y;
} outputs;

static void swap(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

static mech_status check_options(mech_ode *o)
{
    if (o->opt[MECH_ODE_METHOD].i == MECH_ODE_RK4 && !(o->opt[MECH_ODE_H_FIXED].f > 0))
        return mech__fail(&o->err, MECH_EINVAL,
                          "ode: RK4 needs a step: set MECH_ODE_H_FIXED > 0");
    if (o->opt[MECH_ODE_METHOD].i == MECH_ODE_DOPRI5 && o->opt[MECH_ODE_RTOL].f == 0 &&
        o->opt[MECH_ODE_ATOL].f == 0)
        return mech__fail(&o->err, MECH_EINVAL, "ode: RTOL and ATOL are both 0");
    return MECH_OK;
}

/* Rows of outputs with times not beyond s (in direction dir) are filled
 * from the dense output of the step [t, t + h] (exactly y_new at its end). */
static void write_outputs(mech_ode *o, const outputs *out, double dir, double t, double h,
                          double s)
{
    while ((size_t)o->outputs < out->n && dir * (out->t[o->outputs] - s) <= 0) {
        double *row = out->y + (size_t)o->outputs * o->dim;
        double tq = out->t[o->outputs];
        if (tq == s)
            memcpy(row, o->y_new, o->dim * sizeof *row);
        else
            mech__ode_dense(o, t, h, tq, row);
        o->outputs++;
    }
}

/* Signed size of the next attempt towards target; *last says it ends
 * exactly on target. RK4 spreads the rest of the way over equal steps. */
static double next_step(const mech_ode *o, double t, double target, double h_ctrl,
                        int halvings, bool *last)
{
    double rest = target - t, hmax = o->opt[MECH_ODE_H_MAX].f;
    double h;
    if (o->opt[MECH_ODE_METHOD].i == MECH_ODE_RK4) {
        double hn = fmin(o->opt[MECH_ODE_H_FIXED].f, hmax);
        double steps = ceil(fabs(rest) / hn * (1.0 - 1e-12));
        if (steps < 1) steps = 1;
        h = rest / steps;
        *last = steps == 1 && halvings == 0;
        return *last ? rest : ldexp(h, -halvings);
    }
    h = copysign(fmin(fabs(h_ctrl), hmax), rest);
    *last = fabs(h) >= fabs(rest);
    return *last ? rest : h;
}

static mech_status run(mech_ode *o, double t0, const double *y0, double t_end,
                       const outputs *out, double *y1)
{
    MECH_TRY(check_options(o));
    size_t n = o->dim;
    bool dopri = o->opt[MECH_ODE_METHOD].i == MECH_ODE_DOPRI5;
    int64_t max_steps = o->opt[MECH_ODE_MAX_STEPS].i;
    double dir = t_end >= t0 ? 1.0 : -1.0;
    double h_floor = 16.0 * DBL_EPSILON * fmax(fabs(t0), fabs(t_end));

    o->accepted = o->rejected = o->nrhs = o->nevents = o->outputs = 0;
    o->stop = MECH_ODE_STOP_ERROR;
    o->t_last = t0;
    o->h_last = o->err_last = o->t_event = NAN;
    memcpy(o->y, y0, n * sizeof *o->y);
    memcpy(o->y_new, y0, n * sizeof *o->y);
    write_outputs(o, out, dir, t0, 1.0, t0); /* rows at t0 */

    mech_status st = MECH_OK;
    double t = t0, h_ctrl = 0;
    int halvings = 0;
    bool was_rejected = false;
    int rc = mech__ode_events_start(o, t0, y0);
    if (rc != 0) {
        st = rc == 2 ? MECH_STOPPED : (mech_status)rc;
        o->stop = MECH_ODE_STOP_CALLBACK;
        goto done;
    }
    if (t_end == t0) {
        o->stop = MECH_ODE_STOP_END;
        goto done;
    }
    rc = mech__ode_rhs(o, t0, o->y, o->f);
    if (rc != 0) {
        st = rc < 0 ? (mech_status)rc
                    : mech__fail(&o->err, MECH_ECALLBACK,
                                 "ode: right-hand side refused or gave a non-finite "
                                 "value at the initial state (t = %.17g)", t0);
        goto done;
    }
    if (dopri) {
        h_ctrl = o->opt[MECH_ODE_H_INIT].f;
        if (h_ctrl == 0 && (st = mech__dopri5_h0(o, t0, t_end, &h_ctrl)) < 0) goto done;
    }

    while (t != t_end) {
        if (o->accepted + o->rejected >= max_steps) {
            st = mech__fail(&o->err, MECH_ENOCONV,
                            "ode: MAX_STEPS = %lld attempts used, stopped at t = %.17g "
                            "short of %.17g",
                            (long long)max_steps, t, t_end);
            goto done;
        }
        /* RK4 solve hits every requested time; DOPRI5 interpolates */
        double target = (!dopri && (size_t)o->outputs < out->n) ? out->t[o->outputs] : t_end;
        bool last;
        double h = next_step(o, t, target, h_ctrl, halvings, &last);
        double t_new = last ? target : t + h;
        h = t_new - t;
        if (fabs(h) < h_floor || h == 0) {
            st = mech__fail(&o->err, MECH_ENOCONV,
                            "ode: step size underflow (|h| = %.3g) at t = %.17g", fabs(h), t);
            goto done;
        }
        double err = NAN;
        rc = dopri ? mech__dopri5_step(o, t, h, t_new, &err) : mech__rk4_step(o, t, h, t_new);
        if (rc < 0) {
            st = (mech_status)rc;
            goto done;
        }
        if (rc > 0 || (dopri && err > 1.0)) {
            /* refused, non-finite, or too inaccurate: retry smaller */
            o->rejected++;
            was_rejected = true;
            if (dopri)
                h_ctrl = rc > 0 ? 0.5 * h : h * fmax(0.2, 0.9 * pow(err, -0.2));
            else
                halvings++;
            continue;
        }
        o->accepted++;
        halvings = 0;
        if (dopri) {
            double fac = err == 0 ? 10.0 : fmin(10.0, fmax(0.2, 0.9 * pow(err, -0.2)));
            h_ctrl = h * (was_rejected ? fmin(fac, 1.0) : fac);
        }
        was_rejected = false;

        double t_stop = t_new;
        rc = mech__ode_events(o, t, t_new, &t_stop);
        if (rc < 0) {
            st = (mech_status)rc;
            goto done;
        }
        if (rc == 2) { /* event function asked to stop: keep the state at t */
            st = MECH_STOPPED;
            o->stop = MECH_ODE_STOP_CALLBACK;
            goto done;
        }
        write_outputs(o, out, dir, t, h, t_stop);
        swap(&o->y, &o->y_new);
        swap(&o->f, &o->f_new);
        t = t_stop;
        o->t_last = t;
        o->h_last = h;
        o->err_last = err;
        if (rc == 1) {
            o->t_event = t;
            st = MECH_STOPPED;
            o->stop = MECH_ODE_STOP_EVENT;
        }
        if (o->obs) {
            int orc = o->obs(t, o->y, o->obs_ud);
            if (orc < 0) {
                st = mech__fail(&o->err, MECH_ECALLBACK,
                                "ode: observer returned %d at t = %.17g", orc, t);
                o->stop = MECH_ODE_STOP_ERROR;
                goto done;
            }
            if (orc > 0 && st == MECH_OK) {
                st = MECH_STOPPED;
                o->stop = MECH_ODE_STOP_CALLBACK;
            }
        }
        if (st == MECH_STOPPED) goto done;
    }
    o->stop = MECH_ODE_STOP_END;

done:
    if (st < 0) o->stop = MECH_ODE_STOP_ERROR;
    if (y1) memcpy(y1, o->y, n * sizeof *y1);
    return st;
}

static mech_status check_start(mech_ode *o, double t0, const double *y0)
{
    if (!isfinite(t0))
        return mech__fail(&o->err, MECH_ENONFINITE, "ode: t0 = %g is not finite", t0);
    return mech__check_finite(y0, o->dim, "y0", &o->err);
}

MECH_API mech_status mech_ode_integrate(mech_ode *ode, double t0, const double *y0,
                                        double t1, double *y1)
{
    MECH_CHECK_PTR(NULL, ode);
    MECH_CHECK_PTR(&ode->err, y0);
    MECH_CHECK_PTR(&ode->err, y1);
    MECH_TRY(check_start(ode, t0, y0));
    if (!isfinite(t1))
        return mech__fail(&ode->err, MECH_ENONFINITE, "ode: t1 = %g is not finite", t1);
    const outputs none = {NULL, 0, NULL};
    return run(ode, t0, y0, t1, &none, y1);
}

MECH_API mech_status mech_ode_solve(mech_ode *ode, double t0, const double *y0,
                                    const double *t_out, size_t n_out, double *y_out)
{
    MECH_CHECK_PTR(NULL, ode);
    MECH_CHECK_PTR(&ode->err, y0);
    MECH_CHECK_PTR(&ode->err, t_out);
    MECH_CHECK_PTR(&ode->err, y_out);
    MECH_CHECK_NONZERO(&ode->err, n_out);
    MECH_TRY(check_start(ode, t0, y0));
    MECH_TRY(mech__check_finite(t_out, n_out, "t_out", &ode->err));
    double dir = t_out[n_out - 1] >= t0 ? 1.0 : -1.0;
    double prev = t0;
    for (size_t i = 0; i < n_out; i++) {
        if (dir * (t_out[i] - prev) < 0)
            return mech__fail(&ode->err, MECH_EINVAL,
                              "%s: t_out[%zu] = %.17g is not monotone away from t0 = %.17g",
                              __func__, i, t_out[i], t0);
        prev = t_out[i];
    }
    const outputs req = {t_out, n_out, y_out};
    return run(ode, t0, y0, t_out[n_out - 1], &req, NULL);
}
