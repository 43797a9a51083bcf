/* Batch-size scaling: the SDE scaling rules and the critical batch size
 * from the gradient noise scale (include/mechanics/stability.h). */
#include <math.h>

#include "internal.h"
#include "mechanics/stability.h"

static mech_status check_beta(const char *fn, const char *name, double b, double kappa,
                              double *out)
{
    if (!isfinite(b)) return mech__fail(NULL, MECH_ENONFINITE, "%s: %s is not finite", fn, name);
    if (!(b >= 0.0 && b < 1.0))
        return mech__fail(NULL, MECH_ERANGE, "%s: %s = %g must be in [0, 1)", fn, name, b);
    double one_minus = kappa * (1.0 - b);
    if (one_minus > 1.0)
        return mech__fail(NULL, MECH_ERANGE,
                          "%s: kappa (1 - %s) = %g > 1: no rescaled %s in [0, 1)", fn, name,
                          one_minus, name);
    *out = 1.0 - one_minus;
    return MECH_OK;
}

MECH_API mech_status mech_sde_scale(mech_optimizer_kind kind, double kappa, double *lr,
                                    double *beta1, double *beta2, double *eps)
{
    static const char fn[] = "mech_sde_scale";
    MECH_CHECK_PTR(NULL, lr);
    if (!isfinite(kappa) || !isfinite(*lr))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: kappa and lr must be finite", fn);
    if (kappa <= 0.0 || *lr < 0.0)
        return mech__fail(NULL, MECH_ERANGE, "%s: need kappa > 0 (got %g) and lr >= 0 (got %g)",
                          fn, kappa, *lr);
    switch (kind) {
    case MECH_OPTIMIZER_GD:
    case MECH_OPTIMIZER_SGD: *lr *= kappa; return MECH_OK;
    case MECH_OPTIMIZER_ADAM:
    case MECH_OPTIMIZER_ADAMW:
    case MECH_OPTIMIZER_RMSPROP: break;
    case MECH_OPTIMIZER_HEAVY_BALL:
    case MECH_OPTIMIZER_NESTEROV:
    case MECH_OPTIMIZER_SIGN:
        return mech__fail(NULL, MECH_EUNSUPPORTED, "%s: no SDE scaling rule for %s", fn,
                          mech_optimizer_kind_name(kind));
    default: return mech__fail(NULL, MECH_EINVAL, "%s: unknown optimizer kind %d", fn, (int)kind);
    }
    int adam = kind != MECH_OPTIMIZER_RMSPROP;
    if (adam) MECH_CHECK_PTR(NULL, beta1);
    MECH_CHECK_PTR(NULL, beta2);
    MECH_CHECK_PTR(NULL, eps);
    if (!isfinite(*eps)) return mech__fail(NULL, MECH_ENONFINITE, "%s: eps is not finite", fn);
    if (*eps < 0.0) return mech__fail(NULL, MECH_ERANGE, "%s: eps = %g must be >= 0", fn, *eps);
    double b1 = 0.0, b2;
    if (adam) MECH_TRY(check_beta(fn, "beta1", *beta1, kappa, &b1));
    MECH_TRY(check_beta(fn, "beta2", *beta2, kappa, &b2));
    const double s = sqrt(kappa);
    *lr *= s;
    *eps /= s;
    if (adam) *beta1 = b1;
    *beta2 = b2;
    return MECH_OK;
}

MECH_API mech_status mech_critical_batch(double g_small_sq, double g_big_sq, double b_small,
                                         double b_big, double *b_simple, double *g_sq,
                                         double *tr_sigma)
{
    static const char fn[] = "mech_critical_batch";
    double in[4] = {g_small_sq, g_big_sq, b_small, b_big};
    MECH_TRY(mech__check_finite(in, 4, "inputs", NULL));
    if (g_small_sq < 0.0 || g_big_sq < 0.0)
        return mech__fail(NULL, MECH_ERANGE, "%s: squared norms must be >= 0", fn);
    if (b_small <= 0.0 || b_big <= b_small)
        return mech__fail(NULL, MECH_ERANGE, "%s: need 0 < b_small (%g) < b_big (%g)", fn,
                          b_small, b_big);
    const double g = (b_big * g_big_sq - b_small * g_small_sq) / (b_big - b_small);
    const double s = (g_small_sq - g_big_sq) / (1.0 / b_small - 1.0 / b_big);
    if (g_sq) *g_sq = g;
    if (tr_sigma) *tr_sigma = s;
    if (b_simple) *b_simple = g <= 0.0 ? INFINITY : s <= 0.0 ? 0.0 : s / g;
    return MECH_OK;
}
