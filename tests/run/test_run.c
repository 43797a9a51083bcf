/* The training integrator against closed forms (GD and gradient flow on
 * whitened linear regression), an independent training loop (divergence),
 * independent aggregation (ensembles), a reference built-in model
 * (callback model), itself under different seeds and interruptions
 * (reproducibility, checkpoints), and bad input. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

#define ck_assert_rel(a, b, tol)                                              \
    do {                                                                      \
        double a_ = (a), b_ = (b);                                            \
        ck_assert_msg(fabs(a_ - b_) <= (tol) * fabs(b_),                      \
                      "%s = %.17g, want %.17g (rel tol %g)", #a, a_, b_,      \
                      (double)(tol));                                         \
    } while (0)

/* ---------------- whitened linear regression ---------------- */

/* d examples x_k = sqrt(d lam_k) e_k, so the sample covariance is exactly
 * diag(lam); labels y = w* . x. The 1/2-MSE loss is then
 * L(w) = 1/2 sum_k lam_k (w_k - w*_k)^2 (THEORY.md section 2). */
#define D 4
static const double LAM[D] = {1.5, 1.0, 0.5, 0.2};
static const double WSTAR[D] = {1.0, -2.0, 0.5, 3.0};

typedef struct setup {
    mech_ctx *ctx;
    mech_model *model;
    mech_data *train, *test;
    mech_optimizer *opt;
    mech_run *run;
} setup;

static void teardown(setup *s)
{
    mech_run_destroy(s->run);
    mech_optimizer_destroy(s->opt);
    mech_data_destroy(s->train);
    mech_data_destroy(s->test);
    mech_model_destroy(s->model);
    mech_ctx_destroy(s->ctx);
    memset(s, 0, sizeof *s);
}

static mech_data *whitened_data(mech_ctx *ctx)
{
    double x[D * D] = {0}, y[D];
    for (int k = 0; k < D; k++) {
        x[k * D + k] = sqrt(D * LAM[k]);
        y[k] = WSTAR[k] * x[k * D + k];
    }
    mech_data *d = NULL;
    ck_assert_ok(mech_data_create_arrays(&d, ctx, x, y, D, D, 1, MECH_COPY));
    return d;
}

/* A linear model D -> 1 starting at w = 0 on the whitened data; a
 * max_batch below D (0: default) makes the run evaluate in chunks. */
static void linreg_chunked(setup *s, mech_run_mode mode, double lr, int64_t max_batch)
{
    memset(s, 0, sizeof *s);
    ck_assert_ok(mech_ctx_create(&s->ctx));
    ck_assert_ok(mech_model_create(&s->model, s->ctx, MECH_MODEL_LINEAR));
    const size_t w[2] = {D, 1};
    ck_assert_ok(mech_model_set_widths(s->model, w, 2));
    if (max_batch) ck_assert_ok(mech_model_set_i64(s->model, MECH_MODEL_MAX_BATCH, max_batch));
    ck_assert_ok(mech_model_setup(s->model));
    const double zero[D] = {0};
    ck_assert_ok(mech_model_set_params(s->model, zero, D));
    s->train = whitened_data(s->ctx);
    if (mode != MECH_RUN_GRADIENT_FLOW) {
        ck_assert_ok(mech_optimizer_create(&s->opt, s->ctx, MECH_OPTIMIZER_GD, D));
        ck_assert_ok(mech_optimizer_set_f64(s->opt, MECH_OPTIMIZER_LR, lr));
    }
    ck_assert_ok(mech_run_create(&s->run, s->ctx, s->model, MECH_LOSS_MSE, s->train, s->opt));
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_MODE, mode));
}

static void linreg(setup *s, mech_run_mode mode, double lr)
{
    linreg_chunked(s, mode, lr, 0);
}

/* L = 1/2 sum lam_k w*_k^2 decay_k with decay_k per mode. */
static double linreg_loss_gd(double eta, int k)
{
    double l = 0;
    for (int i = 0; i < D; i++)
        l += 0.5 * LAM[i] * WSTAR[i] * WSTAR[i] * pow(1 - eta * LAM[i], 2.0 * k);
    return l;
}

static double linreg_loss_gf(double t)
{
    double l = 0;
    for (int i = 0; i < D; i++) l += 0.5 * LAM[i] * WSTAR[i] * WSTAR[i] * exp(-2 * LAM[i] * t);
    return l;
}

static double *column(const mech_trace *tr, const char *name)
{
    size_t idx = 0, n = mech_trace_n_rows(tr);
    ck_assert_ok(mech_trace_column_index(tr, name, &idx));
    double *v = malloc((n ? n : 1) * sizeof *v);
    ck_assert_ok(mech_trace_column(tr, idx, v, n));
    return v;
}

static double *times(const mech_trace *tr)
{
    size_t n = mech_trace_n_rows(tr);
    double *v = malloc((n ? n : 1) * sizeof *v);
    ck_assert_ok(mech_trace_time(tr, v, n));
    return v;
}

START_TEST(gd_matches_mode_decay_per_step)
{
    setup s;
    const double eta = 0.5;
    linreg(&s, MECH_RUN_FULL_BATCH, eta);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 60));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_ok(mech_run_execute(s.run));
    const mech_trace *tr = NULL;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 61);
    double *t = times(tr), *l = column(tr, "train_loss"), *tm = column(tr, "time");
    /* 60 steps of ~1e-16 rounding each stay far below 1e-12 relative. */
    for (int k = 0; k <= 60; k++) {
        ck_assert_double_eq(t[k], k);
        ck_assert_rel(l[k], linreg_loss_gd(eta, k), 1e-12);
        ck_assert_close(tm[k], eta * k, 1e-12); /* time = sum of eta */
    }
    free(t); free(l); free(tm);
    mech_run_stop why;
    ck_assert_ok(mech_run_stop_reason(s.run, &why));
    ck_assert_int_eq(why, MECH_RUN_STOP_MAX_STEPS);
    teardown(&s);
}
END_TEST

START_TEST(gradient_flow_matches_exponential_decay)
{
    setup s;
    linreg(&s, MECH_RUN_GRADIENT_FLOW, 0);
    const double pt[5] = {0.1, 0.5, 1.0, 3.0, 8.0};
    ck_assert_ok(mech_run_set_probe_times(s.run, pt, 5));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_MAX_TIME, 8.0));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_GF_RTOL, 1e-12));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_GF_ATOL, 1e-16));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_ok(mech_run_execute(s.run));
    const mech_trace *tr = NULL;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    mech_axis ax;
    ck_assert_ok(mech_trace_axis(tr, &ax));
    ck_assert_int_eq(ax, MECH_AXIS_TIME);
    ck_assert_uint_eq(mech_trace_n_rows(tr), 6);
    double *t = times(tr), *l = column(tr, "train_loss");
    ck_assert_double_eq(t[0], 0);
    ck_assert_rel(l[0], linreg_loss_gf(0), 1e-15);
    /* DOPRI5 at rtol 1e-12 keeps each mode's relative error near 1e-11;
     * the loss (a sum of squares of modes) inherits twice that: 1e-8 is
     * the acceptance bound with a wide margin. */
    for (int i = 0; i < 5; i++) {
        ck_assert_double_eq(t[i + 1], pt[i]);
        ck_assert_rel(l[i + 1], linreg_loss_gf(pt[i]), 1e-8);
    }
    free(t); free(l);
    double now = 0;
    ck_assert_ok(mech_run_time(s.run, &now));
    ck_assert_double_eq(now, 8.0);
    teardown(&s);
}
END_TEST

START_TEST(chunked_full_batch_matches_closed_forms)
{
    /* D = 4 examples in chunks of 3 and 1 (weights 3/4 and 1/4) */
    setup s;
    const double eta = 0.5;
    linreg_chunked(&s, MECH_RUN_FULL_BATCH, eta, 3);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 30));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_ok(mech_run_execute(s.run));
    const mech_trace *tr = NULL;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    double *l = column(tr, "train_loss");
    for (int k = 0; k <= 30; k++) ck_assert_rel(l[k], linreg_loss_gd(eta, k), 1e-12);
    free(l);
    teardown(&s);
    linreg_chunked(&s, MECH_RUN_GRADIENT_FLOW, 0, 3);
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_MAX_TIME, 4.0));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_GF_RTOL, 1e-12));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_GF_ATOL, 1e-16));
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_PROBE_LOG_POINTS, 2));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_PROBE_LOG_START, 0.01));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_ok(mech_run_execute(s.run));
    ck_assert_ok(mech_run_trace(s.run, &tr));
    /* log times 0.01 10^(j/2) up to 4: 0.01, 0.0316, 0.1, 0.316, 1, 3.16 */
    ck_assert_uint_eq(mech_trace_n_rows(tr), 7);
    double *t = times(tr);
    l = column(tr, "train_loss");
    for (size_t i = 1; i < 7; i++) {
        ck_assert_rel(t[i], 0.01 * pow(10, (i - 1) / 2.0), 1e-15);
        ck_assert_rel(l[i], linreg_loss_gf(t[i]), 1e-8);
    }
    free(t); free(l);
    teardown(&s);
}
END_TEST

/* ---------------- a small MLP on random data ---------------- */

typedef struct mlp_cfg {
    int64_t seed;
    mech_precision prec;
    mech_run_mode mode;
    mech_optimizer_kind opt;
    double lr;
    size_t batch;
    int64_t steps;
} mlp_cfg;

static mech_model *make_mlp(mech_ctx *ctx, mech_precision prec)
{
    mech_model *m = NULL;
    const size_t w[3] = {5, 16, 2};
    ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(m, w, 3));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_ACTIVATION, MECH_ACT_TANH));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PRECISION, prec));
    ck_assert_ok(mech_model_setup(m));
    return m;
}

/* 64 Gaussian inputs with labels from a fixed teacher (5 -> 2). */
static mech_data *mlp_data(mech_ctx *ctx, int64_t stream)
{
    mech_data *g = NULL, *d = NULL;
    const double w[10] = {0.5, -1, 0.3, 0.8, -0.2, 1, 0.1, -0.4, 0.6, 0.2};
    ck_assert_ok(mech_data_create_generator(&g, ctx, MECH_INPUT_GAUSSIAN, 5));
    ck_assert_ok(mech_data_set_linear_teacher(g, w, 2, 0.1));
    ck_assert_ok(mech_data_set_i64(g, MECH_DATA_STREAM, 1000 + stream));
    ck_assert_ok(mech_data_materialize(g, 64, &d));
    mech_data_destroy(g);
    return d;
}

static void mlp_run(setup *s, const mlp_cfg *c)
{
    memset(s, 0, sizeof *s);
    ck_assert_ok(mech_ctx_create(&s->ctx));
    ck_assert_ok(mech_ctx_set_i64(s->ctx, MECH_CTX_SEED, c->seed));
    s->model = make_mlp(s->ctx, c->prec);
    s->train = mlp_data(s->ctx, 0);
    s->test = mlp_data(s->ctx, 1);
    ck_assert_ok(mech_optimizer_create(&s->opt, s->ctx, c->opt, mech_model_num_params(s->model)));
    ck_assert_ok(mech_optimizer_set_f64(s->opt, MECH_OPTIMIZER_LR, c->lr));
    ck_assert_ok(mech_run_create(&s->run, s->ctx, s->model, MECH_LOSS_MSE, s->train, s->opt));
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_MODE, c->mode));
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_BATCH, (int64_t)c->batch));
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_MAX_STEPS, c->steps));
    ck_assert_ok(mech_run_set_test_data(s->run, s->test));
}

/* Exact equality of two traces: rows, times, every column (NaN = NaN), metadata. */
static bool traces_identical(const mech_trace *a, const mech_trace *b, bool meta)
{
    const size_t n = mech_trace_n_rows(a), nc = mech_trace_n_columns(a);
    if (n != mech_trace_n_rows(b) || nc != mech_trace_n_columns(b)) return false;
    double *ta = times(a), *tb = times(b);
    bool same = memcmp(ta, tb, n * sizeof *ta) == 0;
    for (size_t c = 0; c < nc && same; c++) {
        const char *na, *nb;
        ck_assert_ok(mech_trace_column_name(a, c, &na));
        ck_assert_ok(mech_trace_column_name(b, c, &nb));
        double *va = column(a, na), *vb = column(b, na);
        same = strcmp(na, nb) == 0 && memcmp(va, vb, n * sizeof *va) == 0;
        free(va); free(vb);
    }
    for (size_t i = 0; meta && same && i < mech_trace_meta_count(a); i++) {
        const char *k, *va, *vb;
        ck_assert_ok(mech_trace_meta_key(a, i, &k));
        ck_assert_ok(mech_trace_get_meta(a, k, &va));
        same = mech_trace_get_meta(b, k, &vb) == MECH_OK && strcmp(va, vb) == 0;
    }
    free(ta); free(tb);
    return same;
}

START_TEST(minibatch_same_seed_is_bitwise_identical)
{
    mlp_cfg c = {7, MECH_PREC_F64, MECH_RUN_MINIBATCH, MECH_OPTIMIZER_SGD, 0.1, 8, 30};
    setup a, b, d;
    mlp_run(&a, &c);
    mlp_run(&b, &c);
    c.seed = 8;
    mlp_run(&d, &c);
    ck_assert_ok(mech_run_setup(a.run));
    ck_assert_ok(mech_run_setup(b.run));
    ck_assert_ok(mech_run_setup(d.run));
    ck_assert_ok(mech_run_execute(a.run));
    ck_assert_ok(mech_run_execute(b.run));
    ck_assert_ok(mech_run_execute(d.run));
    const mech_trace *ta, *tb, *td;
    ck_assert_ok(mech_run_trace(a.run, &ta));
    ck_assert_ok(mech_run_trace(b.run, &tb));
    ck_assert_ok(mech_run_trace(d.run, &td));
    ck_assert_uint_eq(mech_trace_n_rows(ta), 31);
    ck_assert(traces_identical(ta, tb, true));
    ck_assert(!traces_identical(ta, td, false));
    /* training reduced the loss */
    double *l = column(ta, "train_loss"), *tl = column(ta, "test_loss");
    ck_assert(l[30] < 0.5 * l[0]);
    ck_assert(isfinite(tl[30]));
    free(l); free(tl);
    const char *v;
    ck_assert_ok(mech_trace_get_meta(ta, "mode", &v));
    ck_assert_str_eq(v, "minibatch");
    ck_assert_ok(mech_trace_get_meta(ta, "optimizer", &v));
    ck_assert_str_eq(v, "sgd");
    ck_assert_ok(mech_trace_get_meta(ta, "widths", &v));
    ck_assert_str_eq(v, "5,16,2");
    teardown(&a); teardown(&b); teardown(&d);
}
END_TEST

START_TEST(online_teacher_reduces_test_loss)
{
    mech_ctx *ctx = NULL;
    mech_data *gen = NULL, *testgen = NULL, *test = NULL;
    mech_model *m = NULL;
    mech_optimizer *o = NULL;
    mech_run *r = NULL;
    enum { N = 20 };
    double w[N];
    for (int i = 0; i < N; i++) w[i] = cos(i + 1.0);
    ck_assert_ok(mech_ctx_create(&ctx));
    ck_assert_ok(mech_data_create_generator(&gen, ctx, MECH_INPUT_GAUSSIAN, N));
    ck_assert_ok(mech_data_set_linear_teacher(gen, w, 1, 0));
    ck_assert_ok(mech_data_create_generator(&testgen, ctx, MECH_INPUT_GAUSSIAN, N));
    ck_assert_ok(mech_data_set_linear_teacher(testgen, w, 1, 0));
    ck_assert_ok(mech_data_set_i64(testgen, MECH_DATA_STREAM, 99));
    ck_assert_ok(mech_data_materialize(testgen, 200, &test));
    ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_LINEAR));
    const size_t wd[2] = {N, 1};
    ck_assert_ok(mech_model_set_widths(m, wd, 2));
    ck_assert_ok(mech_model_setup(m));
    ck_assert_ok(mech_optimizer_create(&o, ctx, MECH_OPTIMIZER_SGD, N));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 0.02));
    ck_assert_ok(mech_run_create(&r, ctx, m, MECH_LOSS_MSE, gen, o));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MODE, MECH_RUN_ONLINE));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_BATCH, 10));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MAX_SAMPLES, 4000));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_ALPHA_N, N));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_AXIS, MECH_AXIS_ALPHA));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_PROBE_EVERY, 100));
    ck_assert_ok(mech_run_set_test_data(r, test));
    ck_assert_ok(mech_run_setup(r));
    ck_assert_ok(mech_run_execute(r));
    const mech_trace *tr;
    ck_assert_ok(mech_run_trace(r, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 5); /* steps 0, 100, ..., 400 */
    double *t = times(tr), *tl = column(tr, "test_loss"), *trl = column(tr, "train_loss");
    ck_assert_double_eq(t[4], 4000.0 / N);
    ck_assert(isnan(trl[0])); /* no batch seen yet */
    ck_assert(isfinite(trl[4]));
    /* each step contracts the error by about (1 - eta) in expectation:
     * 400 steps leave (0.98)^800 ~ 1e-7 of it; 1e-3 is a safe bound. */
    ck_assert(tl[4] < 1e-3 * tl[0]);
    free(t); free(tl); free(trl);
    mech_run_destroy(r);
    mech_optimizer_destroy(o);
    mech_model_destroy(m);
    mech_data_destroy(test);
    mech_data_destroy(testgen);
    mech_data_destroy(gen);
    mech_ctx_destroy(ctx);
}
END_TEST

/* ---------------- divergence ---------------- */

START_TEST(absurd_rate_diverges_at_first_nonfinite_step)
{
    const double eta = 1e3;
    /* independent reference: the same model trained by hand */
    setup ref;
    linreg(&ref, MECH_RUN_FULL_BATCH, eta);
    double x[D * D], y[D], th[D] = {0}, nt[D], last[D] = {0}, g[D];
    ck_assert_ok(mech_data_get(ref.train, 0, D, x, y));
    uint64_t kdiv = 0;
    for (uint64_t k = 1; k < 10000 && !kdiv; k++) {
        /* step k: loss and gradient at theta_{k-1}, then the update */
        double loss = 0;
        ck_assert_ok(mech_model_set_params(ref.model, th, D));
        mech_status st = mech_model_gradient(ref.model, MECH_LOSS_MSE, x, y, D, &loss, g);
        bool bad = st != MECH_OK || !isfinite(loss);
        for (int i = 0; i < D && !bad; i++) bad = !isfinite(g[i]);
        for (int i = 0; i < D && !bad; i++) {
            nt[i] = th[i] - eta * g[i];
            bad = !isfinite(nt[i]);
        }
        if (bad) {
            kdiv = k;
            memcpy(last, th, sizeof th);
        } else {
            memcpy(th, nt, sizeof th);
        }
    }
    ck_assert_uint_gt(kdiv, 2);
    teardown(&ref);

    setup s;
    linreg(&s, MECH_RUN_FULL_BATCH, eta);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 10000));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_fails_with(mech_run_execute(s.run), MECH_EDIVERGED);
    uint64_t k = 0, steps = 0;
    ck_assert_ok(mech_run_diverged_step(s.run, &k));
    ck_assert_uint_eq(k, kdiv);
    ck_assert_ok(mech_run_step_count(s.run, &steps));
    ck_assert_uint_eq(steps, kdiv - 1);
    double p[D];
    ck_assert_ok(mech_model_get_params(s.model, p, D));
    ck_assert_mem_eq(p, last, sizeof p);
    const mech_trace *tr;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), kdiv); /* steps 0 .. kdiv-1 */
    double *t = times(tr);
    for (uint64_t i = 0; i < kdiv; i++) ck_assert_double_eq(t[i], (double)i);
    free(t);
    mech_run_stop why;
    ck_assert_ok(mech_run_stop_reason(s.run, &why));
    ck_assert_int_eq(why, MECH_RUN_STOP_DIVERGED);
    ck_assert_fails_with(mech_run_execute(s.run), MECH_ESTATE);
    teardown(&s);
}
END_TEST

/* ---------------- schedules and stops ---------------- */

static const mech_trace *run_linreg_schedule(setup *s, int64_t every, int64_t logpts,
                                             int64_t steps)
{
    linreg(s, MECH_RUN_FULL_BATCH, 0.1);
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_MAX_STEPS, steps));
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_PROBE_EVERY, every));
    ck_assert_ok(mech_run_set_i64(s->run, MECH_RUN_PROBE_LOG_POINTS, logpts));
    ck_assert_ok(mech_run_setup(s->run));
    ck_assert_ok(mech_run_execute(s->run));
    const mech_trace *tr;
    ck_assert_ok(mech_run_trace(s->run, &tr));
    return tr;
}

static void expect_rows(const mech_trace *tr, const double *want, size_t n)
{
    ck_assert_uint_eq(mech_trace_n_rows(tr), n);
    double *t = times(tr);
    for (size_t i = 0; i < n; i++) ck_assert_double_eq(t[i], want[i]);
    free(t);
}

START_TEST(probe_schedules_give_the_expected_rows)
{
    setup s;
    const double every5[] = {0, 5, 10, 15, 20};
    expect_rows(run_linreg_schedule(&s, 5, 0, 20), every5, 5);
    teardown(&s);
    /* 4 per decade: round(10^(j/4)) = 1, 2, 3, 6, 10, 18, 32, 56, 100 */
    const double logs[] = {0, 1, 2, 3, 6, 10, 18, 32, 56, 100};
    expect_rows(run_linreg_schedule(&s, 0, 4, 100), logs, 10);
    teardown(&s);
    /* both: the union */
    const double both[] = {0, 1, 2, 3, 6, 10, 18, 20, 32, 40, 56, 60};
    expect_rows(run_linreg_schedule(&s, 20, 4, 60), both, 12);
    teardown(&s);

    /* explicit times on the time axis (t = 0.1 k), with a MAX_TIME stop */
    linreg(&s, MECH_RUN_FULL_BATCH, 0.1);
    const double pt[3] = {0.25, 0.5, 1.0};
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_AXIS, MECH_AXIS_TIME));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_MAX_TIME, 1.0));
    ck_assert_ok(mech_run_set_probe_times(s.run, pt, 3));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_ok(mech_run_execute(s.run));
    const mech_trace *tr;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 4);
    double *st = column(tr, "step");
    ck_assert_double_eq(st[0], 0);
    ck_assert_double_eq(st[1], 3);
    ck_assert_double_eq(st[2], 5);
    ck_assert_double_eq(st[3], 10);
    free(st);
    uint64_t steps;
    mech_run_stop why;
    ck_assert_ok(mech_run_step_count(s.run, &steps));
    ck_assert_uint_eq(steps, 10);
    ck_assert_ok(mech_run_stop_reason(s.run, &why));
    ck_assert_int_eq(why, MECH_RUN_STOP_MAX_TIME);
    teardown(&s);
}
END_TEST

START_TEST(loss_target_stops_and_execute_continues)
{
    setup s;
    const double eta = 0.5, target = 1e-3;
    int kstar = 0;
    while (linreg_loss_gd(eta, kstar) > target) kstar++;
    linreg(&s, MECH_RUN_FULL_BATCH, eta);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 1000));
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_LOSS_TARGET, target));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_ok(mech_run_execute(s.run));
    uint64_t steps;
    mech_run_stop why;
    ck_assert_ok(mech_run_step_count(s.run, &steps));
    ck_assert_uint_eq(steps, (uint64_t)kstar);
    ck_assert_ok(mech_run_stop_reason(s.run, &why));
    ck_assert_int_eq(why, MECH_RUN_STOP_LOSS_TARGET);
    /* continue with the target off, up to a new step limit */
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_LOSS_TARGET, 0));
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, kstar + 5));
    ck_assert_ok(mech_run_execute(s.run));
    ck_assert_ok(mech_run_step_count(s.run, &steps));
    ck_assert_uint_eq(steps, (uint64_t)kstar + 5);
    const mech_trace *tr;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), (size_t)kstar + 6);
    double *l = column(tr, "train_loss");
    ck_assert_rel(l[kstar + 5], linreg_loss_gd(eta, kstar + 5), 1e-12);
    free(l);
    teardown(&s);
}
END_TEST

/* Observer adds a column; progress stops the run. */
static int observer_norm(mech_run *r, uint64_t step, double t, void *ud)
{
    const mech_trace *ctr;
    if (mech_run_trace(r, &ctr) != MECH_OK) return -1;
    mech_trace *tr = (mech_trace *)ctr;
    size_t col;
    if (mech_trace_add_column(tr, "observed_step", &col) != MECH_OK) return -1;
    if (mech_trace_put(tr, col, (double)step) != MECH_OK) return -1;
    int *calls = ud;
    return ++*calls >= 4 ? 1 : 0;
}

START_TEST(observer_writes_columns_and_stops)
{
    setup s;
    int calls = 0;
    linreg(&s, MECH_RUN_FULL_BATCH, 0.1);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 100));
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_PROBE_EVERY, 10));
    ck_assert_ok(mech_run_set_observer(s.run, observer_norm, &calls));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_int_eq(mech_run_execute(s.run), MECH_STOPPED);
    const mech_trace *tr;
    ck_assert_ok(mech_run_trace(s.run, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 4);
    double *o = column(tr, "observed_step");
    ck_assert_double_eq(o[3], 30);
    free(o);
    mech_run_stop why;
    ck_assert_ok(mech_run_stop_reason(s.run, &why));
    ck_assert_int_eq(why, MECH_RUN_STOP_CALLBACK);
    teardown(&s);
}
END_TEST

/* ---------------- checkpoints ---------------- */

static char *temp_path(const char *tag)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/mech_run_%s_%ld.bin", tag, (long)getpid());
    return buf;
}

START_TEST(checkpoint_resume_is_bitwise_identical)
{
    mlp_cfg c = {3, MECH_PREC_F64, MECH_RUN_MINIBATCH, MECH_OPTIMIZER_ADAM, 0.01, 8, 40};
    setup a, b, d;
    mlp_run(&a, &c);
    ck_assert_ok(mech_run_set_i64(a.run, MECH_RUN_PROBE_EVERY, 3));
    ck_assert_ok(mech_run_setup(a.run));
    ck_assert_ok(mech_run_execute(a.run));

    mlp_run(&b, &c);
    ck_assert_ok(mech_run_set_i64(b.run, MECH_RUN_PROBE_EVERY, 3));
    ck_assert_ok(mech_run_set_i64(b.run, MECH_RUN_MAX_STEPS, 17));
    ck_assert_ok(mech_run_setup(b.run));
    ck_assert_ok(mech_run_execute(b.run));
    const char *path = temp_path("ckpt");
    ck_assert_ok(mech_run_save_checkpoint(b.run, path));

    /* a run already 5 steps along: the file replaces all of its state */
    mlp_run(&d, &c);
    ck_assert_ok(mech_run_set_i64(d.run, MECH_RUN_PROBE_EVERY, 3));
    ck_assert_ok(mech_run_set_i64(d.run, MECH_RUN_MAX_STEPS, 5));
    ck_assert_ok(mech_run_setup(d.run));
    ck_assert_ok(mech_run_execute(d.run));
    ck_assert_ok(mech_run_load_checkpoint(d.run, path));
    ck_assert_ok(mech_run_set_i64(d.run, MECH_RUN_MAX_STEPS, 40));
    uint64_t steps;
    ck_assert_ok(mech_run_step_count(d.run, &steps));
    ck_assert_uint_eq(steps, 17);
    ck_assert_ok(mech_run_execute(d.run));
    const mech_trace *ta, *td;
    ck_assert_ok(mech_run_trace(a.run, &ta));
    ck_assert_ok(mech_run_trace(d.run, &td));
    ck_assert(traces_identical(ta, td, true));
    double pa[200], pd[200];
    const size_t np = mech_model_num_params(a.model);
    ck_assert_uint_le(np, 200);
    ck_assert_ok(mech_model_get_params(a.model, pa, np));
    ck_assert_ok(mech_model_get_params(d.model, pd, np));
    ck_assert_mem_eq(pa, pd, np * sizeof *pa);

    /* a corrupted file is refused and changes nothing */
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 100, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    ck_assert_fails_with(mech_run_load_checkpoint(d.run, path), MECH_EFORMAT);
    ck_assert_ok(mech_run_step_count(d.run, &steps));
    ck_assert_uint_eq(steps, 40);
    /* another configuration is refused */
    setup g;
    linreg(&g, MECH_RUN_FULL_BATCH, 0.1);
    ck_assert_ok(mech_run_set_i64(g.run, MECH_RUN_MAX_STEPS, 3));
    ck_assert_ok(mech_run_setup(g.run));
    ck_assert_ok(mech_run_save_checkpoint(g.run, path));
    ck_assert_fails_with(mech_run_load_checkpoint(d.run, path), MECH_EFORMAT);
    unlink(path);
    teardown(&a); teardown(&b); teardown(&d); teardown(&g);
}
END_TEST

START_TEST(gradient_flow_checkpoint_at_probe_time_resumes_exactly)
{
    setup a, b, d;
    linreg(&a, MECH_RUN_GRADIENT_FLOW, 0);
    linreg(&b, MECH_RUN_GRADIENT_FLOW, 0);
    linreg(&d, MECH_RUN_GRADIENT_FLOW, 0);
    setup *all[3] = {&a, &b, &d};
    for (int i = 0; i < 3; i++) {
        ck_assert_ok(mech_run_set_f64(all[i]->run, MECH_RUN_GF_PROBE_DT, 0.5));
        ck_assert_ok(mech_run_set_f64(all[i]->run, MECH_RUN_MAX_TIME, i == 1 ? 1.5 : 3.0));
        ck_assert_ok(mech_run_setup(all[i]->run));
    }
    ck_assert_ok(mech_run_execute(a.run));
    ck_assert_ok(mech_run_execute(b.run));
    const char *path = temp_path("gf");
    ck_assert_ok(mech_run_save_checkpoint(b.run, path));
    ck_assert_ok(mech_run_load_checkpoint(d.run, path));
    ck_assert_ok(mech_run_execute(d.run));
    unlink(path);
    const mech_trace *ta, *td;
    ck_assert_ok(mech_run_trace(a.run, &ta));
    ck_assert_ok(mech_run_trace(d.run, &td));
    ck_assert_uint_eq(mech_trace_n_rows(ta), 7);
    ck_assert(traces_identical(ta, td, true));
    teardown(&a); teardown(&b); teardown(&d);
}
END_TEST

/* ---------------- precision ---------------- */

START_TEST(float_and_double_losses_agree)
{
    mlp_cfg c = {5, MECH_PREC_F64, MECH_RUN_FULL_BATCH, MECH_OPTIMIZER_GD, 0.05, 0, 100};
    setup a, b;
    mlp_run(&a, &c);
    c.prec = MECH_PREC_F32;
    mlp_run(&b, &c);
    ck_assert_ok(mech_run_setup(a.run));
    ck_assert_ok(mech_run_setup(b.run));
    ck_assert_ok(mech_run_execute(a.run));
    ck_assert_ok(mech_run_execute(b.run));
    const mech_trace *ta, *tb;
    ck_assert_ok(mech_run_trace(a.run, &ta));
    ck_assert_ok(mech_run_trace(b.run, &tb));
    ck_assert_uint_eq(mech_trace_n_rows(tb), 101);
    double *la = column(ta, "train_loss"), *lb = column(tb, "train_loss");
    /* float rounding (6e-8 per operation) over 100 contracting steps of a
     * well-conditioned problem stays below 1e-5 relative; 1e-4 is the bound. */
    for (int k = 0; k <= 100; k++) ck_assert_rel(lb[k], la[k], 1e-4);
    ck_assert(la[100] < 0.8 * la[0]);
    free(la); free(lb);
    const char *v;
    ck_assert_ok(mech_trace_get_meta(tb, "precision", &v));
    ck_assert_str_eq(v, "f32");
    teardown(&a); teardown(&b);
}
END_TEST

/* mech_run's steps (the optimizer writes a spare array that trades places
 * with the model's) against a hand loop of mech_model_gradient(_f32),
 * mech_optimizer_step(_f32) and mech_model_set_params(_f32) on an
 * identical model, in both precisions, with momentum state. The run sums
 * the full-batch gradient in chunks, so rounding may differ slightly:
 * 1e-12 relative in double, 1e-5 in float after 7 steps (a stale or
 * unswapped array would be a whole step, ~1e-2, off). */
START_TEST(run_steps_match_hand_loop)
{
    const int f32 = _i;
    const int steps = 7;
    mlp_cfg c = {3, f32 ? MECH_PREC_F32 : MECH_PREC_F64, MECH_RUN_FULL_BATCH,
                 MECH_OPTIMIZER_HEAVY_BALL, 0.05, 0, steps};
    setup a, b;
    mlp_run(&a, &c);
    mlp_run(&b, &c);
    ck_assert_ok(mech_run_set_i64(a.run, MECH_RUN_LR_FROM_PARAMETRIZATION, 0));
    ck_assert_ok(mech_run_setup(a.run));
    ck_assert_ok(mech_run_execute(a.run));
    const size_t np = mech_model_num_params(b.model), n = 64;
    double *x = malloc(n * 5 * sizeof *x), *y = malloc(n * 2 * sizeof *y);
    double *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g), *got = malloc(np * sizeof *got);
    float *xf = malloc(n * 5 * sizeof *xf), *yf = malloc(n * 2 * sizeof *yf);
    float *pf = malloc(np * sizeof *pf), *gf = malloc(np * sizeof *gf);
    ck_assert_ok(mech_data_get(b.train, 0, n, x, y));
    for (size_t i = 0; i < n * 5; i++) xf[i] = (float)x[i];
    for (size_t i = 0; i < n * 2; i++) yf[i] = (float)y[i];
    ck_assert_ok(mech_optimizer_setup(b.opt));
    double loss;
    for (int k = 0; k < steps; k++) {
        if (f32) {
            ck_assert_ok(mech_model_get_params_f32(b.model, pf, np));
            ck_assert_ok(mech_model_gradient_f32(b.model, MECH_LOSS_MSE, xf, yf, n, &loss, gf));
            ck_assert_ok(mech_optimizer_step_f32(b.opt, pf, gf));
            ck_assert_ok(mech_model_set_params_f32(b.model, pf, np));
        } else {
            ck_assert_ok(mech_model_get_params(b.model, p, np));
            ck_assert_ok(mech_model_gradient(b.model, MECH_LOSS_MSE, x, y, n, &loss, g));
            ck_assert_ok(mech_optimizer_step(b.opt, p, g));
            ck_assert_ok(mech_model_set_params(b.model, p, np));
        }
    }
    ck_assert_ok(mech_model_get_params(a.model, got, np));
    ck_assert_ok(mech_model_get_params(b.model, p, np));
    for (size_t i = 0; i < np; i++) ck_assert_close(got[i], p[i], f32 ? 1e-5 : 1e-12);
    /* the comparison is not vacuous: the parameters moved */
    setup c0;
    mlp_run(&c0, &c);
    ck_assert_ok(mech_model_get_params(c0.model, g, np)); /* g: the initial parameters */
    double moved = 0;
    for (size_t i = 0; i < np; i++) moved = fmax(moved, fabs(g[i] - p[i]));
    ck_assert_double_gt(moved, 1e-3);
    teardown(&c0);
    free(x); free(y); free(p); free(g); free(got); free(xf); free(yf); free(pf); free(gf);
    teardown(&a); teardown(&b);
}
END_TEST

/* ---------------- callback model ---------------- */

/* The callbacks evaluate a second built-in MLP at the given parameters. */
static int cb_forward(const double *p, size_t np, const double *x, size_t batch, size_t in,
                      double *out, size_t od, void *ud)
{
    mech_model *m = ud;
    if (mech_model_set_params(m, p, np) != MECH_OK) return -1;
    return mech_model_forward(m, x, batch, out) == MECH_OK ? 0 : -1;
}

static int cb_vjp(const double *p, size_t np, const double *x, size_t batch, size_t in,
                  const double *u, size_t od, double *grad, void *ud)
{
    mech_model *m = ud;
    if (mech_model_set_params(m, p, np) != MECH_OK) return -1;
    return mech_model_vjp(m, x, batch, u, grad) == MECH_OK ? 0 : -1;
}

static int cb_jvp(const double *p, size_t np, const double *x, size_t batch, size_t in,
                  const double *v, double *out, size_t od, void *ud)
{
    mech_model *m = ud;
    if (mech_model_set_params(m, p, np) != MECH_OK) return -1;
    return mech_model_jvp(m, x, batch, v, out) == MECH_OK ? 0 : -1;
}

START_TEST(callback_model_reproduces_builtin_trace)
{
    mlp_cfg c = {11, MECH_PREC_F64, MECH_RUN_MINIBATCH, MECH_OPTIMIZER_HEAVY_BALL, 0.05, 16, 25};
    setup a, b;
    mlp_run(&a, &c);
    ck_assert_ok(mech_run_setup(a.run));
    mlp_run(&b, &c);
    /* replace b's model by a callback model wrapping b's MLP */
    mech_model *inner = b.model, *cbm = NULL;
    const size_t np = mech_model_num_params(inner);
    const size_t w[2] = {5, 2};
    ck_assert_ok(mech_model_create(&cbm, b.ctx, MECH_MODEL_CALLBACK));
    ck_assert_ok(mech_model_set_widths(cbm, w, 2));
    ck_assert_ok(mech_model_set_callbacks(cbm, np, cb_forward, cb_vjp, cb_jvp, NULL, inner));
    ck_assert_ok(mech_model_setup(cbm));
    double *p0 = malloc(np * sizeof *p0);
    ck_assert_ok(mech_model_get_params(inner, p0, np));
    ck_assert_ok(mech_model_set_params(cbm, p0, np));
    free(p0);
    mech_run_destroy(b.run);
    ck_assert_ok(mech_run_create(&b.run, b.ctx, cbm, MECH_LOSS_MSE, b.train, b.opt));
    ck_assert_ok(mech_run_set_i64(b.run, MECH_RUN_MODE, c.mode));
    ck_assert_ok(mech_run_set_i64(b.run, MECH_RUN_BATCH, (int64_t)c.batch));
    ck_assert_ok(mech_run_set_i64(b.run, MECH_RUN_MAX_STEPS, c.steps));
    ck_assert_ok(mech_run_set_test_data(b.run, b.test));
    /* SP rates are 1 per layer, so the callback's single group matches */
    ck_assert_ok(mech_run_setup(b.run));
    ck_assert_ok(mech_run_execute(a.run));
    ck_assert_ok(mech_run_execute(b.run));
    const mech_trace *ta, *tb;
    ck_assert_ok(mech_run_trace(a.run, &ta));
    ck_assert_ok(mech_run_trace(b.run, &tb));
    ck_assert_uint_eq(mech_trace_n_rows(ta), mech_trace_n_rows(tb));
    const char *cols[] = {"train_loss", "batch_loss", "test_loss", "grad_norm"};
    for (int j = 0; j < 4; j++) {
        double *va = column(ta, cols[j]), *vb = column(tb, cols[j]);
        /* the same arithmetic through another path: equal up to rounding */
        for (size_t i = 0; i < mech_trace_n_rows(ta); i++)
            if (!isnan(va[i])) ck_assert_rel(vb[i], va[i], 1e-12);
        free(va); free(vb);
    }
    mech_run_destroy(b.run);
    b.run = NULL;
    mech_model_destroy(cbm);
    teardown(&a); teardown(&b);
}
END_TEST

/* ---------------- per-layer rates ---------------- */

START_TEST(parametrization_rates_are_installed)
{
    for (int flag = 0; flag <= 1; flag++) {
        mech_ctx *ctx = NULL;
        mech_model *m = NULL;
        mech_optimizer *o = NULL;
        mech_run *r = NULL;
        ck_assert_ok(mech_ctx_create(&ctx));
        const size_t w[3] = {5, 16, 2};
        ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_MLP));
        ck_assert_ok(mech_model_set_widths(m, w, 3));
        ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BIAS, 1));
        ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_MUP));
        ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BASE_WIDTH, 4));
        ck_assert_ok(mech_model_setup(m));
        mech_data *d = mlp_data(ctx, 0);
        const size_t np = mech_model_num_params(m), ng = mech_model_num_lr_groups(m);
        double *p0 = malloc(np * sizeof *p0), *p1 = malloc(np * sizeof *p1);
        double *g = malloc(np * sizeof *g), *x = malloc(64 * 5 * sizeof *x);
        double *y = malloc(64 * 2 * sizeof *y), mult[8], loss;
        size_t off[9];
        ck_assert_uint_le(ng, 8);
        ck_assert_ok(mech_model_lr_multipliers(m, MECH_OPTFAM_SGD, off, mult, ng));
        ck_assert_ok(mech_model_get_params(m, p0, np));
        ck_assert_ok(mech_data_get(d, 0, 64, x, y));
        ck_assert_ok(mech_model_gradient(m, MECH_LOSS_MSE, x, y, 64, &loss, g));
        ck_assert_ok(mech_optimizer_create(&o, ctx, MECH_OPTIMIZER_GD, np));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 0.1));
        ck_assert_ok(mech_run_create(&r, ctx, m, MECH_LOSS_MSE, d, o));
        ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MAX_STEPS, 1));
        ck_assert_ok(mech_run_set_i64(r, MECH_RUN_LR_FROM_PARAMETRIZATION, flag));
        ck_assert_ok(mech_run_setup(r));
        ck_assert_ok(mech_run_execute(r));
        ck_assert_ok(mech_model_get_params(m, p1, np));
        bool some_not_one = false;
        for (size_t j = 0; j < ng; j++) {
            some_not_one = some_not_one || mult[j] != 1.0;
            for (size_t i = off[j]; i < off[j + 1]; i++)
                ck_assert_double_eq(p1[i], p0[i] - 0.1 * (flag ? mult[j] : 1.0) * g[i]);
        }
        ck_assert(some_not_one); /* muP at width 4x base: the rates differ */
        free(p0); free(p1); free(g); free(x); free(y);
        mech_run_destroy(r);
        mech_optimizer_destroy(o);
        mech_data_destroy(d);
        mech_model_destroy(m);
        mech_ctx_destroy(ctx);
    }
}
END_TEST

/* ---------------- ensembles ---------------- */

START_TEST(ensemble_equals_independent_aggregation)
{
    enum { NS = 8 };
    const uint64_t seeds[NS] = {1, 2, 3, 5, 8, 13, 21, 34};
    mlp_cfg c = {0, MECH_PREC_F64, MECH_RUN_MINIBATCH, MECH_OPTIMIZER_SGD, 0.1, 8, 10};
    setup e;
    mlp_run(&e, &c);
    ck_assert_ok(mech_run_set_i64(e.run, MECH_RUN_PROBE_EVERY, 5));
    ck_assert_ok(mech_run_setup(e.run));
    mech_trace *ens = NULL;
    ck_assert_ok(mech_run_ensemble(e.run, seeds, NS, &ens));
    ck_assert_uint_eq(mech_trace_n_rows(ens), 3);
    const char *v;
    ck_assert_ok(mech_trace_get_meta(ens, "seeds", &v));
    ck_assert_str_eq(v, "1,2,3,5,8,13,21,34");

    /* independent members: fresh handles with the seed as streams */
    double loss[NS][3];
    for (int i = 0; i < NS; i++) {
        setup s;
        mlp_run(&s, &c);
        mech_model_destroy(s.model);
        ck_assert_ok(mech_model_create(&s.model, s.ctx, MECH_MODEL_MLP));
        const size_t w[3] = {5, 16, 2};
        ck_assert_ok(mech_model_set_widths(s.model, w, 3));
        ck_assert_ok(mech_model_set_i64(s.model, MECH_MODEL_ACTIVATION, MECH_ACT_TANH));
        ck_assert_ok(mech_model_set_i64(s.model, MECH_MODEL_BIAS, 1));
        ck_assert_ok(mech_model_set_i64(s.model, MECH_MODEL_INIT_STREAM, (int64_t)seeds[i]));
        ck_assert_ok(mech_model_setup(s.model));
        ck_assert_ok(mech_data_set_i64(s.train, MECH_DATA_STREAM, (int64_t)seeds[i]));
        mech_run_destroy(s.run);
        ck_assert_ok(mech_run_create(&s.run, s.ctx, s.model, MECH_LOSS_MSE, s.train, s.opt));
        ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MODE, c.mode));
        ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_BATCH, (int64_t)c.batch));
        ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, c.steps));
        ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_PROBE_EVERY, 5));
        ck_assert_ok(mech_run_setup(s.run));
        ck_assert_ok(mech_run_execute(s.run));
        const mech_trace *tr;
        ck_assert_ok(mech_run_trace(s.run, &tr));
        double *l = column(tr, "train_loss");
        for (int r = 0; r < 3; r++) loss[i][r] = l[r];
        free(l);
        teardown(&s);
    }
    double *mean = column(ens, "train_loss"), *se = column(ens, "train_loss_se");
    for (int r = 0; r < 3; r++) {
        double m = 0, ss = 0;
        for (int i = 0; i < NS; i++) m += loss[i][r] / NS;
        for (int i = 0; i < NS; i++) ss += (loss[i][r] - m) * (loss[i][r] - m);
        ck_assert_rel(mean[r], m, 1e-12);
        ck_assert_rel(se[r], sqrt(ss / (NS - 1) / NS), 1e-10);
        ck_assert(se[r] > 0);
    }
    free(mean); free(se);
    mech_trace_destroy(ens);
    teardown(&e);
}
END_TEST

/* ---------------- bad input ---------------- */

START_TEST(bad_input_everywhere)
{
    setup s;
    linreg(&s, MECH_RUN_FULL_BATCH, 0.1);
    mech_run *r = NULL;
    mech_model *unset = NULL;
    ck_assert_ok(mech_model_create(&unset, s.ctx, MECH_MODEL_LINEAR));
    ck_assert_fails_with(mech_run_create(NULL, s.ctx, s.model, MECH_LOSS_MSE, s.train, s.opt), MECH_EINVAL);
    ck_assert_fails_with(mech_run_create(&r, s.ctx, NULL, MECH_LOSS_MSE, s.train, s.opt), MECH_EINVAL);
    ck_assert_fails_with(mech_run_create(&r, s.ctx, s.model, MECH_LOSS_MSE, NULL, s.opt), MECH_EINVAL);
    ck_assert_fails_with(mech_run_create(&r, s.ctx, s.model, (mech_loss)9, s.train, s.opt), MECH_EINVAL);
    ck_assert_fails_with(mech_run_create(&r, s.ctx, unset, MECH_LOSS_MSE, s.train, s.opt), MECH_ESTATE);
    ck_assert_ptr_null(r);
    mech_model_destroy(unset);

    /* options */
    ck_assert_fails_with(mech_run_set_i64(NULL, MECH_RUN_MODE, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_i64(s.run, MECH_RUN_MODE, 7), MECH_ERANGE);
    ck_assert_fails_with(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_run_set_f64(s.run, MECH_RUN_MAX_TIME, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_run_set_f64(s.run, MECH_RUN_MODE, 1.0), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_i64(s.run, (mech_run_opt)99, 1), MECH_EINVAL);
    int64_t iv;
    double fv;
    ck_assert_fails_with(mech_run_get_i64(NULL, MECH_RUN_MODE, &iv), MECH_EINVAL);
    ck_assert_fails_with(mech_run_get_i64(s.run, MECH_RUN_MODE, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_get_f64(NULL, MECH_RUN_MAX_TIME, &fv), MECH_EINVAL);
    ck_assert_fails_with(mech_run_get_f64(s.run, MECH_RUN_MODE, &fv), MECH_EINVAL);
    ck_assert_ok(mech_run_get_f64(s.run, MECH_RUN_GF_STABILITY, &fv));
    ck_assert_double_eq(fv, 2.0);
    int key;
    ck_assert_ok(mech_option_lookup(MECH_KIND_RUN, "probe_every", &key));
    ck_assert_int_eq(key, MECH_RUN_PROBE_EVERY);

    /* probe times, test data, observer */
    const double bad_t[2] = {1, 0.5}, nan_t[1] = {NAN};
    ck_assert_fails_with(mech_run_set_probe_times(NULL, bad_t, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_probe_times(s.run, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_probe_times(s.run, bad_t, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_probe_times(s.run, bad_t, 2), MECH_ERANGE);
    ck_assert_fails_with(mech_run_set_probe_times(s.run, nan_t, 1), MECH_ENONFINITE);
    mech_data *gen = NULL, *wide = NULL;
    ck_assert_ok(mech_data_create_generator(&gen, s.ctx, MECH_INPUT_GAUSSIAN, D));
    ck_assert_ok(mech_data_set_linear_teacher(gen, WSTAR, 1, 0));
    ck_assert_ok(mech_data_materialize(gen, 3, &wide));
    ck_assert_fails_with(mech_run_set_test_data(NULL, wide), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_test_data(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_test_data(s.run, gen), MECH_EINVAL);
    ck_assert_fails_with(mech_run_set_observer(NULL, NULL, NULL), MECH_EINVAL);

    /* calls before setup */
    const mech_trace *tr;
    mech_trace *own;
    uint64_t u = 1;
    double t;
    mech_run_stop why;
    ck_assert_fails_with(mech_run_execute(s.run), MECH_ESTATE);
    ck_assert_fails_with(mech_run_execute(NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_trace(s.run, &tr), MECH_ESTATE);
    ck_assert_fails_with(mech_run_save_checkpoint(s.run, temp_path("bad")), MECH_ESTATE);
    ck_assert_fails_with(mech_run_ensemble(s.run, &u, 1, &own), MECH_ESTATE);

    /* setup: no stop condition; then a good setup; then options are fixed */
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ESTATE);
    ck_assert_fails_with(mech_run_setup(NULL), MECH_EINVAL);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 2));
    ck_assert_ok(mech_run_setup(s.run));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ESTATE);
    ck_assert_fails_with(mech_run_set_i64(s.run, MECH_RUN_MODE, 1), MECH_ESTATE);
    ck_assert_fails_with(mech_run_set_probe_times(s.run, bad_t, 1), MECH_ESTATE);
    ck_assert_fails_with(mech_run_set_test_data(s.run, wide), MECH_ESTATE);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 3)); /* stops stay settable */

    /* getters */
    ck_assert_fails_with(mech_run_step_count(NULL, &u), MECH_EINVAL);
    ck_assert_fails_with(mech_run_step_count(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_time(NULL, &t), MECH_EINVAL);
    ck_assert_fails_with(mech_run_time(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_diverged_step(NULL, &u), MECH_EINVAL);
    ck_assert_fails_with(mech_run_diverged_step(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_stop_reason(NULL, &why), MECH_EINVAL);
    ck_assert_fails_with(mech_run_stop_reason(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_trace(NULL, &tr), MECH_EINVAL);
    ck_assert_fails_with(mech_run_trace(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_take_trace(NULL, &own), MECH_EINVAL);
    ck_assert_fails_with(mech_run_take_trace(s.run, NULL), MECH_EINVAL);

    /* checkpoints */
    ck_assert_fails_with(mech_run_save_checkpoint(NULL, "x"), MECH_EINVAL);
    ck_assert_fails_with(mech_run_save_checkpoint(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_save_checkpoint(s.run, "/nonexistent/dir/ck.bin"), MECH_EIO);
    ck_assert_fails_with(mech_run_load_checkpoint(NULL, "x"), MECH_EINVAL);
    ck_assert_fails_with(mech_run_load_checkpoint(s.run, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_load_checkpoint(s.run, "/nonexistent/ck.bin"), MECH_EIO);

    /* ensembles */
    const uint64_t big = (uint64_t)1 << 41;
    ck_assert_fails_with(mech_run_ensemble(NULL, &u, 1, &own), MECH_EINVAL);
    ck_assert_fails_with(mech_run_ensemble(s.run, NULL, 1, &own), MECH_EINVAL);
    ck_assert_fails_with(mech_run_ensemble(s.run, &u, 0, &own), MECH_EINVAL);
    ck_assert_fails_with(mech_run_ensemble(s.run, &u, 1, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_run_ensemble(s.run, &big, 1, &own), MECH_ERANGE);

    /* the handle still works, and the trace can be taken once */
    ck_assert_ok(mech_run_execute(s.run));
    ck_assert_ok(mech_run_take_trace(s.run, &own));
    ck_assert_uint_eq(mech_trace_n_rows(own), 4);
    mech_trace_destroy(own);
    ck_assert_fails_with(mech_run_take_trace(s.run, &own), MECH_ESTATE);
    ck_assert_fails_with(mech_run_execute(s.run), MECH_ESTATE);
    ck_assert_str_eq(mech_run_last_error(NULL), "");
    ck_assert_str_eq(mech_run_mode_name(MECH_RUN_ONLINE), "online");
    ck_assert_str_eq(mech_run_mode_name((mech_run_mode)9), "unknown");
    mech_run_destroy(NULL);

    /* mech_model_reinit */
    ck_assert_fails_with(mech_model_reinit(NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_model_reinit(s.model, UINT64_MAX), MECH_ERANGE);
    teardown(&s);
    mech_data_destroy(gen);
    mech_data_destroy(wide);
}
END_TEST

/* Setup refuses configurations that do not fit. */
START_TEST(setup_refuses_bad_configurations)
{
    setup s;
    /* gradient flow without MAX_TIME; discrete without optimizer */
    linreg(&s, MECH_RUN_GRADIENT_FLOW, 0);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 5));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ESTATE);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MODE, MECH_RUN_FULL_BATCH));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ESTATE);
    teardown(&s);
    /* minibatch: batch 0, batch > n; online on finite data; alpha axis without N */
    linreg(&s, MECH_RUN_MINIBATCH, 0.1);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 5));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ERANGE);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_BATCH, D + 1));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ERANGE);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_BATCH, 2));
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MODE, MECH_RUN_ONLINE));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ESTATE);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MODE, MECH_RUN_MINIBATCH));
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_AXIS, MECH_AXIS_ALPHA));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_EUNSUPPORTED);
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_AXIS, -1));
    ck_assert_ok(mech_run_setup(s.run)); /* still usable after the refusals */
    teardown(&s);
    /* optimizer of another size; F32 gradient flow */
    linreg(&s, MECH_RUN_FULL_BATCH, 0.1);
    mech_optimizer *o = NULL;
    ck_assert_ok(mech_optimizer_create(&o, s.ctx, MECH_OPTIMIZER_GD, D + 1));
    mech_run_destroy(s.run);
    ck_assert_ok(mech_run_create(&s.run, s.ctx, s.model, MECH_LOSS_MSE, s.train, o));
    ck_assert_ok(mech_run_set_i64(s.run, MECH_RUN_MAX_STEPS, 5));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_ESHAPE);
    mech_optimizer_destroy(o);
    teardown(&s);
    mlp_cfg c = {1, MECH_PREC_F32, MECH_RUN_GRADIENT_FLOW, MECH_OPTIMIZER_GD, 0.1, 0, 0};
    mlp_run(&s, &c);
    ck_assert_ok(mech_run_set_f64(s.run, MECH_RUN_MAX_TIME, 1));
    ck_assert_fails_with(mech_run_setup(s.run), MECH_EUNSUPPORTED);
    teardown(&s);
}
END_TEST

static Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, gd_matches_mode_decay_per_step);
    tcase_add_test(tc, gradient_flow_matches_exponential_decay);
    tcase_add_test(tc, chunked_full_batch_matches_closed_forms);
    tcase_add_test(tc, minibatch_same_seed_is_bitwise_identical);
    tcase_add_test(tc, online_teacher_reduces_test_loss);
    tcase_add_test(tc, absurd_rate_diverges_at_first_nonfinite_step);
    tcase_add_test(tc, probe_schedules_give_the_expected_rows);
    tcase_add_test(tc, loss_target_stops_and_execute_continues);
    tcase_add_test(tc, observer_writes_columns_and_stops);
    tcase_add_test(tc, checkpoint_resume_is_bitwise_identical);
    tcase_add_test(tc, gradient_flow_checkpoint_at_probe_time_resumes_exactly);
    tcase_add_test(tc, float_and_double_losses_agree);
    tcase_add_loop_test(tc, run_steps_match_hand_loop, 0, 2);
    tcase_add_test(tc, callback_model_reproduces_builtin_trace);
    tcase_add_test(tc, parametrization_rates_are_installed);
    tcase_add_test(tc, ensemble_equals_independent_aggregation);
    tcase_add_test(tc, bad_input_everywhere);
    tcase_add_test(tc, setup_refuses_bad_configurations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(run_suite()); }
