/* Neural feature ansatz (Radhakrishnan et al. 2024): the first layer's
 * neural feature matrix W1^T W1 against the average gradient outer
 * product. */
#include <math.h>
#include <stdlib.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

MECH_API mech_status mech_agop(const mech_ctx *ctx, const double *grads, size_t n, size_t d,
                               double *agop)
{
    MECH_TRY(mech__probe_matrix(grads, n, d, __func__, "grads", NULL));
    MECH_CHECK_PTR(NULL, agop);
    return mech_gemm(ctx, true, false, d, d, n, 1.0 / (double)n, grads, d, grads, d, 0.0,
                     agop, d);
}

/* Correlation of the count entries of a and b: centered (Pearson) or not
 * (cosine). MECH_ERANGE when a side has no spread. */
static mech_status correlation(const double *a, const double *b, size_t count, bool center,
                               double *out)
{
    double ma = 0.0, mb = 0.0;
    if (center) {
        for (size_t i = 0; i < count; i++) ma += a[i], mb += b[i];
        ma /= (double)count, mb /= (double)count;
    }
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (size_t i = 0; i < count; i++) {
        double x = a[i] - ma, y = b[i] - mb;
        sab += x * y, saa += x * x, sbb += y * y;
    }
    if (!(saa > 0.0) || !(sbb > 0.0))
        return mech__fail(NULL, MECH_ERANGE,
                          "mech_nfa_correlation: a matrix has %s entries, no correlation",
                          center ? "constant" : "all-zero");
    *out = sab / sqrt(saa * sbb);
    return MECH_OK;
}

MECH_API mech_status mech_nfa_correlation(const mech_ctx *ctx, const double *w1, size_t k,
                                          size_t d, const double *agop, double *pearson,
                                          double *cosine)
{
    MECH_CHECK_PTR(NULL, pearson);
    MECH_TRY(mech__probe_matrix(w1, k, d, __func__, "w1", NULL));
    size_t dd;
    MECH_TRY(mech__probe_matrix(agop, d, d, __func__, "agop", &dd));
    double *nfm = mech__calloc(dd, sizeof(double), NULL);
    if (!nfm) return MECH_ENOMEM;
    mech_status st = mech_gemm(ctx, true, false, d, d, k, 1.0, w1, d, w1, d, 0.0, nfm, d);
    if (st == MECH_OK) st = correlation(nfm, agop, dd, true, pearson);
    if (st == MECH_OK && cosine) st = correlation(nfm, agop, dd, false, cosine);
    free(nfm);
    return st;
}
