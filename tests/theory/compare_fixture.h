/* Theory-vs-simulation comparisons of the theory tests, all through
 * mech_trace_compare_arrays (the foundation's comparison tool), with one
 * TAP comment per comparison so the numbers asserted are on record. */
#ifndef MECH_TEST_COMPARE_FIXTURE_H
#define MECH_TEST_COMPARE_FIXTURE_H

#include <stdio.h>

#include "harness.h"

/* mech_trace_compare_arrays over the whole measurement range, asserting
 * that every measurement point was compared; prints nothing. */
static inline mech_comparison compare_quiet(const double *t_pred, const double *y_pred,
                                            size_t n_pred, const double *t_meas,
                                            const double *y_meas, const double *se_meas,
                                            size_t n_meas, double rel_floor)
{
    mech_comparison c = {.size = sizeof c};
    ck_assert_ok(mech_trace_compare_arrays(t_pred, y_pred, n_pred, t_meas, y_meas, se_meas,
                                           n_meas, NAN, NAN, rel_floor, &c));
    ck_assert_uint_eq(c.n_points, n_meas);
    return c;
}

/* Compares prediction (t_pred, y_pred) with measurement (t_meas, y_meas,
 * se_meas or NULL) over the whole measurement range; every measurement
 * point must be compared (none outside the prediction's range or NaN).
 * Prints "# <name>: max_rel=..., max_z=..." and returns the result. */
static inline mech_comparison compare_named(const char *name, const double *t_pred,
                                            const double *y_pred, size_t n_pred,
                                            const double *t_meas, const double *y_meas,
                                            const double *se_meas, size_t n_meas,
                                            double rel_floor)
{
    mech_comparison c =
        compare_quiet(t_pred, y_pred, n_pred, t_meas, y_meas, se_meas, n_meas, rel_floor);
    fprintf(stderr, "# %s: max_rel=%.3g, max_z=%.3g, max_abs=%.3g, mean_abs=%.3g (n=%zu)\n",
            name, c.max_rel, c.max_z, c.max_abs, c.mean_abs, c.n_points);
    return c;
}

/* The same with prediction and measurement on one axis (pointwise). */
static inline mech_comparison compare_pointwise(const char *name, const double *t,
                                                const double *pred, const double *meas,
                                                const double *se, size_t n, double rel_floor)
{
    return compare_named(name, t, pred, n, t, meas, se, n, rel_floor);
}

/* Standard errors widened so that max_z <= z states exactly the criterion
 * |m - p| <= z se + rel |p| + abs per point: se_eff = se + (rel |p| + abs)
 * / z (the allowance for the theory's own error or for rounding). */
static inline void allowance_se(const double *se, const double *pred, size_t n, double z,
                                double rel, double abs, double *se_eff)
{
    for (size_t i = 0; i < n; i++) se_eff[i] = se[i] + (rel * fabs(pred[i]) + abs) / z;
}

/* 0, 1, ..., n - 1: the axis of comparisons over a list of entries. */
static inline void index_axis(double *t, size_t n)
{
    for (size_t i = 0; i < n; i++) t[i] = (double)i;
}

#endif /* MECH_TEST_COMPARE_FIXTURE_H */
