/* Labels: teachers on generated inputs (caller functions and the built-in
 * linear teacher), Gaussian-mixture classes, and modular addition. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"
#include "mechanics/linalg.h"

static mech_status check_teachable(mech_data *d, size_t out_dim, double noise_sd,
                                   const char *fn)
{
    if (d->kind != DATA_GENERATOR)
        return mech__fail(&d->err, MECH_ESTATE, "%s: teachers label input generators only",
                          fn);
    MECH_CHECK_NONZERO(&d->err, out_dim);
    if (!isfinite(noise_sd))
        return mech__fail(&d->err, MECH_ENONFINITE, "%s: noise_sd is not finite", fn);
    if (noise_sd < 0.0)
        return mech__fail(&d->err, MECH_ERANGE, "%s: noise_sd %g is negative", fn, noise_sd);
    return MECH_OK;
}

/* Installs a teacher whose buffers were allocated by the caller. */
static void install(mech_data *d, mech_label_fn fn, void *ud, double *w, double *noise,
                    size_t out_dim, double noise_sd)
{
    free(d->w);
    free(d->noise);
    d->label = fn;
    d->label_ud = ud;
    d->w = w;
    d->noise = noise;
    d->out_dim = out_dim;
    d->noise_sd = noise_sd;
}

MECH_API mech_status mech_data_set_teacher(mech_data *d, mech_label_fn fn, void *user_data,
                                           size_t out_dim, double noise_sd)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR(&d->err, fn);
    MECH_TRY(check_teachable(d, out_dim, noise_sd, __func__));
    double *noise = mech__calloc(out_dim, sizeof *noise, &d->err);
    if (!noise) return MECH_ENOMEM;
    install(d, fn, user_data, NULL, noise, out_dim, noise_sd);
    return MECH_OK;
}

MECH_API mech_status mech_data_set_linear_teacher(mech_data *d, const double *w,
                                                  size_t out_dim, double noise_sd)
{
    size_t nw;
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR(&d->err, w);
    MECH_TRY(check_teachable(d, out_dim, noise_sd, __func__));
    MECH_TRY(mech__mul(out_dim, d->in_dim, &nw, &d->err));
    MECH_TRY(mech__check_finite(w, nw, "w", &d->err));
    double *copy = mech__calloc(nw, sizeof *copy, &d->err);
    double *noise = copy ? mech__calloc(out_dim, sizeof *noise, &d->err) : NULL;
    if (!noise) {
        free(copy);
        return MECH_ENOMEM;
    }
    memcpy(copy, w, nw * sizeof *copy);
    install(d, NULL, NULL, copy, noise, out_dim, noise_sd);
    return MECH_OK;
}

mech_status mech__data_label(mech_data *d, const double *x, size_t n, double *y)
{
    if (d->w) {
        double s = d->opt[MECH_DATA_TEACHER_SCALE].i ? 1.0 / sqrt((double)d->in_dim) : 1.0;
        /* y (n x out) = s x (n x in) W^T */
        mech_status st = mech_gemm(d->ctx, false, true, n, d->out_dim, d->in_dim, s, x,
                                   d->in_dim, d->w, d->in_dim, 0.0, y, d->out_dim);
        if (st < 0) return mech__adopt(&d->err, st);
    } else {
        int rc = d->label(x, n, d->in_dim, y, d->out_dim, d->label_ud);
        if (rc != 0)
            return mech__fail(&d->err, MECH_ECALLBACK, "label function returned %d", rc);
    }
    if (d->noise_sd == 0.0) return MECH_OK;
    for (size_t i = 0; i < n; i++) {
        mech_status st = mech_rng_normal(d->gen_rng, d->noise, d->out_dim, 0.0, d->noise_sd);
        if (st < 0) return mech__adopt(&d->err, st);
        for (size_t j = 0; j < d->out_dim; j++) y[i * d->out_dim + j] += d->noise[j];
    }
    return MECH_OK;
}

/* Class means of norm `separation` in uniformly random directions. */
static mech_status draw_means(mech_data *d, double separation)
{
    mech_rng *r = NULL;
    mech_status st = mech_rng_create(&r, d->ctx, mech__data_stream(d, PURPOSE_MEANS));
    for (size_t c = 0; st >= 0 && c < d->out_dim; c++) {
        double *m = d->means + c * d->in_dim, norm2 = 0.0;
        do {
            st = mech_rng_normal(r, m, d->in_dim, 0.0, 1.0);
            norm2 = 0.0;
            for (size_t k = 0; st >= 0 && k < d->in_dim; k++) norm2 += m[k] * m[k];
        } while (st >= 0 && norm2 == 0.0);
        for (size_t k = 0; st >= 0 && k < d->in_dim; k++) m[k] *= separation / sqrt(norm2);
    }
    mech_rng_destroy(r);
    return st < 0 ? mech__adopt(&d->err, st) : MECH_OK;
}

MECH_API mech_status mech_data_create_mixture(mech_data **out, const mech_ctx *ctx,
                                              size_t n_classes, size_t in_dim,
                                              double separation)
{
    size_t nm;
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_NONZERO(NULL, in_dim);
    if (n_classes < 2)
        return mech__fail(NULL, MECH_ERANGE, "%s: n_classes %zu < 2", __func__, n_classes);
    if (!isfinite(separation))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: separation is not finite", __func__);
    if (separation < 0.0)
        return mech__fail(NULL, MECH_ERANGE, "%s: separation %g is negative", __func__,
                          separation);
    MECH_TRY(mech__mul(n_classes, in_dim, &nm, NULL));
    mech_data *d = NULL;
    MECH_TRY(mech__data_new(&d, ctx, DATA_MIXTURE, in_dim, n_classes, NULL));
    d->means = mech__calloc(nm, sizeof *d->means, NULL);
    d->sd = d->means ? mech__calloc(in_dim, sizeof *d->sd, NULL) : NULL;
    mech_status st = d->sd ? draw_means(d, separation) : MECH_ENOMEM;
    if (st < 0) {
        mech_data_destroy(d);
        return st;
    }
    mech__data_refresh_sd(d);
    *out = d;
    return MECH_OK;
}

MECH_API mech_status mech_data_get_means(const mech_data *d, double *means)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, means);
    if (d->kind != DATA_MIXTURE)
        return mech__fail((mech_err *)&d->err, MECH_ESTATE, "%s: not a mixture", __func__);
    memcpy(means, d->means, d->out_dim * d->in_dim * sizeof *means);
    return MECH_OK;
}

MECH_API mech_status mech_data_onehot_to_class(const double *y, size_t n, size_t n_classes,
                                               int64_t *cls)
{
    size_t total;
    MECH_CHECK_PTR(NULL, y);
    MECH_CHECK_PTR(NULL, cls);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, n_classes);
    MECH_TRY(mech__mul(n, n_classes, &total, NULL));
    MECH_TRY(mech__check_finite(y, total, "y", NULL));
    for (size_t i = 0; i < n; i++) {
        const double *row = y + i * n_classes;
        size_t best = 0;
        for (size_t j = 1; j < n_classes; j++)
            if (row[j] > row[best]) best = j;
        cls[i] = (int64_t)best;
    }
    return MECH_OK;
}

MECH_API mech_status mech_data_create_modular(mech_data **out, const mech_ctx *ctx, size_t p)
{
    size_t n, nx;
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    if (p < 2) return mech__fail(NULL, MECH_ERANGE, "%s: modulus %zu < 2", __func__, p);
    MECH_TRY(mech__mul(p, p, &n, NULL));
    MECH_TRY(mech__mul3(n, p, 2, &nx, NULL));
    double *x = mech__calloc(nx, sizeof *x, NULL);
    double *y = x ? mech__calloc(n * p, sizeof *y, NULL) : NULL;
    if (!y) {
        free(x);
        return MECH_ENOMEM;
    }
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++) {
            size_t i = a * p + b;
            x[i * 2 * p + a] = 1.0;
            x[i * 2 * p + p + b] = 1.0;
            y[i * p + (a + b) % p] = 1.0;
        }
    return mech__data_adopt(out, ctx, NULL, x, y, n, 2 * p, p, NULL);
}
