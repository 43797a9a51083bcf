/*
 * ntk: the neural tangent kernel (Jacot, Gabriel & Hongler 2018; Lee et
 * al. 2019; THEORY.md section 4). One-hidden-layer ReLU MLPs in the NTK
 * parametrization (sigma_w^2 = 2, sigma_b^2 = 0.1, biases on):
 *  (a) the empirical NTK at init (mech_model_ntk) against the analytic
 *      Theta (mech_nngp_ntk) across widths: unbiased at every width, with a
 *      relative error falling like width^-1/2;
 *  (b) full-batch GD on the network against linearized training with the
 *      analytic Theta (mech_linearized): the gap closes with width.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repro.h"

#define D 4      /* input dimension */
#define NTR 8    /* training points */
#define NTE 4    /* test points */
#define NX (NTR + NTE)
#define MAX_W 8
#define ETA 0.5
#define STEPS 400

static const double SW2 = 2.0, SB2 = 0.1;

typedef struct sizes {
    size_t n_w, seeds;
    size_t widths[MAX_W];
    size_t train_widths[2];
} sizes;

static int network(repro_run *r, mech_model **m, size_t width, int64_t stream)
{
    size_t widths[3] = {D, width, 1};
    return repro_ok(r, mech_model_create(m, repro_ctx(r), MECH_MODEL_MLP), "MLP") ||
           repro_ok(r, mech_model_set_widths(*m, widths, 3), "widths") ||
           repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_ACTIVATION, MECH_ACT_RELU), "relu") ||
           repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_BIAS, 1), "bias") ||
           repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_NTK),
                    "parametrization") ||
           repro_ok(r, mech_model_set_f64(*m, MECH_MODEL_SIGMA_W, sqrt(SW2)), "sigma_w") ||
           repro_ok(r, mech_model_set_f64(*m, MECH_MODEL_SIGMA_B, sqrt(SB2)), "sigma_b") ||
           repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_INIT_STREAM, stream), "stream") ||
           repro_ok(r, mech_model_set_i64(*m, MECH_MODEL_MAX_BATCH, NX), "batch") ||
           repro_ok(r, mech_model_setup(*m), "MLP setup");
}

/* Inputs on the sphere of radius sqrt(D) (training first, then test) and
 * targets y = sin(x . u) on the training points. */
static int make_data(repro_run *r, double *x, double *y)
{
    mech_rng *rng = NULL;
    double u[D];
    if (repro_ok(r, mech_rng_create(&rng, repro_ctx(r), 1), "generator") ||
        repro_ok(r, mech_rng_normal(rng, x, NX * D, 0.0, 1.0), "inputs") ||
        repro_ok(r, mech_rng_normal(rng, u, D, 0.0, 1.0 / sqrt((double)D)), "target")) {
        mech_rng_destroy(rng);
        return 1;
    }
    mech_rng_destroy(rng);
    for (size_t i = 0; i < NX; i++) {
        double s = 0.0;
        for (size_t j = 0; j < D; j++) s += x[i * D + j] * x[i * D + j];
        for (size_t j = 0; j < D; j++) x[i * D + j] *= sqrt((double)D / s);
    }
    for (size_t i = 0; i < NTR; i++) {
        double s = 0.0;
        for (size_t j = 0; j < D; j++) s += x[i * D + j] * u[j];
        y[i] = sin(2.0 * s);
    }
    return 0;
}

/* Part (a): relative Frobenius error of the empirical NTK on the NX
 * inputs, mean and standard error over seeds; the mean kernel's distance
 * from Theta in units of its noise; the entry Theta(x_0, x_1). */
typedef struct width_stat {
    double err, err_se, entry, entry_se;
    double bias_z; /* ||mean - Theta||_F / sqrt(sum of squared standard errors) */
} width_stat;

static int ntk_at_width(repro_run *r, const sizes *sz, size_t w, const double *x,
                        const double *th, width_stat *out)
{
    double emp[NX * NX], norm = 0.0, s_e = 0, s2_e = 0, sum[NX * NX] = {0}, sum2[NX * NX] = {0};
    for (size_t e = 0; e < NX * NX; e++) norm += th[e] * th[e];
    norm = sqrt(norm);
    for (size_t s = 0; s < sz->seeds; s++) {
        mech_model *m = NULL;
        /* Independent streams per width and seed: the widths' errors are
         * independent, as the slope's standard error assumes. */
        if (network(r, &m, sz->widths[w], (int64_t)(1000 * (w + 1) + s)) ||
            repro_ok(r, mech_model_ntk(m, x, NX, x, NX, emp), "empirical NTK")) {
            mech_model_destroy(m);
            return 1;
        }
        mech_model_destroy(m);
        double d2 = 0.0;
        for (size_t e = 0; e < NX * NX; e++) {
            d2 += (emp[e] - th[e]) * (emp[e] - th[e]);
            sum[e] += emp[e];
            sum2[e] += emp[e] * emp[e];
        }
        s_e += sqrt(d2) / norm;
        s2_e += d2 / (norm * norm);
    }
    double S = (double)sz->seeds;
    out->err = s_e / S;
    out->err_se = sqrt(fmax(s2_e / S - out->err * out->err, 0.0) / (S - 1));
    double bias2 = 0.0, noise2 = 0.0;
    for (size_t e = 0; e < NX * NX; e++) {
        double mean = sum[e] / S, se = sqrt(fmax(sum2[e] / S - mean * mean, 0.0) / (S - 1));
        bias2 += (mean - th[e]) * (mean - th[e]);
        noise2 += se * se;
        if (e == 1) out->entry = mean, out->entry_se = se;
    }
    out->bias_z = sqrt(bias2 / noise2);
    return 0;
}

/* Part (b): GD on one network of the given width against the linearized
 * prediction with the analytic Theta and the network's own f_0. Appends
 * loss and one test output per recorded step; returns the largest
 * deviations relative to the initial residual. */
static int train_width(repro_run *r, size_t width, int64_t stream, const double *x,
                       const double *y, const double *th, const char *stem, double *dev_loss,
                       double *dev_out)
{
    mech_model *m = NULL;
    mech_optimizer *opt = NULL;
    mech_linearized *lin = NULL;
    mech_trace *tr = NULL;
    double *params = NULL, *grad = NULL;
    static const char *const cols[] = {"loss_linearized", "loss_net", "f_test0_linearized",
                                       "f_test0_net", NULL};
    double f0[NX], ttr[NTR * NTR], tte[NTE * NTR], ftr[NTR], fte[NTE], fnet[NX];
    int rc = 1;
    if (network(r, &m, width, stream) ||
        repro_ok(r, mech_model_forward(m, x, NX, f0), "forward"))
        goto out;
    for (size_t i = 0; i < NTR; i++)
        for (size_t j = 0; j < NTR; j++) ttr[i * NTR + j] = th[i * NX + j];
    for (size_t i = 0; i < NTE; i++)
        for (size_t j = 0; j < NTR; j++) tte[i * NTR + j] = th[(NTR + i) * NX + j];
    size_t np = mech_model_num_params(m);
    params = malloc(np * sizeof *params);
    grad = malloc(np * sizeof *grad);
    if (!params || !grad) {
        repro_fail(r, "out of memory");
        goto out;
    }
    if (repro_ok(r, mech_linearized_create(&lin, repro_ctx(r), ttr, tte, NTR, NTE, f0, f0 + NTR,
                                           y, 1),
                 "linearized predictor") ||
        repro_ok(r, mech_optimizer_create(&opt, repro_ctx(r), MECH_OPTIMIZER_GD, np), "GD") ||
        repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, ETA), "rate") ||
        repro_ok(r, mech_optimizer_setup(opt), "GD setup") ||
        repro_ok(r, mech_model_get_params(m, params, np), "parameters") ||
        repro_trace(r, &tr, MECH_AXIS_STEP, cols))
        goto out;
    double l0 = 0.0;
    for (size_t i = 0; i < NTR; i++) l0 += (f0[i] - y[i]) * (f0[i] - y[i]) / (2.0 * NTR);
    double scale = sqrt(2.0 * l0); /* rms initial residual */
    *dev_loss = *dev_out = 0.0;
    for (int64_t k = 0; k <= STEPS; k++) {
        double loss;
        if (repro_ok(r, mech_model_forward(m, x, NX, fnet), "forward") ||
            repro_ok(r, mech_model_gradient(m, MECH_LOSS_MSE, x, y, NTR, &loss, grad),
                     "gradient"))
            goto out;
        if (k % 4 == 0) {
            if (repro_ok(r, mech_linearized_at_steps(lin, k, ETA, ftr, fte), "linearized"))
                goto out;
            double ll = 0.0;
            for (size_t i = 0; i < NTR; i++) ll += (ftr[i] - y[i]) * (ftr[i] - y[i]) / (2.0 * NTR);
            double v[4] = {ll, loss, fte[0], fnet[NTR]};
            if (repro_ok(r, mech_trace_append(tr, (double)k, v, 4), "trace row")) goto out;
            *dev_loss = fmax(*dev_loss, fabs(loss - ll) / l0);
            for (size_t i = 0; i < NTE; i++)
                *dev_out = fmax(*dev_out, fabs(fnet[NTR + i] - fte[i]) / scale);
        }
        if (repro_ok(r, mech_optimizer_step(opt, params, grad), "GD step") ||
            repro_ok(r, mech_model_set_params(m, params, np), "parameters"))
            goto out;
    }
    if (repro_ok(r, mech_trace_set_meta_f64(tr, "width", (double)width), "metadata") ||
        (stem && repro_save_trace(r, tr, stem)))
        goto out;
    rc = 0;
out:
    mech_trace_destroy(tr);
    mech_linearized_destroy(lin);
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    free(params);
    free(grad);
    return rc;
}

/* Panels of part (b): loss and one test output, network against its
 * linearization (analytic Theta, the network's own f_0). */
static int add_training_panels(repro_run *r, const size_t *widths)
{
    static const char *const stems[2] = {"ntk_train_narrow", "ntk_train_wide"};
    static const char *const ys[2][2] = {{"loss_linearized", "loss_net"},
                                         {"f_test0_linearized", "f_test0_net"}};
    static const char *const titles[2] = {"GD on the network vs linearized training",
                                          "a test-point output during training"};
    static const char *const ylabels[2] = {"training loss (1/2 MSE)", "f(x_test)"};
    for (size_t p = 0; p < 2; p++) {
        if (repro_panel(r, titles[p], "GD step (eta = 0.5)", ylabels[p], "linear",
                        p ? "linear" : "log"))
            return 1;
        for (size_t i = 0; i < 2; i++) {
            char th[80], ex[80];
            snprintf(th, sizeof th, "linearized, analytic Theta (f_0 of width %zu)", widths[i]);
            snprintf(ex, sizeof ex, "network, width %zu", widths[i]);
            if (repro_series(r, stems[i], "step", ys[p][0], "theory", th) ||
                repro_series(r, stems[i], "step", ys[p][1], "experiment", ex))
                return 1;
        }
    }
    return 0;
}

static int run(repro_run *r)
{
    const sizes sz = repro_quick(r)
                         ? (sizes){4, 12, {64, 256, 1024, 4096}, {256, 4096}}
                         : (sizes){6, 40, {64, 128, 256, 1024, 4096, 16384}, {256, 16384}};
    double x[NX * D], y[NTR], th[NX * NX];
    if (make_data(r, x, y) ||
        repro_ok(r, mech_nngp_ntk(repro_ctx(r), MECH_ACT_RELU, 1, SW2, SB2, x, NX, NULL, NX, D,
                                  NULL, th),
                 "analytic NTK"))
        return 1;
    static const char *const cols[] = {"width", "rel_error", "rel_error_se", "slope_half",
                                       "entry_theory", "entry_mean", "entry_mean_se", NULL};
    mech_trace *tr = NULL;
    if (repro_trace(r, &tr, MECH_AXIS_STEP, cols)) return 1;
    int rc = 1;
    width_stat st[MAX_W];
    double max_bias = 0.0;
    for (size_t w = 0; w < sz.n_w; w++) {
        char msg[64];
        snprintf(msg, sizeof msg, "empirical NTK at width %zu", sz.widths[w]);
        repro_progress(r, 0.7 * (double)w / (double)sz.n_w, msg);
        if (ntk_at_width(r, &sz, w, x, th, &st[w])) goto out;
        max_bias = fmax(max_bias, st[w].bias_z);
    }
    /* Slope of log(mean error) against log(width), weighted least squares
     * is not needed: equal weights, standard error from the seeds. */
    double mx = 0, my = 0, sxx = 0, sxy = 0, var = 0;
    for (size_t w = 0; w < sz.n_w; w++)
        mx += log((double)sz.widths[w]) / (double)sz.n_w, my += log(st[w].err) / (double)sz.n_w;
    for (size_t w = 0; w < sz.n_w; w++) {
        double dx = log((double)sz.widths[w]) - mx;
        sxx += dx * dx;
        sxy += dx * (log(st[w].err) - my);
        var += dx * dx * (st[w].err_se / st[w].err) * (st[w].err_se / st[w].err);
    }
    double slope = sxy / sxx, slope_se = sqrt(var) / sxx;
    for (size_t w = 0; w < sz.n_w; w++) {
        /* The width^-1/2 law through the data's geometric mean. */
        double ref = exp(my - 0.5 * (log((double)sz.widths[w]) - mx));
        double v[7] = {(double)sz.widths[w], st[w].err, st[w].err_se, ref, th[1], st[w].entry,
                       st[w].entry_se};
        if (repro_ok(r, mech_trace_append(tr, (double)w, v, 7), "trace row")) goto out;
    }
    if (repro_ok(r, mech_trace_set_meta_f64(tr, "slope", slope), "metadata") ||
        repro_save_trace(r, tr, "ntk_width"))
        goto out;
    /* Part (b) on NETS networks per width: the first is drawn; the
     * deviations are averaged (one network's is a single noisy draw). */
    enum { NETS = 4 };
    double dev_loss[2] = {0, 0}, dev_out[2] = {0, 0};
    static const char *const stems[2] = {"ntk_train_narrow", "ntk_train_wide"};
    for (size_t i = 0; i < 2; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "GD vs linearized training, width %zu", sz.train_widths[i]);
        repro_progress(r, 0.7 + 0.15 * (double)i, msg);
        for (size_t k = 0; k < NETS; k++) {
            double dl, dout;
            if (train_width(r, sz.train_widths[i], (int64_t)(7 + k), x, y, th,
                            k == 0 ? stems[i] : NULL, &dl, &dout))
                goto out;
            dev_loss[i] += dl / NETS;
            dev_out[i] += dout / NETS;
        }
    }
    /* CLT over hidden units: error ~ width^-1/2. The slope's standard error
     * comes from the seeds; 3 of them, plus 0.05 for the O(1/width)
     * correction bending the curve at the smallest width. */
    repro_check(r, "empirical NTK error: |slope + 1/2|", fabs(slope + 0.5),
                3.0 * slope_se + 0.05, REPRO_AT_MOST);
    /* At one hidden layer the empirical NTK is an average of i.i.d. unit
     * terms: unbiased at every width, so the mean over seeds differs from
     * Theta by noise alone: ||mean - Theta||_F ~ sqrt(sum se^2). With
     * independent entries the ratio is near 1; with fully correlated ones
     * (the worst case) it is a |t| with seeds - 1 degrees of freedom, whose
     * maximum over the widths at 1% needs ~3.9 for 12 seeds: 4. */
    repro_check(r, "mean empirical NTK: max_width ||mean - Theta|| / noise", max_bias, 4.0,
                REPRO_AT_MOST);
    /* The network follows the linear model up to its kernel's deviation
     * from Theta (relative error e_w from part (a), O(width^-1/2)) plus the
     * kernel's drift in training (same order): 2 e_w, for the output
     * relative to the initial rms residual. */
    size_t wide = sz.n_w - 1;
    for (size_t w = 0; w < sz.n_w; w++)
        if (sz.widths[w] == sz.train_widths[1]) wide = w;
    repro_check(r, "wide nets: mean max_t |f_test - f_lin| / rms resid(0)", dev_out[1],
                2.0 * st[wide].err, REPRO_AT_MOST);
    repro_check(r, "wide nets: mean max_t |L_net - L_lin| / L(0)", dev_loss[1], 4.0 * st[wide].err,
                REPRO_AT_MOST);
    /* The gap closes with width: the narrow-to-wide ratio of output
     * deviations is at least half the sqrt(width ratio). */
    repro_check(r, "output gap ratio narrow/wide vs sqrt(width ratio)/2",
                dev_out[0] / dev_out[1] /
                    (0.5 * sqrt((double)sz.train_widths[1] / (double)sz.train_widths[0])),
                1.0, REPRO_AT_LEAST);
    if (repro_panel(r, "empirical NTK at init vs analytic Theta", "hidden width",
                    "mean ||Theta_emp - Theta||_F / ||Theta||_F", "log", "log") ||
        repro_series(r, "ntk_width", "width", "slope_half", "theory",
                     "width^-1/2 (CLT), through the data") ||
        repro_series(r, "ntk_width", "width", "rel_error", "experiment", "networks, mean +- se") ||
        repro_panel(r, "one kernel entry Theta(x_0, x_1)", "hidden width", "NTK entry", "log",
                    "linear") ||
        repro_series(r, "ntk_width", "width", "entry_theory", "theory", "analytic (infinite width)") ||
        repro_series(r, "ntk_width", "width", "entry_mean", "experiment", "empirical, mean +- se") ||
        add_training_panels(r, sz.train_widths))
        goto out;
    rc = 0;
out:
    mech_trace_destroy(tr);
    return rc;
}

const repro repro_ntk = {
    .name = "ntk",
    .reference = "Jacot, Gabriel & Hongler 2018; Lee et al. 2019",
    .summary = "empirical vs analytic NTK across widths; GD vs linearized training",
    .quick_size = "ReLU, 1 hidden layer, widths 64..4096, 12 seeds; GD at widths 256 and 4096",
    .full_size = "widths 64..16384, 40 seeds; GD at widths 256 and 16384",
    .run = run,
};
