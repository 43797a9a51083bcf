/* Singular-value summaries of a matrix: norms, stable rank, participation
 * ratio and entropy rank. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

/* Participation ratio and entropy rank of m eigenvalues lam >= 0, not all
 * 0, divided by scale (their maximum) so the squares cannot overflow; both
 * measures are scale-invariant. */
static void rank_measures(const double *lam, size_t m, double scale, double *pr, double *er)
{
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < m; i++) {
        double l = lam[i] / scale;
        sum += l, sum2 += l * l;
    }
    double h = 0.0;
    for (size_t i = 0; i < m; i++) {
        double q = lam[i] / scale / sum;
        if (q > 0.0) h -= q * log(q);
    }
    if (pr) *pr = sum * sum / sum2;
    if (er) *er = exp(h);
}

MECH_API mech_status mech_effective_rank(const double *eigenvalues, size_t m,
                                         double *participation_ratio,
                                         double *entropy_rank)
{
    MECH_TRY(mech__probe_matrix(eigenvalues, m, 1, __func__, "eigenvalues", NULL));
    double mx = 0.0;
    for (size_t i = 0; i < m; i++) {
        if (eigenvalues[i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "%s: eigenvalues[%zu] = %g is negative",
                              __func__, i, eigenvalues[i]);
        mx = fmax(mx, eigenvalues[i]);
    }
    if (mx == 0.0) return mech__fail(NULL, MECH_ERANGE, "%s: all eigenvalues are zero", __func__);
    rank_measures(eigenvalues, m, mx, participation_ratio, entropy_rank);
    return MECH_OK;
}

MECH_API mech_status mech_matrix_spectrum(const mech_ctx *ctx, const double *a, size_t m,
                                          size_t n, bool center_columns,
                                          double *singular_values,
                                          mech_spectrum_result *out)
{
    MECH_TRY(mech__probe_result_size(out, __func__));
    size_t count;
    MECH_TRY(mech__probe_matrix(a, m, n, __func__, "a", &count));
    size_t r = m < n ? m : n;
    double *buf = mech__calloc(count + r + n, sizeof(double), NULL);
    if (!buf) return MECH_ENOMEM;
    double *s = buf + count, *mean = s + r;
    const double *src = a;
    if (center_columns) {
        mech__probe_center_columns(a, m, n, buf, mean);
        src = buf;
    }
    mech_status st = mech_svd(ctx, m, n, src, n, s, NULL, NULL);
    if (st == MECH_OK && !(s[0] > 0.0))
        st = mech__fail(NULL, MECH_ERANGE, "%s: the matrix is zero%s", __func__,
                        center_columns ? " after centering its columns" : "");
    if (st == MECH_OK) {
        /* lambda = (s / s_0)^2 (in the mean buffer, n >= r) avoids overflow */
        double fro2 = 0.0;
        for (size_t i = 0; i < r; i++) {
            double t = s[i] / s[0];
            fro2 += t * t;
            mean[i] = t * t;
        }
        mech_spectrum_result res = {.size = sizeof res, .count = r};
        res.spectral_norm = s[0];
        res.frobenius_norm = s[0] * sqrt(fro2);
        res.stable_rank = fro2;
        rank_measures(mean, r, 1.0, &res.participation_ratio, &res.entropy_rank);
        mech__probe_store(out, &res, sizeof res);
        if (singular_values) memcpy(singular_values, s, r * sizeof *s);
    }
    free(buf);
    return st;
}
