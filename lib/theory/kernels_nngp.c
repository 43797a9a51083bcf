/* Infinite-width NNGP and NTK of an MLP in the NTK parametrization:
 * the depth recursion of THEORY.md section 4 applied entrywise to a Gram
 * matrix formed blockwise inside the output. */
#include <math.h>
#include <stdlib.h>

#include "kernels_internal.h"
#include "mechanics/linalg.h"

/* Rows of x1 per Gram product and progress report. */
#define BLOCK_ROWS 256

typedef struct plan {
    mech_activation act;
    size_t depth;
    double sw2, sb2;
    double *rule; /* Gauss-Legendre nodes then weights; NULL: closed form */
} plan;

static void moments(const plan *p, double k11, double k12, double k22, double *pp,
                    double *dd)
{
    if (!p->rule) {
        mech__gauss_moments_closed(p->act, k11, k12, k22, pp, dd);
        return;
    }
    const size_t n = MECH_KERNEL_QUAD_NODES;
    mech__gauss_moments_quad(p->act, k11, k12, k22, n, p->rule, p->rule + n, pp, dd);
}

/* Per-point variances q[i (depth+1) + l] = K^{l+1}(x_i, x_i), l = 0..depth. */
static mech_status variances(const plan *p, const double *x, size_t n, size_t dim, double *q)
{
    for (size_t i = 0; i < n; i++) {
        double sq, *qi = q + i * (p->depth + 1);
        MECH_TRY(mech_dot(dim, x + i * dim, x + i * dim, &sq));
        qi[0] = p->sw2 * sq / (double)dim + p->sb2;
        for (size_t l = 0; l < p->depth; l++) {
            double pp;
            moments(p, qi[l], qi[l], qi[l], &pp, NULL);
            qi[l + 1] = p->sw2 * pp + p->sb2;
        }
        if (!isfinite(qi[p->depth]))
            return mech__fail(NULL, MECH_ENONFINITE,
                              "mech_nngp_ntk: the variance of input %zu overflows", i);
    }
    return MECH_OK;
}

/* Runs the recursion from the first-layer covariance k (Gram entry);
 * false if a kernel overflowed. */
static bool entry(const plan *p, double k, const double *q1, const double *q2, double *nngp,
                  double *ntk)
{
    double th = k;
    for (size_t l = 0; l < p->depth; l++) {
        double pp, dd;
        moments(p, q1[l], k, q2[l], &pp, &dd);
        k = p->sw2 * pp + p->sb2;
        th = k + p->sw2 * th * dd;
    }
    if (nngp) *nngp = k;
    if (ntk) *ntk = th;
    return isfinite(k) && isfinite(th);
}

static mech_status check_args(mech_activation act, size_t depth, double sw2, double sb2,
                              const double *x1, size_t n1, const double *x2, size_t n2,
                              size_t dim, const double *nngp, const double *ntk)
{
    MECH_CHECK_PTR(NULL, x1);
    if (!nngp && !ntk)
        return mech__fail(NULL, MECH_EINVAL, "mech_nngp_ntk: both outputs are NULL");
    if (!mech__activation_valid(act))
        return mech__fail(NULL, MECH_EINVAL, "mech_nngp_ntk: unknown activation %d", (int)act);
    MECH_CHECK_NONZERO(NULL, n1);
    MECH_CHECK_NONZERO(NULL, n2);
    MECH_CHECK_NONZERO(NULL, dim);
    if (!x2 && n2 != n1)
        return mech__fail(NULL, MECH_ESHAPE, "mech_nngp_ntk: x2 = NULL needs n2 = n1 (%zu), got %zu",
                          n1, n2);
    if (!isfinite(sw2) || !isfinite(sb2))
        return mech__fail(NULL, MECH_ENONFINITE, "mech_nngp_ntk: sigma_w2 or sigma_b2 not finite");
    if (sw2 < 0 || sb2 < 0)
        return mech__fail(NULL, MECH_ERANGE, "mech_nngp_ntk: sigma_w2 = %g, sigma_b2 = %g must be >= 0",
                          sw2, sb2);
    if (depth > MECH_KERNEL_MAX_DEPTH)
        return mech__fail(NULL, MECH_ERANGE, "mech_nngp_ntk: depth %zu > %d", depth,
                          MECH_KERNEL_MAX_DEPTH);
    size_t sz;
    MECH_TRY(mech__mul(n1, n2, &sz, NULL));
    MECH_TRY(mech__mul(n1 > n2 ? n1 : n2, dim, &sz, NULL));
    MECH_TRY(mech__check_finite(x1, n1 * dim, "x1", NULL));
    if (x2) MECH_TRY(mech__check_finite(x2, n2 * dim, "x2", NULL));
    return MECH_OK;
}

/* Gram block and recursion for rows [r0, r1); with same = true only the
 * upper triangle is computed (the caller mirrors it). */
static mech_status block(const mech_ctx *ctx, const plan *p, const double *x1,
                         const double *x2, size_t n2, size_t dim, bool same, size_t r0,
                         size_t r1, const double *q1, const double *q2, double *nngp,
                         double *ntk)
{
    double *gram = nngp ? nngp : ntk;
    MECH_TRY(mech_gemm(ctx, false, true, r1 - r0, n2, dim, p->sw2 / (double)dim, x1 + r0 * dim,
                       dim, x2, dim, 0, gram + r0 * n2, n2));
    const size_t Q = p->depth + 1;
    for (size_t i = r0; i < r1; i++) {
        for (size_t j = same ? i : 0; j < n2; j++) {
            const size_t ij = i * n2 + j;
            /* The diagonal from the row norm, so that x = x' is exactly
             * correlated (relu's angle 0). */
            const double k = (same && i == j) ? q1[i * Q] : gram[ij] + p->sb2;
            if (!entry(p, k, q1 + i * Q, q2 + j * Q, nngp ? nngp + ij : NULL,
                       ntk ? ntk + ij : NULL))
                return mech__fail(NULL, MECH_ENONFINITE,
                                  "mech_nngp_ntk: kernel entry (%zu, %zu) overflows", i, j);
        }
    }
    return MECH_OK;
}

static void mirror(double *a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
}

MECH_API mech_status mech_nngp_ntk(const mech_ctx *ctx, mech_activation act, size_t depth,
                                   double sigma_w2, double sigma_b2, const double *x1,
                                   size_t n1, const double *x2, size_t n2, size_t dim,
                                   double *nngp, double *ntk)
{
    MECH_TRY(check_args(act, depth, sigma_w2, sigma_b2, x1, n1, x2, n2, dim, nngp, ntk));
    const bool same = x2 == NULL;
    if (same) x2 = x1;
    plan p = {act, depth, sigma_w2, sigma_b2, NULL};
    const size_t Q = depth + 1, nq = same ? n1 : n1 + n2;
    size_t qsize;
    MECH_TRY(mech__mul(nq, Q, &qsize, NULL));
    double *q1 = mech__calloc(qsize, sizeof *q1, NULL);
    if (!q1) return MECH_ENOMEM;
    double *q2 = same ? q1 : q1 + n1 * Q;
    mech_status st = MECH_OK;
    if (!mech__gauss_moments_closed(act, 1, 0, 1, NULL, NULL)) {
        p.rule = mech__calloc(2 * MECH_KERNEL_QUAD_NODES, sizeof *p.rule, NULL);
        if (!p.rule) {
            st = MECH_ENOMEM;
            goto done;
        }
        mech__gauss_legendre(MECH_KERNEL_QUAD_NODES, p.rule, p.rule + MECH_KERNEL_QUAD_NODES);
    }
    st = variances(&p, x1, n1, dim, q1);
    if (st == MECH_OK && !same) st = variances(&p, x2, n2, dim, q2);
    for (size_t r0 = 0; st == MECH_OK && r0 < n1; r0 += BLOCK_ROWS) {
        const size_t r1 = n1 - r0 < BLOCK_ROWS ? n1 : r0 + BLOCK_ROWS;
        st = block(ctx, &p, x1, x2, n2, dim, same, r0, r1, q1, q2, nngp, ntk);
        if (st != MECH_OK) break;
        const int pr = mech__progress(ctx, "nngp_ntk", (double)r1, (double)n1);
        if (pr < 0)
            st = mech__fail(NULL, MECH_ECALLBACK, "mech_nngp_ntk: progress callback aborted");
        else if (pr > 0 && r1 < n1)
            st = MECH_STOPPED;
    }
    if (st == MECH_OK && same) {
        mirror(nngp, n1);
        mirror(ntk, n1);
    }
done:
    free(p.rule);
    free(q1);
    return st;
}
