/* Best learning rate per width from a sweep (include/mechanics/laws.h). */
#include <math.h>

#include "laws_internal.h"

static mech_status check_positive(const char *fn, const char *what, const double *v, size_t n)
{
    MECH_TRY(mech__check_finite(v, n, what, NULL));
    for (size_t i = 0; i < n; i++)
        if (!(v[i] > 0.0))
            return mech__fail(NULL, MECH_ERANGE, "%s: %s[%zu] = %g must be > 0", fn, what, i,
                              v[i]);
    return MECH_OK;
}

/* Mean over seeds; +Inf if any seed diverged. */
static double mean_loss(const double *l, size_t n_seeds)
{
    double m = 0.0;
    for (size_t s = 0; s < n_seeds; s++) {
        if (!isfinite(l[s])) return INFINITY;
        m += l[s];
    }
    return m / (double)n_seeds;
}

/* Vertex of the parabola through (x0, y0), (x1, y1), (x2, y2) with y1 the
 * smallest: it lies in [x0, x2]. A flat triple gives x1. */
static double vertex(double x0, double x1, double x2, double y0, double y1, double y2)
{
    double a = (x1 - x0) * (y1 - y2), b = (x1 - x2) * (y1 - y0);
    double den = a - b;
    if (!(den != 0.0)) return x1;
    double v = x1 - 0.5 * ((x1 - x0) * a - (x1 - x2) * b) / den;
    return fmin(fmax(v, x0), x2);
}

static double best_log_lr(const double *lrs, size_t nl, const double *losses, size_t n_seeds)
{
    size_t best = nl;
    double fb = INFINITY;
    for (size_t l = 0; l < nl; l++) {
        double m = mean_loss(losses + l * n_seeds, n_seeds);
        if (m < fb) fb = m, best = l;
    }
    if (best == nl) return NAN;
    if (best == 0 || best == nl - 1) return log(lrs[best]);
    double y0 = mean_loss(losses + (best - 1) * n_seeds, n_seeds);
    double y2 = mean_loss(losses + (best + 1) * n_seeds, n_seeds);
    if (!isfinite(y0) || !isfinite(y2)) return log(lrs[best]);
    return vertex(log(lrs[best - 1]), log(lrs[best]), log(lrs[best + 1]), y0, fb, y2);
}

MECH_API mech_status mech_lr_sweep_best(const double *widths, size_t nw, const double *lrs,
                                        size_t nl, const double *losses, size_t n_seeds,
                                        double *best_lr, double *shift, double *slope)
{
    static const char fn[] = "mech_lr_sweep_best";
    MECH_CHECK_PTR(NULL, widths);
    MECH_CHECK_PTR(NULL, lrs);
    MECH_CHECK_PTR(NULL, losses);
    MECH_CHECK_PTR(NULL, best_lr);
    if (nw == 0 || n_seeds == 0 || nl < 3)
        return mech__fail(NULL, MECH_EINVAL, "%s: need nw >= 1, nl >= 3, n_seeds >= 1", fn);
    size_t total;
    MECH_TRY(mech__mul3(nw, nl, n_seeds, &total, NULL));
    MECH_TRY(check_positive(fn, "widths", widths, nw));
    MECH_TRY(check_positive(fn, "lrs", lrs, nl));
    for (size_t l = 1; l < nl; l++)
        if (!(lrs[l] > lrs[l - 1]))
            return mech__fail(NULL, MECH_ERANGE, "%s: lrs must be strictly increasing", fn);
    const double step = (log(lrs[nl - 1]) - log(lrs[0])) / (double)(nl - 1);
    double sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0;
    size_t nfin = 0;
    for (size_t w = 0; w < nw; w++) {
        double lb = best_log_lr(lrs, nl, losses + w * nl * n_seeds, n_seeds);
        best_lr[w] = exp(lb);
        if (shift) shift[w] = (lb - log(best_lr[0])) / step;
        if (isfinite(lb)) {
            double lw = log(widths[w]);
            sx += lw, sy += lb, sxx += lw * lw, sxy += lw * lb, nfin++;
        }
    }
    if (slope) {
        double den = (double)nfin * sxx - sx * sx;
        *slope = (nfin >= 2 && den > 0.0) ? ((double)nfin * sxy - sx * sy) / den : NAN;
    }
    return MECH_OK;
}
