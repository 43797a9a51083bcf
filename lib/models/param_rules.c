/* THE table of parametrization rules (THEORY.md section 6; the table is
 * spelled out in include/mechanics/model.h at mech_param_rule). Every
 * other use (model init, forward multipliers, per-tensor learning rates)
 * goes through this function. */
#include <math.h>

#include "internal.h"
#include "mechanics/model.h"

static bool fan_ok(double f) { return isfinite(f) && f > 0; }

MECH_API mech_status mech_param_rule(mech_parametrization p, mech_optimizer_family fam,
                                     mech_layer_role role, double fan_in, double fan_out,
                                     double base_fan_in, double base_fan_out,
                                     double *init_var, double *multiplier,
                                     double *lr_scale)
{
    if ((unsigned)p > MECH_PARAM_MEANFIELD)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown parametrization %d", __func__, (int)p);
    if ((unsigned)fam > MECH_OPTFAM_ADAM)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown optimizer family %d", __func__,
                          (int)fam);
    if ((unsigned)role > MECH_ROLE_BIAS)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown layer role %d", __func__, (int)role);
    if (!fan_ok(fan_in) || !fan_ok(fan_out) || !fan_ok(base_fan_in) || !fan_ok(base_fan_out))
        return mech__fail(NULL, MECH_ERANGE, "%s: fans must be finite and > 0", __func__);

    const bool sgd = fam == MECH_OPTFAM_SGD;
    const double r_in = fan_in / base_fan_in, r_out = fan_out / base_fan_out;
    double var = 1.0 / fan_in, mult = 1.0, lr = 1.0; /* SP */

    if (role == MECH_ROLE_BIAS) var = 0.0;
    switch (p) {
    case MECH_PARAM_SP: break;
    case MECH_PARAM_NTK:
        var = 1.0;
        mult = role == MECH_ROLE_BIAS ? 1.0 : 1.0 / sqrt(fan_in);
        break;
    case MECH_PARAM_MUP:
    case MECH_PARAM_MEANFIELD:
        switch (role) {
        case MECH_ROLE_INPUT:
        case MECH_ROLE_BIAS: lr = sgd ? r_out : 1.0; break;
        case MECH_ROLE_HIDDEN: lr = sgd ? 1.0 : 1.0 / r_in; break;
        case MECH_ROLE_OUTPUT:
            if (p == MECH_PARAM_MUP) {
                var = 1.0 / (fan_in * r_in);
                lr = 1.0 / r_in;
            } else {
                /* Same effective readout as muP: (mult^2 var) and the
                 * update of mult * W agree. */
                var = 1.0 / base_fan_in;
                mult = 1.0 / r_in;
                lr = sgd ? r_in : 1.0;
            }
            break;
        }
        break;
    }
    if (init_var) *init_var = var;
    if (multiplier) *multiplier = mult;
    if (lr_scale) *lr_scale = lr;
    return MECH_OK;
}

MECH_API const char *mech_parametrization_name(mech_parametrization p)
{
    switch (p) {
    case MECH_PARAM_SP: return "sp";
    case MECH_PARAM_NTK: return "ntk";
    case MECH_PARAM_MUP: return "mup";
    case MECH_PARAM_MEANFIELD: return "meanfield";
    }
    return "unknown";
}
