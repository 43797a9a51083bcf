/* The update rules (stated in optim.h) and what probes read from them. */
#include <float.h>
#include <math.h>

#include "optim_internal.h"

/* Per-step constants shared by every element of one update. */
typedef struct step_coef {
    double clip;   /* gradient scale from norm clipping (1 = none) */
    double l2;     /* weight decay added to the gradient */
    double decay;  /* decoupled (ADAMW) weight decay */
    double beta, b1, b2, eps;
    double bc1, bc2; /* bias corrections 1 - b1^k, 1 - b2^k */
} step_coef;

/* Gradient element i, from whichever precision the caller passed. */
static double grad_at(const double *g64, const float *g32, size_t i)
{
    return g64 ? g64[i] : (double)g32[i];
}

/* Scale that clips the gradient's global L2 norm to `cap` (0 = off), or a
 * negative value if the gradient is not finite. The norm is accumulated
 * relative to the largest entry so huge finite gradients do not overflow. */
static double clip_scale(const double *g64, const float *g32, size_t n, double cap)
{
    double amax = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(grad_at(g64, g32, i));
        if (!(a <= DBL_MAX)) return -1;
        if (a > amax) amax = a;
    }
    if (cap == 0 || amax == 0) return 1;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double r = grad_at(g64, g32, i) / amax;
        sum += r * r;
    }
    double norm = amax * sqrt(sum);
    return norm > cap ? cap / norm : 1;
}

static double sign_of(double x)
{
    return (double)((x > 0) - (x < 0));
}

/* Divides by an adaptive denominator; a zero denominator means the
 * coordinate has seen no gradient (eps = 0), so it does not move. */
static double safe_ratio(double num, double den)
{
    return den > 0 ? num / den : 0;
}

/* New value of parameter i (state i updated in place) for gradient g and
 * learning rate lr. */
static double update_one(mech_optimizer *o, const step_coef *c, size_t i, double theta,
                         double g, double lr)
{
    g = g * c->clip + c->l2 * theta;
    switch (o->kind) {
    case MECH_OPTIMIZER_GD:
    case MECH_OPTIMIZER_SGD:
        return theta - lr * g;
    case MECH_OPTIMIZER_HEAVY_BALL:
        o->m[i] = c->beta * o->m[i] + g;
        return theta - lr * o->m[i];
    case MECH_OPTIMIZER_NESTEROV:
        o->m[i] = c->beta * o->m[i] + g;
        return theta - lr * (g + c->beta * o->m[i]);
    case MECH_OPTIMIZER_ADAM:
    case MECH_OPTIMIZER_ADAMW: {
        o->m[i] = c->b1 * o->m[i] + (1 - c->b1) * g;
        o->s[i] = c->b2 * o->s[i] + (1 - c->b2) * g * g;
        double den = sqrt(o->s[i] / c->bc2) + c->eps;
        theta -= lr * c->decay * theta;
        return theta - lr * safe_ratio(o->m[i] / c->bc1, den);
    }
    case MECH_OPTIMIZER_RMSPROP:
        o->s[i] = c->b2 * o->s[i] + (1 - c->b2) * g * g;
        return theta - lr * safe_ratio(g, sqrt(o->s[i]) + c->eps);
    case MECH_OPTIMIZER_SIGN:
        return theta - lr * sign_of(g);
    }
    return theta; /* unreachable: create admits only the kinds above */
}

/* One step over either double (p64, g64) or float (p32, g32) arrays. */
static mech_status step_any(mech_optimizer *o, double *p64, float *p32, const double *g64,
                            const float *g32)
{
    if (!o->ready)
        return mech__fail(&o->err, MECH_ESTATE, "optimizer step before mech_optimizer_setup");
    MECH_TRY(mech__optim_check_schedule(o));
    const double wd = o->opt[MECH_OPTIMIZER_WEIGHT_DECAY].f;
    const bool decoupled = o->kind == MECH_OPTIMIZER_ADAMW;
    step_coef c = {
        .clip = clip_scale(g64, g32, o->n, o->opt[MECH_OPTIMIZER_CLIP_NORM].f),
        .l2 = decoupled ? 0 : wd,
        .decay = decoupled ? wd : 0,
        .beta = o->opt[MECH_OPTIMIZER_MOMENTUM].f,
        .b1 = o->opt[MECH_OPTIMIZER_BETA1].f,
        .b2 = o->opt[MECH_OPTIMIZER_BETA2].f,
        .eps = o->opt[MECH_OPTIMIZER_EPS].f,
    };
    if (c.clip < 0)
        return mech__fail(&o->err, MECH_ENONFINITE, "optimizer step: gradient has NaN or Inf");
    const uint64_t k = o->t + 1;
    c.bc1 = 1 - pow(c.b1, (double)k);
    c.bc2 = 1 - pow(c.b2, (double)k);
    const double eta = mech__optim_lr(o, k);
    for (size_t j = 0; j < o->n_groups; j++) {
        const double lr = eta * o->group_mult[j];
        for (size_t i = o->group_off[j]; i < o->group_off[j + 1]; i++) {
            double g = grad_at(g64, g32, i);
            if (p64)
                p64[i] = update_one(o, &c, i, p64[i], g, lr);
            else
                p32[i] = (float)update_one(o, &c, i, (double)p32[i], g, lr);
        }
    }
    o->t = k;
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_step(mech_optimizer *o, double *params, const double *grad)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, params);
    MECH_CHECK_PTR(&o->err, grad);
    return step_any(o, params, NULL, grad, NULL);
}

MECH_API mech_status mech_optimizer_step_f32(mech_optimizer *o, float *params,
                                             const float *grad)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, params);
    MECH_CHECK_PTR(&o->err, grad);
    return step_any(o, NULL, params, NULL, grad);
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
