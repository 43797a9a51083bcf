/* Events: sign changes of a scalar g(t, y) located on the dense output of
 * an accepted step, recorded in a buffer sized at setup. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ode/ode_internal.h"

MECH_API mech_status mech_ode_set_event(mech_ode *ode, mech_ode_event_fn g, int direction,
                                        bool terminal, size_t capacity, void *user_data)
{
    MECH_CHECK_PTR(NULL, ode);
    if (direction < -1 || direction > 1)
        return mech__fail(&ode->err, MECH_EINVAL,
                          "%s: direction must be -1, 0 or +1 (got %d)", __func__, direction);
    double *times = NULL;
    int *dirs = NULL;
    if (g && capacity > 0) {
        times = mech__calloc(capacity, sizeof *times, &ode->err);
        dirs = times ? mech__calloc(capacity, sizeof *dirs, &ode->err) : NULL;
        if (!dirs) {
            free(times);
            return ode->err.status;
        }
    }
    free(ode->ev_times);
    free(ode->ev_dirs);
    ode->ev_times = times;
    ode->ev_dirs = dirs;
    ode->ev_cap = g ? capacity : 0;
    ode->ev = g;
    ode->ev_ud = user_data;
    ode->ev_dir = direction;
    ode->ev_terminal = terminal;
    ode->nevents = 0;
    return MECH_OK;
}

MECH_API mech_status mech_ode_get_event(const mech_ode *ode, size_t i, double *t,
                                        int *direction)
{
    MECH_CHECK_PTR(NULL, ode);
    mech_err *e = (mech_err *)&ode->err;
    MECH_CHECK_PTR(e, t);
    size_t stored = (size_t)ode->nevents < ode->ev_cap ? (size_t)ode->nevents : ode->ev_cap;
    if (i >= stored)
        return mech__fail(e, MECH_ERANGE, "%s: event %zu of %zu stored", __func__, i, stored);
    *t = ode->ev_times[i];
    if (direction) *direction = ode->ev_dirs[i];
    return MECH_OK;
}

/* g at (t, y): 0 ok, 2 stop requested, < 0 status (reported). */
static int eval_g(mech_ode *o, double t, const double *y, double *g)
{
    int rc = o->ev(t, y, g, o->ev_ud);
    if (rc < 0)
        return mech__fail(&o->err, MECH_ECALLBACK,
                          "ode: event function returned %d at t = %.17g", rc, t);
    if (rc > 0) return 2;
    if (!isfinite(*g))
        return mech__fail(&o->err, MECH_ENONFINITE,
                          "ode: event function gave a non-finite value at t = %.17g", t);
    return 0;
}

int mech__ode_events_start(mech_ode *o, double t0, const double *y0)
{
    o->nevents = 0;
    return o->ev ? eval_g(o, t0, y0, &o->g_prev) : 0;
}

/* Illinois (modified regula falsi) on g over the dense output: a is on the
 * side before the crossing, b after. When the same end is replaced twice in
 * a row the other end's g is halved (Illinois); a bisection step is forced
 * whenever three iterations have not halved the bracket. Returns the
 * final b, so g there already has its new sign (or is 0). */
static int locate(mech_ode *o, double t, double h, double a, double ga, double b,
                  double gb, double *root)
{
    double checkpoint = fabs(b - a);
    int since_halved = 0, side = 0;
    for (int it = 0; it < 200; it++) {
        double w = fabs(b - a);
        if (w <= 4.0 * DBL_EPSILON * fmax(fabs(a), fabs(b))) break;
        double c = b - gb * (b - a) / (gb - ga);
        if (!((c - a) * (c - b) < 0) || since_halved >= 3) {
            c = 0.5 * (a + b);
            since_halved = 0;
            checkpoint = w;
        }
        double gc;
        mech__ode_dense(o, t, h, c, o->ytmp);
        int rc = eval_g(o, c, o->ytmp, &gc);
        if (rc != 0) return rc;
        if (gc == 0.0) {
            b = c;
            break;
        }
        if ((gc > 0) == (gb > 0)) {
            b = c;
            gb = gc;
            if (side > 0) ga *= 0.5;
            side = 1;
        } else {
            a = c;
            ga = gc;
            if (side < 0) gb *= 0.5;
            side = -1;
        }
        if (fabs(b - a) <= 0.5 * checkpoint) {
            checkpoint = fabs(b - a);
            since_halved = 0;
        } else {
            since_halved++;
        }
    }
    *root = b;
    return 0;
}

int mech__ode_events(mech_ode *o, double t, double t_new, double *t_stop)
{
    if (!o->ev) return 0;
    double g0 = o->g_prev, g1;
    int rc = eval_g(o, t_new, o->y_new, &g1);
    if (rc != 0) return rc;
    o->g_prev = g1;
    int dir = (g0 < 0 && g1 >= 0) ? 1 : (g0 > 0 && g1 <= 0) ? -1 : 0;
    if (dir == 0 || (o->ev_dir != 0 && dir != o->ev_dir)) return 0;

    double te = t_new;
    if (g1 != 0.0) {
        rc = locate(o, t, t_new - t, t, g0, t_new, g1, &te);
        if (rc != 0) return rc;
    }
    if ((size_t)o->nevents < o->ev_cap) {
        o->ev_times[o->nevents] = te;
        o->ev_dirs[o->nevents] = dir;
    }
    o->nevents++;
    if (!o->ev_terminal) return 0;
    if (te != t_new) mech__ode_dense(o, t, t_new - t, te, o->y_new);
    *t_stop = te;
    return 1;
}
