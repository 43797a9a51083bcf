/* Kernel ridge regression by Cholesky: pred = K_test_train (K + ridge I)^{-1} y. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"
#include "mechanics/linalg.h"

MECH_API mech_status mech_kernel_regression(const mech_ctx *ctx, const double *k_train,
                                            const double *k_test_train, const double *y,
                                            size_t n, size_t m, size_t out_dim, double ridge,
                                            double *pred_test)
{
    MECH_CHECK_PTR(NULL, k_train);
    MECH_CHECK_PTR(NULL, k_test_train);
    MECH_CHECK_PTR(NULL, y);
    MECH_CHECK_PTR(NULL, pred_test);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, m);
    MECH_CHECK_NONZERO(NULL, out_dim);
    if (!isfinite(ridge))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: ridge is not finite", __func__);
    if (ridge < 0) return mech__fail(NULL, MECH_ERANGE, "%s: ridge = %g < 0", __func__, ridge);
    size_t nn, mn, no, total;
    MECH_TRY(mech__mul(n, n, &nn, NULL));
    MECH_TRY(mech__mul(m, n, &mn, NULL));
    MECH_TRY(mech__mul(n, out_dim, &no, NULL));
    MECH_TRY(mech__mul(m, out_dim, &total, NULL));
    if (nn > SIZE_MAX - no) return mech__fail(NULL, MECH_EOVERFLOW, "%s: sizes overflow", __func__);
    MECH_TRY(mech__check_finite(k_train, nn, "k_train", NULL));
    MECH_TRY(mech__check_finite(k_test_train, mn, "k_test_train", NULL));
    MECH_TRY(mech__check_finite(y, no, "y", NULL));
    double *a = mech__calloc(nn + no, sizeof *a, NULL);
    if (!a) return MECH_ENOMEM;
    double *alpha = a + nn;
    memcpy(a, k_train, nn * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i * n + i] += ridge;
    memcpy(alpha, y, no * sizeof *alpha);
    mech_status st = mech_cholesky_solve(ctx, n, out_dim, a, n, alpha, out_dim);
    if (st >= 0)
        st = mech_gemm(ctx, false, false, m, out_dim, n, 1, k_test_train, n, alpha, out_dim, 0,
                       pred_test, out_dim);
    free(a);
    return st;
}
