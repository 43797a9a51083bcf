/* Implicit bias of diagonal linear networks (THEORY.md section 8): the
 * minimizer of Q_alpha subject to X beta = y, by damped Newton on the
 * concave dual g(nu) = nu^T y - sum_i 2 alpha^2 (cosh z_i - 1), z = X^T nu. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/diagonal.h"
#include "mechanics/linalg.h"
#include "internal.h"

#define BIAS_MAX_ITER 200
#define BIAS_RTOL 1e-11
#define BIAS_MAX_DZ 20.0

typedef struct dual {
    const mech_ctx *ctx;
    const double *x, *y;
    size_t n, d;
    double a2;                  /* 2 alpha^2 */
    double *z, *beta, *r, *h, *xd, *step, *nu_try;
} dual;

/* z = X^T nu, beta(nu), r = y - X beta; returns g(nu) (-Inf on overflow). */
static double dual_eval(dual *p, const double *nu, mech_status *st)
{
    *st = mech_gemv(p->ctx, true, p->n, p->d, 1.0, p->x, p->d, nu, 0.0, p->z);
    if (*st < 0) return NAN;
    double g = 0.0;
    for (size_t i = 0; i < p->d; i++) {
        double sh = sinh(0.5 * p->z[i]);
        p->beta[i] = p->a2 * sinh(p->z[i]);
        g -= 2.0 * p->a2 * sh * sh; /* a2 (cosh z - 1), no cancellation */
    }
    for (size_t j = 0; j < p->n; j++) g += nu[j] * p->y[j];
    if (!isfinite(g)) return -INFINITY;
    memcpy(p->r, p->y, p->n * sizeof(double));
    *st = mech_gemv(p->ctx, false, p->n, p->d, -1.0, p->x, p->d, p->beta, 1.0, p->r);
    return g;
}

static double norm2(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

/* Newton step: H step = r with H = X diag(a2 cosh z) X^T. At nu = 0 H is
 * 2 alpha^2 X X^T, so a failed factorization means dependent rows of X.
 * Later, cosh weights spread over hundreds of orders of magnitude can make
 * H numerically singular: a growing multiple of the identity is then added
 * (a Levenberg step, still an ascent direction of the concave dual). */
static mech_status newton_step(dual *p, bool first)
{
    size_t n = p->n;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < p->d; i++)
            p->xd[j * p->d + i] = p->x[j * p->d + i] * p->a2 * cosh(p->z[i]);
    MECH_TRY(mech_gemm(p->ctx, false, true, n, n, p->d, 1.0, p->xd, p->d, p->x, p->d, 0.0,
                       p->h, n));
    double trace = 0.0;
    for (size_t j = 0; j < n; j++) trace += p->h[j * n + j];
    for (double mu = 0.0; mu < 1e-2 * trace; mu = mu > 0.0 ? mu * 100.0 : 1e-14 * trace) {
        for (size_t j = 0; j < n; j++) p->h[j * n + j] += mu;
        memcpy(p->step, p->r, n * sizeof(double));
        mech_status st = mech_cholesky_solve(p->ctx, n, 1, p->h, n, p->step, 1);
        for (size_t j = 0; j < n; j++) p->h[j * n + j] -= mu;
        if (st != MECH_ELINALG) return st;
        if (first) break;
    }
    return mech__fail(NULL, MECH_ELINALG,
                      first ? "X X^T is singular: the rows of X are linearly dependent"
                            : "dual Hessian is numerically singular");
}

/* Backtracking on the dual with an Armijo test; when g is flat within
 * rounding (near the optimum) a decrease of the residual is accepted. */
static mech_status line_search(dual *p, double *nu, double *g, double *res, double dec)
{
    double g0 = *g, res0 = *res, t0 = 1.0;
    /* Trust region on z = X^T nu: a full step from a tiny alpha would move z
     * by ~1/alpha^2, and z only needs to reach ~ln(|beta|/alpha^2). */
    MECH_TRY(mech_gemv(p->ctx, true, p->n, p->d, 1.0, p->x, p->d, p->step, 0.0, p->z));
    double dz = 0.0;
    for (size_t i = 0; i < p->d; i++) dz = fmax(dz, fabs(p->z[i]));
    if (dz > BIAS_MAX_DZ) t0 = BIAS_MAX_DZ / dz;
    for (double t = t0; t > 1e-30 * t0; t *= 0.5) {
        for (size_t j = 0; j < p->n; j++) p->nu_try[j] = nu[j] + t * p->step[j];
        mech_status st;
        double gt = dual_eval(p, p->nu_try, &st);
        if (st < 0) return st;
        if (!isfinite(gt)) continue;
        double rt = norm2(p->r, p->n);
        bool armijo = gt >= g0 + 1e-4 * t * dec;
        bool flat = fabs(gt - g0) <= 1e-13 * fmax(fabs(g0), fabs(gt)) && rt < res0;
        if (armijo || flat) {
            memcpy(nu, p->nu_try, p->n * sizeof(double));
            *g = gt;
            *res = rt;
            return MECH_OK;
        }
    }
    return mech__fail(NULL, MECH_ENOCONV, "line search failed (residual %g)", res0);
}

static mech_status solve_dual(dual *p, double *nu, mech_implicit_bias_report *rep)
{
    double tol = BIAS_RTOL * fmax(norm2(p->y, p->n), 1e-300), dec = 0.0;
    mech_status st;
    double g = dual_eval(p, nu, &st);
    MECH_TRY(st);
    double res = norm2(p->r, p->n);
    size_t it = 0;
    while (res > tol && st == MECH_OK) {
        if (it == BIAS_MAX_ITER) {
            st = mech__fail(NULL, MECH_ENOCONV,
                            "no convergence in %d Newton iterations (residual %g)",
                            BIAS_MAX_ITER, res);
            break;
        }
        st = newton_step(p, it == 0);
        if (st == MECH_OK) {
            dec = 0.0;
            for (size_t j = 0; j < p->n; j++) dec += p->r[j] * p->step[j];
            st = line_search(p, nu, &g, &res, dec);
        }
        it++;
    }
    if (st == MECH_OK || st == MECH_ENOCONV) {
        /* beta and r belong to the last evaluated point, which is nu. */
        mech_status st2;
        dual_eval(p, nu, &st2);
        res = norm2(p->r, p->n);
    }
    if (rep && rep->size >= sizeof(mech_implicit_bias_report)) {
        rep->iterations = it;
        rep->residual = res;
        rep->decrement = dec;
    }
    return st;
}

MECH_API mech_status mech_diagonal_implicit_bias(const mech_ctx *ctx, const double *x,
                                                 const double *y, size_t n, size_t d,
                                                 double alpha, double *beta,
                                                 mech_implicit_bias_report *report)
{
    MECH_CHECK_PTR(NULL, x);
    MECH_CHECK_PTR(NULL, y);
    MECH_CHECK_PTR(NULL, beta);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, d);
    if (n > d)
        return mech__fail(NULL, MECH_ESHAPE,
                          "need n <= d (an underdetermined system), got n = %zu, d = %zu", n, d);
    size_t nd;
    MECH_TRY(mech__mul(n, d, &nd, NULL));
    MECH_TRY(mech__check_finite(x, nd, "x", NULL));
    MECH_TRY(mech__check_finite(y, n, "y", NULL));
    if (!isfinite(alpha)) return mech__fail(NULL, MECH_ENONFINITE, "alpha is not finite");
    if (!(alpha > 0.0)) return mech__fail(NULL, MECH_ERANGE, "alpha = %g must be > 0", alpha);
    if (!isnormal(alpha * alpha) || !isfinite(2.0 * alpha * alpha))
        return mech__fail(NULL, MECH_ERANGE, "alpha = %g: 2 alpha^2 is not a normal number",
                          alpha);
    if (nd > SIZE_MAX / sizeof(double) - 3 * d - 6 * n - n * n)
        return mech__fail(NULL, MECH_EOVERFLOW, "problem too large");
    double *work = mech__calloc(nd + n * n + 2 * d + 4 * n, sizeof(double), NULL);
    if (!work) return MECH_ENOMEM;
    dual p = {ctx, x, y, n, d, 2.0 * alpha * alpha, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    p.xd = work;
    p.h = p.xd + nd;
    p.z = p.h + n * n;
    p.beta = beta;
    p.r = p.z + d;
    p.step = p.r + n;
    p.nu_try = p.step + n;
    double *nu = p.nu_try + n;
    mech_status st = solve_dual(&p, nu, report);
    free(work);
    return st;
}
