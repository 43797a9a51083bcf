/* Gradient flow of a deep linear network as the full matrix ODE
 * (THEORY.md section 1), for input covariances that do not decouple. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/deep_linear.h"
#include "mechanics/linalg.h"
#include "mechanics/ode.h"
#include "internal.h"

#define FLOW_RTOL 1e-10
#define FLOW_RTOL_CHECK 1e-12

typedef struct flow {
    const mech_ctx *ctx;
    size_t depth, in, out, n_params;
    const size_t *widths;
    const double *sxx, *syx;
    size_t *w_off;   /* offset of W_l in the state (depth + 1 entries) */
    double *prefix;  /* P_l = W_{l-1}...W_0 (widths[l] x in), l = 0..depth */
    size_t *p_off;
    double *suffix;  /* S_l = W_{L-1}...W_{l+1} (out x widths[l+1]), l = 0..L-1 */
    size_t *s_off;
    double *err;     /* Sigma_yx - W Sigma_xx (out x in) */
    double *tmp;     /* S_l^T E (widths[l+1] x in) */
} flow;

/* Fills the prefix products; P_depth is the end-to-end matrix W. */
static mech_status prefix_products(flow *f, const double *w)
{
    size_t in = f->in;
    double *p0 = f->prefix;
    memset(p0, 0, in * in * sizeof(double));
    for (size_t i = 0; i < in; i++) p0[i * in + i] = 1.0;
    for (size_t l = 0; l < f->depth; l++)
        MECH_TRY(mech_gemm(f->ctx, false, false, f->widths[l + 1], in, f->widths[l], 1.0,
                           w + f->w_off[l], f->widths[l], f->prefix + f->p_off[l], in, 0.0,
                           f->prefix + f->p_off[l + 1], in));
    return MECH_OK;
}

static mech_status suffix_products(flow *f, const double *w)
{
    size_t out = f->out, L = f->depth;
    double *last = f->suffix + f->s_off[L - 1];
    memset(last, 0, out * out * sizeof(double));
    for (size_t i = 0; i < out; i++) last[i * out + i] = 1.0;
    for (size_t l = L - 1; l-- > 0;)
        MECH_TRY(mech_gemm(f->ctx, false, false, out, f->widths[l + 1], f->widths[l + 2],
                           1.0, f->suffix + f->s_off[l + 1], f->widths[l + 2],
                           w + f->w_off[l + 1], f->widths[l + 1], 0.0,
                           f->suffix + f->s_off[l], f->widths[l + 1]));
    return MECH_OK;
}

static int flow_rhs(double t, const double *w, double *dw, void *ud)
{
    (void)t;
    flow *f = ud;
    size_t in = f->in, out = f->out;
    if (prefix_products(f, w) < 0 || suffix_products(f, w) < 0) return -1;
    memcpy(f->err, f->syx, out * in * sizeof(double));
    if (mech_gemm(f->ctx, false, false, out, in, in, -1.0, f->prefix + f->p_off[f->depth],
                  in, f->sxx, in, 1.0, f->err, in) < 0)
        return -1;
    for (size_t l = 0; l < f->depth; l++) {
        size_t r = f->widths[l + 1], c = f->widths[l];
        if (mech_gemm(f->ctx, true, false, r, in, out, 1.0, f->suffix + f->s_off[l], r,
                      f->err, in, 0.0, f->tmp, in) < 0 ||
            mech_gemm(f->ctx, false, true, r, c, in, 1.0, f->tmp, in,
                      f->prefix + f->p_off[l], in, 0.0, dw + f->w_off[l], c) < 0)
            return -1;
    }
    return 0;
}

/* 1/2 (y_sq - 2 tr(W Sigma_yx^T) + tr(W Sigma_xx W^T)), using f->err as scratch. */
static mech_status flow_loss(flow *f, const double *w, double y_sq, double *loss)
{
    size_t in = f->in, out = f->out;
    MECH_TRY(prefix_products(f, w));
    const double *W = f->prefix + f->p_off[f->depth];
    MECH_TRY(mech_gemm(f->ctx, false, false, out, in, in, 1.0, W, in, f->sxx, in, 0.0,
                       f->err, in));
    double quad = 0.0, cross = 0.0;
    for (size_t i = 0; i < out * in; i++) {
        quad += f->err[i] * W[i];
        cross += f->syx[i] * W[i];
    }
    *loss = 0.5 * (y_sq - 2.0 * cross + quad);
    return MECH_OK;
}

static mech_status check_flow_args(size_t depth, const size_t *widths, const double *sxx,
                                   const double *syx, double y_sq, const double *w0,
                                   const double *t, size_t n_t, const double *w_out,
                                   const double *loss_out)
{
    MECH_CHECK_PTR(NULL, widths);
    MECH_CHECK_PTR(NULL, sxx);
    MECH_CHECK_PTR(NULL, syx);
    MECH_CHECK_PTR(NULL, w0);
    MECH_CHECK_PTR(NULL, t);
    MECH_CHECK_NONZERO(NULL, n_t);
    if (depth < 2) return mech__fail(NULL, MECH_EINVAL, "depth must be >= 2 (got %zu)", depth);
    if (!w_out && !loss_out)
        return mech__fail(NULL, MECH_EINVAL, "w_out and loss_out are both NULL");
    for (size_t l = 0; l <= depth; l++)
        if (widths[l] == 0) return mech__fail(NULL, MECH_EINVAL, "widths[%zu] is zero", l);
    if (!isfinite(y_sq)) return mech__fail(NULL, MECH_ENONFINITE, "y_sq is not finite");
    if (y_sq < 0.0) return mech__fail(NULL, MECH_ERANGE, "y_sq = %g is negative", y_sq);
    MECH_TRY(mech__check_finite(t, n_t, "t", NULL));
    if (t[0] < 0.0) return mech__fail(NULL, MECH_ERANGE, "times must be >= 0");
    for (size_t i = 1; i < n_t; i++)
        if (t[i] < t[i - 1])
            return mech__fail(NULL, MECH_EINVAL, "times must be non-decreasing");
    return MECH_OK;
}

static mech_status check_matrices(const flow *f, const double *w0)
{
    size_t in = f->in;
    MECH_TRY(mech__check_finite(f->sxx, in * in, "sigma_xx", NULL));
    MECH_TRY(mech__check_finite(f->syx, f->out * in, "sigma_yx", NULL));
    MECH_TRY(mech__check_finite(w0, f->n_params, "w0", NULL));
    for (size_t i = 0; i < in; i++)
        for (size_t j = 0; j < i; j++) {
            double a = f->sxx[i * in + j], b = f->sxx[j * in + i];
            if (fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)))
                return mech__fail(NULL, MECH_ERANGE, "sigma_xx is not symmetric at (%zu, %zu)",
                                  i, j);
        }
    return MECH_OK;
}

/* Offsets and workspace sizes; every product is overflow-checked. */
static mech_status flow_layout(flow *f, size_t *ws_doubles)
{
    size_t L = f->depth, in = f->in, out = f->out, acc = 0, pre = 0, suf = 0, wmax = 0, sz;
    for (size_t l = 0; l < L; l++) {
        f->w_off[l] = acc;
        MECH_TRY(mech__mul(f->widths[l + 1], f->widths[l], &sz, NULL));
        if (acc > SIZE_MAX - sz) return mech__fail(NULL, MECH_EOVERFLOW, "too many weights");
        acc += sz;
        wmax = f->widths[l + 1] > wmax ? f->widths[l + 1] : wmax;
    }
    f->w_off[L] = acc;
    f->n_params = acc;
    for (size_t l = 0; l <= L; l++) {
        f->p_off[l] = pre;
        MECH_TRY(mech__mul(f->widths[l], in, &sz, NULL));
        if (pre > SIZE_MAX / 4 - sz) return mech__fail(NULL, MECH_EOVERFLOW, "too large");
        pre += sz;
    }
    for (size_t l = 0; l < L; l++) {
        f->s_off[l] = suf;
        MECH_TRY(mech__mul(out, f->widths[l + 1], &sz, NULL));
        if (suf > SIZE_MAX / 4 - sz) return mech__fail(NULL, MECH_EOVERFLOW, "too large");
        suf += sz;
    }
    size_t e_sz, t_sz;
    MECH_TRY(mech__mul(out, in, &e_sz, NULL));
    MECH_TRY(mech__mul(wmax, in, &t_sz, NULL));
    if (e_sz > SIZE_MAX / 4 || t_sz > SIZE_MAX / 4)
        return mech__fail(NULL, MECH_EOVERFLOW, "too large");
    *ws_doubles = pre + suf + e_sz + t_sz;
    return MECH_OK;
}

static mech_status run_flow(mech_ode *ode, const double *w0, const double *t,
                            size_t n_t, double rtol, double *w_out)
{
    MECH_TRY(mech_ode_set_f64(ode, MECH_ODE_RTOL, rtol));
    MECH_TRY(mech_ode_set_f64(ode, MECH_ODE_ATOL, rtol * 1e-2));
    mech_status st = mech_ode_solve(ode, 0.0, w0, t, n_t, w_out);
    if (st < 0)
        return mech__fail(NULL, st == MECH_ECALLBACK ? MECH_ECALLBACK : MECH_ENOCONV,
                          "matrix flow integration failed: %s", mech_ode_last_error(ode));
    return MECH_OK;
}

static mech_status solve_flow(flow *f, const double *w0, double y_sq, const double *t,
                              size_t n_t, double *w_out, double *loss_out, double *check,
                              mech_flow_report *rep)
{
    mech_ode *ode = NULL;
    MECH_TRY(mech_ode_create(&ode, f->ctx, f->n_params, flow_rhs, f));
    double steps = 0.0, evals = 0.0;
    mech_status st = run_flow(ode, w0, t, n_t, FLOW_RTOL_CHECK, check);
    if (st == MECH_OK) st = run_flow(ode, w0, t, n_t, FLOW_RTOL, w_out);
    if (st == MECH_OK) {
        mech_ode_get_stat(ode, MECH_ODE_STAT_ACCEPTED, &steps);
        mech_ode_get_stat(ode, MECH_ODE_STAT_RHS_EVALS, &evals);
    }
    mech_ode_destroy(ode);
    if (st < 0) return st;
    size_t total = n_t * f->n_params;
    double err = 0.0, scale = 0.0;
    for (size_t i = 0; i < total; i++) {
        err = fmax(err, fabs(w_out[i] - check[i]));
        scale = fmax(scale, fabs(check[i]));
    }
    for (size_t i = 0; loss_out && i < n_t; i++)
        MECH_TRY(flow_loss(f, w_out + i * f->n_params, y_sq, &loss_out[i]));
    if (rep && rep->size >= sizeof(mech_flow_report)) {
        rep->steps = (size_t)steps;
        rep->rhs_evals = (size_t)evals;
        rep->error_estimate = scale > 0.0 ? err / scale : err;
    }
    return MECH_OK;
}

MECH_API mech_status mech_deep_linear_flow(const mech_ctx *ctx, size_t depth,
                                           const size_t *widths, const double *sigma_xx,
                                           const double *sigma_yx, double y_sq,
                                           const double *w0, const double *t, size_t n_t,
                                           double *w_out, double *loss_out,
                                           mech_flow_report *report)
{
    MECH_TRY(check_flow_args(depth, widths, sigma_xx, sigma_yx, y_sq, w0, t, n_t, w_out,
                             loss_out));
    flow f = {ctx, depth, widths[0], widths[depth], 0, widths, sigma_xx, sigma_yx,
              NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t *offs = mech__calloc(3 * (depth + 1), sizeof(size_t), NULL);
    if (!offs) return MECH_ENOMEM;
    f.w_off = offs;
    f.p_off = offs + depth + 1;
    f.s_off = offs + 2 * (depth + 1);
    size_t ws = 0, traj = 0, n_bufs = w_out ? 1 : 2;
    double *work = NULL;
    mech_status st = flow_layout(&f, &ws);
    if (st == MECH_OK) st = check_matrices(&f, w0);
    if (st == MECH_OK) st = mech__mul(n_t, f.n_params, &traj, NULL);
    if (st == MECH_OK && traj > (SIZE_MAX / sizeof(double) - ws) / n_bufs)
        st = mech__fail(NULL, MECH_EOVERFLOW, "trajectory too large");
    if (st == MECH_OK) {
        work = mech__calloc(ws + n_bufs * traj, sizeof(double), NULL);
        if (!work) st = MECH_ENOMEM;
    }
    if (st == MECH_OK) {
        f.prefix = work;
        f.suffix = f.prefix + f.p_off[depth] + widths[depth] * widths[0];
        f.err = f.suffix + f.s_off[depth - 1] + widths[depth] * widths[depth];
        f.tmp = f.err + widths[depth] * widths[0];
        double *check = work + ws;
        double *traj_out = w_out ? w_out : check + traj;
        st = solve_flow(&f, w0, y_sq, t, n_t, traj_out, loss_out, check, report);
    }
    free(work);
    free(offs);
    return st;
}
