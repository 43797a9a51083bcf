/*
 * mup: hyperparameter transfer across width (Yang & Hu 2021; Yang et al.
 * 2022, Tensor Programs V; THEORY.md section 6). ReLU MLPs {16, n, n, 1}
 * without biases, base width 64, readout zero-initialized (Tensor
 * Programs V's recommendation), full-batch Adam with the per-layer rates
 * of the parametrization (mech_run installs them), on N = 32 inputs
 * N(0, I) with a smooth teacher, 1/2-MSE:
 *  (a) learning-rate sweeps (grid x2 apart) at each width in SP and muP:
 *      the best rate (mech_lr_sweep_best) stays put under muP and falls
 *      like 1/n under SP (Adam moves each entry by ~eta, so a hidden
 *      layer's output moves by ~eta n in SP; muP scales its rate by 1/r);
 *  (b) the coordinate check: the rms change of each layer's activations
 *      after a few steps at one global rate is flat in width under muP
 *      and grows with width under SP.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "repro.h"

#define D 16
#define N 32
#define BASE 64
#define MAX_W 5
#define MAX_LR 12
#define COORD_STEPS 3
#define COORD_LR 0.00390625 /* 2^-8: a quarter of the base-width optimum (~2^-6) */

typedef struct sizes {
    size_t n_w, seeds;
    size_t widths[MAX_W];
    int64_t steps;
    /* Rate grids 2^lo .. 2^hi per parametrization (SP, muP): each covers
     * its own optima with a point to spare on both sides. */
    int lo[2], hi[2];
} sizes;

static const mech_parametrization PARAMS[2] = {MECH_PARAM_SP, MECH_PARAM_MUP};
static const char *const PNAME[2] = {"sp", "mup"};

/* Inputs N(0, I_D), y = sin(2 x . w) + cos(2 x_0) / 2 with w ~ N(0, I/16). */
static int make_data(repro_run *r, mech_data **out)
{
    mech_rng *rng = NULL;
    double x[N * D], y[N], w[D];
    int rc = repro_ok(r, mech_rng_create(&rng, repro_ctx(r), 1), "generator") ||
             repro_ok(r, mech_rng_normal(rng, x, N * D, 0.0, 1.0), "inputs") ||
             repro_ok(r, mech_rng_normal(rng, w, D, 0.0, 0.25), "teacher");
    mech_rng_destroy(rng);
    if (rc) return 1;
    for (size_t i = 0; i < N; i++) {
        double s = 0.0;
        for (size_t j = 0; j < D; j++) s += x[i * D + j] * w[j];
        y[i] = sin(2.0 * s) + 0.5 * cos(2.0 * x[i * D]);
    }
    return repro_ok(r, mech_data_create_arrays(out, repro_ctx(r), x, y, N, D, 1, MECH_COPY),
                    "dataset");
}

/* A set-up network of width n in parametrization p, init stream `stream`,
 * with its readout set to zero (f(theta_0) = 0 at every width). */
static int network(repro_run *r, mech_model **m, size_t n, mech_parametrization p,
                   int64_t stream)
{
    const size_t widths[4] = {D, n, n, 1};
    if (repro_ok(r, mech_model_create(m, repro_ctx(r), MECH_MODEL_MLP), "MLP") ||
        repro_ok(r, mech_model_set_widths(*m, widths, 4), "widths") ||
        repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_ACTIVATION, MECH_ACT_RELU), "relu") ||
        repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_PARAMETRIZATION, p), "parametrization") ||
        repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_BASE_WIDTH, BASE), "base width") ||
        repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_MAX_BATCH, N), "batch") ||
        repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_INIT_STREAM, stream), "stream") ||
        repro_ok(r, mech_model_setup(*m), "MLP setup"))
        return 1;
    size_t np = mech_model_num_params(*m), ro, rows, cols;
    double *th = malloc(np * sizeof *th);
    if (!th) return repro_fail(r, "out of memory");
    int rc = repro_ok(r, mech_model_layer_info(*m, 2, &ro, &rows, &cols, NULL), "readout") ||
             repro_ok(r, mech_model_get_params(*m, th, np), "parameters");
    if (!rc) {
        for (size_t i = 0; i < rows * cols; i++) th[ro + i] = 0.0;
        rc = repro_ok(r, mech_model_set_params(*m, th, np), "parameters");
    }
    free(th);
    return rc;
}

/* Trains a fresh network for `steps` full-batch Adam steps at base rate
 * lr. With probe_act, attaches an activations probe (reference: the
 * initialization) and returns its delta_rms0, delta_rms1, delta_rms_out
 * in out[0..2]; otherwise out[0] is the final training loss (+Inf when
 * training diverged). */
static int train(repro_run *r, mech_data *data, size_t n, mech_parametrization p,
                 int64_t stream, double lr, int64_t steps, bool probe_act, double *out)
{
    mech_model *m = NULL;
    mech_optimizer *opt = NULL;
    mech_probe *pr = NULL;
    mech_run *run = NULL;
    const mech_trace *tr = NULL;
    int rc = 1;
    if (network(r, &m, n, p, stream) ||
        repro_ok(r, mech_optimizer_create(&opt, repro_ctx(r), MECH_OPTIMIZER_ADAM,
                                          mech_model_num_params(m)),
                 "Adam") ||
        repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, lr), "rate") ||
        repro_ok(r, mech_run_create(&run, repro_ctx(r), m, MECH_LOSS_MSE, data, opt), "run") ||
        repro_ok(r, mech_run_set_i64(run, MECH_RUN_MAX_STEPS, steps), "steps") ||
        repro_ok(r, mech_run_set_i64(run, MECH_RUN_PROBE_EVERY, steps), "probe rows"))
        goto out;
    if (probe_act &&
        (repro_ok(r, mech_probe_create(&pr, repro_ctx(r), MECH_PROBE_ACTIVATIONS), "probe") ||
         repro_ok(r, mech_probe_set_str(pr, MECH_PROBE_NAME, "act"), "probe name") ||
         repro_ok(r, mech_probe_attach_model(pr, m, MECH_LOSS_MSE, data, 0), "probe attach") ||
         repro_ok(r, mech_run_add_probe(run, pr), "add probe")))
        goto out;
    if (repro_ok(r, mech_run_setup(run), "run setup")) goto out;
    mech_status st = mech_run_execute(run);
    if (st == MECH_EDIVERGED && !probe_act) {
        out[0] = INFINITY;
        rc = 0;
        goto out;
    }
    if (repro_ok(r, st, "training") || repro_ok(r, mech_run_trace(run, &tr), "run trace"))
        goto out;
    static const char *const act_cols[3] = {"act.delta_rms0", "act.delta_rms1",
                                            "act.delta_rms_out"};
    size_t last = mech_trace_n_rows(tr) - 1;
    for (size_t i = 0; i < (probe_act ? 3u : 1u); i++) {
        size_t c;
        if (repro_ok(r, mech_trace_column_index(tr, probe_act ? act_cols[i] : "train_loss", &c),
                     "trace column") ||
            repro_ok(r, mech_trace_value(tr, last, c, &out[i]), "trace value"))
            goto out;
    }
    if (!probe_act && !isfinite(out[0])) out[0] = INFINITY;
    rc = 0;
out:
    mech_run_destroy(run);
    mech_probe_destroy(pr);
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    return rc;
}

/* Column names of a sweep trace: lr, then loss_n<width> per width. */
typedef struct sweep_cols {
    char names[MAX_W][24];
    const char *list[MAX_W + 2];
} sweep_cols;

static void sweep_columns(const sizes *sz, sweep_cols *c)
{
    c->list[0] = "lr";
    for (size_t w = 0; w < sz->n_w; w++) {
        snprintf(c->names[w], sizeof c->names[w], "loss_n%zu", sz->widths[w]);
        c->list[w + 1] = c->names[w];
    }
    c->list[sz->n_w + 1] = NULL;
}

/* Sweep of one parametrization: final losses over widths x rates x seeds,
 * best rate per width and its shift (grid steps) from the base width. */
static int sweep(repro_run *r, mech_data *data, const sizes *sz, size_t pi, double *best,
                 double *shift, double *done, double total)
{
    size_t nl = (size_t)(sz->hi[pi] - sz->lo[pi] + 1);
    double lrs[MAX_LR], widths[MAX_W];
    double *loss = malloc(sz->n_w * nl * sz->seeds * sizeof *loss);
    mech_trace *tr = NULL;
    sweep_cols cols;
    char stem[32], msg[64];
    int rc = 1;
    if (!loss) return repro_fail(r, "out of memory");
    for (size_t l = 0; l < nl; l++) lrs[l] = ldexp(1.0, sz->lo[pi] + (int)l);
    for (size_t w = 0; w < sz->n_w; w++) {
        widths[w] = (double)sz->widths[w];
        snprintf(msg, sizeof msg, "%s sweep at width %zu", PNAME[pi], sz->widths[w]);
        repro_progress(r, *done / total, msg);
        for (size_t l = 0; l < nl; l++)
            for (size_t s = 0; s < sz->seeds; s++) {
                if (train(r, data, sz->widths[w], PARAMS[pi], (int64_t)s, lrs[l], sz->steps,
                          false, &loss[(w * nl + l) * sz->seeds + s]))
                    goto out;
                /* Cost grows like width^2 (the hidden n x n layer). */
                *done += widths[w] * widths[w];
            }
    }
    double slope;
    sweep_columns(sz, &cols);
    snprintf(stem, sizeof stem, "mup_sweep_%s", PNAME[pi]);
    if (repro_ok(r, mech_lr_sweep_best(widths, sz->n_w, lrs, nl, loss, sz->seeds, best, shift,
                                       &slope),
                 "best rates") ||
        repro_trace(r, &tr, MECH_AXIS_STEP, cols.list))
        goto out;
    for (size_t l = 0; l < nl; l++) {
        double v[MAX_W + 1];
        v[0] = lrs[l];
        for (size_t w = 0; w < sz->n_w; w++) {
            double m = 0.0;
            for (size_t s = 0; s < sz->seeds; s++) m += loss[(w * nl + l) * sz->seeds + s];
            v[w + 1] = isfinite(m) ? m / (double)sz->seeds : NAN;
        }
        if (repro_ok(r, mech_trace_append(tr, (double)l, v, sz->n_w + 1), "trace row")) goto out;
    }
    if (repro_ok(r, mech_trace_set_meta_f64(tr, "slope_ln_best_lr_vs_ln_width", slope),
                 "metadata") ||
        repro_save_trace(r, tr, stem))
        goto out;
    rc = 0;
out:
    mech_trace_destroy(tr);
    free(loss);
    return rc;
}

/* Coordinate check: rms activation changes after COORD_STEPS steps at
 * COORD_LR, root-mean-square over the seeds; ch[(pi * 3 + layer) MAX_W + w]. */
static int coord_check(repro_run *r, mech_data *data, const sizes *sz, double *ch)
{
    for (size_t pi = 0; pi < 2; pi++)
        for (size_t w = 0; w < sz->n_w; w++) {
            double acc[3] = {0, 0, 0};
            for (size_t s = 0; s < sz->seeds; s++) {
                double d[3];
                if (train(r, data, sz->widths[w], PARAMS[pi], (int64_t)(100 + s), COORD_LR,
                          COORD_STEPS, true, d))
                    return 1;
                for (size_t k = 0; k < 3; k++) acc[k] += d[k] * d[k] / (double)sz->seeds;
            }
            for (size_t k = 0; k < 3; k++) ch[(pi * 3 + k) * MAX_W + w] = sqrt(acc[k]);
        }
    return 0;
}

/* Largest max/min ratio over the widths of a row of n values. */
static double spread(const double *v, size_t n)
{
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; i++) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    return hi / lo;
}

static int figure(repro_run *r, const sizes *sz)
{
    static const char *const titles[2] = {"SP: final loss vs base rate",
                                          "muP: final loss vs base rate"};
    for (size_t pi = 0; pi < 2; pi++) {
        char stem[32], col[24], label[32];
        snprintf(stem, sizeof stem, "mup_sweep_%s", PNAME[pi]);
        if (repro_panel(r, titles[pi], "Adam base rate eta", "training loss after the run",
                        "log", "log"))
            return 1;
        for (size_t w = 0; w < sz->n_w; w++) {
            snprintf(col, sizeof col, "loss_n%zu", sz->widths[w]);
            snprintf(label, sizeof label, "width %zu", sz->widths[w]);
            if (repro_series(r, stem, "lr", col, "experiment", label)) return 1;
        }
    }
    return repro_panel(r, "best rate vs width", "hidden width n", "best Adam base rate", "log",
                       "log") ||
           repro_series(r, "mup_best", "width", "theory_sp", "theory",
                        "SP: eta* ~ 1/n (through width 64)") ||
           repro_series(r, "mup_best", "width", "theory_mup", "theory",
                        "muP: eta* constant (through width 64)") ||
           repro_series(r, "mup_best", "width", "best_sp", "experiment", "SP") ||
           repro_series(r, "mup_best", "width", "best_mup", "experiment", "muP") ||
           repro_panel(r, "coordinate check (3 Adam steps, eta = 2^-8)", "hidden width n",
                       "rms activation change", "log", "log") ||
           repro_series(r, "mup_coord", "width", "sp_h1", "experiment", "SP, hidden layer 2") ||
           repro_series(r, "mup_coord", "width", "sp_out", "experiment", "SP, output") ||
           repro_series(r, "mup_coord", "width", "mup_h0", "experiment", "muP, hidden layer 1") ||
           repro_series(r, "mup_coord", "width", "mup_h1", "experiment", "muP, hidden layer 2") ||
           repro_series(r, "mup_coord", "width", "mup_out", "experiment", "muP, output");
}

static int run(repro_run *r)
{
    const sizes sz = repro_quick(r)
                         ? (sizes){3, 2, {64, 256, 1024}, 10, {-12, -8}, {-5, -4}}
                         : (sizes){5, 4, {64, 128, 256, 512, 1024}, 20, {-14, -10}, {-4, -3}};
    mech_data *data = NULL;
    mech_trace *tb = NULL, *tc = NULL;
    double best[2][MAX_W], shift[2][MAX_W], ch[6 * MAX_W];
    int rc = 1;
    if (make_data(r, &data)) return 1;
    double total = 0.0, done = 0.0;
    for (size_t pi = 0; pi < 2; pi++)
        for (size_t w = 0; w < sz.n_w; w++)
            total += (double)(sz.hi[pi] - sz.lo[pi] + 1) * (double)sz.seeds *
                     (double)(sz.widths[w] * sz.widths[w]);
    total *= 1.1; /* the coordinate check */
    for (size_t pi = 0; pi < 2; pi++)
        if (sweep(r, data, &sz, pi, best[pi], shift[pi], &done, total)) goto out;
    repro_progress(r, done / total, "coordinate check");
    if (coord_check(r, data, &sz, ch)) goto out;
    static const char *const bcols[] = {"width", "best_sp", "best_mup", "shift_sp", "shift_mup",
                                        "theory_sp", "theory_mup", NULL};
    static const char *const ccols[] = {"width", "sp_h0", "sp_h1", "sp_out",
                                        "mup_h0", "mup_h1", "mup_out", NULL};
    if (repro_trace(r, &tb, MECH_AXIS_STEP, bcols) || repro_trace(r, &tc, MECH_AXIS_STEP, ccols))
        goto out;
    for (size_t w = 0; w < sz.n_w; w++) {
        double n = (double)sz.widths[w];
        double vb[7] = {n, best[0][w], best[1][w], shift[0][w], shift[1][w],
                        best[0][0] * (double)BASE / n, best[1][0]};
        double vc[7] = {n};
        for (size_t k = 0; k < 6; k++) vc[k + 1] = ch[k * MAX_W + w];
        if (repro_ok(r, mech_trace_append(tb, (double)w, vb, 7), "trace row") ||
            repro_ok(r, mech_trace_append(tc, (double)w, vc, 7), "trace row"))
            goto out;
    }
    if (repro_save_trace(r, tb, "mup_best") || repro_save_trace(r, tc, "mup_coord") ||
        figure(r, &sz))
        goto out;
    size_t last = sz.n_w - 1;
    /* The grid is x2; the parabola-refined optimum of a seed-averaged
     * sweep is uncertain by about half a step, so "transfer" is |shift| <=
     * 1 step (the criterion) and SP's predicted drift, log2(1024 /
     * 64) = 4 steps, must show as at least 2. */
    repro_check(r, "muP: |best-rate shift| from width 64 to the largest (grid steps)",
                fabs(shift[1][last]), 1.0, REPRO_AT_MOST);
    repro_check(r, "SP: |best-rate shift| from width 64 to the largest (grid steps)",
                fabs(shift[0][last]), 2.0, REPRO_AT_LEAST);
    /* Coordinate check: muP activation changes are width-independent up
     * to finite-width fluctuations (O(n^-1/2) at n = 64, over a few
     * seeds): max/min over widths <= 1.5 for every layer. */
    double mup_spread = 0.0;
    for (size_t k = 0; k < 3; k++) mup_spread = fmax(mup_spread, spread(ch + (3 + k) * MAX_W, sz.n_w));
    repro_check(r, "muP coord check: max_layer max/min over widths", mup_spread, 1.5,
                REPRO_AT_MOST);
    /* Under SP the second hidden layer's change grows like n (Adam: each
     * of its n inputs' weights moves by ~eta): 16x from 64 to 1024.
     * Require at least sqrt of the width ratio, well clear of muP's 1.5. */
    repro_check(r, "SP coord check: hidden layer 2 change, largest / base width / "
                   "sqrt(width ratio)",
                ch[1 * MAX_W + last] / ch[1 * MAX_W] /
                    sqrt((double)sz.widths[last] / (double)sz.widths[0]),
                1.0, REPRO_AT_LEAST);
    rc = 0;
out:
    mech_trace_destroy(tb);
    mech_trace_destroy(tc);
    mech_data_destroy(data);
    return rc;
}

const repro repro_mup = {
    .name = "mup",
    .reference = "Yang & Hu 2021; Yang et al. 2022 (Tensor Programs V)",
    .summary = "best Adam rate transfers across width under muP, drifts ~1/n under SP; "
               "coordinate check",
    .quick_size = "ReLU MLP {16,n,n,1}, n = 64, 256, 1024, N = 32, 10 full-batch Adam steps, "
                  "2 seeds, rates 2^-12..2^-5 (SP), 2^-8..2^-4 (muP)",
    .full_size = "n = 64..1024 (x2), 20 steps, 4 seeds, rates 2^-14..2^-4 (SP), 2^-10..2^-3 "
                 "(muP)",
    .run = run,
};
