/* Stability thresholds of optimizers on quadratics (derivations in
 * include/mechanics/stability.h). */
#include <math.h>

#include "internal.h"
#include "mechanics/stability.h"

/* c(b): the threshold on lr * S. */
static mech_status numerator(const char *fn, mech_optimizer_kind kind, double b, double *c)
{
    if (!isfinite(b)) return mech__fail(NULL, MECH_ENONFINITE, "%s: momentum is not finite", fn);
    int uses_b = kind == MECH_OPTIMIZER_HEAVY_BALL || kind == MECH_OPTIMIZER_NESTEROV ||
                 kind == MECH_OPTIMIZER_ADAM || kind == MECH_OPTIMIZER_ADAMW;
    if (uses_b && !(b >= 0.0 && b < 1.0))
        return mech__fail(NULL, MECH_ERANGE, "%s: momentum/beta1 = %g must be in [0, 1)", fn, b);
    switch (kind) {
    case MECH_OPTIMIZER_GD:
    case MECH_OPTIMIZER_SGD:
    case MECH_OPTIMIZER_RMSPROP: *c = 2.0; return MECH_OK;
    case MECH_OPTIMIZER_HEAVY_BALL: *c = 2.0 + 2.0 * b; return MECH_OK;
    case MECH_OPTIMIZER_NESTEROV: *c = (2.0 + 2.0 * b) / (1.0 + 2.0 * b); return MECH_OK;
    case MECH_OPTIMIZER_ADAM:
    case MECH_OPTIMIZER_ADAMW: *c = (2.0 + 2.0 * b) / (1.0 - b); return MECH_OK;
    default:
        return mech__fail(NULL, MECH_EINVAL, "%s: no stability threshold for optimizer kind %d",
                          fn, (int)kind);
    }
}

/* c / x for the two public directions (x = lr or sharpness). */
static mech_status ratio(const char *fn, const char *what, mech_optimizer_kind kind, double x,
                         double b, double *out)
{
    MECH_CHECK_PTR(NULL, out);
    if (!isfinite(x)) return mech__fail(NULL, MECH_ENONFINITE, "%s: %s is not finite", fn, what);
    if (x <= 0.0) return mech__fail(NULL, MECH_ERANGE, "%s: %s = %g must be > 0", fn, what, x);
    double c = 0.0;
    MECH_TRY(numerator(fn, kind, b, &c));
    *out = c / x;
    return MECH_OK;
}

MECH_API mech_status mech_stability_threshold(mech_optimizer_kind kind, double lr,
                                              double momentum_or_beta1,
                                              double *max_sharpness)
{
    return ratio("mech_stability_threshold", "lr", kind, lr, momentum_or_beta1, max_sharpness);
}

MECH_API mech_status mech_stability_max_lr(mech_optimizer_kind kind, double sharpness,
                                           double momentum_or_beta1, double *max_lr)
{
    return ratio("mech_stability_max_lr", "sharpness", kind, sharpness, momentum_or_beta1,
                 max_lr);
}
