/* Learning-rate schedules eta(k); the formulas are stated in optim.h. */
#include <math.h>

#include "optim_internal.h"

#define PI 3.14159265358979323846

static double f64_opt(const mech_optimizer *o, mech_optimizer_opt key)
{
    return o->opt[key].f;
}

static int64_t i64_opt(const mech_optimizer *o, mech_optimizer_opt key)
{
    return o->opt[key].i;
}

/* Number of WSD decay steps D = floor(DECAY_FRACTION * T). */
static int64_t wsd_decay_steps(const mech_optimizer *o)
{
    return (int64_t)floor(f64_opt(o, MECH_OPTIMIZER_DECAY_FRACTION) *
                          (double)i64_opt(o, MECH_OPTIMIZER_TOTAL_STEPS));
}

mech_status mech__optim_check_schedule(const mech_optimizer *o)
{
    int64_t sched = i64_opt(o, MECH_OPTIMIZER_SCHEDULE);
    if (sched != MECH_LR_COSINE && sched != MECH_LR_WSD) return MECH_OK;
    int64_t w = i64_opt(o, MECH_OPTIMIZER_WARMUP_STEPS);
    int64_t t = i64_opt(o, MECH_OPTIMIZER_TOTAL_STEPS);
    const char *name = sched == MECH_LR_COSINE ? "COSINE" : "WSD";
    if (t < 1)
        return mech__fail((mech_err *)&o->err, MECH_EINVAL,
                          "schedule %s needs total_steps >= 1", name);
    int64_t stable_end = sched == MECH_LR_WSD ? t - wsd_decay_steps(o) : t;
    if (w > stable_end)
        return mech__fail((mech_err *)&o->err, MECH_EINVAL,
                          "schedule %s: warmup_steps = %lld exceeds the %lld steps "
                          "available before the decay ends/starts",
                          name, (long long)w, (long long)stable_end);
    return MECH_OK;
}

double mech__optim_lr(const mech_optimizer *o, uint64_t k)
{
    const double eta = f64_opt(o, MECH_OPTIMIZER_LR);
    const double f = f64_opt(o, MECH_OPTIMIZER_FINAL_LR_FRACTION);
    const double kd = (double)k;
    const int64_t w = i64_opt(o, MECH_OPTIMIZER_WARMUP_STEPS);
    const int64_t total = i64_opt(o, MECH_OPTIMIZER_TOTAL_STEPS);
    const double warm = (w == 0 || k >= (uint64_t)w) ? 1.0 : kd / (double)w;

    switch ((mech_lr_schedule)i64_opt(o, MECH_OPTIMIZER_SCHEDULE)) {
    case MECH_LR_CONSTANT:
        return eta;
    case MECH_LR_WARMUP_LINEAR:
        return eta * warm;
    case MECH_LR_COSINE:
        if (k <= (uint64_t)w) return eta * warm;
        if (k > (uint64_t)total) return eta * f;
        {
            double progress = (kd - (double)w) / (double)(total - w);
            return eta * (f + (1.0 - f) * 0.5 * (1.0 + cos(PI * progress)));
        }
    case MECH_LR_WSD: {
        int64_t d = wsd_decay_steps(o);
        if (k <= (uint64_t)(total - d)) return eta * warm;
        if (k > (uint64_t)total) return eta * f;
        return eta * (f + (1.0 - f) * ((double)total - kd) / (double)d);
    }
    case MECH_LR_STEP: {
        uint64_t cuts = k >= 1 ? (k - 1) / (uint64_t)i64_opt(o, MECH_OPTIMIZER_STEP_SIZE) : 0;
        return eta * warm * pow(f64_opt(o, MECH_OPTIMIZER_GAMMA), (double)cuts);
    }
    case MECH_LR_INV_SQRT: {
        double wp = w > 1 ? (double)w : 1.0;
        return eta * fmin(kd / wp, sqrt(wp / kd));
    }
    }
    return eta; /* unreachable: the option's bounds admit only the cases above */
}

MECH_API mech_status mech_optimizer_lr_at(const mech_optimizer *o, uint64_t step, double *lr)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR((mech_err *)&o->err, lr);
    MECH_TRY(mech__optim_check_schedule(o));
    *lr = mech__optim_lr(o, step);
    return MECH_OK;
}
