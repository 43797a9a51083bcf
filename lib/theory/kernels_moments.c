/* The public Gaussian-moment function: closed form or quadrature. */
#include <math.h>
#include <stdlib.h>

#include "kernels_internal.h"

MECH_API mech_status mech_gaussian_expectation(mech_activation act, mech_gauss_moment which,
                                               double k11, double k12, double k22,
                                               size_t nodes, double *out)
{
    MECH_CHECK_PTR(NULL, out);
    if (!mech__activation_valid(act))
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown activation %d", __func__, (int)act);
    if (which != MECH_MOMENT_PHI_PHI && which != MECH_MOMENT_DPHI_DPHI)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown moment %d", __func__, (int)which);
    const double k[3] = {k11, k12, k22};
    MECH_TRY(mech__check_finite(k, 3, "covariance", NULL));
    if (k11 < 0 || k22 < 0 || k12 * k12 > k11 * k22 * (1 + 1e-10))
        return mech__fail(NULL, MECH_ERANGE,
                          "%s: (k11, k12, k22) = (%g, %g, %g) is not a covariance", __func__,
                          k11, k12, k22);
    if (nodes == 1 || nodes > MECH_KERNEL_MAX_NODES)
        return mech__fail(NULL, MECH_ERANGE, "%s: nodes = %zu outside 0 or [2, %d]", __func__,
                          nodes, MECH_KERNEL_MAX_NODES);
    double *pp = which == MECH_MOMENT_PHI_PHI ? out : NULL;
    double *dd = which == MECH_MOMENT_DPHI_DPHI ? out : NULL;
    if (nodes == 0 && mech__gauss_moments_closed(act, k11, k12, k22, pp, dd)) return MECH_OK;
    if (nodes == 0) nodes = MECH_KERNEL_QUAD_NODES;
    double *rule = mech__calloc(2 * nodes, sizeof *rule, NULL);
    if (!rule) return MECH_ENOMEM;
    mech__gauss_legendre(nodes, rule, rule + nodes);
    mech__gauss_moments_quad(act, k11, k12, k22, nodes, rule, rule + nodes, pp, dd);
    free(rule);
    return MECH_OK;
}
