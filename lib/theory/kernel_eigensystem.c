/* Eigensystem of a kernel's integral operator on a finite measure, and the
 * data-only GCV/KARE estimate of KRR test error. */
#include <math.h>
#include <stdlib.h>

#include "mechanics/eigenlearning.h"
#include "mechanics/linalg.h"
#include "internal.h"

static mech_status check_weights(const double *w, size_t m)
{
    if (!w) return MECH_OK;
    MECH_TRY(mech__check_finite(w, m, "weights", NULL));
    double total = 0.0;
    for (size_t i = 0; i < m; i++) {
        if (w[i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "weights[%zu] = %g is negative", i, w[i]);
        total += w[i];
    }
    if (fabs(total - 1.0) > 1e-12)
        return mech__fail(NULL, MECH_ERANGE, "weights sum to %.17g, not 1", total);
    return MECH_OK;
}

MECH_API mech_status mech_kernel_eigensystem(const mech_ctx *ctx, const double *kernel,
                                             const double *weights, size_t m,
                                             const double *target, double *eigenvalues,
                                             double *coefficients, double *eigenfunctions)
{
    size_t mm = 0;
    MECH_CHECK_PTR(NULL, kernel);
    MECH_CHECK_PTR(NULL, eigenvalues);
    MECH_CHECK_NONZERO(NULL, m);
    if ((target == NULL) != (coefficients == NULL))
        return mech__fail(NULL, MECH_EINVAL,
                          "target and coefficients must both be given or both be NULL");
    MECH_TRY(mech__mul(m, m, &mm, NULL));
    MECH_TRY(mech__check_finite(kernel, mm, "kernel", NULL));
    if (target) MECH_TRY(mech__check_finite(target, m, "target", NULL));
    MECH_TRY(check_weights(weights, m));

    double *a = mech__calloc(mm, sizeof *a, NULL);
    double *vecs = mech__calloc(mm, sizeof *vecs, NULL);
    double *w = mech__calloc(m, sizeof *w, NULL);
    double *sq = mech__calloc(m, sizeof *sq, NULL);
    mech_status st = MECH_ENOMEM;
    if (!a || !vecs || !w || !sq) goto done;
    for (size_t i = 0; i < m; i++) sq[i] = sqrt(weights ? weights[i] : 1.0 / (double)m);
    /* P^1/2 K P^1/2, symmetrized so roundoff in K cannot bias it. */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            a[i * m + j] = 0.5 * (kernel[i * m + j] + kernel[j * m + i]) * sq[i] * sq[j];
    st = mech_syev(ctx, m, a, m, w, vecs);
    if (st < 0) goto done;
    /* Descending order; eigenfunction i at x_j is u_ji / sqrt(p_j). */
    for (size_t i = 0; i < m; i++) {
        size_t src = m - 1 - i;
        eigenvalues[i] = w[src];
        double v = 0.0;
        for (size_t j = 0; j < m; j++) {
            double u = vecs[j * m + src];
            if (eigenfunctions) eigenfunctions[j * m + i] = sq[j] > 0.0 ? u / sq[j] : 0.0;
            if (target) v += sq[j] * u * target[j];
        }
        if (coefficients) coefficients[i] = v;
    }
done:
    free(a);
    free(vecs);
    free(w);
    free(sq);
    return st;
}

MECH_API mech_status mech_gcv_estimate(const mech_ctx *ctx, const double *kernel, size_t n,
                                       const double *y, const double *ridges,
                                       size_t n_ridges, double *estimates)
{
    size_t nn = 0;
    MECH_CHECK_PTR(NULL, kernel);
    MECH_CHECK_PTR(NULL, y);
    MECH_CHECK_PTR(NULL, ridges);
    MECH_CHECK_PTR(NULL, estimates);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, n_ridges);
    MECH_TRY(mech__mul(n, n, &nn, NULL));
    MECH_TRY(mech__check_finite(kernel, nn, "kernel", NULL));
    MECH_TRY(mech__check_finite(y, n, "y", NULL));
    MECH_TRY(mech__check_finite(ridges, n_ridges, "ridges", NULL));
    for (size_t r = 0; r < n_ridges; r++)
        if (ridges[r] <= 0.0)
            return mech__fail(NULL, MECH_ERANGE, "ridges[%zu] = %g must be > 0", r, ridges[r]);

    double *vecs = mech__calloc(nn, sizeof *vecs, NULL);
    double *w = mech__calloc(n, sizeof *w, NULL);
    double *proj = mech__calloc(n, sizeof *proj, NULL);
    mech_status st = MECH_ENOMEM;
    if (!vecs || !w || !proj) goto done;
    st = mech_syev(ctx, n, kernel, n, w, vecs);
    if (st < 0) goto done;
    /* In the eigenbasis S is diagonal with w/(w + ridge): residuals and the
     * trace follow for every ridge from one decomposition. */
    st = mech_gemv(ctx, true, n, n, 1.0, vecs, n, y, 0.0, proj);
    if (st < 0) goto done;
    for (size_t r = 0; r < n_ridges; r++) {
        double resid = 0.0, trace = 0.0;
        for (size_t i = 0; i < n; i++) {
            double wi = fmax(w[i], 0.0);
            double keep = ridges[r] / (wi + ridges[r]);
            resid += keep * keep * proj[i] * proj[i];
            trace += wi / (wi + ridges[r]);
        }
        double dof = 1.0 - trace / (double)n;
        estimates[r] = (resid / (double)n) / (dof * dof);
    }
done:
    free(vecs);
    free(w);
    free(proj);
    return st;
}
