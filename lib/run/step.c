/* Discrete training: full-batch GD, minibatch SGD and online SGD steps,
 * with divergence detection. A step allocates nothing: batches, gradient
 * and the spare parameter array live in buffers allocated at setup, and
 * the model's gradient runs on its own workspaces (BLIS GEMMs). */
#include <float.h>
#include <math.h>

#include "run_internal.h"

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
    const double gn = r->f32 ? mech__norm2_f32(r->grad_f, np) : mech__norm2(r->grad, np);
    if (!isfinite(loss) || !(gn >= 0 && gn <= DBL_MAX))
        return diverge(r, k, "the loss or its gradient is");
    /* theta_k goes into the run's spare array, which then trades places
     * with the model's: no copies, and theta_{k-1} stays in the model until
     * theta_k is known to be finite */
    void *spare = r->f32 ? (void *)r->params_f : (void *)r->params;
    const void *grad = r->f32 ? (const void *)r->grad_f : (const void *)r->grad;
    bool bad = false;
    MECH_TRY(mech__adopt(&r->err, mech__optimizer_step_into(r->opt, mech__model_params(r->model),
                                                            spare, grad, r->f32, gn, &bad)));
    if (bad) return diverge(r, k, "the updated parameters are");
    mech__model_swap_params(r->model, &spare);
    if (r->f32)
        r->params_f = spare;
    else
        r->params = spare;
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
