/* Thick-restart Lanczos with full reorthogonalization for k extreme
 * eigenpairs of a symmetric operator (see include/mechanics/operator.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/krylov.h"
#include "mechanics/linalg.h"

#define LANCZOS_STREAM UINT64_C(0x6c616e637a6f73)
enum { RESTART_BLOCK = 256 }; /* columns per block of the restart product */

static const mech_optdesc LANCZOS_OPTS[MECH_LANCZOS_NOPTS] = {
    [MECH_LANCZOS_WHICH] = {"which", MECH_OPT_I64, 0, 2, MECH_LANCZOS_LARGEST, NULL,
                            "0 = largest, 1 = smallest, 2 = largest magnitude"},
    [MECH_LANCZOS_TOL] = {"tol", MECH_OPT_F64, 1e-15, 1, 1e-10, NULL,
                          "residual tolerance relative to the largest |Ritz value|"},
    [MECH_LANCZOS_MAX_RESTARTS] = {"max_restarts", MECH_OPT_I64, 0,
                                   9.2233720368547748e18, 500, NULL,
                                   "thick restarts per solve before MECH_ENOCONV"},
    [MECH_LANCZOS_WARM_START] = {"warm_start", MECH_OPT_I64, 0, 1, 1, NULL,
                                 "1 = start from the previous solve's Ritz vectors"},
    [MECH_LANCZOS_CONFIRM] = {"confirm", MECH_OPT_I64, 0, 1, 1, NULL,
                              "1 = restart once after convergence to catch missed copies"},
};
const mech_opttable mech__lanczos_opts = {MECH_KIND_LANCZOS, LANCZOS_OPTS,
                                            MECH_LANCZOS_NOPTS};

struct mech_lanczos {
    mech_err err;
    mech_optval opt[MECH_LANCZOS_NOPTS];
    size_t n, k, m;
    mech__krylov kry;        /* cap = m + 1 rows */
    double *theta, *S;       /* Ritz values and vectors of T (m, m x m) */
    double *prev;            /* wanted values before the multiplicity check */
    double *x, *start, *blk; /* n, n, m x RESTART_BLOCK */
    size_t *order;           /* Ritz indices in wanted order (m) */
    bool has_start;
    mech_rng *rng;
    int64_t steps, restarts, nconv;
};

MECH_API mech_status mech_lanczos_create(mech_lanczos **out, const mech_ctx *ctx,
                                         size_t n, size_t k, size_t basis)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, k);
    if (k > n)
        return mech__fail(NULL, MECH_ERANGE, "%s: k = %zu exceeds n = %zu", __func__, k, n);
    size_t m = basis;
    if (m == 0) {
        m = k <= 5 ? 20 : k > (SIZE_MAX - 10) / 2 ? n : 2 * k + 10;
        if (m > n) m = n;
    }
    if (m > n || (m != n && (m < k || m - k < 3)))
        return mech__fail(NULL, MECH_ERANGE, "%s: basis = %zu must be n = %zu or in "
                          "[k + 3, n] with k = %zu", __func__, m, n, k);
    size_t vn = 0, tn = 0, bn = 0;
    MECH_TRY(mech__mul(m + 1, n, &vn, NULL));
    MECH_TRY(mech__mul(m + 1, m + 1, &tn, NULL));
    MECH_TRY(mech__mul(m, RESTART_BLOCK, &bn, NULL));
    mech_lanczos *h = mech__calloc(1, sizeof *h, NULL);
    if (!h) return MECH_ENOMEM;
    h->n = n;
    h->k = k;
    h->m = m;
    mech__krylov *q = &h->kry;
    q->ctx = ctx;
    q->n = n;
    q->cap = m + 1;
    q->V = mech__calloc(vn, sizeof(double), NULL);
    q->T = mech__calloc(tn, sizeof(double), NULL);
    q->w = mech__calloc(n, sizeof(double), NULL);
    q->c = mech__calloc(2 * (m + 1), sizeof(double), NULL);
    h->theta = mech__calloc(m, sizeof(double), NULL);
    h->S = mech__calloc(tn, sizeof(double), NULL);
    h->prev = mech__calloc(k, sizeof(double), NULL);
    h->x = mech__calloc(n, sizeof(double), NULL);
    h->start = mech__calloc(n, sizeof(double), NULL);
    h->blk = mech__calloc(bn, sizeof(double), NULL);
    h->order = mech__calloc(m, sizeof(size_t), NULL);
    mech_status st = q->V && q->T && q->w && q->c && h->theta && h->S && h->prev &&
                     h->x && h->start && h->blk && h->order ? MECH_OK : MECH_ENOMEM;
    if (st == MECH_OK) st = mech__opt_defaults(&mech__lanczos_opts, h->opt, NULL);
    if (st == MECH_OK) st = mech_rng_create(&h->rng, ctx, LANCZOS_STREAM);
    if (st != MECH_OK) {
        mech_lanczos_destroy(h);
        return st;
    }
    *out = h;
    return MECH_OK;
}

MECH_API void mech_lanczos_destroy(mech_lanczos *h)
{
    if (!h) return;
    mech_rng_destroy(h->rng);
    free(h->kry.V);
    free(h->kry.T);
    free(h->kry.w);
    free(h->kry.c);
    free(h->theta);
    free(h->S);
    free(h->prev);
    free(h->x);
    free(h->start);
    free(h->blk);
    free(h->order);
    free(h);
}

MECH_API const char *mech_lanczos_last_error(const mech_lanczos *h)
{
    return h ? h->err.msg : "";
}

MECH_API mech_status mech_lanczos_set_i64(mech_lanczos *h, mech_lanczos_opt key,
                                          int64_t value)
{
    MECH_CHECK_PTR(NULL, h);
    return mech__opt_set_i64(&mech__lanczos_opts, h->opt, (int)key, value, &h->err);
}

MECH_API mech_status mech_lanczos_get_i64(const mech_lanczos *h, mech_lanczos_opt key,
                                          int64_t *value)
{
    MECH_CHECK_PTR(NULL, h);
    return mech__opt_get_i64(&mech__lanczos_opts, h->opt, (int)key, value, NULL);
}

MECH_API mech_status mech_lanczos_set_f64(mech_lanczos *h, mech_lanczos_opt key,
                                          double value)
{
    MECH_CHECK_PTR(NULL, h);
    return mech__opt_set_f64(&mech__lanczos_opts, h->opt, (int)key, value, &h->err);
}

MECH_API mech_status mech_lanczos_get_f64(const mech_lanczos *h, mech_lanczos_opt key,
                                          double *value)
{
    MECH_CHECK_PTR(NULL, h);
    return mech__opt_get_f64(&mech__lanczos_opts, h->opt, (int)key, value, NULL);
}

MECH_API mech_status mech_lanczos_set_start(mech_lanczos *h, const double *v)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(&h->err, v);
    MECH_TRY(mech__check_finite(v, h->n, "start vector", &h->err));
    memcpy(h->start, v, h->n * sizeof *v);
    h->has_start = true;
    return MECH_OK;
}

MECH_API mech_status mech_lanczos_get_stat(const mech_lanczos *h, mech_lanczos_stat key,
                                           int64_t *value)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(NULL, value);
    switch (key) {
    case MECH_LANCZOS_STAT_MATVECS: *value = h->kry.matvecs; return MECH_OK;
    case MECH_LANCZOS_STAT_STEPS: *value = h->steps; return MECH_OK;
    case MECH_LANCZOS_STAT_RESTARTS: *value = h->restarts; return MECH_OK;
    case MECH_LANCZOS_STAT_CONVERGED: *value = h->nconv; return MECH_OK;
    }
    return mech__fail(NULL, MECH_EINVAL, "%s: unknown statistic %d", __func__, (int)key);
}

/* Sort key: smaller is more wanted. */
static double want_key(int which, double theta)
{
    return which == MECH_LANCZOS_LARGEST ? -theta
           : which == MECH_LANCZOS_SMALLEST ? theta : -fabs(theta);
}

/* Rayleigh-Ritz on the p processed rows: Ritz values, vectors and the
 * wanted order. */
static mech_status rayleigh_ritz(mech_lanczos *h, size_t p)
{
    mech__krylov *q = &h->kry;
    MECH_TRY(mech__adopt(&h->err, mech_syev(q->ctx, p, q->T, q->cap, h->theta, h->S)));
    int which = (int)h->opt[MECH_LANCZOS_WHICH].i;
    for (size_t i = 0; i < p; i++) {
        size_t j = i;
        double key = want_key(which, h->theta[i]);
        for (; j > 0 && want_key(which, h->theta[h->order[j - 1]]) > key; j--)
            h->order[j] = h->order[j - 1];
        h->order[j] = i;
    }
    return MECH_OK;
}

/* Residual norm of Ritz pair idx from the coupling row of the trailing
 * (unprocessed) vector: ||H y - theta y|| = |T[p][:] s| while the Krylov
 * relation holds; 0 when the basis spans an invariant subspace. */
static double residual_estimate(const mech_lanczos *h, size_t p, size_t idx)
{
    const mech__krylov *q = &h->kry;
    if (q->len == p) return 0.0;
    double r = 0;
    for (size_t c = 0; c < p; c++) r += q->T[p * q->cap + c] * h->S[c * p + idx];
    return fabs(r);
}

/* Keeps the l most wanted Ritz vectors as the new rows [0, l) and, unless
 * `fresh`, the trailing vector as row l; with `fresh` a random direction
 * replaces it (the multiplicity check). T restarts as diag(theta). */
static mech_status thick_restart(mech_lanczos *h, size_t p, size_t l, bool fresh)
{
    mech__krylov *q = &h->kry;
    size_t n = h->n;
    double *Y = q->T; /* l x p coefficients; T is rebuilt below */
    for (size_t a = 0; a < l; a++)
        for (size_t c = 0; c < p; c++) Y[a * p + c] = h->S[c * p + h->order[a]];
    for (size_t c0 = 0; c0 < n; c0 += RESTART_BLOCK) {
        size_t b = n - c0 < RESTART_BLOCK ? n - c0 : RESTART_BLOCK;
        (void)mech_gemm(q->ctx, false, false, l, b, p, 1.0, Y, p, q->V + c0, n, 0.0,
                        h->blk, b);
        for (size_t a = 0; a < l; a++)
            memcpy(q->V + a * n + c0, h->blk + a * b, b * sizeof(double));
    }
    bool keep_trailing = !fresh && q->len > p;
    if (keep_trailing) memmove(q->V + l * n, q->V + p * n, n * sizeof(double));
    memset(q->T, 0, q->cap * q->cap * sizeof(double));
    for (size_t a = 0; a < l; a++) q->T[a * q->cap + a] = h->theta[h->order[a]];
    q->p = l;
    q->len = l + (keep_trailing ? 1 : 0);
    if (!keep_trailing) MECH_TRY(mech__kry_append_random(q, h->rng, &h->err));
    h->restarts++;
    return MECH_OK;
}

/* The first row of the basis: the start vector if any, else random. */
static mech_status first_row(mech_lanczos *h)
{
    mech__krylov *q = &h->kry;
    mech__kry_reset(q);
    if (h->has_start) {
        memcpy(q->w, h->start, h->n * sizeof(double));
        double nrm = mech__kry_orth(q, q->w);
        if (nrm > 0 && isfinite(nrm)) {
            mech__kry_append(q, q->w, nrm);
            return MECH_OK;
        }
    }
    return mech__kry_append_random(q, h->rng, &h->err);
}

/* Ritz pairs to the outputs, each checked with one product. Sums the
 * vectors into h->start for a warm start. */
static mech_status finish(mech_lanczos *h, size_t p, double tol_abs, mech_matvec_fn fn,
                          void *ud, double *values, double *vectors, double *residuals,
                          int *converged)
{
    mech__krylov *q = &h->kry;
    size_t n = h->n;
    h->nconv = 0;
    memset(h->start, 0, n * sizeof(double));
    for (size_t i = 0; i < h->k; i++) {
        size_t idx = h->order[i];
        double *x = vectors ? vectors + i * n : h->x;
        for (size_t c = 0; c < p; c++) q->c[c] = h->S[c * p + idx];
        (void)mech_gemv(q->ctx, true, p, n, 1.0, q->V, n, q->c, 0.0, x);
        mech_status st = mech__op_apply(fn, ud, x, q->w, n, &q->matvecs, &h->err,
                                        "mech_lanczos_solve");
        if (st != MECH_OK) return st;
        double th = h->theta[idx], r2 = 0;
        for (size_t j = 0; j < n; j++) {
            double d = q->w[j] - th * x[j];
            r2 += d * d;
            h->start[j] += x[j];
        }
        double r = sqrt(r2);
        bool ok = r <= tol_abs;
        h->nconv += ok;
        values[i] = th;
        if (residuals) residuals[i] = r;
        if (converged) converged[i] = ok;
    }
    return MECH_OK;
}

static void stopped_outputs(const mech_lanczos *h, double *values, double *residuals,
                            int *converged)
{
    for (size_t i = 0; i < h->k; i++) {
        values[i] = NAN;
        if (residuals) residuals[i] = NAN;
        if (converged) converged[i] = 0;
    }
}

static mech_status solve(mech_lanczos *h, mech_matvec_fn fn, void *ud, double *values,
                         double *vectors, double *residuals, int *converged)
{
    mech__krylov *q = &h->kry;
    size_t k = h->k, m = h->m;
    double tol = h->opt[MECH_LANCZOS_TOL].f;
    int64_t max_restarts = h->opt[MECH_LANCZOS_MAX_RESTARTS].i;
    const bool confirm = h->opt[MECH_LANCZOS_CONFIRM].i;
    bool checked = false; /* multiplicity check done, values unchanged since */
    MECH_TRY(first_row(h));
    for (;;) {
        bool inv;
        while (q->p < q->len && (q->len < q->cap || q->p + 1 < q->len)) {
            mech_status st = mech__kry_step(q, fn, ud, h->rng, &inv, &h->err,
                                            "mech_lanczos_solve");
            if (st != MECH_OK) return st;
            h->steps++;
        }
        size_t p = q->p;
        MECH_TRY(rayleigh_ritz(h, p));
        double scale = 0;
        for (size_t i = 0; i < p; i++) scale = fmax(scale, fabs(h->theta[i]));
        double tol_abs = tol * scale;
        /* Half the tolerance on the estimate leaves room for the relation
         * error a multiplicity check introduces (at most the same size). */
        bool all = true, changed = false;
        for (size_t i = 0; i < k; i++) {
            all = all && residual_estimate(h, p, h->order[i]) <= 0.5 * tol_abs;
            changed = changed || fabs(h->theta[h->order[i]] - h->prev[i]) > tol_abs;
        }
        bool exhausted = q->len == p, last = h->restarts >= max_restarts;
        if (confirm && all && !exhausted && !last && (!checked || changed)) {
            for (size_t i = 0; i < k; i++) h->prev[i] = h->theta[h->order[i]];
            checked = true;
            MECH_TRY(thick_restart(h, p, k, true));
            continue;
        }
        if (all || exhausted || last) {
            mech_status st = finish(h, p, tol_abs, fn, ud, values, vectors, residuals,
                                    converged);
            if (st != MECH_OK) return st;
            if (h->nconv == (int64_t)k) return MECH_OK;
            if (exhausted || last)
                return mech__fail(&h->err, MECH_ENOCONV, "mech_lanczos_solve: %lld of "
                                  "%zu pairs converged after %lld restarts",
                                  (long long)h->nconv, k, (long long)h->restarts);
        }
        size_t l = k + (p - k) / 2;
        MECH_TRY(thick_restart(h, p, l < m - 2 ? l : m - 2, false));
    }
}

MECH_API mech_status mech_lanczos_solve(mech_lanczos *h, mech_matvec_fn fn,
                                        void *user_data, double *values, double *vectors,
                                        double *residuals, int *converged)
{
    MECH_CHECK_PTR(NULL, h);
    MECH_CHECK_PTR(&h->err, fn);
    MECH_CHECK_PTR(&h->err, values);
    h->kry.matvecs = h->steps = h->restarts = h->nconv = 0;
    h->kry.scale = 0;
    mech_status st = solve(h, fn, user_data, values, vectors, residuals, converged);
    h->has_start = (st == MECH_OK || st == MECH_ENOCONV) && h->opt[MECH_LANCZOS_WARM_START].i;
    if (st == MECH_STOPPED) stopped_outputs(h, values, residuals, converged);
    return st;
}
