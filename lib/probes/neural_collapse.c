/* Neural-collapse metrics NC1-NC4 (Papyan, Han & Donoho 2020) of
 * last-layer features. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

/* Relative threshold on singular values of M kept in Sigma_B^+ (eigenvalue
 * ratio 1e-12). */
#define NC_SV_FLOOR 1e-6

typedef struct nc_work {
    double *mu;    /* C x p class means */
    double *m;     /* C x p centered class means */
    double *res;   /* n x p within-class residuals */
    double *vt;    /* r x p right singular vectors of M */
    double *s;     /* r singular values of M */
    double *proj;  /* n x r residuals in the singular basis */
    double *gram;  /* C x C, M M^T */
    double *norms; /* C norms of the rows of M */
    double *score; /* n x C, H mu^T then H W^T */
    size_t *count; /* C examples per class */
    void *block;
} nc_work;

static mech_status nc_alloc(nc_work *w, size_t n, size_t p, size_t c)
{
    size_t r = c < p ? c : p, total = 0, parts[9][2] = {
        {c, p}, {c, p}, {n, p}, {r, p}, {r, 1}, {n, r}, {c, c}, {c, 1}, {n, c}};
    for (int i = 0; i < 9; i++) {
        size_t e;
        MECH_TRY(mech__mul(parts[i][0], parts[i][1], &e, NULL));
        if (e > SIZE_MAX / sizeof(double) - total - c)
            return mech__fail(NULL, MECH_EOVERFLOW, "mech_neural_collapse: scratch overflows");
        total += e;
    }
    double *b = mech__calloc(total + c, sizeof(double), NULL);
    if (!b) return MECH_ENOMEM;
    w->block = b;
    double **dst[9] = {&w->mu, &w->m, &w->res, &w->vt, &w->s, &w->proj, &w->gram, &w->norms,
                       &w->score};
    for (int i = 0; i < 9; i++) *dst[i] = b, b += parts[i][0] * parts[i][1];
    w->count = (size_t *)(void *)b;
    return MECH_OK;
}

_Static_assert(sizeof(size_t) <= sizeof(double) && _Alignof(size_t) <= _Alignof(double),
               "class counts live in the double scratch block");

/* Class means, centered means and within-class residuals. */
static void class_means(nc_work *w, const double *h, size_t n, size_t p,
                        const int64_t *labels, size_t c)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) w->mu[labels[i] * p + j] += h[i * p + j];
    for (size_t k = 0; k < c; k++)
        for (size_t j = 0; j < p; j++) w->mu[k * p + j] /= (double)w->count[k];
    for (size_t j = 0; j < p; j++) {
        double g = 0.0;
        for (size_t k = 0; k < c; k++) g += w->mu[k * p + j];
        g /= (double)c;
        for (size_t k = 0; k < c; k++) w->m[k * p + j] = w->mu[k * p + j] - g;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) w->res[i * p + j] = h[i * p + j] - w->mu[labels[i] * p + j];
}

/* NC1 = tr(Sigma_W Sigma_B^+) / C through the SVD M = U S V^T:
 * Sigma_B = V (S^2 / C) V^T, so the trace is
 * (1/n) sum_i sum_k (v_k . r_i)^2 C / s_k^2, over kept k. */
static mech_status nc1(const mech_ctx *ctx, nc_work *w, size_t n, size_t p, size_t c,
                       double *out)
{
    size_t r = c < p ? c : p, keep = c - 1 < p ? c - 1 : p;
    MECH_TRY(mech_svd(ctx, c, p, w->m, p, w->s, NULL, w->vt));
    if (!(w->s[0] > 0.0))
        return mech__fail(NULL, MECH_ERANGE, "mech_neural_collapse: all class means are equal");
    MECH_TRY(mech_gemm(ctx, false, true, n, r, p, 1.0, w->res, p, w->vt, p, 0.0, w->proj, r));
    double tr = 0.0;
    for (size_t k = 0; k < keep && w->s[k] > NC_SV_FLOOR * w->s[0]; k++) {
        double lam = w->s[k] * w->s[k] / (double)c, acc = 0.0;
        for (size_t i = 0; i < n; i++) acc += w->proj[i * r + k] * w->proj[i * r + k];
        tr += acc / (double)n / lam;
    }
    *out = tr / (double)c;
    return MECH_OK;
}

/* NC2: equinorm and the cosines between centered class means. */
static mech_status nc2(const mech_ctx *ctx, nc_work *w, size_t p, size_t c,
                       mech_neural_collapse_result *res)
{
    MECH_TRY(mech_gemm(ctx, false, true, c, c, p, 1.0, w->m, p, w->m, p, 0.0, w->gram, c));
    double mean = 0.0, var = 0.0;
    for (size_t k = 0; k < c; k++) {
        w->norms[k] = sqrt(w->gram[k * c + k]);
        if (!(w->norms[k] > 0.0))
            return mech__fail(NULL, MECH_ERANGE,
                              "mech_neural_collapse: class %zu's mean is the global mean", k);
        mean += w->norms[k];
    }
    mean /= (double)c;
    for (size_t k = 0; k < c; k++) var += (w->norms[k] - mean) * (w->norms[k] - mean);
    res->equinorm = sqrt(var / (double)c) / mean;
    double target = -1.0 / ((double)c - 1.0), sum = 0.0, dev = 0.0, dmax = 0.0;
    for (size_t a = 0; a < c; a++)
        for (size_t b = a + 1; b < c; b++) {
            double cs = w->gram[a * c + b] / (w->norms[a] * w->norms[b]);
            sum += cs;
            dev += fabs(cs - target);
            dmax = fmax(dmax, fabs(cs - target));
        }
    double pairs = (double)c * ((double)c - 1.0) / 2.0;
    res->cos_mean = sum / pairs;
    res->equiangular_mean = dev / pairs;
    res->equiangular_max = dmax;
    return MECH_OK;
}

static double frobenius(const double *a, size_t count)
{
    double s = 0.0;
    for (size_t i = 0; i < count; i++) s += a[i] * a[i];
    return sqrt(s);
}

/* NC3: distance between the normalized classifier and centered means. */
static mech_status nc3(const nc_work *w, const double *wt, size_t p, size_t c, double *out)
{
    double fw = frobenius(wt, c * p), fm = frobenius(w->m, c * p), d = 0.0;
    if (!(fw > 0.0)) return mech__fail(NULL, MECH_ERANGE, "mech_neural_collapse: w is zero");
    for (size_t i = 0; i < c * p; i++) {
        double e = wt[i] / fw - w->m[i] / fm;
        d += e * e;
    }
    *out = d;
    return MECH_OK;
}

/* Index of the best of c scores (first on ties); sign +1 max, -1 min. */
static size_t best_index(const double *v, size_t c, double sign)
{
    size_t b = 0;
    for (size_t k = 1; k < c; k++)
        if (sign * v[k] > sign * v[b]) b = k;
    return b;
}

/* NC4: nearest class mean argmin |h - mu_c|^2 = argmin |mu_c|^2 - 2 h.mu_c
 * against argmax (W h + b). */
static mech_status nc4(const mech_ctx *ctx, nc_work *w, const double *h, size_t n, size_t p,
                       size_t c, const double *wt, const double *bias, double *out)
{
    double *sq = w->norms; /* reused: |mu_c|^2 */
    for (size_t k = 0; k < c; k++) {
        double f = frobenius(w->mu + k * p, p);
        sq[k] = f * f;
    }
    MECH_TRY(mech_gemm(ctx, false, true, n, c, p, 1.0, h, p, w->mu, p, 0.0, w->score, c));
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) w->score[i * c + k] = sq[k] - 2.0 * w->score[i * c + k];
    size_t *ncc = (size_t *)(void *)w->proj; /* n <= n r slots, nc1 is done */
    for (size_t i = 0; i < n; i++) ncc[i] = best_index(w->score + i * c, c, -1.0);
    MECH_TRY(mech_gemm(ctx, false, true, n, c, p, 1.0, h, p, wt, p, 0.0, w->score, c));
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        double *row = w->score + i * c;
        if (bias)
            for (size_t k = 0; k < c; k++) row[k] += bias[k];
        differ += best_index(row, c, 1.0) != ncc[i];
    }
    *out = (double)differ / (double)n;
    return MECH_OK;
}

MECH_API mech_status mech_neural_collapse(const mech_ctx *ctx, const double *h, size_t n,
                                          size_t p, const int64_t *labels, size_t n_classes,
                                          const double *w, const double *bias,
                                          mech_neural_collapse_result *out)
{
    const char *fn = __func__;
    MECH_TRY(mech__probe_result_size(out, fn));
    MECH_TRY(mech__probe_matrix(h, n, p, fn, "h", NULL));
    MECH_TRY(mech__probe_labels(labels, n, n_classes, NULL, fn));
    if (n_classes < 2)
        return mech__fail(NULL, MECH_ERANGE, "%s: n_classes = %zu, need >= 2", fn, n_classes);
    if (w) MECH_TRY(mech__probe_matrix(w, n_classes, p, fn, "w", NULL));
    if (bias) MECH_TRY(mech__probe_matrix(bias, n_classes, 1, fn, "bias", NULL));
    nc_work wk = {0};
    MECH_TRY(nc_alloc(&wk, n, p, n_classes));
    mech_status st = mech__probe_labels(labels, n, n_classes, wk.count, fn);
    for (size_t k = 0; k < n_classes && st == MECH_OK; k++)
        if (wk.count[k] == 0)
            st = mech__fail(NULL, MECH_ERANGE, "%s: class %zu has no examples", fn, k);
    mech_neural_collapse_result res = {.size = sizeof res, .nc3 = NAN, .nc4 = NAN};
    if (st == MECH_OK) {
        class_means(&wk, h, n, p, labels, n_classes);
        st = nc1(ctx, &wk, n, p, n_classes, &res.nc1);
    }
    if (st == MECH_OK) st = nc2(ctx, &wk, p, n_classes, &res);
    if (st == MECH_OK && w) st = nc3(&wk, w, p, n_classes, &res.nc3);
    if (st == MECH_OK && w) st = nc4(ctx, &wk, h, n, p, n_classes, w, bias, &res.nc4);
    if (st == MECH_OK) mech__probe_store(out, &res, sizeof res);
    free(wk.block);
    return st;
}
