/* Power law with offset, y = E + A x^-alpha (least squares on y), and the
 * continuous broken power law (least squares on log y); both by variable
 * projection over their one nonlinear parameter. */
#include <math.h>
#include <stdlib.h>

#include "laws_internal.h"

#define SCAN_POINTS 400
#define SCAN_LO 1e-3
#define SCAN_HI 10.0
#define SEARCH_RTOL 1e-12

typedef struct pl_data {
    const double *x, *y;
    size_t n;
    bool offset;
    double coef[2]; /* (E, A) with offset, (A) without */
} pl_data;

/* Residual sum of squares at exponent alpha; +Inf if the columns are
 * dependent. */
static double pl_rss(double alpha, void *user)
{
    pl_data *p = user;
    size_t k = p->offset ? 2 : 1;
    double G[4] = {0}, h[2] = {0};
    for (size_t i = 0; i < p->n; i++) {
        double u = pow(p->x[i], -alpha);
        double col[2] = {p->offset ? 1.0 : u, u};
        for (size_t j = 0; j < k; j++) {
            h[j] += col[j] * p->y[i];
            for (size_t l = 0; l < k; l++) G[j * k + l] += col[j] * col[l];
        }
    }
    if (mech__small_lsq(k, G, h, p->coef) != 0) return INFINITY;
    double rss = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        double u = pow(p->x[i], -alpha);
        double r = (p->offset ? p->coef[0] + p->coef[1] * u : p->coef[0] * u) - p->y[i];
        rss += r * r;
    }
    return rss;
}

static mech_status check_xy(const char *fn, const double *x, const double *y, size_t n,
                            size_t need_distinct, bool y_positive)
{
    if (!x || !y) return mech__fail(NULL, MECH_EINVAL, "%s: x and y must not be NULL", fn);
    MECH_TRY(mech__check_finite(x, n, "x", NULL));
    MECH_TRY(mech__check_finite(y, n, "y", NULL));
    for (size_t i = 0; i < n; i++) {
        if (x[i] <= 0.0)
            return mech__fail(NULL, MECH_ERANGE, "%s: x[%zu] = %g must be > 0", fn, i, x[i]);
        if (y_positive && y[i] <= 0.0)
            return mech__fail(NULL, MECH_ERANGE, "%s: y[%zu] = %g must be > 0", fn, i, y[i]);
    }
    /* count distinct x up to what is needed, without sorting */
    size_t distinct = 0;
    for (size_t i = 0; i < n && distinct < need_distinct; i++) {
        size_t j = 0;
        while (j < i && x[j] != x[i]) j++;
        if (j == i) distinct++;
    }
    if (distinct < need_distinct)
        return mech__fail(NULL, MECH_EINVAL, "%s: need at least %zu distinct x", fn,
                          need_distinct);
    return MECH_OK;
}

MECH_API mech_status mech_fit_power_law(const double *x, const double *y, size_t n,
                                        bool offset, mech_power_law_fit *out)
{
    static const char fn[] = "mech_fit_power_law";
    MECH_CHECK_PTR(NULL, out);
    if (n < (offset ? 3u : 2u))
        return mech__fail(NULL, MECH_EINVAL, "%s: n = %zu is too small", fn, n);
    MECH_TRY(check_xy(fn, x, y, n, 2, false));
    pl_data p = {x, y, n, offset, {0}};
    /* scan log-spaced exponents, then refine around the best */
    const double step = log(SCAN_HI / SCAN_LO) / (SCAN_POINTS - 1);
    size_t arg = 0;
    double fbest = INFINITY;
    int evals = 0;
    for (size_t i = 0; i < SCAN_POINTS; i++) {
        double f = pl_rss(SCAN_LO * exp(step * (double)i), &p);
        evals++;
        if (f < fbest) fbest = f, arg = i;
    }
    if (!isfinite(fbest))
        return mech__fail(NULL, MECH_ENOCONV, "%s: no exponent gave a finite fit", fn);
    double lo = SCAN_LO * exp(step * (double)(arg > 0 ? arg - 1 : 0));
    double hi = SCAN_LO * exp(step * (double)(arg + 1 < SCAN_POINTS ? arg + 1 : arg));
    double alpha = mech__golden(lo, hi, pl_rss, &p, SEARCH_RTOL, &fbest, &evals);
    double rss = pl_rss(alpha, &p);
    mech_power_law_fit r = {.size = sizeof r, .E = offset ? p.coef[0] : 0.0,
                            .A = offset ? p.coef[1] : p.coef[0], .alpha = alpha, .rss = rss,
                            .evaluations = evals + 1};
    return mech__write_fit(fn, &r, sizeof r, out);
}

typedef struct bpl_data {
    const double *u, *w; /* log x, log y */
    size_t n;
    double coef[3];      /* log A, alpha1, alpha2 */
} bpl_data;

/* RSS on log y with the break at log x = ub. */
static double bpl_rss(double ub, void *user)
{
    bpl_data *p = user;
    double G[9] = {0}, h[3] = {0};
    for (size_t i = 0; i < p->n; i++) {
        double col[3] = {1.0, -fmin(p->u[i], ub), -fmax(p->u[i] - ub, 0.0)};
        for (int j = 0; j < 3; j++) {
            h[j] += col[j] * p->w[i];
            for (int k = 0; k < 3; k++) G[j * 3 + k] += col[j] * col[k];
        }
    }
    if (mech__small_lsq(3, G, h, p->coef) != 0) return INFINITY;
    double rss = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        double r = p->coef[0] - p->coef[1] * fmin(p->u[i], ub) -
                   p->coef[2] * fmax(p->u[i] - ub, 0.0) - p->w[i];
        rss += r * r;
    }
    return rss;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

MECH_API mech_status mech_fit_broken_power_law(const double *x, const double *y, size_t n,
                                               mech_broken_power_law_fit *out)
{
    static const char fn[] = "mech_fit_broken_power_law";
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(check_xy(fn, x, y, n, 4, true));
    double *buf = mech__calloc(n, 3 * sizeof(double), NULL);
    if (!buf) return MECH_ENOMEM;
    double *u = buf, *w = buf + n, *knots = buf + 2 * n;
    for (size_t i = 0; i < n; i++) u[i] = log(x[i]), w[i] = log(y[i]), knots[i] = u[i];
    qsort(knots, n, sizeof *knots, cmp_double);
    size_t nd = 0; /* distinct sorted log x */
    for (size_t i = 0; i < n; i++)
        if (nd == 0 || knots[i] != knots[nd - 1]) knots[nd++] = knots[i];
    bpl_data p = {u, w, n, {0}};
    double best = NAN, fbest = INFINITY;
    int evals = 0;
    /* intervals [knots[j], knots[j+1]] with >= 2 distinct x on each side */
    for (size_t j = 1; j + 2 < nd; j++) {
        double f, ub = mech__golden(knots[j], knots[j + 1], bpl_rss, &p, SEARCH_RTOL, &f, &evals);
        if (f < fbest) fbest = f, best = ub;
    }
    mech_status st = MECH_OK;
    mech_broken_power_law_fit r = {.size = sizeof r};
    if (!isfinite(fbest)) {
        st = mech__fail(NULL, MECH_ENOCONV, "%s: no break gave a finite fit", fn);
    } else {
        r.rss = bpl_rss(best, &p);
        r.A = exp(p.coef[0]), r.alpha1 = p.coef[1], r.alpha2 = p.coef[2], r.x_break = exp(best);
    }
    free(buf);
    MECH_TRY(st);
    return mech__write_fit(fn, &r, sizeof r, out);
}
