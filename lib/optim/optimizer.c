/* The optimizer handle: creation, options, parameter groups, setup. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim_internal.h"

#define BELOW_ONE 0.99999999999999988898 /* largest double < 1 */
#define I64_MAX_D 9.2233720368547748e18

static const mech_optdesc OPTIMIZER_OPTS[MECH_OPTIMIZER_NOPTS] = {
    [MECH_OPTIMIZER_LR] = {"lr", MECH_OPT_F64, 0, DBL_MAX, 1e-3, NULL,
                           "base learning rate eta"},
    [MECH_OPTIMIZER_MOMENTUM] = {"momentum", MECH_OPT_F64, 0, BELOW_ONE, 0.9, NULL,
                                 "momentum beta of HEAVY_BALL and NESTEROV"},
    [MECH_OPTIMIZER_BETA1] = {"beta1", MECH_OPT_F64, 0, BELOW_ONE, 0.9, NULL,
                              "first-moment decay of ADAM and ADAMW"},
    [MECH_OPTIMIZER_BETA2] = {"beta2", MECH_OPT_F64, 0, BELOW_ONE, 0.999, NULL,
                              "second-moment decay of ADAM, ADAMW and RMSPROP"},
    [MECH_OPTIMIZER_EPS] = {"eps", MECH_OPT_F64, 0, DBL_MAX, 1e-8, NULL,
                            "added to the adaptive denominator sqrt(s) + eps"},
    [MECH_OPTIMIZER_WEIGHT_DECAY] = {"weight_decay", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                                     "L2 term added to the gradient (decoupled for ADAMW)"},
    [MECH_OPTIMIZER_CLIP_NORM] = {"clip_norm", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                                  "cap on the gradient's global L2 norm (0 = off)"},
    [MECH_OPTIMIZER_SCHEDULE] = {"schedule", MECH_OPT_I64, 0, MECH_LR_INV_SQRT,
                                 MECH_LR_CONSTANT, NULL,
                                 "learning-rate schedule (mech_lr_schedule)"},
    [MECH_OPTIMIZER_WARMUP_STEPS] = {"warmup_steps", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                                     "steps of linear warmup"},
    [MECH_OPTIMIZER_TOTAL_STEPS] = {"total_steps", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                                    "schedule length of COSINE and WSD"},
    [MECH_OPTIMIZER_FINAL_LR_FRACTION] = {"final_lr_fraction", MECH_OPT_F64, 0, 1, 0, NULL,
                                          "final rate of COSINE and WSD, as a fraction of lr"},
    [MECH_OPTIMIZER_DECAY_FRACTION] = {"decay_fraction", MECH_OPT_F64, 0, 1, 0.2, NULL,
                                       "fraction of total_steps WSD spends decaying"},
    [MECH_OPTIMIZER_STEP_SIZE] = {"step_size", MECH_OPT_I64, 1, I64_MAX_D, 1000, NULL,
                                  "steps between the rate cuts of STEP"},
    [MECH_OPTIMIZER_GAMMA] = {"gamma", MECH_OPT_F64, 0, DBL_MAX, 0.1, NULL,
                              "factor applied every step_size steps by STEP"},
};

const mech_opttable mech__optimizer_opts = {MECH_KIND_OPTIMIZER, OPTIMIZER_OPTS,
                                            MECH_OPTIMIZER_NOPTS};

bool mech__optim_has_m(mech_optimizer_kind kind)
{
    return kind == MECH_OPTIMIZER_HEAVY_BALL || kind == MECH_OPTIMIZER_NESTEROV ||
           kind == MECH_OPTIMIZER_ADAM || kind == MECH_OPTIMIZER_ADAMW;
}

bool mech__optim_has_s(mech_optimizer_kind kind)
{
    return kind == MECH_OPTIMIZER_ADAM || kind == MECH_OPTIMIZER_ADAMW ||
           kind == MECH_OPTIMIZER_RMSPROP;
}

MECH_API const char *mech_optimizer_kind_name(mech_optimizer_kind kind)
{
    static const char *const NAMES[] = {"gd", "sgd", "heavy_ball", "nesterov",
                                        "adam", "adamw", "rmsprop", "sign"};
    size_t k = (size_t)kind;
    return k < sizeof NAMES / sizeof NAMES[0] ? NAMES[k] : "unknown";
}

/* Replaces the groups with copies of the given arrays (already validated). */
static mech_status install_groups(mech_optimizer *o, const size_t *off, const double *mult,
                                  size_t n_groups)
{
    size_t *new_off = mech__calloc(n_groups + 1, sizeof *new_off, &o->err);
    double *new_mult = new_off ? mech__calloc(n_groups, sizeof *new_mult, &o->err) : NULL;
    if (!new_mult) {
        free(new_off);
        return MECH_ENOMEM;
    }
    memcpy(new_off, off, (n_groups + 1) * sizeof *new_off);
    memcpy(new_mult, mult, n_groups * sizeof *new_mult);
    free(o->group_off);
    free(o->group_mult);
    o->group_off = new_off;
    o->group_mult = new_mult;
    o->n_groups = n_groups;
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_create(mech_optimizer **out, const mech_ctx *ctx,
                                           mech_optimizer_kind kind, size_t n_params)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_NONZERO(NULL, n_params);
    if ((unsigned)kind > (unsigned)MECH_OPTIMIZER_SIGN)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown optimizer kind %d", __func__,
                          (int)kind);
    if (n_params >= SIZE_MAX / sizeof(double))
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: n_params %zu is too large", __func__,
                          n_params);
    mech_optimizer *o = mech__calloc(1, sizeof *o, NULL);
    if (!o) return MECH_ENOMEM;
    o->kind = kind;
    o->n = n_params;
    mech__opt_defaults(&mech__optimizer_opts, o->opt, NULL); /* numeric: cannot fail */
    const size_t off[2] = {0, n_params};
    const double one = 1.0;
    if (install_groups(o, off, &one, 1) < 0) {
        free(o);
        return MECH_ENOMEM;
    }
    *out = o;
    return MECH_OK;
}

MECH_API void mech_optimizer_destroy(mech_optimizer *o)
{
    if (!o) return;
    free(o->group_off);
    free(o->group_mult);
    free(o->m);
    free(o->s);
    free(o);
}

MECH_API const char *mech_optimizer_last_error(const mech_optimizer *o)
{
    return o ? o->err.msg : "";
}

MECH_API mech_status mech_optimizer_set_i64(mech_optimizer *o, mech_optimizer_opt key,
                                            int64_t value)
{
    MECH_CHECK_PTR(NULL, o);
    return mech__opt_set_i64(&mech__optimizer_opts, o->opt, (int)key, value, &o->err);
}

MECH_API mech_status mech_optimizer_get_i64(const mech_optimizer *o, mech_optimizer_opt key,
                                            int64_t *value)
{
    MECH_CHECK_PTR(NULL, o);
    return mech__opt_get_i64(&mech__optimizer_opts, o->opt, (int)key, value,
                             (mech_err *)&o->err);
}

MECH_API mech_status mech_optimizer_set_f64(mech_optimizer *o, mech_optimizer_opt key,
                                            double value)
{
    MECH_CHECK_PTR(NULL, o);
    return mech__opt_set_f64(&mech__optimizer_opts, o->opt, (int)key, value, &o->err);
}

MECH_API mech_status mech_optimizer_get_f64(const mech_optimizer *o, mech_optimizer_opt key,
                                            double *value)
{
    MECH_CHECK_PTR(NULL, o);
    return mech__opt_get_f64(&mech__optimizer_opts, o->opt, (int)key, value,
                             (mech_err *)&o->err);
}

MECH_API mech_status mech_optimizer_set_groups(mech_optimizer *o, const size_t *group_offsets,
                                               const double *lr_multipliers, size_t n_groups)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, group_offsets);
    MECH_CHECK_PTR(&o->err, lr_multipliers);
    MECH_CHECK_NONZERO(&o->err, n_groups);
    if (n_groups > o->n)
        return mech__fail(&o->err, MECH_EINVAL, "%s: %zu groups for %zu parameters",
                          __func__, n_groups, o->n);
    if (group_offsets[0] != 0)
        return mech__fail(&o->err, MECH_EINVAL, "%s: group_offsets[0] = %zu, must be 0",
                          __func__, group_offsets[0]);
    for (size_t j = 0; j < n_groups; j++) {
        if (group_offsets[j + 1] <= group_offsets[j])
            return mech__fail(&o->err, MECH_EINVAL,
                              "%s: group_offsets must increase strictly (entry %zu)",
                              __func__, j + 1);
        if (!isfinite(lr_multipliers[j]))
            return mech__fail(&o->err, MECH_ENONFINITE, "%s: lr_multipliers[%zu] is not finite",
                              __func__, j);
        if (lr_multipliers[j] < 0)
            return mech__fail(&o->err, MECH_ERANGE, "%s: lr_multipliers[%zu] = %g < 0",
                              __func__, j, lr_multipliers[j]);
    }
    if (group_offsets[n_groups] != o->n)
        return mech__fail(&o->err, MECH_ESHAPE,
                          "%s: last group offset %zu, optimizer has %zu parameters",
                          __func__, group_offsets[n_groups], o->n);
    return install_groups(o, group_offsets, lr_multipliers, n_groups);
}

MECH_API mech_status mech_optimizer_setup(mech_optimizer *o)
{
    MECH_CHECK_PTR(NULL, o);
    if (o->ready)
        return mech__fail(&o->err, MECH_ESTATE, "%s: optimizer is already set up", __func__);
    MECH_TRY(mech__optim_check_schedule(o));
    double *m = NULL, *s = NULL;
    if (mech__optim_has_m(o->kind) && !(m = mech__calloc(o->n, sizeof *m, &o->err)))
        return MECH_ENOMEM;
    if (mech__optim_has_s(o->kind) && !(s = mech__calloc(o->n, sizeof *s, &o->err))) {
        free(m);
        return MECH_ENOMEM;
    }
    o->m = m;
    o->s = s;
    o->t = 0;
    o->ready = true;
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_step_count(const mech_optimizer *o, uint64_t *count)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR((mech_err *)&o->err, count);
    *count = o->t;
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_info(const mech_optimizer *o, mech_optimizer_kind *kind,
                                         size_t *n_params, bool *ready)
{
    MECH_CHECK_PTR(NULL, o);
    if (kind) *kind = o->kind;
    if (n_params) *n_params = o->n;
    if (ready) *ready = o->ready;
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_reset(mech_optimizer *o)
{
    MECH_CHECK_PTR(NULL, o);
    if (o->m) memset(o->m, 0, o->n * sizeof *o->m);
    if (o->s) memset(o->s, 0, o->n * sizeof *o->s);
    o->t = 0;
    return MECH_OK;
}
