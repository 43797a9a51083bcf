/* Order-parameter ODEs of online SGD in soft committee machines
 * (Saad & Solla 1995; Goldt et al. 2019), integrated with mech_ode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "committee_internal.h"
#include "mechanics/ode.h"

typedef struct committee {
    mech_committee_act act;
    size_t k, m;
    const double *t, *a; /* teacher overlaps and second layer (fixed) */
    double lr, lr2, noise_var, wd;
} committee;

/* Field index space: students 0..k-1, teachers k..k+m-1. State y holds
 * Q (k x k), then R (k x m), then v (k). */
static double cov(const committee *c, const double *y, size_t i, size_t j)
{
    const double *q = y, *r = y + c->k * c->k;
    size_t k = c->k;
    if (i < k && j < k) return q[i * k + j];
    if (i < k) return r[i * c->m + (j - k)];
    if (j < k) return r[j * c->m + (i - k)];
    return c->t[(i - k) * c->m + (j - k)];
}

/* Weight of field f in the error y - f(x): teachers +A, students -v. */
static double weight(const committee *c, const double *v, size_t f)
{
    return f < c->k ? -v[f] : c->a[f - c->k];
}

static double i3(const committee *c, const double *y, size_t a, size_t b, size_t d)
{
    size_t idx[3] = {a, b, d};
    double m3[3][3];
    for (size_t p = 0; p < 3; p++)
        for (size_t q = 0; q < 3; q++) m3[p][q] = cov(c, y, idx[p], idx[q]);
    return mech__committee_i3(c->act, m3);
}

static double i4(const committee *c, const double *y, size_t a, size_t b, size_t d, size_t e)
{
    size_t idx[4] = {a, b, d, e};
    double m4[4][4];
    for (size_t p = 0; p < 4; p++)
        for (size_t q = 0; q < 4; q++) m4[p][q] = cov(c, y, idx[p], idx[q]);
    return mech__committee_i4(c->act, m4);
}

/* E[g'(lambda_i) x_field (y - f)] summed over all fields with their
 * weights: the first-order drift of student i along field b. */
static double drift(const committee *c, const double *y, const double *v, size_t i, size_t b)
{
    double s = 0.0;
    for (size_t f = 0; f < c->k + c->m; f++) s += weight(c, v, f) * i3(c, y, i, b, f);
    return s;
}

static int rhs(double alpha, const double *y, double *dy, void *ud)
{
    (void)alpha;
    const committee *c = ud;
    size_t k = c->k, m = c->m, nf = k + m;
    const double *v = y + k * k + k * m;
    double *dq = dy, *dr = dy + k * k, *dv = dy + k * k + k * m;
    for (size_t i = 0; i < k; i++) {
        for (size_t n = 0; n < m; n++)
            dr[i * m + n] = c->lr * v[i] * drift(c, y, v, i, k + n) -
                            c->lr * c->wd * y[k * k + i * m + n];
        for (size_t j = i; j < k; j++) {
            double second = 0.0;
            for (size_t f = 0; f < nf; f++)
                for (size_t g = 0; g < nf; g++)
                    second += weight(c, v, f) * weight(c, v, g) * i4(c, y, i, j, f, g);
            second += c->noise_var *
                      mech__committee_j2(c->act, y[i * k + i], y[i * k + j], y[j * k + j]);
            double val = c->lr * v[i] * drift(c, y, v, i, j) +
                         c->lr * v[j] * drift(c, y, v, j, i) +
                         c->lr * c->lr * v[i] * v[j] * second -
                         2.0 * c->lr * c->wd * y[i * k + j];
            dq[i * k + j] = dq[j * k + i] = val;
        }
        double dvi = 0.0;
        for (size_t f = 0; f < nf; f++)
            dvi += weight(c, v, f) *
                   mech__committee_i2(c->act, y[i * k + i], cov(c, y, i, f), cov(c, y, f, f));
        dv[i] = c->lr2 * dvi;
    }
    for (size_t i = 0; i < k * k; i++)
        if (!isfinite(dy[i])) return 1; /* step too large: let the integrator retry */
    return 0;
}

static double eps_g_of(const committee *c, const double *y)
{
    size_t nf = c->k + c->m;
    const double *v = y + c->k * c->k + c->k * c->m;
    double s = 0.0;
    for (size_t f = 0; f < nf; f++)
        for (size_t g = 0; g < nf; g++)
            s += weight(c, v, f) * weight(c, v, g) *
                 mech__committee_i2(c->act, cov(c, y, f, f), cov(c, y, f, g), cov(c, y, g, g));
    return 0.5 * s;
}

static mech_status check_problem(mech_committee_act act, size_t k, size_t m, const double *q,
                                 const double *r, const double *t, const double *v,
                                 const double *a)
{
    MECH_TRY(mech__committee_check_act(act));
    MECH_CHECK_PTR(NULL, q);
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(NULL, t);
    MECH_CHECK_PTR(NULL, v);
    MECH_CHECK_PTR(NULL, a);
    MECH_CHECK_NONZERO(NULL, k);
    MECH_CHECK_NONZERO(NULL, m);
    if (k > 64 || m > 64)
        return mech__fail(NULL, MECH_ERANGE, "committee sizes K = %zu, M = %zu exceed 64", k, m);
    MECH_TRY(mech__check_finite(q, k * k, "Q", NULL));
    MECH_TRY(mech__check_finite(r, k * m, "R", NULL));
    MECH_TRY(mech__check_finite(t, m * m, "T", NULL));
    MECH_TRY(mech__check_finite(v, k, "v", NULL));
    MECH_TRY(mech__check_finite(a, m, "A", NULL));
    for (size_t i = 0; i < k; i++)
        if (q[i * k + i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "Q[%zu][%zu] is negative", i, i);
    for (size_t n = 0; n < m; n++)
        if (t[n * m + n] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "T[%zu][%zu] is negative", n, n);
    return MECH_OK;
}

static void pack(const committee *c, const double *q, const double *r, const double *v,
                 double *y)
{
    size_t k = c->k, m = c->m;
    memcpy(y, q, sizeof(double) * k * k);
    memcpy(y + k * k, r, sizeof(double) * k * m);
    memcpy(y + k * k + k * m, v, sizeof(double) * k);
}

MECH_API mech_status mech_committee_eps_g(mech_committee_act act, size_t k, size_t m,
                                          const double *q, const double *r, const double *t,
                                          const double *v, const double *a, double *eps_g)
{
    MECH_CHECK_PTR(NULL, eps_g);
    MECH_TRY(check_problem(act, k, m, q, r, t, v, a));
    committee c = {act, k, m, t, a, 0, 0, 0, 0};
    double *y = mech__calloc(k * k + k * m + k, sizeof *y, NULL);
    if (!y) return MECH_ENOMEM;
    pack(&c, q, r, v, y);
    *eps_g = eps_g_of(&c, y);
    free(y);
    return MECH_OK;
}

MECH_API mech_status mech_committee_ode(const mech_ctx *ctx, mech_committee_act act, size_t k,
                                        size_t m, const double *q0, const double *r0,
                                        const double *t, const double *v0, const double *a,
                                        double lr, double lr2, double noise_std,
                                        double weight_decay, const double *alphas,
                                        size_t n_alpha, double *eps_g, double *q_out,
                                        double *r_out, double *v_out)
{
    MECH_TRY(check_problem(act, k, m, q0, r0, t, v0, a));
    MECH_CHECK_PTR(NULL, alphas);
    MECH_CHECK_PTR(NULL, eps_g);
    MECH_CHECK_NONZERO(NULL, n_alpha);
    double hyper[4] = {lr, lr2, noise_std, weight_decay};
    MECH_TRY(mech__check_finite(hyper, 4, "hyperparameters (lr, lr2, noise_std, weight_decay)",
                                NULL));
    MECH_TRY(mech__check_finite(alphas, n_alpha, "alphas", NULL));
    if (lr <= 0.0 || lr2 < 0.0 || noise_std < 0.0 || weight_decay < 0.0)
        return mech__fail(NULL, MECH_ERANGE,
                          "need lr > 0 and lr2, noise_std, weight_decay >= 0");
    for (size_t i = 0; i < n_alpha; i++)
        if (alphas[i] < 0.0 || (i > 0 && alphas[i] < alphas[i - 1]))
            return mech__fail(NULL, MECH_ERANGE, "alphas must be >= 0 and sorted (at %zu)", i);

    committee c = {act, k, m, t, a, lr, lr2, noise_std * noise_std, weight_decay};
    size_t dim = k * k + k * m + k;
    size_t rows = 0;
    MECH_TRY(mech__mul(n_alpha, dim, &rows, NULL));
    double *y0 = mech__calloc(dim, sizeof *y0, NULL);
    double *ys = mech__calloc(rows, sizeof *ys, NULL);
    mech_ode *ode = NULL;
    mech_status st = MECH_ENOMEM;
    if (!y0 || !ys) goto done;
    pack(&c, q0, r0, v0, y0);
    st = mech_ode_create(&ode, ctx, dim, rhs, &c);
    if (st < 0) goto done;
    mech_ode_set_f64(ode, MECH_ODE_RTOL, 1e-9);
    mech_ode_set_f64(ode, MECH_ODE_ATOL, 1e-9);
    st = mech_ode_solve(ode, 0.0, y0, alphas, n_alpha, ys);
    if (st < 0) {
        st = mech__fail(NULL, st == MECH_ECALLBACK ? MECH_ENOCONV : st,
                        "committee ODE failed: %s", mech_ode_last_error(ode));
        goto done;
    }
    for (size_t i = 0; i < n_alpha; i++) {
        const double *y = ys + i * dim;
        eps_g[i] = eps_g_of(&c, y);
        if (q_out) memcpy(q_out + i * k * k, y, sizeof(double) * k * k);
        if (r_out) memcpy(r_out + i * k * m, y + k * k, sizeof(double) * k * m);
        if (v_out) memcpy(v_out + i * k, y + k * k + k * m, sizeof(double) * k);
    }
    st = MECH_OK;
done:
    mech_ode_destroy(ode);
    free(y0);
    free(ys);
    return st;
}
