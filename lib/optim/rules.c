/* The update rules (stated in optim.h) and what probes read from them. */
#include <math.h>

#include "optim_internal.h"

#define BLOCK 2048 /* parameters updated between finiteness checks: the
                    * check then reads values still in L1 */

/* The step in either precision (f32: float arrays), reading p_in and
 * writing p_out, for a gradient of L2 norm gnorm (mech__norm2: < 0 when
 * the gradient is not finite, which fails before any state changes). */
static mech_status step_any(mech_optimizer *o, const void *p_in, void *p_out, const void *g,
                            bool f32, double gnorm, bool *bad)
{
    if (!o->ready)
        return mech__fail(&o->err, MECH_ESTATE, "optimizer step before mech_optimizer_setup");
    MECH_TRY(mech__optim_check_schedule(o));
    if (gnorm < 0)
        return mech__fail(&o->err, MECH_ENONFINITE, "optimizer step: gradient has NaN or Inf");
    const double wd = o->opt[MECH_OPTIMIZER_WEIGHT_DECAY].f;
    const double cap = o->opt[MECH_OPTIMIZER_CLIP_NORM].f;
    const bool decoupled = o->kind == MECH_OPTIMIZER_ADAMW;
    mech__optim_coef c = {
        .clip = cap > 0 && gnorm > cap ? cap / gnorm : 1,
        .l2 = decoupled ? 0 : wd,
        .decay = decoupled ? wd : 0,
        .beta = o->opt[MECH_OPTIMIZER_MOMENTUM].f,
        .b1 = o->opt[MECH_OPTIMIZER_BETA1].f,
        .b2 = o->opt[MECH_OPTIMIZER_BETA2].f,
        .eps = o->opt[MECH_OPTIMIZER_EPS].f,
    };
    const uint64_t k = o->t + 1;
    c.bc1 = 1 - pow(c.b1, (double)k);
    c.bc2 = 1 - pow(c.b2, (double)k);
    const double eta = mech__optim_lr(o, k);
    bool nonfinite = false;
    for (size_t j = 0; j < o->n_groups; j++) {
        const double lr = eta * o->group_mult[j];
        for (size_t lo = o->group_off[j]; lo < o->group_off[j + 1]; lo += BLOCK) {
            size_t hi = o->group_off[j + 1] - lo > BLOCK ? lo + BLOCK : o->group_off[j + 1];
            if (f32) {
                float *out = p_out;
                mech__optim_update_f32(o->kind, &c, lr, lo, hi, p_in, out, g, o->m, o->s);
                if (bad) nonfinite |= mech__norm2_f32(out + lo, hi - lo) < 0;
            } else {
                double *out = p_out;
                mech__optim_update_f64(o->kind, &c, lr, lo, hi, p_in, out, g, o->m, o->s);
                if (bad) nonfinite |= mech__norm2(out + lo, hi - lo) < 0;
            }
        }
    }
    if (bad) *bad = nonfinite;
    o->t = k;
    return MECH_OK;
}

mech_status mech__optimizer_step_into(mech_optimizer *o, const void *p_in, void *p_out,
                                      const void *grad, bool f32, double grad_norm, bool *bad)
{
    return step_any(o, p_in, p_out, grad, f32, grad_norm, bad);
}

/* The public steps, in place: one pass over the gradient finds its norm
 * (for clipping) and whether it is finite. */
static mech_status step_checked(mech_optimizer *o, void *params, const void *grad, bool f32)
{
    const double gn = f32 ? mech__norm2_f32(grad, o->n) : mech__norm2(grad, o->n);
    return step_any(o, params, params, grad, f32, gn, NULL);
}

MECH_API mech_status mech_optimizer_step(mech_optimizer *o, double *params, const double *grad)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, params);
    MECH_CHECK_PTR(&o->err, grad);
    return step_checked(o, params, grad, false);
}

MECH_API mech_status mech_optimizer_step_f32(mech_optimizer *o, float *params,
                                             const float *grad)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, params);
    MECH_CHECK_PTR(&o->err, grad);
    return step_checked(o, params, grad, true);
}

MECH_API mech_status mech_optimizer_preconditioner(const mech_optimizer *o, double *p_out,
                                                   size_t n)
{
    MECH_CHECK_PTR(NULL, o);
    mech_err *e = (mech_err *)&o->err;
    MECH_CHECK_PTR(e, p_out);
    if (!mech__optim_has_s(o->kind))
        return mech__fail(e, MECH_EUNSUPPORTED, "%s: %s has no diagonal preconditioner",
                          __func__, mech_optimizer_kind_name(o->kind));
    if (n != o->n)
        return mech__fail(e, MECH_ESHAPE, "%s: n = %zu, optimizer has %zu parameters",
                          __func__, n, o->n);
    if (!o->ready)
        return mech__fail(e, MECH_ESTATE, "%s: optimizer is not set up", __func__);
    const double eps = o->opt[MECH_OPTIMIZER_EPS].f;
    double bc2 = 1;
    if (o->kind != MECH_OPTIMIZER_RMSPROP)
        bc2 = 1 - pow(o->opt[MECH_OPTIMIZER_BETA2].f, (double)o->t);
    for (size_t i = 0; i < n; i++)
        p_out[i] = (bc2 > 0 ? sqrt(o->s[i] / bc2) : 0) + eps;
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_step_scale(const mech_optimizer *o, double *scale_out,
                                               size_t n)
{
    MECH_CHECK_PTR(NULL, o);
    mech_err *e = (mech_err *)&o->err;
    MECH_CHECK_PTR(e, scale_out);
    bool adaptive = mech__optim_has_s(o->kind);
    if (o->kind == MECH_OPTIMIZER_SIGN)
        return mech__fail(e, MECH_EUNSUPPORTED, "%s: sign descent has no step scale",
                          __func__);
    if (adaptive) {
        MECH_TRY(mech_optimizer_preconditioner(o, scale_out, n));
    } else if (n != o->n) {
        return mech__fail(e, MECH_ESHAPE, "%s: n = %zu, optimizer has %zu parameters",
                          __func__, n, o->n);
    } else if (!o->ready) {
        return mech__fail(e, MECH_ESTATE, "%s: optimizer is not set up", __func__);
    }
    MECH_TRY(mech__optim_check_schedule(o));
    const double eta = mech__optim_lr(o, o->t + 1);
    for (size_t j = 0; j < o->n_groups; j++) {
        const double lr = eta * o->group_mult[j];
        for (size_t i = o->group_off[j]; i < o->group_off[j + 1]; i++)
            scale_out[i] = adaptive ? (scale_out[i] > 0 ? lr / scale_out[i] : INFINITY) : lr;
    }
    return MECH_OK;
}
