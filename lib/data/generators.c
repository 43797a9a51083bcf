/* Generators: Gaussian, power-law and spherical inputs, drawing fresh
 * examples and materializing finite datasets from them. */
#include <math.h>
#include <stdlib.h>

#include "data_internal.h"

MECH_API mech_status mech_data_create_generator(mech_data **out, const mech_ctx *ctx,
                                                mech_input_kind input, size_t in_dim)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_NONZERO(NULL, in_dim);
    if (input != MECH_INPUT_GAUSSIAN && input != MECH_INPUT_POWER_LAW &&
        input != MECH_INPUT_SPHERE)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown input kind %d", __func__,
                          (int)input);
    mech_data *d = NULL;
    MECH_TRY(mech__data_new(&d, ctx, DATA_GENERATOR, in_dim, 0, NULL));
    d->input = input;
    d->sd = mech__calloc(in_dim, sizeof *d->sd, NULL);
    if (!d->sd) {
        mech_data_destroy(d);
        return MECH_ENOMEM;
    }
    mech__data_refresh_sd(d);
    *out = d;
    return MECH_OK;
}

void mech__data_refresh_sd(mech_data *d)
{
    if (!d->sd) return;
    double var = d->opt[MECH_DATA_VARIANCE].f;
    if (d->kind == DATA_MIXTURE || d->input != MECH_INPUT_POWER_LAW) {
        for (size_t k = 0; k < d->in_dim; k++) d->sd[k] = sqrt(var);
        return;
    }
    double alpha = d->opt[MECH_DATA_ALPHA].f, trace = d->opt[MECH_DATA_TRACE].f;
    double sum = 0.0;
    for (size_t k = 0; k < d->in_dim; k++) sum += pow((double)(k + 1), -alpha);
    double c = trace > 0.0 ? trace / sum : 1.0;
    for (size_t k = 0; k < d->in_dim; k++)
        d->sd[k] = sqrt(c * pow((double)(k + 1), -alpha));
}

/* One input row of a plain generator into x. */
static mech_status draw_input(mech_data *d, double *x)
{
    size_t dim = d->in_dim;
    mech_status st = mech_rng_normal(d->gen_rng, x, dim, 0.0, 1.0);
    if (st < 0) return mech__adopt(&d->err, st);
    if (d->input != MECH_INPUT_SPHERE) {
        for (size_t k = 0; k < dim; k++) x[k] *= d->sd[k];
        return MECH_OK;
    }
    double r = d->opt[MECH_DATA_RADIUS].f, norm2 = 0.0;
    if (r == 0.0) r = sqrt((double)dim);
    for (size_t k = 0; k < dim; k++) norm2 += x[k] * x[k];
    if (norm2 == 0.0) return draw_input(d, x); /* probability zero; redraw */
    double s = r / sqrt(norm2);
    for (size_t k = 0; k < dim; k++) x[k] *= s;
    return MECH_OK;
}

/* One mixture example: class, mean plus noise, one-hot label. */
static mech_status draw_mixture(mech_data *d, double *x, double *y)
{
    size_t c = 0, dim = d->in_dim;
    if (d->opt[MECH_DATA_BALANCED].i) {
        c = (size_t)(d->class_counter % d->out_dim);
    } else {
        uint64_t u;
        mech_status st = mech_rng_below(d->gen_rng, (uint64_t)d->out_dim, &u);
        if (st < 0) return mech__adopt(&d->err, st);
        c = (size_t)u;
    }
    d->class_counter++;
    mech_status st = mech_rng_normal(d->gen_rng, x, dim, 0.0, 1.0);
    if (st < 0) return mech__adopt(&d->err, st);
    for (size_t k = 0; k < dim; k++) x[k] = d->means[c * dim + k] + d->sd[k] * x[k];
    for (size_t j = 0; j < d->out_dim; j++) y[j] = j == c ? 1.0 : 0.0;
    return MECH_OK;
}

mech_status mech__data_draw(mech_data *d, size_t n, double *x, double *y)
{
    if (d->out_dim && !y)
        return mech__fail(&d->err, MECH_EINVAL, "generator labels (out_dim %zu) need a "
                          "y buffer", d->out_dim);
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * d->in_dim;
        if (d->kind == DATA_MIXTURE)
            MECH_TRY(draw_mixture(d, xi, y + i * d->out_dim));
        else
            MECH_TRY(draw_input(d, xi));
    }
    return d->kind == DATA_GENERATOR && d->out_dim ? mech__data_label(d, x, n, y) : MECH_OK;
}

MECH_API mech_status mech_data_sample(mech_data *d, size_t n, double *x, double *y)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR(&d->err, x);
    MECH_CHECK_NONZERO(&d->err, n);
    if (d->kind == DATA_ARRAYS)
        return mech__fail(&d->err, MECH_ESTATE, "%s: a finite dataset draws no fresh "
                          "examples; use mech_data_next_batch", __func__);
    return mech__data_draw(d, n, x, y);
}

MECH_API mech_status mech_data_materialize(mech_data *gen, size_t n, mech_data **out)
{
    MECH_CHECK_PTR(NULL, gen);
    mech_err *e = &gen->err;
    MECH_CHECK_PTR(e, out);
    *out = NULL;
    MECH_CHECK_NONZERO(e, n);
    if (gen->kind == DATA_ARRAYS)
        return mech__fail(e, MECH_ESTATE, "%s: not a generator", __func__);
    size_t nx, ny;
    MECH_TRY(mech__mul(n, gen->in_dim, &nx, e));
    MECH_TRY(mech__mul(n, gen->out_dim, &ny, e));
    double *x = mech__calloc(nx, sizeof *x, e);
    double *y = ny ? mech__calloc(ny, sizeof *y, e) : NULL;
    if (!x || (ny && !y)) {
        free(x);
        free(y);
        return MECH_ENOMEM;
    }
    mech_status st = mech__data_draw(gen, n, x, y);
    if (st < 0) {
        free(x);
        free(y);
        return st;
    }
    return mech__data_adopt(out, gen->ctx, gen, x, y, n, gen->in_dim, gen->out_dim, e);
}
