/* Classical fourth-order Runge-Kutta step with its cubic Hermite dense
 * output (built from y and f at both ends of the step). */
#include "ode/ode_internal.h"

int mech__rk4_step(mech_ode *o, double t, double h, double t_new)
{
    size_t n = o->dim;
    const double *y = o->y, *k1 = o->f;
    double *k2 = o->k[0], *k3 = o->k[1], *k4 = o->k[2], *yt = o->ytmp;
    int rc;

    for (size_t i = 0; i < n; i++) yt[i] = y[i] + 0.5 * h * k1[i];
    if ((rc = mech__ode_rhs(o, t + 0.5 * h, yt, k2)) != 0) return rc;
    for (size_t i = 0; i < n; i++) yt[i] = y[i] + 0.5 * h * k2[i];
    if ((rc = mech__ode_rhs(o, t + 0.5 * h, yt, k3)) != 0) return rc;
    for (size_t i = 0; i < n; i++) yt[i] = y[i] + h * k3[i];
    if ((rc = mech__ode_rhs(o, t_new, yt, k4)) != 0) return rc;
    for (size_t i = 0; i < n; i++)
        o->y_new[i] = y[i] + h / 6.0 * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
    /* f at the new point: next step's k1 and the Hermite end slope */
    if ((rc = mech__ode_rhs(o, t_new, o->y_new, o->f_new)) != 0) return rc;

    for (size_t i = 0; i < n; i++) {
        double dy = o->y_new[i] - y[i];
        o->rc[0][i] = dy;
        o->rc[1][i] = h * k1[i] - dy;
        o->rc[2][i] = dy - h * o->f_new[i] - o->rc[1][i];
    }
    o->rc_quartic = false;
    return 0;
}
