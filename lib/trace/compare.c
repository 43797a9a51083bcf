/* Prediction vs measurement on a common axis: linear interpolation of the
 * prediction at the measurement's time points, error statistics and, for
 * ensembles, their standard error. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "trace_internal.h"

/* Linear interpolation of (t, y) at x inside [t[0], t[n-1]]; *j is a
 * search hint, advanced monotonically for sorted queries. */
static double interp(const double *t, const double *y, size_t n, double x, size_t *j)
{
    if (n == 1) return y[0];
    if (*j >= n - 1 || t[*j] > x) *j = 0;
    while (*j + 2 < n && t[*j + 1] <= x) (*j)++;
    size_t a = *j;
    if (x == t[a]) return y[a];
    if (x == t[a + 1]) return y[a + 1];
    return y[a] + (y[a + 1] - y[a]) * ((x - t[a]) / (t[a + 1] - t[a]));
}

/* Writes field f of out only if the caller's struct is big enough. */
#define PUT(out, f, v)                                                        \
    do {                                                                      \
        if ((out)->size >= offsetof(mech_comparison, f) + sizeof((out)->f))   \
            (out)->f = (v);                                                   \
    } while (0)

MECH_API mech_status mech_trace_compare_arrays(
    const double *t_pred, const double *y_pred, size_t n_pred, const double *t_meas,
    const double *y_meas, const double *se_meas, size_t n_meas, double t_lo,
    double t_hi, double rel_floor, mech_comparison *out)
{
    MECH_CHECK_PTR(NULL, t_pred);
    MECH_CHECK_PTR(NULL, y_pred);
    MECH_CHECK_PTR(NULL, t_meas);
    MECH_CHECK_PTR(NULL, y_meas);
    MECH_CHECK_PTR(NULL, out);
    MECH_CHECK_NONZERO(NULL, n_pred);
    MECH_CHECK_NONZERO(NULL, n_meas);
    if (out->size < offsetof(mech_comparison, n_points) + sizeof out->n_points)
        return mech__fail(NULL, MECH_EINVAL, "mech_comparison.size %zu is too small (set it "
                          "to sizeof(mech_comparison))", out->size);
    if (!(rel_floor >= 0.0) || isinf(rel_floor))
        return mech__fail(NULL, MECH_EINVAL, "rel_floor must be finite and >= 0");
    if (t_lo > t_hi) return mech__fail(NULL, MECH_EINVAL, "t_lo %g > t_hi %g", t_lo, t_hi);
    MECH_TRY(mech__check_finite(t_pred, n_pred, "t_pred", NULL));
    MECH_TRY(mech__check_finite(t_meas, n_meas, "t_meas", NULL));
    for (size_t i = 1; i < n_pred; i++)
        if (!(t_pred[i] > t_pred[i - 1]))
            return mech__fail(NULL, MECH_EINVAL,
                              "prediction times must increase strictly (index %zu)", i);
    double lo = isnan(t_lo) ? t_pred[0] : fmax(t_lo, t_pred[0]);
    double hi = isnan(t_hi) ? t_pred[n_pred - 1] : fmin(t_hi, t_pred[n_pred - 1]);

    size_t n = 0, j = 0;
    double max_abs = 0, sum_abs = 0, sum_sq = 0, max_rel = 0, sum_rel = 0;
    double sum_se2 = se_meas ? 0.0 : NAN, max_z = se_meas ? 0.0 : NAN;
    double first = NAN, last = NAN;
    for (size_t i = 0; i < n_meas; i++) {
        double x = t_meas[i];
        if (x < lo || x > hi || isnan(y_meas[i])) continue;
        double p = interp(t_pred, y_pred, n_pred, x, &j);
        if (isnan(p)) continue;
        double d = fabs(y_meas[i] - p), den = fmax(fabs(p), rel_floor);
        double rel = d == 0 ? 0.0 : den == 0 ? INFINITY : d / den;
        n++;
        max_abs = fmax(max_abs, d);
        sum_abs += d;
        sum_sq += d * d;
        max_rel = fmax(max_rel, rel);
        sum_rel += rel;
        if (se_meas) {
            double se = se_meas[i];
            sum_se2 += se * se; /* NaN se poisons both: documented */
            double z = d == 0 ? 0.0 : se == 0 ? INFINITY : d / se;
            max_z = isnan(z) || isnan(max_z) ? NAN : fmax(max_z, z);
        }
        if (n == 1 || x < first) first = x;
        if (n == 1 || x > last) last = x;
    }
    if (n == 0)
        return mech__fail(NULL, MECH_ERANGE,
                          "no comparable points in [%g, %g] (window, overlap and NaN)", lo, hi);
    double dn = (double)n;
    PUT(out, n_points, n);
    PUT(out, max_abs, max_abs);
    PUT(out, mean_abs, sum_abs / dn);
    PUT(out, rms, sqrt(sum_sq / dn));
    PUT(out, max_rel, max_rel);
    PUT(out, mean_rel, sum_rel / dn);
    PUT(out, mean_abs_se, sqrt(sum_se2) / dn);
    PUT(out, max_z, max_z);
    PUT(out, t_lo, first);
    PUT(out, t_hi, last);
    return MECH_OK;
}

static mech_status column_of(const mech_trace *tr, const char *name, const double **v)
{
    size_t j = mech__trace_find(tr, name, "");
    if (j == SIZE_MAX) return mech__fail(NULL, MECH_ENOTFOUND, "no column '%s'", name);
    *v = tr->col[j].v;
    return MECH_OK;
}

MECH_API mech_status mech_trace_compare(const mech_trace *prediction,
                                        const char *pred_col,
                                        const mech_trace *measurement,
                                        const char *meas_col, double t_lo, double t_hi,
                                        double rel_floor, mech_comparison *out)
{
    MECH_CHECK_PTR(NULL, prediction);
    MECH_CHECK_PTR(NULL, pred_col);
    MECH_CHECK_PTR(NULL, measurement);
    MECH_CHECK_PTR(NULL, meas_col);
    if (prediction->axis != measurement->axis)
        return mech__fail(NULL, MECH_EINVAL, "prediction is on axis '%s', measurement on '%s'",
                          mech_axis_name(prediction->axis), mech_axis_name(measurement->axis));
    if (prediction->rows == 0 || measurement->rows == 0)
        return mech__fail(NULL, MECH_ERANGE, "a trace without rows cannot be compared");
    const double *yp = NULL, *ym = NULL;
    MECH_TRY(column_of(prediction, pred_col, &yp));
    MECH_TRY(column_of(measurement, meas_col, &ym));
    size_t s = mech__trace_find(measurement, meas_col, "_se");
    return mech_trace_compare_arrays(prediction->t, yp, prediction->rows, measurement->t, ym,
                                     s == SIZE_MAX ? NULL : measurement->col[s].v,
                                     measurement->rows, t_lo, t_hi, rel_floor, out);
}
