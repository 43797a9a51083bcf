/*
 * collapse: neural collapse in the terminal phase of training (Papyan,
 * Han & Donoho 2020; THEORY.md section 9). An MLP classifier of a
 * C-class Gaussian mixture trained by full-batch GD on softmax
 * cross-entropy long past zero training error; the last hidden layer's
 * features (mech_model_activations) measured with mech_neural_collapse.
 * Theory: within-class variability vanishes (NC1 -> 0) and the centered
 * class means form a simplex equiangular tight frame, pairwise cosines
 * -1/(C - 1).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repro.h"

#define C 4
#define IN 128
#define HID 64

typedef struct outcome {
    double first_zero_step; /* first recorded step with 100% training accuracy */
    double nc1_at_zero, nc1_end;
    double cos_dev_max_end; /* max_pairs |cos + 1/(C-1)| at the end */
    double cos_mean_end;
} outcome;

static const char *const COLS[] = {"nc1",       "cos_mean",   "cos_etf",    "cos_dev_max",
                                   "equinorm",  "train_acc",  "train_loss", NULL};

static int run(repro_run *r)
{
    /* n < in_dim: the first layer can place every example freely, the
     * regime of the unconstrained-features model in which collapse is the
     * optimum; with n > in_dim the features stay tied to the inputs'
     * noise and NC1 stalls (at ~1/3 of its value at zero error in trials). */
    const size_t n = 40;
    const size_t steps = repro_quick(r) ? 6000 : 24000;
    const double eta = 0.5, wd = 5e-3, separation = 3.0;
    mech_data *gen = NULL;
    mech_model *m = NULL;
    mech_optimizer *opt = NULL;
    mech_trace *tr = NULL;
    double *x = malloc(n * IN * sizeof *x), *y = malloc(n * C * sizeof *y);
    double *f = malloc(n * C * sizeof *f), *h = malloc(n * HID * sizeof *h);
    int64_t *labels = malloc(n * sizeof *labels);
    double *params = NULL, *grad = NULL;
    int rc = 1;
    if (!x || !y || !f || !h || !labels) {
        repro_fail(r, "out of memory");
        goto out;
    }
    const size_t widths[4] = {IN, HID, HID, C};
    if (repro_ok(r, mech_data_create_mixture(&gen, repro_ctx(r), C, IN, separation), "mixture") ||
        repro_ok(r, mech_data_set_i64(gen, MECH_DATA_BALANCED, 1), "balanced classes") ||
        repro_ok(r, mech_data_sample(gen, n, x, y), "training set") ||
        repro_ok(r, mech_data_onehot_to_class(y, n, C, labels), "labels") ||
        repro_ok(r, mech_model_create(&m, repro_ctx(r), MECH_MODEL_MLP), "model") ||
        repro_ok(r, mech_model_set_widths(m, widths, 4), "model widths") ||
        repro_ok(r, mech_model_set_i64(m, MECH_MODEL_BIAS, 1), "model biases") ||
        repro_ok(r, mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, (int64_t)n), "model batch") ||
        repro_ok(r, mech_model_setup(m), "model setup"))
        goto out;
    size_t np = mech_model_num_params(m);
    params = malloc(np * sizeof *params);
    grad = malloc(np * sizeof *grad);
    if (!params || !grad) {
        repro_fail(r, "out of memory");
        goto out;
    }
    if (repro_ok(r, mech_optimizer_create(&opt, repro_ctx(r), MECH_OPTIMIZER_GD, np), "GD") ||
        repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta), "GD rate") ||
        repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_WEIGHT_DECAY, wd), "decay") ||
        repro_ok(r, mech_optimizer_setup(opt), "GD setup") ||
        repro_trace(r, &tr, MECH_AXIS_STEP, COLS) ||
        repro_ok(r, mech_model_get_params(m, params, np), "parameters"))
        goto out;
    outcome o = {.first_zero_step = NAN};
    const size_t every = steps / 300;
    for (size_t k = 0; k <= steps; k++) {
        double loss;
        if (repro_ok(r, mech_model_gradient(m, MECH_LOSS_SOFTMAX_CE, x, y, n, &loss, grad),
                     "gradient"))
            goto out;
        /* Every step at first, to catch the first zero-error step. */
        if (k < 200 || k % every == 0) {
            double acc;
            mech_neural_collapse_result nc = {.size = sizeof nc};
            if (repro_ok(r, mech_model_forward(m, x, n, f), "forward") ||
                repro_ok(r, mech_loss_accuracy(MECH_LOSS_SOFTMAX_CE, f, y, n, C, &acc),
                         "accuracy") ||
                repro_ok(r, mech_model_activations(m, x, n, 1, h), "activations") ||
                repro_ok(r, mech_neural_collapse(repro_ctx(r), h, n, HID, labels, C, NULL, NULL,
                                                 &nc),
                         "neural collapse"))
                goto out;
            double v[7] = {nc.nc1, nc.cos_mean,  -1.0 / (C - 1), nc.equiangular_max,
                           nc.equinorm, acc, loss};
            if (repro_ok(r, mech_trace_append(tr, (double)k, v, 7), "trace row")) goto out;
            if (acc == 1.0 && isnan(o.first_zero_step))
                o.first_zero_step = (double)k, o.nc1_at_zero = nc.nc1;
            o.nc1_end = nc.nc1, o.cos_dev_max_end = nc.equiangular_max,
            o.cos_mean_end = nc.cos_mean;
            if (k % (every * 30) == 0 && k >= 200)
                repro_progress(r, 0.05 + 0.9 * (double)k / (double)steps, "GD");
        }
        if (repro_ok(r, mech_optimizer_step(opt, params, grad), "GD step") ||
            repro_ok(r, mech_model_set_params(m, params, np), "parameters"))
            goto out;
    }
    const char *keys[] = {"classes", "in_dim", "hidden", "n_train", "eta", "weight_decay",
                          "separation", "first_zero_error_step", "nc1_at_zero_error"};
    double vals[] = {C, IN, (double)HID, (double)n, eta, wd, separation, o.first_zero_step,
                     o.nc1_at_zero};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        if (repro_ok(r, mech_trace_set_meta_f64(tr, keys[i], vals[i]), "metadata")) goto out;
    if (repro_save_trace(r, tr, "collapse")) goto out;

    /* Issue criteria (Papyan et al.'s Figures 6-7 show NC1 falling by
     * orders of magnitude over the terminal phase): NC1 falls at least
     * 10x from the first zero-error step to the end, and every pair of
     * centered class means has cosine within 0.05 of -1/(C-1). */
    repro_check(r, "NC1(first zero error) / NC1(end)", o.nc1_at_zero / o.nc1_end, 10.0,
                REPRO_AT_LEAST);
    repro_check(r, "max_pairs |cos(M_c, M_c') + 1/(C-1)| at the end", o.cos_dev_max_end, 0.05,
                REPRO_AT_MOST);
    char msg[160];
    snprintf(msg, sizeof msg, "zero training error at step %.0f; NC1 %.3g -> %.3g",
             o.first_zero_step, o.nc1_at_zero, o.nc1_end);
    repro_progress(r, 0.97, msg);

    char zl[96];
    snprintf(zl, sizeof zl, "NC1 (zero training error from step %.0f)", o.first_zero_step);
    if (repro_panel(r, "NC1: within-class variability / between-class", "GD step",
                    "NC1 = tr(Sigma_W Sigma_B^+) / C", "linear", "log") ||
        repro_series(r, "collapse", "step", "nc1", "experiment", zl) ||
        repro_panel(r, "class means approach a simplex ETF", "GD step",
                    "mean pairwise cosine of class means", "linear", "linear") ||
        repro_series(r, "collapse", "step", "cos_etf", "theory", "simplex ETF: -1/(C-1) = -1/3") ||
        repro_series(r, "collapse", "step", "cos_mean", "experiment", "measured, mean over pairs") ||
        repro_panel(r, "distance from the ETF", "GD step", "max over pairs |cos + 1/(C-1)|",
                    "linear", "log") ||
        repro_series(r, "collapse", "step", "cos_dev_max", "experiment", "measured") ||
        repro_panel(r, "training", "GD step", "accuracy, loss (softmax CE)", "linear", "log") ||
        repro_series(r, "collapse", "step", "train_acc", "experiment", "training accuracy") ||
        repro_series(r, "collapse", "step", "train_loss", "experiment", "training loss") ||
        repro_series(r, "collapse", "step", "equinorm", "experiment",
                     "std/mean of class-mean norms (NC2)"))
        goto out;
    rc = 0;
out:
    mech_trace_destroy(tr);
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    mech_data_destroy(gen);
    free(x), free(y), free(f), free(h), free(labels), free(params), free(grad);
    return rc;
}

const repro repro_collapse = {
    .name = "collapse",
    .reference = "Papyan, Han & Donoho, PNAS 2020",
    .summary = "neural collapse: NC1 -> 0 and a simplex ETF of class means past zero error",
    .quick_size = "4-class mixture in 128-d, n = 40, MLP 128-64-64-4 ReLU, GD 6000 steps",
    .full_size = "the same, 24000 steps",
    .run = run,
};
