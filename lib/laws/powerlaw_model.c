/* Power-law models of scaling: loss against time, data, width and compute
 * from exact spectral sums (include/mechanics/laws.h). */
#include <math.h>

#include "laws_internal.h"
#include "spectral_sum.h"

static mech_status check_exponents(const char *fn, mech_powerlaw_kind kind, double alpha,
                                   double beta)
{
    if (!isfinite(alpha) || !isfinite(beta))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: alpha and beta must be finite", fn);
    if ((int)kind < (int)MECH_POWERLAW_TIME || (int)kind > (int)MECH_POWERLAW_COMPUTE)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown model kind %d", fn, (int)kind);
    const double amin = kind == MECH_POWERLAW_TIME ? 0.0 : 1.0;
    if (!(alpha > amin && alpha <= 16.0 && beta > 0.0 && alpha * beta <= 64.0))
        return mech__fail(NULL, MECH_ERANGE,
                          "%s: need %g < alpha <= 16, beta > 0, alpha beta <= 64 (got %g, %g)",
                          fn, amin, alpha, beta);
    return MECH_OK;
}

static mech__spec spectrum(double alpha, double beta)
{
    mech__spec s = {alpha, 1.0 + alpha * beta, 0.0, 0.0};
    return s;
}

/* Loss of N features after time t; s->log_kappa is set to gamma(N). */
static int width_time_loss(mech__spec *s, double width, double t, double *loss)
{
    if (mech__spec_solve_kappa(s, width)) return -1;
    s->t = t;
    *loss = 0.5 * mech__spec_sum(s, isinf(t) ? MECH__SPEC_BIAS1 : MECH__SPEC_FLOW);
    return 0;
}

/* The frontier objective over u = ln gamma at fixed compute: N(gamma) is a
 * plain sum, so no root solve is needed per evaluation. */
typedef struct frontier {
    mech__spec s;
    double c;
} frontier;

static double frontier_loss(double u, void *user)
{
    frontier *f = user;
    f->s.log_kappa = u;
    f->s.t = f->c / mech__spec_sum(&f->s, MECH__SPEC_LEARN);
    return 0.5 * mech__spec_sum(&f->s, MECH__SPEC_FLOW);
}

/* Searches N in [1, c] (t >= 1), i.e. ln gamma between gamma(c) and gamma(1). */
static int frontier_point(mech__spec s, double c, double *loss, double *width)
{
    if (mech__spec_solve_kappa(&s, c)) return -1;
    const double lo = s.log_kappa;
    if (mech__spec_solve_kappa(&s, 1.0)) return -1;
    frontier f = {s, c};
    int evals = 0;
    double best = mech__golden(lo, s.log_kappa, frontier_loss, &f, 1e-8, loss, &evals);
    if (width) {
        f.s.log_kappa = best;
        *width = mech__spec_sum(&f.s, MECH__SPEC_LEARN);
    }
    return 0;
}

static int model_point(mech_powerlaw_kind kind, mech__spec s, double x, double *loss)
{
    switch (kind) {
    case MECH_POWERLAW_TIME:
        s.t = x;
        *loss = 0.5 * mech__spec_sum(&s, MECH__SPEC_TIME);
        return 0;
    case MECH_POWERLAW_DATA: {
        if (mech__spec_solve_kappa(&s, x)) return -1;
        double l2 = mech__spec_sum(&s, MECH__SPEC_LEARN2);
        if (!(l2 < x)) return -1;
        *loss = 0.5 * x / (x - l2) * mech__spec_sum(&s, MECH__SPEC_BIAS2);
        return 0;
    }
    case MECH_POWERLAW_WIDTH: return width_time_loss(&s, x, INFINITY, loss);
    case MECH_POWERLAW_COMPUTE: return frontier_point(s, x, loss, NULL);
    }
    return -1;
}

/* Checks x (n values, finite, > 0, and > 1 for compute). */
static mech_status check_x(const char *fn, const double *x, size_t n, double min)
{
    MECH_CHECK_PTR(NULL, x);
    if (n == 0) return mech__fail(NULL, MECH_EINVAL, "%s: no points", fn);
    MECH_TRY(mech__check_finite(x, n, "x", NULL));
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > min))
            return mech__fail(NULL, MECH_ERANGE, "%s: x[%zu] = %g must be > %g", fn, i, x[i],
                              min);
    return MECH_OK;
}

static mech_status curve(const char *fn, mech_powerlaw_kind kind, double alpha, double beta,
                         const double *x, size_t n, double *loss, double *width)
{
    MECH_TRY(check_exponents(fn, kind, alpha, beta));
    MECH_TRY(check_x(fn, x, n, kind == MECH_POWERLAW_COMPUTE ? 1.0 : 0.0));
    MECH_CHECK_PTR(NULL, loss);
    mech__spec s = spectrum(alpha, beta);
    for (size_t i = 0; i < n; i++) {
        int bad = kind == MECH_POWERLAW_COMPUTE
                      ? frontier_point(s, x[i], &loss[i], width ? &width[i] : NULL)
                      : model_point(kind, s, x[i], &loss[i]);
        if (bad || !isfinite(loss[i]))
            return mech__fail(NULL, MECH_ENOCONV, "%s: no converged solution at x = %g", fn,
                              x[i]);
    }
    return MECH_OK;
}

MECH_API mech_status mech_powerlaw_model_curve(mech_powerlaw_kind kind, double alpha,
                                               double beta, const double *x, size_t n,
                                               double *loss)
{
    return curve("mech_powerlaw_model_curve", kind, alpha, beta, x, n, loss, NULL);
}

MECH_API mech_status mech_powerlaw_compute_frontier(double alpha, double beta,
                                                    const double *c, size_t n,
                                                    double *loss, double *width_opt)
{
    return curve("mech_powerlaw_compute_frontier", MECH_POWERLAW_COMPUTE, alpha, beta, c, n,
                 loss, width_opt);
}

MECH_API mech_status mech_powerlaw_model_loss(double alpha, double beta, double width,
                                              double t, double *loss)
{
    static const char fn[] = "mech_powerlaw_model_loss";
    MECH_TRY(check_exponents(fn, MECH_POWERLAW_WIDTH, alpha, beta));
    MECH_CHECK_PTR(NULL, loss);
    if (!isfinite(width) || !isfinite(t))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: width and t must be finite", fn);
    if (!(width > 0.0 && t >= 0.0))
        return mech__fail(NULL, MECH_ERANGE, "%s: need width > 0 and t >= 0", fn);
    mech__spec s = spectrum(alpha, beta);
    if (width_time_loss(&s, width, t, loss) || !isfinite(*loss))
        return mech__fail(NULL, MECH_ENOCONV, "%s: no converged solution at N = %g", fn, width);
    return MECH_OK;
}

static double predicted_exponent(mech_powerlaw_kind kind, double alpha, double beta)
{
    const double c = alpha * fmin(1.0, beta);
    switch (kind) {
    case MECH_POWERLAW_TIME: return beta;
    case MECH_POWERLAW_DATA: return alpha * fmin(2.0, beta);
    case MECH_POWERLAW_WIDTH: return c;
    case MECH_POWERLAW_COMPUTE: return beta * c / (beta + c);
    }
    return NAN;
}

#define FIT_POINTS 24

MECH_API mech_status mech_powerlaw_model_exponent(mech_powerlaw_kind kind, double alpha,
                                                  double beta, double lo, double hi,
                                                  double *fitted, double *predicted)
{
    static const char fn[] = "mech_powerlaw_model_exponent";
    MECH_TRY(check_exponents(fn, kind, alpha, beta));
    if (!isfinite(lo) || !isfinite(hi))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: the window must be finite", fn);
    const double min = kind == MECH_POWERLAW_COMPUTE ? 1.0 : 0.0;
    if (!(lo > min && hi > lo))
        return mech__fail(NULL, MECH_ERANGE, "%s: need %g < lo < hi (got %g, %g)", fn, min, lo,
                          hi);
    if (fitted) {
        double x[FIT_POINTS], y[FIT_POINTS];
        for (int i = 0; i < FIT_POINTS; i++)
            x[i] = exp(log(lo) + (log(hi) - log(lo)) * i / (FIT_POINTS - 1.0));
        MECH_TRY(curve(fn, kind, alpha, beta, x, FIT_POINTS, y, NULL));
        double mx = 0.0, my = 0.0;
        for (int i = 0; i < FIT_POINTS; i++) mx += log(x[i]), my += log(y[i]);
        mx /= FIT_POINTS, my /= FIT_POINTS;
        double sxy = 0.0, sxx = 0.0;
        for (int i = 0; i < FIT_POINTS; i++) {
            double dx = log(x[i]) - mx;
            sxy += dx * (log(y[i]) - my), sxx += dx * dx;
        }
        *fitted = -sxy / sxx;
    }
    if (predicted) *predicted = predicted_exponent(kind, alpha, beta);
    return MECH_OK;
}
