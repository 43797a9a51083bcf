/* Stochastic Lanczos quadrature: Gauss quadrature of each probe's spectral
 * measure, giving a density, moments and a trace estimate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/krylov.h"
#include "mechanics/linalg.h"

#define SLQ_STREAM UINT64_C(0x736c71)

static const mech_optdesc SLQ_OPTS[MECH_SLQ_NOPTS] = {
    [MECH_SLQ_PROBES] = {"probes", MECH_OPT_I64, 0, 1, MECH_SLQ_RADEMACHER, NULL,
                         "0 = Rademacher probes, 1 = Gaussian probes"},
};
const mech_opttable mech__slq_opts = {MECH_KIND_SLQ, SLQ_OPTS, MECH_SLQ_NOPTS};

struct mech_slq {
    mech_err err;
    mech_optval opt[MECH_SLQ_NOPTS];
    size_t n, probes, m;
    mech__krylov q;         /* cap = m */
    double *theta, *S;      /* m, m x m */
    double *nodes, *weights; /* probes x m */
    double *ptrace;         /* per-probe trace samples */
    mech_rng *rng;
    uint64_t pos0;          /* stream position of the last run's first probe */
    bool gaussian0;         /* probe kind of the last run */
    size_t done;            /* probes completed in the last run */
};

MECH_API mech_status mech_slq_create(mech_slq **out, const mech_ctx *ctx, size_t n,
                                     size_t n_probes, size_t steps)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, n_probes);
    MECH_CHECK_NONZERO(NULL, steps);
    if (steps > n)
        return mech__fail(NULL, MECH_ERANGE, "%s: steps = %zu exceeds n = %zu", __func__,
                          steps, n);
    size_t vn = 0, tn = 0, pn = 0;
    MECH_TRY(mech__mul(steps, n, &vn, NULL));
    MECH_TRY(mech__mul(steps, steps, &tn, NULL));
    MECH_TRY(mech__mul(n_probes, steps, &pn, NULL));
    mech_slq *h = mech__calloc(1, sizeof *h, NULL);
    if (!h) return MECH_ENOMEM;
    h->n = n;
    h->probes = n_probes;
    h->m = steps;
    h->q.ctx = ctx;
    h->q.n = n;
    h->q.cap = steps;
    h->q.V = mech__calloc(vn, sizeof(double), NULL);
    h->q.T = mech__calloc(tn, sizeof(double), NULL);
    h->q.w = mech__calloc(n, sizeof(double), NULL);
    h->q.c = mech__calloc(2 * steps, sizeof(double), NULL);
    h->theta = mech__calloc(steps, sizeof(double), NULL);
    h->S = mech__calloc(tn, sizeof(double), NULL);
    h->nodes = mech__calloc(pn, sizeof(double), NULL);
    h->weights = mech__calloc(pn, sizeof(double), NULL);
    h->ptrace = mech__calloc(n_probes, sizeof(double), NULL);
    mech_status st = h->q.V && h->q.T && h->q.w && h->q.c && h->theta && h->S &&
                     h->nodes && h->weights && h->ptrace ? MECH_OK : MECH_ENOMEM;
    if (st == MECH_OK) st = mech__opt_defaults(&mech__slq_opts, h->opt, NULL);
    if (st == MECH_OK) st = mech_rng_create(&h->rng, ctx, SLQ_STREAM);
    if (st != MECH_OK) {
        mech_slq_destroy(h);
        return st;
    }
    *out = h;
    return MECH_OK;
}

MECH_API void mech_slq_destroy(mech_slq *h)
{
    if (!h) return;
    mech_rng_destroy(h->rng);
    free(h->q.V);
    free(h->q.T);
    free(h->q.w);
    free(h->q.c);
    free(h->theta);
    free(h->S);
    free(h->nodes);
    free(h->weights);
    free(h->ptrace);
    free(h);
}

MECH_API const char *mech_slq_last_error(const mech_slq *h) { return h ? h->err.msg : ""; }

MECH_API mech_status mech_slq_set_i64(mech_slq *h, mech_slq_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, h);
    return mech__opt_set_i64(&mech__slq_opts, h->opt, (int)key, value, &h->err);
}

MECH_API mech_status mech_slq_get_i64(const mech_slq *h, mech_slq_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, h);
    return mech__opt_get_i64(&mech__slq_opts, h->opt, (int)key, value, NULL);
}

MECH_API mech_status mech_slq_get_stat(const mech_slq *h, mech_slq_stat key,
                                       int64_t *value)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(NULL, value);
    switch (key) {
    case MECH_SLQ_STAT_MATVECS: *value = h->q.matvecs; return MECH_OK;
    case MECH_SLQ_STAT_PROBES: *value = (int64_t)h->done; return MECH_OK;
    }
    return mech__fail(NULL, MECH_EINVAL, "%s: unknown statistic %d", __func__, (int)key);
}

/* One probe: Lanczos from z / ||z||, then the Gauss rule of T. */
static mech_status one_probe(mech_slq *h, size_t p, mech_matvec_fn fn, void *ud)
{
    mech__krylov *q = &h->q;
    double *z = q->w;
    mech__kry_reset(q);
    MECH_TRY(mech__op_probe(h->rng, h->gaussian0, z, h->n, &h->err));
    double nrm = mech__kry_orth(q, z); /* ||z||: the basis is empty */
    mech__kry_append(q, z, nrm);
    bool invariant = false;
    while (q->p < q->len && !invariant) {
        mech_status st = mech__kry_step(q, fn, ud, NULL, &invariant, &h->err,
                                        "mech_slq_run");
        if (st != MECH_OK) return st;
    }
    size_t mm = q->p;
    MECH_TRY(mech__adopt(&h->err, mech_syev(q->ctx, mm, q->T, q->cap, h->theta, h->S)));
    double *nodes = h->nodes + p * h->m, *weights = h->weights + p * h->m, sum = 0;
    for (size_t j = 0; j < h->m; j++) {
        nodes[j] = j < mm ? h->theta[j] : 0.0;
        weights[j] = j < mm ? h->S[j] * h->S[j] : 0.0; /* first row of S */
        sum += weights[j];
    }
    /* The eigenvectors are unit to rounding; renormalize so each probe's
     * weights sum to 1 exactly. */
    double tr = 0;
    for (size_t j = 0; j < h->m; j++) {
        weights[j] /= sum;
        tr += weights[j] * nodes[j];
    }
    h->ptrace[p] = (double)h->n * tr;
    return MECH_OK;
}

MECH_API mech_status mech_slq_run(mech_slq *h, mech_matvec_fn fn, void *user_data)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(&h->err, fn);
    h->done = 0;
    h->q.matvecs = 0;
    h->q.scale = 0;
    h->gaussian0 = h->opt[MECH_SLQ_PROBES].i == MECH_SLQ_GAUSSIAN;
    size_t total = h->probes * h->m;
    for (size_t i = 0; i < total; i++) h->nodes[i] = h->weights[i] = NAN;
    (void)mech_rng_get_position(h->rng, &h->pos0);
    uint64_t words = mech__op_probe_words(h->gaussian0, h->n);
    mech_status st = MECH_OK;
    for (size_t p = 0; p < h->probes; p++) {
        /* Each probe starts at its own position so get_probe can replay it. */
        (void)mech_rng_set_position(h->rng, h->pos0 + (uint64_t)p * words);
        st = one_probe(h, p, fn, user_data);
        if (st != MECH_OK) break;
        h->done++;
    }
    (void)mech_rng_set_position(h->rng, h->pos0 + (uint64_t)h->probes * words);
    if (st < 0) h->done = 0;
    if (st == MECH_STOPPED)
        for (size_t i = h->done * h->m; i < total; i++) h->nodes[i] = h->weights[i] = NAN;
    return st;
}

static mech_status need_results(const mech_slq *h, const char *who)
{
    if (h->done == 0)
        return mech__fail(NULL, MECH_ESTATE, "%s: no completed SLQ run", who);
    return MECH_OK;
}

MECH_API mech_status mech_slq_get_nodes(const mech_slq *h, double *nodes, double *weights)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_TRY(need_results(h, __func__));
    size_t total = h->probes * h->m;
    if (nodes) memcpy(nodes, h->nodes, total * sizeof(double));
    if (weights) memcpy(weights, h->weights, total * sizeof(double));
    return MECH_OK;
}

MECH_API mech_status mech_slq_get_probe(mech_slq *h, size_t p, double *v)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(&h->err, v);
    MECH_TRY(need_results(h, __func__));
    if (p >= h->done)
        return mech__fail(&h->err, MECH_ERANGE, "%s: probe %zu of %zu completed",
                          __func__, p, h->done);
    uint64_t here = 0, words = mech__op_probe_words(h->gaussian0, h->n);
    (void)mech_rng_get_position(h->rng, &here);
    (void)mech_rng_set_position(h->rng, h->pos0 + (uint64_t)p * words);
    mech_status st = mech__op_probe(h->rng, h->gaussian0, v, h->n, &h->err);
    (void)mech_rng_set_position(h->rng, here);
    return st;
}

MECH_API mech_status mech_slq_trace(const mech_slq *h, double *trace, double *std_error)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_TRY(need_results(h, __func__));
    double mean = 0, m2 = 0;
    for (size_t p = 0; p < h->done; p++) mean += h->ptrace[p];
    mean /= (double)h->done;
    for (size_t p = 0; p < h->done; p++) m2 += (h->ptrace[p] - mean) * (h->ptrace[p] - mean);
    if (trace) *trace = mean;
    if (std_error)
        *std_error = h->done > 1 ? sqrt(m2 / (double)(h->done - 1) / (double)h->done) : NAN;
    return MECH_OK;
}

MECH_API mech_status mech_slq_moments(const mech_slq *h, size_t count, double *out)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_TRY(need_results(h, __func__));
    if (count == 0) return MECH_OK;
    MECH_CHECK_PTR(NULL, out);
    memset(out, 0, count * sizeof *out);
    for (size_t p = 0; p < h->done; p++)
        for (size_t j = 0; j < h->m; j++) {
            double w = h->weights[p * h->m + j], x = h->nodes[p * h->m + j], pw = 1;
            for (size_t d = 0; d < count; d++, pw *= x) out[d] += w * pw;
        }
    for (size_t d = 0; d < count; d++) out[d] /= (double)h->done;
    return MECH_OK;
}

MECH_API mech_status mech_slq_density(const mech_slq *h, const double *grid, size_t count,
                                      double sigma, double *out)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_TRY(need_results(h, __func__));
    if (!(sigma > 0) || !isfinite(sigma))
        return mech__fail(NULL, MECH_ERANGE, "%s: sigma = %g must be finite and > 0",
                          __func__, sigma);
    if (count == 0) return MECH_OK;
    MECH_CHECK_PTR(NULL, grid);
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(mech__check_finite(grid, count, "grid", NULL));
    const double sqrt_2pi = 2.5066282746310002;
    const double norm = 1.0 / (sqrt_2pi * sigma * (double)h->done);
    for (size_t i = 0; i < count; i++) {
        double s = 0;
        for (size_t j = 0; j < h->done * h->m; j++) {
            double u = (grid[i] - h->nodes[j]) / sigma;
            s += h->weights[j] * exp(-0.5 * u * u);
        }
        out[i] = s * norm;
    }
    return MECH_OK;
}
