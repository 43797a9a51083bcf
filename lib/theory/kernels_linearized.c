/* Linearized training in the eigenbasis of the NTK: Theta = V diag(lambda) V^T,
 * r0 = V^T (f_0(X) - y); then
 *   f(X) = y + V diag(decay) r0,   f(x) = f_0(x) - Theta(x,X) V diag(gain) r0,
 * with decay = e^{-lambda t/n} (GF) or (1 - eta lambda/n)^k (GD) and
 * gain = (1 - decay)/lambda (its limit at lambda = 0). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"
#include "mechanics/linalg.h"

struct mech_linearized {
    mech_err err;
    const mech_ctx *ctx;
    size_t n, m, out;
    double *lam;  /* n eigenvalues, ascending */
    double *vecs; /* n x n eigenvectors (columns) */
    double *a;    /* m x n: Theta(x, X) V */
    double *r0;   /* n x out: V^T (f_0(X) - y) */
    double *y;    /* n x out */
    double *f0t;  /* m x out: f_0(x) */
    double *work; /* n x out */
};

/* Which training rule an evaluation follows. */
typedef struct rule {
    bool gd;
    double t;     /* GF time */
    double steps; /* GD steps */
    double eta;   /* GD rate */
} rule;

/* decay and gain of one eigenvalue (see the file comment). */
static void factors(const rule *r, double lam, double n, double *decay, double *gain)
{
    double one_minus; /* 1 - decay, without cancellation for small lambda */
    if (!r->gd) {
        const double x = lam * r->t / n;
        *decay = exp(-x);
        one_minus = -expm1(-x);
        *gain = lam != 0 ? one_minus / lam : r->t / n;
        return;
    }
    const double x = r->eta * lam / n;
    if (x < 1) {
        const double l = r->steps * log1p(-x);
        *decay = exp(l);
        one_minus = -expm1(l);
    } else {
        *decay = pow(1 - x, r->steps);
        one_minus = 1 - *decay;
    }
    *gain = lam != 0 ? one_minus / lam : r->steps * r->eta / n;
}

MECH_API void mech_linearized_destroy(mech_linearized *h)
{
    if (!h) return;
    free(h->lam);
    free(h->vecs);
    free(h->a);
    free(h->r0);
    free(h->y);
    free(h->f0t);
    free(h->work);
    free(h);
}

MECH_API const char *mech_linearized_last_error(const mech_linearized *h)
{
    return h ? h->err.msg : "";
}

static mech_status check_create(const double *theta, const double *theta_tt, size_t n,
                                size_t m, const double *f0, const double *f0t,
                                const double *y, size_t out)
{
    MECH_CHECK_PTR(NULL, theta);
    MECH_CHECK_PTR(NULL, y);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, out);
    if (m > 0 && !theta_tt)
        return mech__fail(NULL, MECH_ESHAPE,
                          "mech_linearized_create: m = %zu test points but theta_test_train is NULL", m);
    size_t nn, mn, no, mo;
    MECH_TRY(mech__mul(n, n, &nn, NULL));
    MECH_TRY(mech__mul(m, n, &mn, NULL));
    MECH_TRY(mech__mul(n, out, &no, NULL));
    MECH_TRY(mech__mul(m, out, &mo, NULL));
    MECH_TRY(mech__check_finite(theta, nn, "theta_train", NULL));
    if (m > 0) MECH_TRY(mech__check_finite(theta_tt, mn, "theta_test_train", NULL));
    MECH_TRY(mech__check_finite(y, no, "y", NULL));
    if (f0) MECH_TRY(mech__check_finite(f0, no, "f0_train", NULL));
    if (f0t && m > 0) MECH_TRY(mech__check_finite(f0t, mo, "f0_test", NULL));
    return MECH_OK;
}

MECH_API mech_status mech_linearized_create(mech_linearized **out, const mech_ctx *ctx,
                                            const double *theta_train,
                                            const double *theta_test_train, size_t n,
                                            size_t m, const double *f0_train,
                                            const double *f0_test, const double *y,
                                            size_t out_dim)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_TRY(check_create(theta_train, theta_test_train, n, m, f0_train, f0_test, y, out_dim));
    mech_linearized *h = mech__calloc(1, sizeof *h, NULL);
    if (!h) return MECH_ENOMEM;
    h->ctx = ctx;
    h->n = n;
    h->m = m;
    h->out = out_dim;
    const size_t no = n * out_dim, mo = m * out_dim;
    h->lam = mech__calloc(n, sizeof *h->lam, NULL);
    h->vecs = mech__calloc(n * n, sizeof *h->vecs, NULL);
    h->a = mech__calloc(m ? m * n : 1, sizeof *h->a, NULL);
    h->r0 = mech__calloc(no, sizeof *h->r0, NULL);
    h->y = mech__calloc(no, sizeof *h->y, NULL);
    h->f0t = mech__calloc(mo ? mo : 1, sizeof *h->f0t, NULL);
    h->work = mech__calloc(no, sizeof *h->work, NULL);
    mech_status st = MECH_ENOMEM;
    if (!h->lam || !h->vecs || !h->a || !h->r0 || !h->y || !h->f0t || !h->work) goto fail;
    st = mech_syev(ctx, n, theta_train, n, h->lam, h->vecs);
    if (st < 0) goto fail;
    memcpy(h->y, y, no * sizeof *y);
    for (size_t i = 0; i < no; i++) h->work[i] = (f0_train ? f0_train[i] : 0) - y[i];
    st = mech_gemm(ctx, true, false, n, out_dim, n, 1, h->vecs, n, h->work, out_dim, 0, h->r0,
                   out_dim);
    if (st < 0) goto fail;
    if (m > 0) {
        if (f0_test) memcpy(h->f0t, f0_test, mo * sizeof *f0_test);
        st = mech_gemm(ctx, false, false, m, n, n, 1, theta_test_train, n, h->vecs, n, 0, h->a, n);
        if (st < 0) goto fail;
    }
    *out = h;
    return MECH_OK;
fail:
    mech_linearized_destroy(h);
    return st;
}

MECH_API mech_status mech_linearized_eigenvalues(const mech_linearized *h, double *out,
                                                 size_t n)
{
    MECH_CHECK_PTR(NULL, h);
    mech_err *e = (mech_err *)&h->err;
    MECH_CHECK_PTR(e, out);
    if (n != h->n)
        return mech__fail(e, MECH_ESHAPE, "%s: n = %zu, the kernel has %zu", __func__, n, h->n);
    memcpy(out, h->lam, n * sizeof *out);
    return MECH_OK;
}

/* work = diag(decay or gain) r0, row by row. */
static void scale_modes(mech_linearized *h, const rule *r, bool want_gain)
{
    for (size_t i = 0; i < h->n; i++) {
        double decay, gain;
        factors(r, h->lam[i], (double)h->n, &decay, &gain);
        const double s = want_gain ? gain : decay;
        for (size_t o = 0; o < h->out; o++)
            h->work[i * h->out + o] = s * h->r0[i * h->out + o];
    }
}

static mech_status evaluate(mech_linearized *h, const rule *r, double *f_train, double *f_test)
{
    const size_t n = h->n, out = h->out;
    if (f_train) {
        scale_modes(h, r, false);
        memcpy(f_train, h->y, n * out * sizeof *f_train);
        MECH_TRY(mech__adopt(&h->err, mech_gemm(h->ctx, false, false, n, out, n, 1, h->vecs, n,
                                                h->work, out, 1, f_train, out)));
        MECH_TRY(mech__check_finite(f_train, n * out, "f_train (diverged)", &h->err));
    }
    if (f_test && h->m > 0) {
        scale_modes(h, r, true);
        memcpy(f_test, h->f0t, h->m * out * sizeof *f_test);
        MECH_TRY(mech__adopt(&h->err, mech_gemm(h->ctx, false, false, h->m, out, n, -1, h->a, n,
                                                h->work, out, 1, f_test, out)));
        MECH_TRY(mech__check_finite(f_test, h->m * out, "f_test (diverged)", &h->err));
    }
    return MECH_OK;
}

MECH_API mech_status mech_linearized_at_time(mech_linearized *h, double t, double *f_train,
                                             double *f_test)
{
    MECH_CHECK_PTR(NULL, h);
    if (!isfinite(t)) return mech__fail(&h->err, MECH_ENONFINITE, "%s: t is not finite", __func__);
    if (t < 0) return mech__fail(&h->err, MECH_ERANGE, "%s: t = %g < 0", __func__, t);
    const rule r = {false, t, 0, 0};
    return evaluate(h, &r, f_train, f_test);
}

MECH_API mech_status mech_linearized_at_steps(mech_linearized *h, int64_t steps, double eta,
                                              double *f_train, double *f_test)
{
    MECH_CHECK_PTR(NULL, h);
    if (!isfinite(eta))
        return mech__fail(&h->err, MECH_ENONFINITE, "%s: eta is not finite", __func__);
    if (steps < 0 || eta <= 0)
        return mech__fail(&h->err, MECH_ERANGE, "%s: steps = %lld must be >= 0, eta = %g > 0",
                          __func__, (long long)steps, eta);
    const rule r = {true, 0, (double)steps, eta};
    return evaluate(h, &r, f_train, f_test);
}

MECH_API mech_status mech_linearized_predict(const mech_ctx *ctx, const double *theta_train,
                                             const double *theta_test_train, size_t n,
                                             size_t m, const double *f0_train,
                                             const double *f0_test, const double *y,
                                             size_t out_dim, double t, int64_t gd_steps,
                                             double eta, double *f_train, double *f_test)
{
    mech_linearized *h;
    MECH_TRY(mech_linearized_create(&h, ctx, theta_train, theta_test_train, n, m, f0_train,
                                    f0_test, y, out_dim));
    const mech_status st = gd_steps < 0 ? mech_linearized_at_time(h, t, f_train, f_test)
                                        : mech_linearized_at_steps(h, gd_steps, eta, f_train, f_test);
    mech_linearized_destroy(h);
    return st;
}
