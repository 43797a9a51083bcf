/* Options of data handles: the table and the typed setters and getters. */
#include <float.h>

#include "data_internal.h"

static const mech_optdesc DATA_OPTS[] = {
    [MECH_DATA_VARIANCE] = {"variance", MECH_OPT_F64, 0, DBL_MAX, 1, NULL,
                            "per-coordinate variance of Gaussian inputs and mixture noise"},
    [MECH_DATA_ALPHA] = {"alpha", MECH_OPT_F64, 0, 64, 1, NULL,
                         "power-law input spectrum exponent: lambda_k = c k^-alpha"},
    [MECH_DATA_TRACE] = {"trace", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                         "power-law spectrum trace (0 = unnormalized, c = 1)"},
    [MECH_DATA_RADIUS] = {"radius", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                          "sphere radius (0 = sqrt(in_dim))"},
    [MECH_DATA_TEACHER_SCALE] = {"teacher_scale", MECH_OPT_I64, 0, 1, 0, NULL,
                                 "linear teacher: 0 y = W x, 1 y = W x / sqrt(in_dim)"},
    [MECH_DATA_DROP_LAST] = {"drop_last", MECH_OPT_I64, 0, 1, 1, NULL,
                             "without replacement: drop (1) or wrap (0) the last partial batch"},
    [MECH_DATA_BALANCED] = {"balanced", MECH_OPT_I64, 0, 1, 0, NULL,
                            "mixture classes cycle (1) instead of uniform draws (0)"},
    [MECH_DATA_STREAM] = {"stream", MECH_OPT_I64, 0, 1099511627776.0, 0, NULL,
                          "stream family of the handle's generators (restarts them)"},
};

const mech_opttable mech__data_opts = {MECH_KIND_DATA, DATA_OPTS,
                                       (int)(sizeof DATA_OPTS / sizeof DATA_OPTS[0])};

_Static_assert(sizeof DATA_OPTS / sizeof DATA_OPTS[0] == MECH_DATA_NOPT,
               "MECH_DATA_NOPT must match the option table");

/* Moves both generators to the stream family now in the options, at
 * position 0; on failure the old family is restored. */
static mech_status reseat_streams(mech_data *d, int64_t old_family)
{
    mech_rng *s = NULL, *g = NULL;
    mech_status st = mech_rng_create(&s, d->ctx, mech__data_stream(d, PURPOSE_SAMPLE));
    if (st >= 0) st = mech_rng_create(&g, d->ctx, mech__data_stream(d, PURPOSE_GENERATE));
    if (st < 0) {
        mech_rng_destroy(s);
        d->opt[MECH_DATA_STREAM].i = old_family;
        return mech__adopt(&d->err, st);
    }
    mech_rng_destroy(d->sample_rng);
    mech_rng_destroy(d->gen_rng);
    d->sample_rng = s;
    d->gen_rng = g;
    d->configured = false; /* a shuffled order from the old stream cannot be replayed */
    return MECH_OK;
}

MECH_API mech_status mech_data_set_i64(mech_data *d, mech_data_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, d);
    int64_t old_family = d->opt[MECH_DATA_STREAM].i;
    MECH_TRY(mech__opt_set_i64(&mech__data_opts, d->opt, (int)key, value, &d->err));
    if (key == MECH_DATA_STREAM) return reseat_streams(d, old_family);
    return MECH_OK;
}

MECH_API mech_status mech_data_get_i64(const mech_data *d, mech_data_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, d);
    return mech__opt_get_i64(&mech__data_opts, d->opt, (int)key, value, (mech_err *)&d->err);
}

MECH_API mech_status mech_data_set_f64(mech_data *d, mech_data_opt key, double value)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_TRY(mech__opt_set_f64(&mech__data_opts, d->opt, (int)key, value, &d->err));
    mech__data_refresh_sd(d);
    return MECH_OK;
}

MECH_API mech_status mech_data_get_f64(const mech_data *d, mech_data_opt key, double *value)
{
    MECH_CHECK_PTR(NULL, d);
    return mech__opt_get_f64(&mech__data_opts, d->opt, (int)key, value, (mech_err *)&d->err);
}
