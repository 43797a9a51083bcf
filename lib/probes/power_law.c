/* Continuous power-law fits by maximum likelihood with x_min chosen by the
 * Kolmogorov-Smirnov distance (Clauset, Shalizi & Newman 2009), and the
 * heavy-tailed weight-spectrum exponent of Martin & Mahoney. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

enum { DEFAULT_MIN_TAIL = 10 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* KS distance between the empirical CDF of the sorted tail lx[0..k) (logs)
 * and the power law of exponent alpha above exp(lx[0]). With ties the
 * empirical CDF jumps at each distinct value: both sides are compared. */
static double ks_distance(const double *lx, size_t k, double alpha)
{
    double d = 0.0;
    for (size_t j0 = 0; j0 < k;) {
        size_t j1 = j0 + 1;
        while (j1 < k && lx[j1] == lx[j0]) j1++;
        double f = 1.0 - exp((1.0 - alpha) * (lx[j0] - lx[0]));
        d = fmax(d, fmax(fabs((double)j0 / (double)k - f), fabs((double)j1 / (double)k - f)));
        j0 = j1;
    }
    return d;
}

MECH_API mech_status mech_power_law_fit(const double *values, size_t m, size_t min_tail,
                                        mech_power_law_result *out)
{
    MECH_TRY(mech__probe_result_size(out, __func__));
    MECH_TRY(mech__probe_matrix(values, m, 1, __func__, "values", NULL));
    if (min_tail == 0) min_tail = DEFAULT_MIN_TAIL;
    if (min_tail < 2)
        return mech__fail(NULL, MECH_ERANGE, "%s: min_tail must be 0 (default) or >= 2",
                          __func__);
    double *x = mech__calloc(m, 2 * sizeof(double), NULL);
    if (!x) return MECH_ENOMEM;
    double *lx = x + m;
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (values[i] > 0.0) x[k++] = values[i];
    qsort(x, k, sizeof *x, cmp_double);
    for (size_t i = 0; i < k; i++) lx[i] = log(x[i]);

    mech_power_law_result best = {.size = sizeof best, .ks_distance = INFINITY};
    for (size_t i = 0; i + min_tail <= k; i++) {
        if (i > 0 && x[i] == x[i - 1]) continue; /* one candidate per distinct value */
        size_t nt = k - i;
        double sum = 0.0;
        for (size_t j = i; j < k; j++) sum += lx[j] - lx[i];
        if (!(sum > 0.0)) continue; /* a tail of equal values fits no power law */
        double alpha = 1.0 + (double)nt / sum;
        double d = ks_distance(lx + i, nt, alpha);
        if (d < best.ks_distance) {
            best.alpha = alpha;
            best.x_min = x[i];
            best.ks_distance = d;
            best.n_tail = nt;
            best.alpha_se = (alpha - 1.0) / sqrt((double)nt);
        }
    }
    free(x);
    if (best.n_tail == 0)
        return mech__fail(NULL, MECH_ERANGE,
                          "%s: %zu positive values leave no tail of >= %zu values that "
                          "are not all equal", __func__, k, min_tail);
    mech__probe_store(out, &best, sizeof best);
    return MECH_OK;
}

MECH_API mech_status mech_weight_power_law(const mech_ctx *ctx, const double *w, size_t m,
                                           size_t n, size_t min_tail, double *eigenvalues,
                                           mech_power_law_result *out)
{
    MECH_TRY(mech__probe_result_size(out, __func__));
    MECH_TRY(mech__probe_matrix(w, m, n, __func__, "w", NULL));
    size_t r = m < n ? m : n;
    double *s = mech__calloc(r, sizeof(double), NULL);
    if (!s) return MECH_ENOMEM;
    mech_status st = mech_svd(ctx, m, n, w, n, s, NULL, NULL);
    if (st == MECH_OK) {
        for (size_t i = 0; i < r; i++) s[i] *= s[i];
        if (eigenvalues) memcpy(eigenvalues, s, r * sizeof *s);
        st = mech_power_law_fit(s, r, min_tail, out);
    }
    free(s);
    return st;
}
