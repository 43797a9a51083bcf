/* Linear HSIC and CKA (Kornblith et al. 2019) with the biased and the
 * unbiased (Song et al. 2012) estimator, and a permutation null.
 *
 * On column-centered X the Gram matrix K = X X^T has zero row sums, so both
 * estimators need only tr K, diag K, ||K||_F^2 and the cross terms
 * tr(K L) and sum_i K_ii L_ii; each is computed in feature space or
 * through the n x n Gram matrices, whichever is cheaper. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

/* Per-side statistics of a centered representation. */
typedef struct side_stats {
    double trace; /* tr K */
    double fro2;  /* ||K||_F^2 */
    double diag2; /* sum_i K_ii^2 */
} side_stats;

_Static_assert(sizeof(size_t) <= sizeof(double) && _Alignof(size_t) <= _Alignof(double),
               "permutation indices live in the double scratch block");

typedef struct cka_work {
    size_t n, p1, p2;
    bool gram;       /* n x n Gram route, else feature space */
    double *xc, *yc; /* centered copies */
    double *yperm;   /* permuted rows of yc (permutation test only) */
    double *dx, *dy, *dyperm; /* diagonals of K and L */
    double *kx, *ky; /* Gram route: K and L (n x n); feature route: kx holds
                        the p x p or p1 x p2 products */
    double *mean;    /* column means, max(p1, p2) */
    size_t *perm;    /* n indices (permutation test only) */
    void *block;
} cka_work;

static double sum_squares(const double *a, size_t count)
{
    double s = 0.0;
    for (size_t i = 0; i < count; i++) s += a[i] * a[i];
    return s;
}

static double dot(const double *a, const double *b, size_t count)
{
    double s = 0.0;
    for (size_t i = 0; i < count; i++) s += a[i] * b[i];
    return s;
}

/* Adds count doubles to a running total; MECH_EOVERFLOW on overflow. */
static mech_status grow(size_t *total, size_t a, size_t b)
{
    size_t c;
    MECH_TRY(mech__mul(a, b, &c, NULL));
    if (c > SIZE_MAX - *total) return mech__fail(NULL, MECH_EOVERFLOW, "CKA scratch overflows");
    *total += c;
    return MECH_OK;
}

static mech_status work_alloc(cka_work *w, size_t n, size_t p1, size_t p2, bool permute)
{
    memset(w, 0, sizeof *w);
    w->n = n, w->p1 = p1, w->p2 = p2;
    /* feature cost n (p1 p2 + p1^2 + p2^2) against Gram cost n^2 (p1 + p2) */
    double feat = (double)p1 * (double)p2 + (double)p1 * p1 + (double)p2 * p2;
    w->gram = feat > (double)n * (double)(p1 + p2);
    size_t pmax = p1 > p2 ? p1 : p2;
    size_t sq = w->gram ? 0 : (p1 * p2 > pmax * pmax ? p1 * p2 : pmax * pmax);
    size_t total = 0;
    MECH_TRY(grow(&total, n, p1));
    MECH_TRY(grow(&total, n, p2));
    if (permute) MECH_TRY(grow(&total, n, p2 + 1));
    MECH_TRY(grow(&total, n, 2));
    MECH_TRY(grow(&total, pmax, 1));
    if (w->gram) MECH_TRY(grow(&total, n, 2 * n));
    else MECH_TRY(grow(&total, sq, 1));
    if (permute) MECH_TRY(grow(&total, n, 1)); /* perm: n size_t in double slots */
    double *b = mech__calloc(total, sizeof(double), NULL);
    if (!b) return MECH_ENOMEM;
    w->block = b;
    w->xc = b, b += n * p1;
    w->yc = b, b += n * p2;
    if (permute) w->yperm = b, b += n * p2, w->dyperm = b, b += n;
    w->dx = b, b += n;
    w->dy = b, b += n;
    w->mean = b, b += pmax;
    w->kx = b;
    if (w->gram) w->ky = b + n * n, b += 2 * n * n;
    else b += sq;
    if (permute) w->perm = (size_t *)(void *)b;
    return MECH_OK;
}

/* diag K into d, and the side statistics of centered a (n x p). The Gram
 * products are symmetric rank-k updates (half a general product). In the
 * Gram route the Gram matrix is left in gram. */
static mech_status side(const mech_ctx *ctx, const double *a, size_t n, size_t p,
                        bool use_gram, double *gram, double *d, side_stats *s)
{
    for (size_t i = 0; i < n; i++) d[i] = sum_squares(a + i * p, p);
    s->trace = 0.0;
    for (size_t i = 0; i < n; i++) s->trace += d[i];
    s->diag2 = sum_squares(d, n);
    const size_t dim = use_gram ? n : p; /* K = A A^T, or A^T A (same nonzero spectrum) */
    MECH_TRY(mech_syrk(ctx, !use_gram, dim, use_gram ? p : n, 1.0, a, p, 0.0, gram, dim));
    return mech_dot(dim * dim, gram, gram, &s->fro2); /* BLIS: vectorised */
}

/* tr(K L) for centered x and y (the rows of y as given). In the Gram route
 * ky_ready says w->ky already holds L of these rows. */
static mech_status cross(const mech_ctx *ctx, cka_work *w, const double *y, bool ky_ready,
                         double *kl)
{
    size_t n = w->n, p1 = w->p1, p2 = w->p2;
    if (w->gram) {
        if (!ky_ready)
            MECH_TRY(mech_syrk(ctx, false, n, p2, 1.0, y, p2, 0.0, w->ky, n));
        return mech_dot(n * n, w->kx, w->ky, kl);
    }
    MECH_TRY(mech_gemm(ctx, true, false, p1, p2, n, 1.0, w->xc, p1, y, p2, 0.0, w->kx, p2));
    return mech_dot(p1 * p2, w->kx, w->kx, kl);
}

/* HSIC from traces (tr K, tr L), tr(KL) and s = sum K_ii L_ii of
 * zero-row-sum Gram matrices. Unbiased (Song et al. 2012, eq. 5) with
 * K~ = K - diag K: tr(K~L~) = kl - s, 1^T K~ 1 = -tr K, 1^T K~ L~ 1 = s. */
static double hsic_value(mech_hsic_estimator est, size_t n, double tk, double tl, double kl,
                         double s)
{
    double m = (double)n;
    if (est == MECH_HSIC_BIASED) return kl / ((m - 1.0) * (m - 1.0));
    return (kl - s + tk * tl / ((m - 1.0) * (m - 2.0)) - 2.0 * s / (m - 2.0)) / (m * (m - 3.0));
}

static mech_status check_args(const double *x, size_t n, size_t p1, const double *y,
                              size_t p2, mech_hsic_estimator est, const double *out,
                              const char *fn)
{
    if (!out) return mech__fail(NULL, MECH_EINVAL, "%s: argument 'out' is NULL", fn);
    MECH_TRY(mech__probe_matrix(x, n, p1, fn, "x", NULL));
    MECH_TRY(mech__probe_matrix(y, n, p2, fn, "y", NULL));
    if (est != MECH_HSIC_BIASED && est != MECH_HSIC_UNBIASED)
        return mech__fail(NULL, MECH_ERANGE, "%s: unknown estimator %d", fn, (int)est);
    size_t need = est == MECH_HSIC_UNBIASED ? 4 : 2;
    if (n < need)
        return mech__fail(NULL, MECH_ERANGE, "%s: n = %zu examples, this estimator needs >= %zu",
                          fn, n, need);
    return MECH_OK;
}

typedef struct cka_parts {
    side_stats sx, sy;
} cka_parts;

/* Centers x and y into w and computes both sides' statistics; in the
 * Gram route K stays in w->kx and L of the unpermuted rows in w->ky. */
static mech_status prepare(const mech_ctx *ctx, cka_work *w, const double *x, const double *y,
                           cka_parts *parts)
{
    size_t n = w->n;
    mech__probe_center_columns(x, n, w->p1, w->xc, w->mean);
    mech__probe_center_columns(y, n, w->p2, w->yc, w->mean);
    MECH_TRY(side(ctx, w->yc, n, w->p2, w->gram, w->gram ? w->ky : w->kx, w->dy, &parts->sy));
    MECH_TRY(side(ctx, w->xc, n, w->p1, w->gram, w->kx, w->dx, &parts->sx));
    return MECH_OK;
}

/* CKA of prepared x against y (rows as given) with diagonal dy. */
static mech_status cka_of(const mech_ctx *ctx, cka_work *w, mech_hsic_estimator est,
                          const cka_parts *pr, const double *y, const double *dy, double *out)
{
    double kl;
    MECH_TRY(cross(ctx, w, y, y == w->yc, &kl));
    const side_stats *a = &pr->sx, *b = &pr->sy;
    double hxy = hsic_value(est, w->n, a->trace, b->trace, kl, dot(w->dx, dy, w->n));
    double hxx = hsic_value(est, w->n, a->trace, a->trace, a->fro2, a->diag2);
    double hyy = hsic_value(est, w->n, b->trace, b->trace, b->fro2, b->diag2);
    if (!(hxx > 0.0) || !(hyy > 0.0))
        return mech__fail(NULL, MECH_ERANGE,
                          "mech_cka: HSIC(X, X) = %g, HSIC(Y, Y) = %g: a side has no variance",
                          hxx, hyy);
    *out = hxy / sqrt(hxx * hyy);
    return MECH_OK;
}

MECH_API mech_status mech_hsic(const mech_ctx *ctx, const double *x, size_t n, size_t p1,
                               const double *y, size_t p2, mech_hsic_estimator estimator,
                               double *out)
{
    MECH_TRY(check_args(x, n, p1, y, p2, estimator, out, __func__));
    cka_work w;
    MECH_TRY(work_alloc(&w, n, p1, p2, false));
    cka_parts pr;
    double kl = 0.0;
    mech_status st = prepare(ctx, &w, x, y, &pr);
    if (st == MECH_OK) st = cross(ctx, &w, w.yc, true, &kl);
    if (st == MECH_OK)
        *out = hsic_value(estimator, n, pr.sx.trace, pr.sy.trace, kl, dot(w.dx, w.dy, n));
    free(w.block);
    return st;
}

MECH_API mech_status mech_cka(const mech_ctx *ctx, const double *x, size_t n, size_t p1,
                              const double *y, size_t p2, mech_hsic_estimator estimator,
                              double *out)
{
    MECH_TRY(check_args(x, n, p1, y, p2, estimator, out, __func__));
    cka_work w;
    MECH_TRY(work_alloc(&w, n, p1, p2, false));
    cka_parts pr;
    mech_status st = prepare(ctx, &w, x, y, &pr);
    if (st == MECH_OK) st = cka_of(ctx, &w, estimator, &pr, w.yc, w.dy, out);
    free(w.block);
    return st;
}

/* Fisher-Yates shuffle of w->perm, then the permuted rows of yc and dy. */
static mech_status permute_rows(cka_work *w, mech_rng *rng)
{
    size_t n = w->n, p2 = w->p2;
    for (size_t i = 0; i < n; i++) w->perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        uint64_t j;
        MECH_TRY(mech_rng_below(rng, (uint64_t)i + 1, &j));
        size_t t = w->perm[i];
        w->perm[i] = w->perm[j];
        w->perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(w->yperm + i * p2, w->yc + w->perm[i] * p2, p2 * sizeof(double));
        w->dyperm[i] = w->dy[w->perm[i]];
    }
    return MECH_OK;
}

MECH_API mech_status mech_cka_permutation_test(const mech_ctx *ctx, const double *x,
                                               size_t n, size_t p1, const double *y,
                                               size_t p2, mech_hsic_estimator estimator,
                                               size_t n_perm, mech_rng *rng, double *cka,
                                               double *p_value)
{
    MECH_TRY(check_args(x, n, p1, y, p2, estimator, cka, __func__));
    MECH_CHECK_PTR(NULL, p_value);
    MECH_CHECK_PTR(NULL, rng);
    MECH_CHECK_NONZERO(NULL, n_perm);
    cka_work w;
    MECH_TRY(work_alloc(&w, n, p1, p2, true));
    cka_parts pr;
    double observed = 0.0;
    size_t exceed = 0;
    mech_status st = prepare(ctx, &w, x, y, &pr);
    if (st == MECH_OK) st = cka_of(ctx, &w, estimator, &pr, w.yc, w.dy, &observed);
    for (size_t k = 0; k < n_perm && st == MECH_OK; k++) {
        double v = 0.0;
        st = permute_rows(&w, rng);
        if (st == MECH_OK) st = cka_of(ctx, &w, estimator, &pr, w.yperm, w.dyperm, &v);
        if (st == MECH_OK && v >= observed) exceed++;
    }
    if (st == MECH_OK) {
        *cka = observed;
        *p_value = (1.0 + (double)exceed) / (1.0 + (double)n_perm);
    }
    free(w.block);
    return st;
}
