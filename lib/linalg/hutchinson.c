/* Hutchinson and Hutch++ trace estimators over a matvec callback. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/krylov.h"
#include "mechanics/linalg.h"

#define HUTCH_STREAM UINT64_C(0x6875746368)

struct mech_hutchinson {
    mech_err err;
    size_t n, probes, sketch;
    mech__krylov q; /* Q = orth(H S) as rows, cap = sketch */
    double *z;      /* probe (n) */
    mech_rng *rng;
    int64_t used, rank;
};

MECH_API mech_status mech_hutchinson_create(mech_hutchinson **out, const mech_ctx *ctx,
                                            size_t n, size_t n_probes, size_t sketch)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, n_probes);
    if (sketch > n)
        return mech__fail(NULL, MECH_ERANGE, "%s: sketch = %zu exceeds n = %zu", __func__,
                          sketch, n);
    size_t qn = 0;
    MECH_TRY(mech__mul(sketch, n, &qn, NULL));
    mech_hutchinson *h = mech__calloc(1, sizeof *h, NULL);
    if (!h) return MECH_ENOMEM;
    h->n = n;
    h->probes = n_probes;
    h->sketch = sketch;
    h->q.ctx = ctx;
    h->q.n = n;
    h->q.cap = sketch;
    h->q.V = mech__calloc(qn ? qn : 1, sizeof(double), NULL);
    h->q.T = mech__calloc(1, sizeof(double), NULL); /* unused: no projections */
    h->q.c = mech__calloc(2 * sketch + 2, sizeof(double), NULL);
    h->q.w = mech__calloc(n, sizeof(double), NULL);
    h->z = mech__calloc(n, sizeof(double), NULL);
    mech_status st = h->q.V && h->q.T && h->q.c && h->q.w && h->z ? MECH_OK : MECH_ENOMEM;
    if (st == MECH_OK) st = mech_rng_create(&h->rng, ctx, HUTCH_STREAM);
    if (st != MECH_OK) {
        mech_hutchinson_destroy(h);
        return st;
    }
    *out = h;
    return MECH_OK;
}

MECH_API void mech_hutchinson_destroy(mech_hutchinson *h)
{
    if (!h) return;
    mech_rng_destroy(h->rng);
    free(h->q.V);
    free(h->q.T);
    free(h->q.c);
    free(h->q.w);
    free(h->z);
    free(h);
}

MECH_API const char *mech_hutchinson_last_error(const mech_hutchinson *h)
{
    return h ? h->err.msg : "";
}

MECH_API mech_status mech_hutchinson_get_stat(const mech_hutchinson *h,
                                              mech_hutchinson_stat key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(NULL, value);
    switch (key) {
    case MECH_HUTCHINSON_STAT_MATVECS: *value = h->q.matvecs; return MECH_OK;
    case MECH_HUTCHINSON_STAT_PROBES: *value = h->used; return MECH_OK;
    case MECH_HUTCHINSON_STAT_RANK: *value = h->rank; return MECH_OK;
    }
    return mech__fail(NULL, MECH_EINVAL, "%s: unknown statistic %d", __func__, (int)key);
}

/* Q = orth(H S) with rows of Q in h->q; directions below 1e-12 of the
 * largest product norm are dropped. Then *exact = tr(Q^T H Q). */
static mech_status sketch_part(mech_hutchinson *h, mech_matvec_fn fn, void *ud,
                               double *exact)
{
    mech__krylov *q = &h->q;
    const char *who = "mech_hutchinson_estimate";
    double biggest = 0;
    for (size_t j = 0; j < h->sketch; j++) {
        MECH_TRY(mech__op_probe(h->rng, false, h->z, h->n, &h->err));
        mech_status st = mech__op_apply(fn, ud, h->z, q->w, h->n, &q->matvecs, &h->err, who);
        if (st != MECH_OK) return st;
        double before = 0;
        (void)mech_dot(h->n, q->w, q->w, &before);
        biggest = fmax(biggest, sqrt(before));
        double nrm = mech__kry_orth(q, q->w);
        if (nrm > 1e-12 * biggest) mech__kry_append(q, q->w, nrm);
    }
    *exact = 0;
    for (size_t j = 0; j < q->len; j++) {
        const double *v = q->V + j * h->n;
        mech_status st = mech__op_apply(fn, ud, v, q->w, h->n, &q->matvecs, &h->err, who);
        if (st != MECH_OK) return st;
        double d = 0;
        (void)mech_dot(h->n, v, q->w, &d);
        *exact += d;
    }
    return MECH_OK;
}

MECH_API mech_status mech_hutchinson_estimate(mech_hutchinson *h, mech_matvec_fn fn,
                                              void *user_data, double *trace,
                                              double *std_error)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(&h->err, fn);
    mech__krylov *q = &h->q;
    q->matvecs = 0;
    q->len = q->p = 0;
    h->used = h->rank = 0;
    if (trace) *trace = NAN;
    if (std_error) *std_error = NAN;
    double exact = 0;
    mech_status st = sketch_part(h, fn, user_data, &exact);
    if (st != MECH_OK) return st;
    h->rank = (int64_t)q->len;
    /* Welford's running mean and variance of the probe samples. */
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < h->probes; i++) {
        MECH_TRY(mech__op_probe(h->rng, false, h->z, h->n, &h->err));
        (void)mech__kry_orth(q, h->z); /* (I - QQ^T) z; a no-op without sketch */
        st = mech__op_apply(fn, user_data, h->z, q->w, h->n, &q->matvecs, &h->err,
                            "mech_hutchinson_estimate");
        if (st < 0) return st;
        if (st == MECH_STOPPED) break;
        double s = 0;
        (void)mech_dot(h->n, h->z, q->w, &s);
        h->used++;
        double d = s - mean;
        mean += d / (double)h->used;
        m2 += d * (s - mean);
    }
    if (h->used > 0 && trace) *trace = exact + mean;
    if (h->used > 1 && std_error) *std_error = sqrt(m2 / (double)(h->used - 1) / (double)h->used);
    return st;
}
