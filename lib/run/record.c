/* The run's trace: its columns and metadata, and the probe row written at
 * each probe point (evaluations, observer, progress, loss target). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run_internal.h"

static const char *const COL_NAMES[RC_COUNT] = {
    [RC_STEP] = "step", [RC_TIME] = "time", [RC_SAMPLES] = "samples", [RC_ALPHA] = "alpha",
    [RC_TRAIN_LOSS] = "train_loss", [RC_BATCH_LOSS] = "batch_loss",
    [RC_TEST_LOSS] = "test_loss", [RC_TRAIN_ACC] = "train_acc", [RC_TEST_ACC] = "test_acc",
    [RC_GRAD_NORM] = "grad_norm", [RC_LR] = "lr",
};

const char *mech__run_col_name(int c) { return COL_NAMES[c]; }

static bool full_train_eval(const mech_run *r)
{
    return !r->is_gen && mech__run_i(r, MECH_RUN_EVAL_TRAIN_FULL);
}

/* Which built-in columns this run has. */
static bool has_col(const mech_run *r, int c)
{
    const bool gf = r->mode == MECH_RUN_GRADIENT_FLOW;
    switch (c) {
    case RC_STEP: return r->axis != MECH_AXIS_STEP;
    case RC_TIME: return r->axis != MECH_AXIS_TIME;
    case RC_SAMPLES: return !gf && r->axis != MECH_AXIS_SAMPLES;
    case RC_ALPHA:
        return !gf && r->axis != MECH_AXIS_ALPHA && mech__run_i(r, MECH_RUN_ALPHA_N) > 0;
    case RC_BATCH_LOSS: case RC_LR: return !gf;
    case RC_TEST_LOSS: return r->test != NULL;
    case RC_TRAIN_ACC: return r->has_acc && full_train_eval(r);
    case RC_TEST_ACC: return r->has_acc && r->test != NULL;
    default: return true;
    }
}

/* Model and optimizer description for the trace's metadata. */
static mech_status put_meta(mech_run *r, mech_trace *tr)
{
    char buf[512];
    size_t used = 0;
    mech_model_kind kind = MECH_MODEL_LINEAR;
    mech_parametrization par = MECH_PARAM_SP;
    MECH_TRY(mech_model_info(r->model, &kind, &par));
    const size_t nl = mech_model_num_layers(r->model);
    if (kind == MECH_MODEL_DIAGONAL || kind == MECH_MODEL_CALLBACK || nl == 0) {
        used = (size_t)snprintf(buf, sizeof buf, "%zu,%zu", r->in_dim, r->out_dim);
    } else {
        for (size_t l = 0; l < nl && used < sizeof buf; l++) {
            size_t rows = 0, cols = 0;
            MECH_TRY(mech_model_layer_info(r->model, l, NULL, &rows, &cols, NULL));
            if (l == 0) used += (size_t)snprintf(buf + used, sizeof buf - used, "%zu", cols);
            if (used < sizeof buf)
                used += (size_t)snprintf(buf + used, sizeof buf - used, ",%zu", rows);
        }
    }
    MECH_TRY(mech_trace_set_meta(tr, "widths", buf));
    MECH_TRY(mech_trace_set_meta(tr, "mode", mech_run_mode_name(r->mode)));
    MECH_TRY(mech_trace_set_meta(tr, "loss", mech_loss_name(r->loss)));
    MECH_TRY(mech_trace_set_meta(tr, "model", mech_model_kind_name(kind)));
    MECH_TRY(mech_trace_set_meta(tr, "parametrization", mech_parametrization_name(par)));
    MECH_TRY(mech_trace_set_meta(tr, "precision", r->f32 ? "f32" : "f64"));
    MECH_TRY(mech_trace_set_meta_f64(tr, "batch", (double)r->batch));
    if (!r->opt) return MECH_OK;
    MECH_TRY(mech_trace_set_meta(tr, "optimizer", mech_optimizer_kind_name(mech__run_opt_kind(r))));
    int n = 0;
    MECH_TRY(mech_option_count(MECH_KIND_OPTIMIZER, &n));
    for (int k = 0; k < n; k++) {
        const char *name = NULL;
        mech_opt_type ty = MECH_OPT_F64;
        MECH_TRY(mech_option_name(MECH_KIND_OPTIMIZER, k, &name));
        MECH_TRY(mech_option_type(MECH_KIND_OPTIMIZER, k, &ty));
        double v = 0;
        int64_t iv = 0;
        if (ty == MECH_OPT_I64) {
            MECH_TRY(mech_optimizer_get_i64(r->opt, (mech_optimizer_opt)k, &iv));
            v = (double)iv;
        } else {
            MECH_TRY(mech_optimizer_get_f64(r->opt, (mech_optimizer_opt)k, &v));
        }
        snprintf(buf, sizeof buf, "optimizer.%s", name);
        MECH_TRY(mech_trace_set_meta_f64(tr, buf, v));
    }
    return MECH_OK;
}

/* Rows the schedule plans (a reserve, not a limit). */
static size_t planned_rows(const mech_run *r)
{
    double rows = 1.0 + (double)r->n_probe_t;
    const double ms = (double)mech__run_i(r, MECH_RUN_MAX_STEPS);
    const double every = (double)mech__run_i(r, MECH_RUN_PROBE_EVERY);
    const double logs = (double)mech__run_i(r, MECH_RUN_PROBE_LOG_POINTS);
    if (r->mode == MECH_RUN_GRADIENT_FLOW) {
        if (r->gf_dt > 0) rows += mech__run_f(r, MECH_RUN_MAX_TIME) / r->gf_dt + 1;
    } else if (every > 0 || logs > 0 || r->n_probe_t > 0) {
        if (every > 0) rows += ms / every;
    } else {
        rows += ms;
    }
    rows += logs * 20; /* twenty decades */
    return rows < 1e6 ? (size_t)rows : 1000000;
}

mech_status mech__run_new_trace(mech_run *r, mech_trace **out)
{
    mech_trace *tr = NULL;
    MECH_TRY(mech__adopt(&r->err, mech_trace_create(&tr, r->ctx, r->axis)));
    mech_status st = MECH_OK;
    for (int c = 0; c < RC_COUNT && st == MECH_OK; c++) {
        r->col[c] = SIZE_MAX;
        if (has_col(r, c)) st = mech_trace_add_column(tr, COL_NAMES[c], &r->col[c]);
    }
    if (st == MECH_OK) st = mech__run_probe_columns(r, tr);
    if (st == MECH_OK) st = put_meta(r, tr);
    if (st == MECH_OK) st = mech_trace_reserve(tr, planned_rows(r));
    if (st < 0) {
        mech__adopt(&r->err, st);
        mech_trace_destroy(tr);
        return st;
    }
    *out = tr;
    return MECH_OK;
}

/* An evaluation whose value overflowed is recorded as NaN (the next step
 * reports the divergence); other errors end the run. */
static mech_status eval_or_nan(mech_run *r, mech_data *d, size_t n, double *loss, double *acc,
                               bool grad)
{
    mech_status st = mech__run_eval(r, d, n, loss, acc, grad);
    if (st == MECH_ENONFINITE || (st == MECH_OK && !isfinite(*loss))) {
        *loss = NAN;
        if (acc) *acc = NAN;
        return MECH_OK;
    }
    return st;
}

static double finite_or_nan(double v) { return isfinite(v) ? v : NAN; }

mech_status mech__run_record(mech_run *r)
{
    double v[RC_COUNT];
    for (int c = 0; c < RC_COUNT; c++) v[c] = NAN;
    const bool gf = r->mode == MECH_RUN_GRADIENT_FLOW;
    v[RC_STEP] = (double)r->s.step;
    v[RC_TIME] = r->s.time;
    v[RC_SAMPLES] = (double)r->s.samples;
    if (mech__run_i(r, MECH_RUN_ALPHA_N) > 0)
        v[RC_ALPHA] = (double)r->s.samples / (double)mech__run_i(r, MECH_RUN_ALPHA_N);
    if (full_train_eval(r)) {
        MECH_TRY(eval_or_nan(r, r->train, r->n_train, &v[RC_TRAIN_LOSS],
                             r->has_acc ? &v[RC_TRAIN_ACC] : NULL, false));
    } else if (r->s.loss_count > 0) {
        v[RC_TRAIN_LOSS] = r->s.loss_sum / (double)r->s.loss_count;
    }
    r->s.loss_sum = 0;
    r->s.loss_count = 0;
    if (r->test)
        MECH_TRY(eval_or_nan(r, r->test, r->n_test, &v[RC_TEST_LOSS],
                             r->has_acc ? &v[RC_TEST_ACC] : NULL, false));
    if (gf) {
        double l = 0;
        MECH_TRY(eval_or_nan(r, r->train, r->n_train, &l, NULL, true));
        double s = 0;
        for (size_t i = 0; i < r->n_params; i++) s += r->grad[i] * r->grad[i];
        v[RC_GRAD_NORM] = isnan(l) ? NAN : sqrt(s);
    } else {
        v[RC_BATCH_LOSS] = r->s.batch_loss;
        v[RC_GRAD_NORM] = r->s.grad_norm;
        double lr = r->s.lr;
        if (r->s.step == 0) MECH_TRY(mech__adopt(&r->err, mech_optimizer_lr_at(r->opt, 1, &lr)));
        v[RC_LR] = lr;
    }
    MECH_TRY(mech__adopt(&r->err, mech_trace_begin_row(r->trace, mech__run_axis_value(r))));
    for (int c = 0; c < RC_COUNT; c++)
        if (r->col[c] != SIZE_MAX)
            MECH_TRY(mech__adopt(&r->err, mech_trace_put(r->trace, r->col[c], finite_or_nan(v[c]))));
    MECH_TRY(mech__run_probe_record(r));
    if (r->observer) {
        const int rc = r->observer(r, r->s.step, mech__run_axis_value(r), r->observer_ud);
        if (rc < 0)
            return mech__fail(&r->err, MECH_ECALLBACK, "mech_run_execute: observer returned %d",
                              rc);
        if (rc > 0) {
            r->stop = MECH_RUN_STOP_CALLBACK;
            return MECH_STOPPED;
        }
    }
    const double done = gf ? r->s.time : (double)r->s.step;
    const double total = gf ? mech__run_f(r, MECH_RUN_MAX_TIME)
                         : mech__run_i(r, MECH_RUN_MAX_STEPS) > 0
                             ? (double)mech__run_i(r, MECH_RUN_MAX_STEPS)
                             : NAN;
    const int pc = mech__progress(r->ctx, "run", done, total);
    if (pc < 0)
        return mech__fail(&r->err, MECH_ECALLBACK, "mech_run_execute: progress returned %d", pc);
    if (pc > 0) {
        r->stop = MECH_RUN_STOP_CALLBACK;
        return MECH_STOPPED;
    }
    const double target = mech__run_f(r, MECH_RUN_LOSS_TARGET);
    if (target > 0 && v[RC_TRAIN_LOSS] <= target) {
        r->stop = MECH_RUN_STOP_LOSS_TARGET;
        return MECH_STOPPED;
    }
    return MECH_OK;
}
