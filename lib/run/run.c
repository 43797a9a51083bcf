/* The run handle: creation, options, probe times, test data, observer,
 * setup (validation and every allocation), execute and the getters. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run_internal.h"

#define I64_MAX_D 9.2233720368547748e18

static const mech_optdesc RUN_OPTS[MECH_RUN_NOPTS] = {
    [MECH_RUN_MODE] = {"mode", MECH_OPT_I64, 0, MECH_RUN_GRADIENT_FLOW, MECH_RUN_FULL_BATCH,
                       NULL, "full_batch, minibatch, online or gradient_flow (mech_run_mode)"},
    [MECH_RUN_BATCH] = {"batch", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                        "examples per step of minibatch and online modes"},
    [MECH_RUN_MAX_STEPS] = {"max_steps", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                            "stop after this many steps (0 = no limit)"},
    [MECH_RUN_MAX_TIME] = {"max_time", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                           "stop at this time, sum of learning rates (0 = no limit)"},
    [MECH_RUN_MAX_SAMPLES] = {"max_samples", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                              "stop after this many examples (0 = no limit)"},
    [MECH_RUN_LOSS_TARGET] = {"loss_target", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                              "stop when a probe row's train_loss is at most this (0 = off)"},
    [MECH_RUN_PROBE_EVERY] = {"probe_every", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                              "steps between probe rows (0 = off)"},
    [MECH_RUN_PROBE_LOG_POINTS] = {"probe_log_points", MECH_OPT_I64, 0, 1e6, 0, NULL,
                                   "log-spaced probe points per decade (0 = off)"},
    [MECH_RUN_PROBE_LOG_START] = {"probe_log_start", MECH_OPT_F64, DBL_MIN, DBL_MAX, 1, NULL,
                                  "first log-spaced probe point (steps; gradient flow: time)"},
    [MECH_RUN_GF_PROBE_DT] = {"gf_probe_dt", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                              "gradient-flow time between probe rows (0 = off)"},
    [MECH_RUN_AXIS] = {"axis", MECH_OPT_I64, -1, MECH_AXIS_ALPHA, -1, NULL,
                       "trace axis (mech_axis; -1 = step, or time for gradient flow)"},
    [MECH_RUN_ALPHA_N] = {"alpha_n", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                          "input dimension N of the alpha axis (0 = no alpha column)"},
    [MECH_RUN_GF_RTOL] = {"gf_rtol", MECH_OPT_F64, 0, 1, 1e-9, NULL,
                          "relative tolerance of gradient flow"},
    [MECH_RUN_GF_ATOL] = {"gf_atol", MECH_OPT_F64, 0, DBL_MAX, 1e-12, NULL,
                          "absolute tolerance of gradient flow"},
    [MECH_RUN_GF_STABILITY] = {"gf_stability", MECH_OPT_F64, 0, DBL_MAX, 2, NULL,
                               "gradient-flow step cap c / lambda_max (0 = off)"},
    [MECH_RUN_EVAL_TRAIN_FULL] = {"eval_train_full", MECH_OPT_I64, 0, 1, 1, NULL,
                                  "train_loss over the whole finite training set"},
    [MECH_RUN_LR_FROM_PARAMETRIZATION] = {"lr_from_parametrization", MECH_OPT_I64, 0, 1, 1,
                                          NULL, "per-layer rates of the parametrization"},
    [MECH_RUN_SAMPLING] = {"sampling", MECH_OPT_I64, MECH_SAMPLE_WITH_REPLACEMENT,
                           MECH_SAMPLE_WITHOUT_REPLACEMENT, MECH_SAMPLE_WITHOUT_REPLACEMENT,
                           NULL, "minibatch sampling (mech_sampling)"},
};

const mech_opttable mech__run_opts = {MECH_KIND_RUN, RUN_OPTS, MECH_RUN_NOPTS};

MECH_API const char *mech_run_mode_name(mech_run_mode mode)
{
    static const char *const NAMES[] = {"full_batch", "minibatch", "online", "gradient_flow"};
    size_t k = (size_t)mode;
    return k < sizeof NAMES / sizeof NAMES[0] ? NAMES[k] : "unknown";
}

MECH_API mech_status mech_run_create(mech_run **out, const mech_ctx *ctx, mech_model *model,
                                     mech_loss loss, mech_data *train, mech_optimizer *opt)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, model);
    MECH_CHECK_PTR(NULL, train);
    if ((unsigned)loss > MECH_LOSS_LOGISTIC)
        return mech__fail(NULL, MECH_EINVAL, "mech_run_create: unknown loss %d", (int)loss);
    if (mech_model_num_params(model) == 0)
        return mech__fail(NULL, MECH_ESTATE, "mech_run_create: model is not set up");
    mech_run *r = mech__calloc(1, sizeof *r, NULL);
    if (!r) return MECH_ENOMEM;
    mech__opt_defaults(&mech__run_opts, r->o, NULL); /* numeric: cannot fail */
    r->ctx = ctx;
    r->model = model;
    r->loss = loss;
    r->train = train;
    r->opt = opt;
    *out = r;
    return MECH_OK;
}

static void free_setup(mech_run *r)
{
    free(r->params); free(r->grad); free(r->gtmp);
    free(r->params_f); free(r->grad_f); free(r->gtmp_f);
    free(r->bx); free(r->by); free(r->bx_f); free(r->by_f);
    free(r->ex); free(r->ey); free(r->ef); free(r->pv); free(r->pw);
    mech_ode_destroy(r->ode);
    mech_trace_destroy(r->trace);
    r->params = r->grad = r->gtmp = r->bx = r->by = r->ex = r->ey = r->ef = NULL;
    r->pv = r->pw = NULL;
    r->params_f = r->grad_f = r->gtmp_f = r->bx_f = r->by_f = NULL;
    r->ode = NULL;
    r->trace = NULL;
    r->ready = false;
}

MECH_API void mech_run_destroy(mech_run *r)
{
    if (!r) return;
    free_setup(r);
    mech__run_probe_free(r);
    free(r->probe_t);
    free(r);
}

MECH_API const char *mech_run_last_error(const mech_run *r)
{
    return r ? r->err.msg : "";
}

/* Stop values may change after setup (to continue a run); nothing else. */
static mech_status check_settable(mech_run *r, int key)
{
    MECH_CHECK_PTR(NULL, r);
    const bool stop = key == MECH_RUN_MAX_STEPS || key == MECH_RUN_MAX_TIME ||
                      key == MECH_RUN_MAX_SAMPLES || key == MECH_RUN_LOSS_TARGET;
    if (r->ready && !stop && key >= 0 && key < MECH_RUN_NOPTS)
        return mech__fail(&r->err, MECH_ESTATE, "mech_run: option '%s' is fixed after setup",
                          RUN_OPTS[key].name);
    return MECH_OK;
}

MECH_API mech_status mech_run_set_i64(mech_run *r, mech_run_opt key, int64_t value)
{
    MECH_TRY(check_settable(r, (int)key));
    return mech__opt_set_i64(&mech__run_opts, r->o, (int)key, value, &r->err);
}

MECH_API mech_status mech_run_get_i64(const mech_run *r, mech_run_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, r);
    return mech__opt_get_i64(&mech__run_opts, r->o, (int)key, value, (mech_err *)&r->err);
}

MECH_API mech_status mech_run_set_f64(mech_run *r, mech_run_opt key, double value)
{
    MECH_TRY(check_settable(r, (int)key));
    return mech__opt_set_f64(&mech__run_opts, r->o, (int)key, value, &r->err);
}

MECH_API mech_status mech_run_get_f64(const mech_run *r, mech_run_opt key, double *value)
{
    MECH_CHECK_PTR(NULL, r);
    return mech__opt_get_f64(&mech__run_opts, r->o, (int)key, value, (mech_err *)&r->err);
}

MECH_API mech_status mech_run_set_probe_times(mech_run *r, const double *t, size_t n)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(&r->err, t);
    MECH_CHECK_NONZERO(&r->err, n);
    if (r->ready)
        return mech__fail(&r->err, MECH_ESTATE, "mech_run_set_probe_times: after setup");
    MECH_TRY(mech__check_finite(t, n, "probe times", &r->err));
    for (size_t i = 0; i < n; i++)
        if (t[i] < 0 || (i > 0 && !(t[i] > t[i - 1])))
            return mech__fail(&r->err, MECH_ERANGE,
                              "mech_run_set_probe_times: times must be >= 0 and strictly "
                              "increasing (entry %zu)", i);
    double *c = mech__calloc(n, sizeof *c, &r->err);
    if (!c) return MECH_ENOMEM;
    memcpy(c, t, n * sizeof *c);
    free(r->probe_t);
    r->probe_t = c;
    r->n_probe_t = n;
    return MECH_OK;
}

MECH_API mech_status mech_run_set_test_data(mech_run *r, mech_data *test)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(&r->err, test);
    if (r->ready) return mech__fail(&r->err, MECH_ESTATE, "mech_run_set_test_data: after setup");
    bool gen = false;
    size_t in = 0, out = 0, m_in = 0, m_out = 0;
    MECH_TRY(mech__adopt(&r->err, mech_data_is_generator(test, &gen)));
    if (gen)
        return mech__fail(&r->err, MECH_EINVAL,
                          "mech_run_set_test_data: test data must be finite (materialize it)");
    MECH_TRY(mech__adopt(&r->err, mech_data_in_dim(test, &in)));
    MECH_TRY(mech__adopt(&r->err, mech_data_out_dim(test, &out)));
    MECH_TRY(mech__adopt(&r->err, mech_model_dims(r->model, &m_in, &m_out)));
    if (in != m_in || out != m_out)
        return mech__fail(&r->err, MECH_ESHAPE,
                          "mech_run_set_test_data: test data is %zu -> %zu, model %zu -> %zu",
                          in, out, m_in, m_out);
    r->test = test;
    return MECH_OK;
}

MECH_API mech_status mech_run_set_observer(mech_run *r, mech_run_observer_fn fn,
                                           void *user_data)
{
    MECH_CHECK_PTR(NULL, r);
    r->observer = fn;
    r->observer_ud = fn ? user_data : NULL;
    return MECH_OK;
}

/* Configures the training set's sampler for the minibatch and online modes. */
mech_status mech__run_config_sampler(mech_run *r)
{
    if (r->mode != MECH_RUN_MINIBATCH && r->mode != MECH_RUN_ONLINE) return MECH_OK;
    const mech_sampling s = r->mode == MECH_RUN_ONLINE
                                ? MECH_SAMPLE_WITH_REPLACEMENT
                                : (mech_sampling)mech__run_i(r, MECH_RUN_SAMPLING);
    return mech__adopt(&r->err, mech_data_set_batch(r->train, r->batch, s));
}

/* Installs the parametrization's per-layer learning rates as groups. */
static mech_status install_lr_groups(mech_run *r)
{
    const mech_optimizer_kind k = mech__run_opt_kind(r);
    const mech_optimizer_family fam =
        k == MECH_OPTIMIZER_ADAM || k == MECH_OPTIMIZER_ADAMW || k == MECH_OPTIMIZER_RMSPROP ||
                k == MECH_OPTIMIZER_SIGN
            ? MECH_OPTFAM_ADAM
            : MECH_OPTFAM_SGD;
    const size_t g = mech_model_num_lr_groups(r->model);
    size_t *off = mech__calloc(g + 1, sizeof *off, &r->err);
    double *mult = off ? mech__calloc(g, sizeof *mult, &r->err) : NULL;
    mech_status st = mult ? MECH_OK : MECH_ENOMEM;
    if (st == MECH_OK)
        st = mech__adopt(&r->err, mech_model_lr_multipliers(r->model, fam, off, mult, g));
    if (st == MECH_OK) st = mech__adopt(&r->err, mech_optimizer_set_groups(r->opt, off, mult, g));
    free(off);
    free(mult);
    return st;
}

/* Validates the handles against the mode; fills dims and batch. */
static mech_status check_config(mech_run *r)
{
    r->mode = (mech_run_mode)mech__run_i(r, MECH_RUN_MODE);
    const bool gf = r->mode == MECH_RUN_GRADIENT_FLOW;
    size_t in = 0, out = 0;
    int64_t maxb = 0, prec = 0;
    MECH_TRY(mech__adopt(&r->err, mech_model_dims(r->model, &r->in_dim, &r->out_dim)));
    MECH_TRY(mech__adopt(&r->err, mech_model_get_i64(r->model, MECH_MODEL_MAX_BATCH, &maxb)));
    MECH_TRY(mech__adopt(&r->err, mech_model_get_i64(r->model, MECH_MODEL_PRECISION, &prec)));
    MECH_TRY(mech__adopt(&r->err, mech_data_is_generator(r->train, &r->is_gen)));
    MECH_TRY(mech__adopt(&r->err, mech_data_in_dim(r->train, &in)));
    MECH_TRY(mech__adopt(&r->err, mech_data_out_dim(r->train, &out)));
    MECH_TRY(mech__adopt(&r->err, mech_data_n(r->train, &r->n_train)));
    if (r->test) MECH_TRY(mech__adopt(&r->err, mech_data_n(r->test, &r->n_test)));
    r->n_params = mech_model_num_params(r->model);
    r->f32 = prec == MECH_PREC_F32;
    if (in != r->in_dim || out != r->out_dim)
        return mech__fail(&r->err, MECH_ESHAPE,
                          "mech_run_setup: training data is %zu -> %zu, model %zu -> %zu", in,
                          out, r->in_dim, r->out_dim);
    if (r->is_gen != (r->mode == MECH_RUN_ONLINE))
        return mech__fail(&r->err, MECH_ESTATE,
                          "mech_run_setup: mode %s needs %s training data",
                          mech_run_mode_name(r->mode), r->is_gen ? "finite" : "generator");
    if (!gf && !r->opt)
        return mech__fail(&r->err, MECH_ESTATE, "mech_run_setup: mode %s needs an optimizer",
                          mech_run_mode_name(r->mode));
    if (r->opt && mech__run_opt_params(r) != r->n_params)
        return mech__fail(&r->err, MECH_ESHAPE,
                          "mech_run_setup: optimizer has %zu parameters, model %zu",
                          mech__run_opt_params(r), r->n_params);
    if (gf && r->f32)
        return mech__fail(&r->err, MECH_EUNSUPPORTED,
                          "mech_run_setup: gradient flow needs a double-precision model");
    if (r->mode == MECH_RUN_MINIBATCH || r->mode == MECH_RUN_ONLINE) {
        r->batch = (size_t)mech__run_i(r, MECH_RUN_BATCH);
        if (r->batch == 0 || r->batch > (size_t)maxb ||
            (r->mode == MECH_RUN_MINIBATCH && r->batch > r->n_train))
            return mech__fail(&r->err, MECH_ERANGE,
                              "mech_run_setup: batch %zu must be in 1..%lld (MAX_BATCH)%s",
                              r->batch, (long long)maxb,
                              r->mode == MECH_RUN_MINIBATCH ? " and <= n" : "");
    } else {
        r->batch = r->n_train;
    }
    size_t big = r->n_train > r->n_test ? r->n_train : r->n_test;
    r->chunk = big < (size_t)maxb ? big : (size_t)maxb;
    const int64_t ax = mech__run_i(r, MECH_RUN_AXIS);
    r->axis = ax < 0 ? (gf ? MECH_AXIS_TIME : MECH_AXIS_STEP) : (mech_axis)ax;
    if (r->axis == MECH_AXIS_ALPHA && mech__run_i(r, MECH_RUN_ALPHA_N) == 0)
        return mech__fail(&r->err, MECH_EUNSUPPORTED, "mech_run_setup: axis alpha needs ALPHA_N");
    if (gf && (r->axis == MECH_AXIS_SAMPLES || r->axis == MECH_AXIS_ALPHA))
        return mech__fail(&r->err, MECH_EUNSUPPORTED,
                          "mech_run_setup: gradient flow has no samples axis");
    const bool stop = gf ? mech__run_f(r, MECH_RUN_MAX_TIME) > 0
                         : mech__run_i(r, MECH_RUN_MAX_STEPS) > 0 ||
                               mech__run_f(r, MECH_RUN_MAX_TIME) > 0 ||
                               mech__run_i(r, MECH_RUN_MAX_SAMPLES) > 0;
    if (!stop)
        return mech__fail(&r->err, MECH_ESTATE, "mech_run_setup: no stop condition (%s)",
                          gf ? "MAX_TIME" : "MAX_STEPS, MAX_TIME or MAX_SAMPLES");
    r->has_acc = r->loss != MECH_LOSS_MSE;
    return MECH_OK;
}

static mech_status alloc_buffers(mech_run *r)
{
    mech_err *e = &r->err;
    const size_t np = r->n_params;
    const size_t rows = r->batch > r->chunk ? r->batch : r->chunk;
    size_t nx = 0, ny = 0, cx = 0, cy = 0;
    MECH_TRY(mech__mul(rows, r->in_dim, &nx, e));
    MECH_TRY(mech__mul(rows, r->out_dim, &ny, e));
    MECH_TRY(mech__mul(r->chunk, r->in_dim, &cx, e));
    MECH_TRY(mech__mul(r->chunk, r->out_dim, &cy, e));
    if (!(r->params = mech__calloc(np, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->grad = mech__calloc(np, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->gtmp = mech__calloc(np, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->bx = mech__calloc(nx, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->by = mech__calloc(ny, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->ex = mech__calloc(cx, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->ey = mech__calloc(cy, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->ef = mech__calloc(cy, sizeof(double), e))) return MECH_ENOMEM;
    if (r->f32) {
        if (!(r->params_f = mech__calloc(np, sizeof(float), e))) return MECH_ENOMEM;
        if (!(r->grad_f = mech__calloc(np, sizeof(float), e))) return MECH_ENOMEM;
        if (!(r->gtmp_f = mech__calloc(np, sizeof(float), e))) return MECH_ENOMEM;
        if (!(r->bx_f = mech__calloc(nx, sizeof(float), e))) return MECH_ENOMEM;
        if (!(r->by_f = mech__calloc(ny, sizeof(float), e))) return MECH_ENOMEM;
    }
    return MECH_OK;
}

static mech_status setup_flow(mech_run *r)
{
    mech_err *e = &r->err;
    if (!(r->pv = mech__calloc(r->n_params, sizeof(double), e))) return MECH_ENOMEM;
    if (!(r->pw = mech__calloc(r->n_params, sizeof(double), e))) return MECH_ENOMEM;
    MECH_TRY(mech__adopt(e, mech_ode_create(&r->ode, r->ctx, r->n_params, mech__run_gf_rhs, r)));
    MECH_TRY(mech__adopt(e, mech_ode_set_f64(r->ode, MECH_ODE_RTOL,
                                             mech__run_f(r, MECH_RUN_GF_RTOL))));
    MECH_TRY(mech__adopt(e, mech_ode_set_f64(r->ode, MECH_ODE_ATOL,
                                             mech__run_f(r, MECH_RUN_GF_ATOL))));
    const bool sched = mech__run_f(r, MECH_RUN_GF_PROBE_DT) > 0 ||
                       mech__run_i(r, MECH_RUN_PROBE_LOG_POINTS) > 0 || r->n_probe_t > 0;
    r->gf_dt = sched ? mech__run_f(r, MECH_RUN_GF_PROBE_DT) : mech__run_f(r, MECH_RUN_MAX_TIME) / 100;
    return MECH_OK;
}

MECH_API mech_status mech_run_setup(mech_run *r)
{
    MECH_CHECK_PTR(NULL, r);
    if (r->ready) return mech__fail(&r->err, MECH_ESTATE, "mech_run_setup: already set up");
    mech_status st = check_config(r);
    if (st == MECH_OK && r->opt && !mech__run_opt_ready(r))
        st = mech__adopt(&r->err, mech_optimizer_setup(r->opt));
    if (st == MECH_OK && r->opt && mech__run_i(r, MECH_RUN_LR_FROM_PARAMETRIZATION))
        st = install_lr_groups(r);
    if (st == MECH_OK) st = mech__run_config_sampler(r);
    if (st == MECH_OK) st = alloc_buffers(r);
    if (st == MECH_OK && r->mode == MECH_RUN_GRADIENT_FLOW) st = setup_flow(r);
    if (st == MECH_OK) st = mech__run_restart(r);
    if (st < 0) {
        free_setup(r);
        return st;
    }
    r->ready = true;
    return MECH_OK;
}

mech_status mech__run_restart(mech_run *r)
{
    mech_trace *tr = NULL;
    MECH_TRY(mech__run_new_trace(r, &tr));
    mech_trace_destroy(r->trace);
    r->trace = tr;
    memset(&r->s, 0, sizeof r->s);
    r->s.batch_loss = r->s.grad_norm = r->s.lr = NAN;
    r->stop = MECH_RUN_STOP_NONE;
    return MECH_OK;
}

MECH_API mech_status mech_run_execute(mech_run *r)
{
    MECH_CHECK_PTR(NULL, r);
    if (!r->ready) return mech__fail(&r->err, MECH_ESTATE, "mech_run_execute: not set up");
    if (!r->trace)
        return mech__fail(&r->err, MECH_ESTATE, "mech_run_execute: the trace was taken");
    if (r->s.diverged)
        return mech__fail(&r->err, MECH_ESTATE,
                          "mech_run_execute: the run diverged at step %llu",
                          (unsigned long long)r->s.diverged);
    r->stop = MECH_RUN_STOP_NONE;
    mech_status st = r->mode == MECH_RUN_GRADIENT_FLOW ? mech__run_flow(r)
                                                       : mech__run_discrete(r);
    if (st == MECH_STOPPED && r->stop == MECH_RUN_STOP_LOSS_TARGET) st = MECH_OK;
    if (st < 0 && r->stop != MECH_RUN_STOP_DIVERGED) r->stop = MECH_RUN_STOP_ERROR;
    return st;
}

MECH_API mech_status mech_run_step_count(const mech_run *r, uint64_t *steps)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR((mech_err *)&r->err, steps);
    *steps = r->s.step;
    return MECH_OK;
}

MECH_API mech_status mech_run_time(const mech_run *r, double *t)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR((mech_err *)&r->err, t);
    *t = r->s.time;
    return MECH_OK;
}

MECH_API mech_status mech_run_diverged_step(const mech_run *r, uint64_t *step)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR((mech_err *)&r->err, step);
    *step = r->s.diverged;
    return MECH_OK;
}

MECH_API mech_status mech_run_stop_reason(const mech_run *r, mech_run_stop *reason)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR((mech_err *)&r->err, reason);
    *reason = r->stop;
    return MECH_OK;
}

MECH_API mech_status mech_run_trace(const mech_run *r, const mech_trace **out)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR((mech_err *)&r->err, out);
    if (!r->trace)
        return mech__fail((mech_err *)&r->err, MECH_ESTATE,
                          "mech_run_trace: no trace (not set up, or taken)");
    *out = r->trace;
    return MECH_OK;
}

MECH_API mech_status mech_run_take_trace(mech_run *r, mech_trace **out)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(&r->err, out);
    if (!r->trace)
        return mech__fail(&r->err, MECH_ESTATE,
                          "mech_run_take_trace: no trace (not set up, or taken)");
    *out = r->trace;
    r->trace = NULL;
    return MECH_OK;
}
