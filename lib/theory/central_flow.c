/* The central-flow handle: options, creation, evaluation at a point and
 * the integration to output times (the right-hand side lives in
 * central_flow_rhs.c). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "theory/central_flow_internal.h"

static const mech_optdesc CF_OPTS[MECH_CENTRAL_FLOW_NOPTS] = {
    [MECH_CENTRAL_FLOW_METHOD] = {"method", MECH_OPT_I64, 0, 1, MECH_ODE_DOPRI5, NULL,
                                  "0 = RK4 (fixed step), 1 = DOPRI5 (adaptive)"},
    [MECH_CENTRAL_FLOW_RTOL] = {"rtol", MECH_OPT_F64, DBL_MIN, 1, 1e-7, NULL,
                                "DOPRI5 relative tolerance"},
    [MECH_CENTRAL_FLOW_ATOL] = {"atol", MECH_OPT_F64, DBL_MIN, DBL_MAX, 1e-9, NULL,
                                "DOPRI5 absolute tolerance"},
    [MECH_CENTRAL_FLOW_H_FIXED] = {"h_fixed", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                                   "RK4 step in time units (0 = eta)"},
    [MECH_CENTRAL_FLOW_FD_STEP] = {"fd_step", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                                   "step of the grad S difference of HVPs (0 = auto)"},
    [MECH_CENTRAL_FLOW_LANCZOS_TOL] = {"lanczos_tol", MECH_OPT_F64, 1e-15, 1e-2, 1e-10,
                                       NULL, "Lanczos relative residual tolerance"},
    [MECH_CENTRAL_FLOW_RELAX] = {"relax", MECH_OPT_F64, 0, 2, 1, NULL,
                                 "kappa eta: relaxation of S onto 2/eta (0 = exact switch)"},
    [MECH_CENTRAL_FLOW_GRADIENT_FLOW] = {"gradient_flow", MECH_OPT_I64, 0, 1, 0, NULL,
                                         "1 = sigma^2 = 0 (plain gradient flow)"},
};

const mech_opttable mech__central_flow_opts = {MECH_KIND_CENTRAL_FLOW, CF_OPTS,
                                               MECH_CENTRAL_FLOW_NOPTS};

static int flow_rhs(double t, const double *y, double *dydt, void *user_data)
{
    (void)t;
    return mech__central_flow_eval(user_data, y, dydt, 0) < 0 ? -1 : 0;
}

MECH_API void mech_central_flow_destroy(mech_central_flow *cf)
{
    if (!cf) return;
    mech_lanczos_destroy(cf->lz);
    mech_ode_destroy(cf->ode);
    mech__opt_free(&mech__central_flow_opts, cf->opt);
    free(cf->x);
    free(cf->y);
    free(cf->w_saved);
    free(cf);
}

static mech_status check_args(mech_model *model, const double *x, const double *y,
                              size_t n, double eta, size_t *in_dim, size_t *out_dim)
{
    MECH_CHECK_PTR(NULL, model);
    MECH_CHECK_PTR(NULL, x);
    MECH_CHECK_PTR(NULL, y);
    MECH_CHECK_NONZERO(NULL, n);
    if (!isfinite(eta))
        return mech__fail(NULL, MECH_ENONFINITE, "central flow: eta is not finite");
    if (!(eta > 0))
        return mech__fail(NULL, MECH_ERANGE, "central flow: eta = %g must be > 0", eta);
    if (mech_model_num_params(model) == 0)
        return mech__fail(NULL, MECH_ESTATE, "central flow: the model is not set up");
    int64_t max_batch = 0;
    MECH_TRY(mech_model_get_i64(model, MECH_MODEL_MAX_BATCH, &max_batch));
    if (n > (uint64_t)max_batch)
        return mech__fail(NULL, MECH_ERANGE,
                          "central flow: n = %zu exceeds the model's MAX_BATCH %lld", n,
                          (long long)max_batch);
    return mech_model_dims(model, in_dim, out_dim);
}

/* Allocates the copies of the batch and the P-sized work vectors. */
static mech_status alloc_work(mech_central_flow *cf, const double *x, const double *y,
                              size_t in_dim, size_t out_dim)
{
    size_t nx = 0, ny = 0, nw = 0;
    MECH_TRY(mech__mul(cf->n, in_dim, &nx, NULL));
    MECH_TRY(mech__mul(cf->n, out_dim, &ny, NULL));
    MECH_TRY(mech__mul(8, cf->P, &nw, NULL));
    cf->x = mech__calloc(nx, sizeof(double), NULL);
    cf->y = mech__calloc(ny, sizeof(double), NULL);
    cf->w_saved = mech__calloc(nw, sizeof(double), NULL);
    if (!cf->x || !cf->y || !cf->w_saved) return MECH_ENOMEM;
    memcpy(cf->x, x, nx * sizeof(double));
    memcpy(cf->y, y, ny * sizeof(double));
    double **slots[] = {&cf->w_saved, &cf->w_state, &cf->g, &cf->u,
                        &cf->gs, &cf->w_tmp, &cf->hv_p, &cf->hv_m};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        *slots[i] = cf->w_saved + i * cf->P;
    return MECH_OK;
}

static mech_status setup(mech_central_flow *cf, const mech_ctx *ctx, const double *x,
                         const double *y, size_t in_dim, size_t out_dim)
{
    MECH_TRY(mech__opt_defaults(&mech__central_flow_opts, cf->opt, NULL));
    MECH_TRY(alloc_work(cf, x, y, in_dim, out_dim));
    MECH_TRY(mech_model_get_params(cf->model, cf->w_state, cf->P));
    /* one gradient validates the batch (size, finiteness, labels) */
    MECH_TRY(mech_model_gradient(cf->model, cf->loss, cf->x, cf->y, cf->n, &cf->last_loss,
                                 cf->g));
    MECH_TRY(mech_lanczos_create(&cf->lz, ctx, cf->P, 1, cf->P < 8 ? cf->P : 8));
    MECH_TRY(mech_ode_create(&cf->ode, ctx, cf->P, flow_rhs, cf));
    cf->t_enter = cf->t_end = NAN;
    return MECH_OK;
}

MECH_API mech_status mech_central_flow_create(mech_central_flow **out, const mech_ctx *ctx,
                                              mech_model *model, mech_loss loss,
                                              const double *x, const double *y, size_t n,
                                              double eta)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    size_t in_dim = 0, out_dim = 0;
    MECH_TRY(check_args(model, x, y, n, eta, &in_dim, &out_dim));
    mech_central_flow *cf = mech__calloc(1, sizeof *cf, NULL);
    if (!cf) return MECH_ENOMEM;
    cf->model = model;
    cf->loss = loss;
    cf->n = n;
    cf->eta = eta;
    cf->P = mech_model_num_params(model);
    mech_status st = setup(cf, ctx, x, y, in_dim, out_dim);
    if (st < 0) {
        mech_central_flow_destroy(cf);
        return st;
    }
    *out = cf;
    return MECH_OK;
}

MECH_API const char *mech_central_flow_last_error(const mech_central_flow *cf)
{
    return cf ? cf->err.msg : "";
}

MECH_API mech_status mech_central_flow_set_i64(mech_central_flow *cf,
                                               mech_central_flow_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, cf);
    return mech__opt_set_i64(&mech__central_flow_opts, cf->opt, (int)key, value, &cf->err);
}

MECH_API mech_status mech_central_flow_get_i64(const mech_central_flow *cf,
                                               mech_central_flow_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, cf);
    return mech__opt_get_i64(&mech__central_flow_opts, cf->opt, (int)key, value,
                             (mech_err *)&cf->err);
}

MECH_API mech_status mech_central_flow_set_f64(mech_central_flow *cf,
                                               mech_central_flow_opt key, double value)
{
    MECH_CHECK_PTR(NULL, cf);
    return mech__opt_set_f64(&mech__central_flow_opts, cf->opt, (int)key, value, &cf->err);
}

MECH_API mech_status mech_central_flow_get_f64(const mech_central_flow *cf,
                                               mech_central_flow_opt key, double *value)
{
    MECH_CHECK_PTR(NULL, cf);
    return mech__opt_get_f64(&mech__central_flow_opts, cf->opt, (int)key, value,
                             (mech_err *)&cf->err);
}

MECH_API size_t mech_central_flow_num_params(const mech_central_flow *cf)
{
    return cf ? cf->P : 0;
}

/* Puts the model's parameters back after a call moved them; st is the
 * call's status, kept unless the restore itself fails. */
static mech_status restore_model(mech_central_flow *cf, mech_status st)
{
    mech_status rs = mech_model_set_params(cf->model, cf->w_saved, cf->P);
    if (rs < 0 && st >= 0) return mech__adopt(&cf->err, rs);
    return st;
}

MECH_API mech_status mech_central_flow_eval(mech_central_flow *cf, const double *w,
                                            double *loss, double *sharpness,
                                            double *sigma2, double *grad_s, double *dwdt)
{
    MECH_CHECK_PTR(NULL, cf);
    MECH_CHECK_PTR(&cf->err, w);
    MECH_TRY(mech__check_finite(w, cf->P, "w", &cf->err));
    mech_status st = mech_model_get_params(cf->model, cf->w_saved, cf->P);
    if (st < 0) return mech__adopt(&cf->err, st);
    cf->rhs_evals = cf->hvps = 0;
    st = restore_model(cf, mech__central_flow_eval(cf, w, dwdt, 1));
    if (st < 0) return st;
    if (loss) *loss = cf->last_loss;
    if (sharpness) *sharpness = cf->last_s;
    if (sigma2) *sigma2 = cf->last_sigma2;
    if (grad_s) memcpy(grad_s, cf->gs, cf->P * sizeof(double));
    return MECH_OK;
}

static mech_status check_times(mech_central_flow *cf, const double *t_out, size_t n_t)
{
    MECH_CHECK_PTR(&cf->err, t_out);
    MECH_CHECK_NONZERO(&cf->err, n_t);
    MECH_TRY(mech__check_finite(t_out, n_t, "t_out", &cf->err));
    for (size_t i = 0; i < n_t; i++)
        if (t_out[i] < 0 || (i > 0 && t_out[i] < t_out[i - 1]))
            return mech__fail(&cf->err, MECH_EINVAL,
                              "central flow: t_out must be >= 0 and non-decreasing "
                              "(t_out[%zu] = %g)", i, t_out[i]);
    return MECH_OK;
}

static const char *const TRACE_COLS[4] = {"loss", "loss_avg_pred", "sharpness", "sigma2"};

static mech_status trace_columns(mech_central_flow *cf, mech_trace *tr, size_t col[4])
{
    mech_axis axis;
    mech_status st = mech_trace_axis(tr, &axis);
    if (st < 0) return mech__adopt(&cf->err, st);
    if (axis != MECH_AXIS_TIME)
        return mech__fail(&cf->err, MECH_EINVAL,
                          "central flow: the trace must be on the 'time' axis");
    for (int c = 0; c < 4; c++) {
        st = mech_trace_add_column(tr, TRACE_COLS[c], &col[c]);
        if (st < 0) return mech__adopt(&cf->err, st);
    }
    return MECH_OK;
}

static mech_status configure_ode(mech_central_flow *cf)
{
    mech_ode *o = cf->ode;
    double h = cf->opt[MECH_CENTRAL_FLOW_H_FIXED].f;
    MECH_TRY(mech_ode_set_i64(o, MECH_ODE_METHOD, cf->opt[MECH_CENTRAL_FLOW_METHOD].i));
    MECH_TRY(mech_ode_set_f64(o, MECH_ODE_RTOL, cf->opt[MECH_CENTRAL_FLOW_RTOL].f));
    MECH_TRY(mech_ode_set_f64(o, MECH_ODE_ATOL, cf->opt[MECH_CENTRAL_FLOW_ATOL].f));
    MECH_TRY(mech_ode_set_f64(o, MECH_ODE_H_FIXED, h > 0 ? h : cf->eta));
    return mech_ode_set_f64(o, MECH_ODE_H_INIT, 0);
}

/* Integrates the kept state from t to t1; keeps the last step size so the
 * next interval does not search for a first step again. */
static mech_status advance(mech_central_flow *cf, double t, double t1)
{
    cf->err.status = MECH_OK;
    mech_status st = mech_ode_integrate(cf->ode, t, cf->w_state, t1, cf->w_state);
    double acc = 0, h = NAN;
    mech_ode_get_stat(cf->ode, MECH_ODE_STAT_ACCEPTED, &acc);
    mech_ode_get_stat(cf->ode, MECH_ODE_STAT_H_LAST, &h);
    mech_ode_get_stat(cf->ode, MECH_ODE_STAT_T_LAST, &cf->t_end);
    cf->steps += acc;
    if (st == MECH_ECALLBACK && cf->err.status < 0) return cf->err.status;
    if (st < 0)
        return mech__fail(&cf->err, st, "central flow: integration failed at t = %g: %s",
                          cf->t_end, mech_ode_last_error(cf->ode));
    if (isfinite(h) && h != 0) MECH_TRY(mech_ode_set_f64(cf->ode, MECH_ODE_H_INIT, fabs(h)));
    return MECH_OK;
}

/* One output row at time t from the evaluation at the kept state. */
static mech_status report(mech_central_flow *cf, size_t i, double t, double *loss_pred,
                          double *loss_w, double *sharpness, double *sigma2,
                          mech_trace *tr, const size_t col[4])
{
    MECH_TRY(mech__central_flow_eval(cf, cf->w_state, NULL, 0));
    double v[4] = {cf->last_loss, cf->last_loss + cf->last_sigma2 / cf->eta, cf->last_s,
                   cf->last_sigma2};
    if (loss_w) loss_w[i] = v[0];
    if (loss_pred) loss_pred[i] = v[1];
    if (sharpness) sharpness[i] = v[2];
    if (sigma2) sigma2[i] = v[3];
    if (v[3] > 0 && isnan(cf->t_enter)) cf->t_enter = t;
    if (!tr) return MECH_OK;
    mech_status st = mech_trace_begin_row(tr, t);
    for (int c = 0; c < 4 && st >= 0; c++) st = mech_trace_put(tr, col[c], v[c]);
    return st < 0 ? mech__adopt(&cf->err, st) : MECH_OK;
}

static mech_status run(mech_central_flow *cf, const double *t_out, size_t n_t,
                       double *loss_pred, double *loss_w, double *sharpness, double *sigma2,
                       mech_trace *tr, const size_t col[4])
{
    double t = 0;
    for (size_t i = 0; i < n_t; i++) {
        if (t_out[i] > t) MECH_TRY(advance(cf, t, t_out[i]));
        t = cf->t_end = t_out[i];
        MECH_TRY(report(cf, i, t, loss_pred, loss_w, sharpness, sigma2, tr, col));
    }
    return MECH_OK;
}

MECH_API mech_status mech_central_flow_solve(mech_central_flow *cf, const double *t_out,
                                             size_t n_t, double *loss_pred, double *loss_w,
                                             double *sharpness, double *sigma2,
                                             mech_trace *trace)
{
    MECH_CHECK_PTR(NULL, cf);
    MECH_TRY(check_times(cf, t_out, n_t));
    size_t col[4] = {0, 0, 0, 0};
    if (trace) MECH_TRY(trace_columns(cf, trace, col));
    MECH_TRY(configure_ode(cf));
    mech_status st = mech_model_get_params(cf->model, cf->w_saved, cf->P);
    if (st < 0) return mech__adopt(&cf->err, st);
    memcpy(cf->w_state, cf->w_saved, cf->P * sizeof(double));
    cf->rhs_evals = cf->hvps = cf->steps = 0;
    cf->t_enter = NAN;
    cf->t_end = 0;
    st = run(cf, t_out, n_t, loss_pred, loss_w, sharpness, sigma2, trace, col);
    return restore_model(cf, st);
}

MECH_API mech_status mech_central_flow_get_params(const mech_central_flow *cf, double *w,
                                                  size_t n)
{
    MECH_CHECK_PTR(NULL, cf);
    MECH_CHECK_PTR((mech_err *)&cf->err, w);
    if (n != cf->P)
        return mech__fail((mech_err *)&cf->err, MECH_ESHAPE,
                          "central flow: n = %zu, the model has %zu parameters", n, cf->P);
    memcpy(w, cf->w_state, n * sizeof(double));
    return MECH_OK;
}

MECH_API mech_status mech_central_flow_get_stat(const mech_central_flow *cf,
                                                mech_central_flow_stat key, double *value)
{
    MECH_CHECK_PTR(NULL, cf);
    MECH_CHECK_PTR((mech_err *)&cf->err, value);
    switch (key) {
    case MECH_CENTRAL_FLOW_STAT_RHS_EVALS: *value = cf->rhs_evals; return MECH_OK;
    case MECH_CENTRAL_FLOW_STAT_HVPS: *value = cf->hvps; return MECH_OK;
    case MECH_CENTRAL_FLOW_STAT_STEPS: *value = cf->steps; return MECH_OK;
    case MECH_CENTRAL_FLOW_STAT_T_ENTER: *value = cf->t_enter; return MECH_OK;
    case MECH_CENTRAL_FLOW_STAT_T_END: *value = cf->t_end; return MECH_OK;
    }
    return mech__fail((mech_err *)&cf->err, MECH_EINVAL,
                      "central flow: unknown statistic %d", (int)key);
}
