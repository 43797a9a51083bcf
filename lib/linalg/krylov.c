/* The Krylov basis shared by the operator solvers: checked products, probe
 * vectors, and full reorthogonalization that records V^T H V. */
#include <math.h>
#include <string.h>

#include "linalg/krylov.h"
#include "mechanics/linalg.h"

mech_status mech__op_apply(mech_matvec_fn fn, void *ud, const double *v, double *out,
                           size_t n, int64_t *count, mech_err *e, const char *who)
{
    int rc = fn(v, out, n, ud);
    (*count)++;
    if (rc < 0)
        return mech__fail(e, MECH_ECALLBACK, "%s: matvec callback returned %d", who, rc);
    if (rc > 0) return MECH_STOPPED;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(out[i]))
            return mech__fail(e, MECH_ENONFINITE,
                              "%s: matvec callback returned a non-finite entry at %zu",
                              who, i);
    return MECH_OK;
}

mech_status mech__op_probe(mech_rng *rng, bool gaussian, double *v, size_t n, mech_err *e)
{
    if (gaussian) return mech__adopt(e, mech_rng_normal(rng, v, n, 0.0, 1.0));
    MECH_TRY(mech__adopt(e, mech_rng_uniform(rng, v, n)));
    for (size_t i = 0; i < n; i++) v[i] = v[i] < 0.5 ? -1.0 : 1.0;
    return MECH_OK;
}

uint64_t mech__op_probe_words(bool gaussian, size_t n)
{
    return gaussian ? 4 * (((uint64_t)n + 1) / 2) : 2 * (uint64_t)n;
}

void mech__kry_reset(mech__krylov *k)
{
    k->len = k->p = 0;
    memset(k->T, 0, k->cap * k->cap * sizeof *k->T);
}

static double norm2(size_t n, const double *x)
{
    double s = 0;
    (void)mech_dot(n, x, x, &s);
    return sqrt(s);
}

double mech__kry_orth(mech__krylov *k, double *x)
{
    size_t len = k->len, n = k->n;
    if (len == 0) return norm2(n, x);
    double *c = k->c, *c2 = k->c + k->cap, local[2] = {0, 0};
    /* The newest two vectors first (a Lanczos step's alpha and beta: most
     * of what is removed), so a full pass usually removes only round-off. */
    const size_t nl = len < 2 ? len : 2;
    for (size_t t = 0; t < nl; t++) {
        const double *v = k->V + (len - 1 - t) * n;
        (void)mech_dot(n, v, x, &local[t]);
        (void)mech_axpy(n, -local[t], v, x);
    }
    const double before = norm2(n, x);
    /* Shapes are fixed at creation, so these calls cannot fail. */
    (void)mech_gemv(k->ctx, false, len, n, 1.0, k->V, n, x, 0.0, c);
    (void)mech_gemv(k->ctx, true, len, n, -1.0, k->V, n, c, 1.0, x);
    for (size_t t = 0; t < nl; t++) c[len - 1 - t] += local[t];
    double after = norm2(n, x);
    /* A second full pass only when the first removed much of x (Daniel,
     * Gragg, Kaufman & Stewart 1976); otherwise x is orthogonal to V to
     * working precision already. Each pass reads all of V. */
    if (after > 0.70710678118654752 * before) return after; /* 1/sqrt(2) */
    (void)mech_gemv(k->ctx, false, len, n, 1.0, k->V, n, x, 0.0, c2);
    (void)mech_gemv(k->ctx, true, len, n, -1.0, k->V, n, c2, 1.0, x);
    for (size_t i = 0; i < len; i++) c[i] += c2[i];
    return norm2(n, x);
}

void mech__kry_append(mech__krylov *k, const double *x, double norm)
{
    double *row = k->V + k->len * k->n;
    for (size_t i = 0; i < k->n; i++) row[i] = x[i] / norm;
    k->len++;
}

mech_status mech__kry_append_random(mech__krylov *k, mech_rng *rng, mech_err *e)
{
    double *row = k->V + k->len * k->n;
    /* A Gaussian vector keeps a norm of order sqrt(n - len) after
     * projection; retry in the (measure-zero) case it does not. */
    for (int tries = 0; tries < 8; tries++) {
        MECH_TRY(mech__adopt(e, mech_rng_normal(rng, row, k->n, 0.0, 1.0)));
        double before = norm2(k->n, row);
        double after = mech__kry_orth(k, row);
        if (after > 1e-8 * before) {
            for (size_t i = 0; i < k->n; i++) row[i] /= after;
            k->len++;
            return MECH_OK;
        }
    }
    return mech__fail(e, MECH_ENOCONV, "could not draw a direction orthogonal to the "
                      "Krylov basis");
}

mech_status mech__kry_step(mech__krylov *k, mech_matvec_fn fn, void *ud, mech_rng *rng,
                           bool *invariant, mech_err *e, const char *who)
{
    size_t n = k->n, j = k->p, cap = k->cap;
    *invariant = false;
    mech_status st = mech__op_apply(fn, ud, k->V + j * n, k->w, n, &k->matvecs, e, who);
    if (st != MECH_OK) return st;
    double hv = norm2(n, k->w);
    if (hv > k->scale) k->scale = hv;
    double beta = mech__kry_orth(k, k->w);
    for (size_t i = 0; i < k->len; i++) {
        size_t r = i > j ? i : j, c = i > j ? j : i;
        k->T[r * cap + c] = k->c[i];
    }
    k->p++;
    size_t room = cap < n ? cap : n;
    if (k->len >= room) return MECH_OK;
    if (beta > 1e-12 * k->scale) {
        mech__kry_append(k, k->w, beta);
        k->T[(k->len - 1) * cap + j] = beta;
    } else if (rng) {
        MECH_TRY(mech__kry_append_random(k, rng, e));
        double coupling = 0;
        (void)mech_dot(n, k->w, k->V + (k->len - 1) * n, &coupling);
        k->T[(k->len - 1) * cap + j] = coupling;
    } else {
        *invariant = true;
    }
    return MECH_OK;
}
