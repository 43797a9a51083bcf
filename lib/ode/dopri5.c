/* Dormand-Prince 5(4): the standard Butcher tableau (Dormand & Prince 1980)
 * with local extrapolation, FSAL, and the 4th-order continuous extension of
 * Hairer, Norsett & Wanner (Solving ODEs I, II.6) for dense output. */
#include <math.h>

#include "ode/ode_internal.h"

static const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
static const double A21 = 1.0 / 5;
static const double A31 = 3.0 / 40, A32 = 9.0 / 40;
static const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
static const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187,
                    A53 = 64448.0 / 6561, A54 = -212.0 / 729;
static const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247,
                    A64 = 49.0 / 176, A65 = -5103.0 / 18656;
/* 5th-order weights (also the 7th stage's row: FSAL) */
static const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192,
                    B5 = -2187.0 / 6784, B6 = 11.0 / 84;
/* 5th- minus 4th-order weights: the local error estimate */
static const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920,
                    E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;
/* continuous extension */
static const double D1 = -12715105075.0 / 11282082432, D3 = 87487479700.0 / 32700410799,
                    D4 = -10690763975.0 / 1880347072, D5 = 701980252875.0 / 199316789632,
                    D6 = -1453857185.0 / 822651844, D7 = 69997945.0 / 29380423;

int mech__dopri5_step(mech_ode *o, double t, double h, double t_new, double *err)
{
    size_t n = o->dim;
    const double *y = o->y, *k1 = o->f;
    double *k2 = o->k[0], *k3 = o->k[1], *k4 = o->k[2], *k5 = o->k[3], *k6 = o->k[4];
    double *k7 = o->f_new, *yt = o->ytmp, *yn = o->y_new;
    int rc;

    for (size_t i = 0; i < n; i++) yt[i] = y[i] + h * A21 * k1[i];
    if ((rc = mech__ode_rhs(o, t + C2 * h, yt, k2)) != 0) return rc;
    for (size_t i = 0; i < n; i++) yt[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
    if ((rc = mech__ode_rhs(o, t + C3 * h, yt, k3)) != 0) return rc;
    for (size_t i = 0; i < n; i++)
        yt[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
    if ((rc = mech__ode_rhs(o, t + C4 * h, yt, k4)) != 0) return rc;
    for (size_t i = 0; i < n; i++)
        yt[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
    if ((rc = mech__ode_rhs(o, t + C5 * h, yt, k5)) != 0) return rc;
    for (size_t i = 0; i < n; i++)
        yt[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] +
                            A65 * k5[i]);
    if ((rc = mech__ode_rhs(o, t_new, yt, k6)) != 0) return rc;
    for (size_t i = 0; i < n; i++)
        yn[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] +
                            B6 * k6[i]);
    if ((rc = mech__ode_rhs(o, t_new, yn, k7)) != 0) return rc;

    /* yt is free again: it holds the error vector */
    for (size_t i = 0; i < n; i++)
        yt[i] = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] +
                     E7 * k7[i]);
    *err = mech__ode_norm(o, yt, y, yn);
    if (!isfinite(*err)) return 1;

    for (size_t i = 0; i < n; i++) {
        double dy = yn[i] - y[i], b = h * k1[i] - dy;
        o->rc[0][i] = dy;
        o->rc[1][i] = b;
        o->rc[2][i] = dy - h * k7[i] - b;
        o->rc[3][i] = h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i] +
                           D6 * k6[i] + D7 * k7[i]);
    }
    o->rc_quartic = true;
    return 0;
}

mech_status mech__dopri5_h0(mech_ode *o, double t0, double t_end, double *h0)
{
    /* Hairer-Norsett-Wanner I, II.4: size the step so that an explicit
     * Euler step's error estimate is about 0.01 in the scaled norm, then
     * correct with a finite-difference estimate of the second derivative */
    size_t n = o->dim;
    double dir = t_end > t0 ? 1.0 : -1.0, span = fabs(t_end - t0);
    double hmax = fmin(o->opt[MECH_ODE_H_MAX].f, span);
    double *y1 = o->ytmp, *f1 = o->k[0];
    double d0 = mech__ode_norm(o, o->y, o->y, o->y);
    double d1 = mech__ode_norm(o, o->f, o->y, o->y);
    double h = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    h = fmin(h, hmax);
    for (size_t i = 0; i < n; i++) y1[i] = o->y[i] + dir * h * o->f[i];
    int rc = mech__ode_rhs(o, t0 + dir * h, y1, f1);
    if (rc < 0) return (mech_status)rc;
    if (rc > 0) { /* the probe was refused: let step control shrink from h */
        *h0 = h;
        return MECH_OK;
    }
    for (size_t i = 0; i < n; i++) f1[i] -= o->f[i];
    double d2 = mech__ode_norm(o, f1, o->y, o->y) / h;
    double dm = fmax(d1, d2);
    double h1 = dm <= 1e-15 ? fmax(1e-6, h * 1e-3) : pow(0.01 / dm, 1.0 / 5.0);
    *h0 = fmin(fmin(100.0 * h, h1), hmax);
    return MECH_OK;
}
