/* Discrete training: full-batch GD, minibatch SGD and online SGD steps,
 * with divergence detection. A step allocates nothing: batches, gradient
 * and parameters live in buffers allocated at setup, and the model's
 * gradient runs on its own workspaces (BLIS GEMMs). */
#include <math.h>

#include "run_internal.h"

/* L2 norm without overflow for finite entries (Inf only beyond DBL_MAX). */
static double norm2(const double *g, const float *gf, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        const double a = fabs(gf ? (double)gf[i] : g[i]);
        if (!(a <= m)) m = a; /* also picks up NaN */
    }
    if (m == 0 || !isfinite(m)) return m;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        const double v = (gf ? (double)gf[i] : g[i]) / m;
        s += v * v;
    }
    return m * sqrt(s);
}

static bool all_finite(const double *p, const float *pf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pf ? (double)pf[i] : p[i])) return false;
    return true;
}

static mech_status diverge(mech_run *r, uint64_t k, const char *what)
{
    r->s.diverged = k;
    r->stop = MECH_RUN_STOP_DIVERGED;
    return mech__fail(&r->err, MECH_EDIVERGED,
                      "mech_run_execute: %s not finite at step %llu; the model keeps the "
                      "parameters after step %llu",
                      what, (unsigned long long)k, (unsigned long long)(k - 1));
}

/* Loss and gradient of the step's batch at the current parameters. */
static mech_status batch_gradient(mech_run *r, double *loss)
{
    if (r->mode == MECH_RUN_FULL_BATCH) return mech__run_eval(r, r->train, r->n_train, loss, NULL, true);
    size_t cnt = 0;
    MECH_TRY(mech__adopt(&r->err, mech_data_next_batch(r->train, r->bx, r->by, &cnt)));
    if (r->f32) {
        for (size_t i = 0; i < cnt * r->in_dim; i++) r->bx_f[i] = (float)r->bx[i];
        for (size_t i = 0; i < cnt * r->out_dim; i++) r->by_f[i] = (float)r->by[i];
        return mech__adopt(&r->err, mech_model_gradient_f32(r->model, r->loss, r->bx_f, r->by_f,
                                                            cnt, loss, r->grad_f));
    }
    return mech__adopt(&r->err, mech_model_gradient(r->model, r->loss, r->bx, r->by, cnt, loss,
                                                    r->grad));
}

/* The stop condition reached by the current state, or STOP_NONE. */
static mech_run_stop reached(const mech_run *r)
{
    const int64_t ms = mech__run_i(r, MECH_RUN_MAX_STEPS);
    const int64_t mn = mech__run_i(r, MECH_RUN_MAX_SAMPLES);
    const double mt = mech__run_f(r, MECH_RUN_MAX_TIME);
    if (ms > 0 && r->s.step >= (uint64_t)ms) return MECH_RUN_STOP_MAX_STEPS;
    /* time is a sum of rates: allow its rounding (10 x 0.1 reaches 1) */
    if (mt > 0 && r->s.time >= mt - 1e-12 * mt) return MECH_RUN_STOP_MAX_TIME;
    if (mn > 0 && r->s.samples >= (uint64_t)mn) return MECH_RUN_STOP_MAX_SAMPLES;
    return MECH_RUN_STOP_NONE;
}

/* One step k = step + 1: gradient at theta_{k-1}, update, checks. */
static mech_status one_step(mech_run *r)
{
    const uint64_t k = r->s.step + 1;
    const size_t np = r->n_params;
    double lr = 0, loss = NAN;
    MECH_TRY(mech__adopt(&r->err, mech_optimizer_lr_at(r->opt, k, &lr)));
    mech_status st = batch_gradient(r, &loss);
    if (st == MECH_ENONFINITE) return diverge(r, k, "the loss or its gradient is");
    MECH_TRY(st);
    const double gn = norm2(r->grad, r->grad_f, np);
    if (!isfinite(loss) || !isfinite(gn)) return diverge(r, k, "the loss or its gradient is");
    if (r->f32) {
        MECH_TRY(mech__adopt(&r->err, mech_optimizer_step_f32(r->opt, r->params_f, r->grad_f)));
    } else {
        MECH_TRY(mech__adopt(&r->err, mech_optimizer_step(r->opt, r->params, r->grad)));
    }
    if (!all_finite(r->params, r->params_f, np)) {
        /* the model still holds theta_{k-1}: bring the run's copy back */
        if (r->f32)
            mech_model_get_params_f32(r->model, r->params_f, np);
        else
            mech_model_get_params(r->model, r->params, np);
        return diverge(r, k, "the updated parameters are");
    }
    if (r->f32)
        MECH_TRY(mech__adopt(&r->err, mech_model_set_params_f32(r->model, r->params_f, np)));
    else
        MECH_TRY(mech__adopt(&r->err, mech_model_set_params(r->model, r->params, np)));
    r->s.step = k;
    r->s.time += lr;
    r->s.samples += r->batch;
    r->s.batch_loss = loss;
    r->s.grad_norm = gn;
    r->s.lr = lr;
    r->s.loss_sum += loss;
    r->s.loss_count++;
    return MECH_OK;
}

mech_status mech__run_discrete(mech_run *r)
{
    const size_t np = r->n_params;
    if (r->f32)
        MECH_TRY(mech__adopt(&r->err, mech_model_get_params_f32(r->model, r->params_f, np)));
    else
        MECH_TRY(mech__adopt(&r->err, mech_model_get_params(r->model, r->params, np)));
    if (!r->s.started) {
        r->s.started = 1;
        (void)mech__run_probe_due(r, 0, 0.0); /* consume schedule points at 0 */
        const mech_status st = mech__run_record(r);
        if (st != MECH_OK) return st;
    }
    for (;;) {
        const mech_run_stop why = reached(r);
        if (why != MECH_RUN_STOP_NONE) {
            r->stop = why;
            return MECH_OK;
        }
        MECH_TRY(one_step(r));
        if (mech__run_probe_due(r, r->s.step, mech__run_axis_value(r))) {
            const mech_status st = mech__run_record(r);
            if (st != MECH_OK) return st;
        }
    }
}
