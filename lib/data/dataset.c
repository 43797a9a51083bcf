/* Finite datasets: construction from arrays (copied or borrowed), the
 * handle's lifetime, getters, copy-out and train/test splits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

#define STREAM_FAMILY_BASE UINT64_C(0x6D65636844000000) /* "mechD" */

uint64_t mech__data_stream(const mech_data *d, int purpose)
{
    return STREAM_FAMILY_BASE + ((uint64_t)d->opt[MECH_DATA_STREAM].i << 4) +
           (uint64_t)purpose;
}

mech_status mech__data_new(mech_data **out, const mech_ctx *ctx, data_kind kind,
                           size_t in_dim, size_t out_dim, mech_err *e)
{
    mech_data *d = mech__calloc(1, sizeof *d, e);
    if (!d) return MECH_ENOMEM;
    d->ctx = ctx;
    d->kind = kind;
    d->in_dim = in_dim;
    d->out_dim = out_dim;
    mech_status st = mech__opt_defaults(&mech__data_opts, d->opt, e);
    if (st < 0) {
        free(d);
        return st;
    }
    st = mech_rng_create(&d->sample_rng, ctx, mech__data_stream(d, PURPOSE_SAMPLE));
    if (st >= 0)
        st = mech_rng_create(&d->gen_rng, ctx, mech__data_stream(d, PURPOSE_GENERATE));
    if (st < 0) {
        mech__adopt(e, st);
        mech_data_destroy(d);
        return st;
    }
    *out = d;
    return MECH_OK;
}

mech_status mech__data_adopt(mech_data **out, const mech_ctx *ctx, const mech_data *like,
                             double *x, double *y, size_t n, size_t in_dim,
                             size_t out_dim, mech_err *e)
{
    mech_data *d = NULL;
    mech_status st = mech__data_new(&d, ctx, DATA_ARRAYS, in_dim, out_dim, e);
    if (st < 0) {
        free(x);
        free(y);
        return st;
    }
    d->n = n;
    d->x = d->owned_x = x;
    d->y = d->owned_y = y;
    if (like) {
        for (int k = 0; k < MECH_DATA_NOPT; k++) d->opt[k] = like->opt[k];
        /* the stream option may differ from the default: re-seat the rngs */
        mech_rng_destroy(d->sample_rng);
        mech_rng_destroy(d->gen_rng);
        d->sample_rng = d->gen_rng = NULL;
        st = mech_rng_create(&d->sample_rng, ctx, mech__data_stream(d, PURPOSE_SAMPLE));
        if (st >= 0)
            st = mech_rng_create(&d->gen_rng, ctx, mech__data_stream(d, PURPOSE_GENERATE));
        if (st < 0) {
            mech__adopt(e, st);
            mech_data_destroy(d);
            return st;
        }
    }
    *out = d;
    return MECH_OK;
}

MECH_API mech_status mech_data_create_arrays(mech_data **out, const mech_ctx *ctx,
                                             const double *x, const double *y, size_t n,
                                             size_t in_dim, size_t out_dim,
                                             mech_ownership own)
{
    size_t nx, ny;
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, x);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, in_dim);
    if (out_dim > 0 && !y)
        return mech__fail(NULL, MECH_EINVAL, "%s: y is NULL but out_dim is %zu", __func__,
                          out_dim);
    if (out_dim == 0 && y)
        return mech__fail(NULL, MECH_EINVAL, "%s: y given but out_dim is 0", __func__);
    if (own != MECH_COPY && own != MECH_BORROW)
        return mech__fail(NULL, MECH_EINVAL, "%s: ownership %d is neither MECH_COPY nor "
                          "MECH_BORROW", __func__, (int)own);
    MECH_TRY(mech__mul(n, in_dim, &nx, NULL));
    MECH_TRY(mech__mul(n, out_dim, &ny, NULL));
    MECH_TRY(mech__check_finite(x, nx, "x", NULL));
    if (ny) MECH_TRY(mech__check_finite(y, ny, "y", NULL));

    if (own == MECH_BORROW) {
        mech_data *d = NULL;
        MECH_TRY(mech__data_new(&d, ctx, DATA_ARRAYS, in_dim, out_dim, NULL));
        d->n = n;
        d->x = x;
        d->y = y;
        *out = d;
        return MECH_OK;
    }
    double *cx = mech__calloc(nx, sizeof *cx, NULL);
    double *cy = ny ? mech__calloc(ny, sizeof *cy, NULL) : NULL;
    if (!cx || (ny && !cy)) {
        free(cx);
        free(cy);
        return MECH_ENOMEM;
    }
    memcpy(cx, x, nx * sizeof *cx);
    if (ny) memcpy(cy, y, ny * sizeof *cy);
    return mech__data_adopt(out, ctx, NULL, cx, cy, n, in_dim, out_dim, NULL);
}

MECH_API void mech_data_destroy(mech_data *d)
{
    if (!d) return;
    mech_rng_destroy(d->sample_rng);
    mech_rng_destroy(d->gen_rng);
    free(d->owned_x);
    free(d->owned_y);
    free(d->sd);
    free(d->noise);
    free(d->w);
    free(d->means);
    free(d->perm);
    mech__opt_free(&mech__data_opts, d->opt);
    free(d);
}

MECH_API const char *mech_data_last_error(const mech_data *d)
{
    return d ? d->err.msg : "";
}

MECH_API mech_status mech_data_n(const mech_data *d, size_t *n)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, n);
    *n = d->n;
    return MECH_OK;
}

MECH_API mech_status mech_data_in_dim(const mech_data *d, size_t *in_dim)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, in_dim);
    *in_dim = d->in_dim;
    return MECH_OK;
}

MECH_API mech_status mech_data_out_dim(const mech_data *d, size_t *out_dim)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, out_dim);
    *out_dim = d->out_dim;
    return MECH_OK;
}

MECH_API mech_status mech_data_is_generator(const mech_data *d, bool *is_generator)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, is_generator);
    *is_generator = d->kind != DATA_ARRAYS;
    return MECH_OK;
}

MECH_API mech_status mech_data_get(const mech_data *d, size_t first, size_t count,
                                   double *x, double *y)
{
    MECH_CHECK_PTR(NULL, d);
    mech_err *e = (mech_err *)&d->err;
    if (!x && !y) return mech__fail(e, MECH_EINVAL, "%s: x and y are both NULL", __func__);
    if (d->kind != DATA_ARRAYS)
        return mech__fail(e, MECH_ESTATE, "%s: a generator has no stored examples; use "
                          "mech_data_sample or mech_data_materialize", __func__);
    if (first > d->n || count > d->n - first)
        return mech__fail(e, MECH_ERANGE, "%s: examples %zu..%zu+%zu are past the end (n = %zu)",
                          __func__, first, first, count, d->n);
    if (x) memcpy(x, d->x + first * d->in_dim, count * d->in_dim * sizeof *x);
    if (y && d->out_dim)
        memcpy(y, d->y + first * d->out_dim, count * d->out_dim * sizeof *y);
    return MECH_OK;
}

/* Copies rows idx[0..m) of d into a new finite dataset. */
static mech_status subset(const mech_data *d, const size_t *idx, size_t m, mech_data **out,
                          mech_err *e)
{
    double *x = mech__calloc(m * d->in_dim, sizeof *x, e);
    double *y = d->out_dim ? mech__calloc(m * d->out_dim, sizeof *y, e) : NULL;
    if (!x || (d->out_dim && !y)) {
        free(x);
        free(y);
        return MECH_ENOMEM;
    }
    for (size_t i = 0; i < m; i++) {
        memcpy(x + i * d->in_dim, d->x + idx[i] * d->in_dim, d->in_dim * sizeof *x);
        if (y) memcpy(y + i * d->out_dim, d->y + idx[i] * d->out_dim, d->out_dim * sizeof *y);
    }
    return mech__data_adopt(out, d->ctx, d, x, y, m, d->in_dim, d->out_dim, e);
}

MECH_API mech_status mech_data_split(const mech_data *d, double train_fraction, bool shuffle,
                                     mech_data **train, mech_data **test)
{
    MECH_CHECK_PTR(NULL, d);
    mech_err *e = (mech_err *)&d->err;
    MECH_CHECK_PTR(e, train);
    MECH_CHECK_PTR(e, test);
    *train = *test = NULL;
    if (d->kind != DATA_ARRAYS)
        return mech__fail(e, MECH_ESTATE, "%s: materialize a generator before splitting",
                          __func__);
    if (!(train_fraction > 0.0 && train_fraction < 1.0))
        return mech__fail(e, isnan(train_fraction) ? MECH_ENONFINITE : MECH_ERANGE,
                          "%s: train_fraction %g is not in (0, 1)", __func__, train_fraction);
    size_t n_train = (size_t)floor(train_fraction * (double)d->n + 0.5);
    if (n_train == 0 || n_train == d->n)
        return mech__fail(e, MECH_ERANGE, "%s: fraction %g of %zu examples leaves an empty part",
                          __func__, train_fraction, d->n);

    size_t *perm = mech__calloc(d->n, sizeof *perm, e);
    if (!perm) return MECH_ENOMEM;
    mech_status st = MECH_OK;
    if (shuffle) {
        mech_rng *r = NULL;
        st = mech_rng_create(&r, d->ctx, mech__data_stream(d, PURPOSE_SPLIT));
        if (st < 0) mech__adopt(e, st);
        else st = mech__data_shuffle(r, perm, d->n, e);
        mech_rng_destroy(r);
    } else {
        for (size_t i = 0; i < d->n; i++) perm[i] = i;
    }
    if (st >= 0) st = subset(d, perm, n_train, train, e);
    if (st >= 0) st = subset(d, perm + n_train, d->n - n_train, test, e);
    free(perm);
    if (st < 0) {
        mech_data_destroy(*train);
        *train = NULL;
    }
    return st;
}
