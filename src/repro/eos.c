/*
 * eos: the edge of stability (Cohen, Kaur, Li, Kolter & Talwalkar 2021;
 * Cohen et al. 2022 for adaptive methods; THEORY.md section 7).
 * Full-batch training of a tanh MLP {8, 32, 32, 1} (biases, SP init) on
 * N = 128 Gaussian inputs with a smooth teacher, 1/2-MSE:
 *  (a) GD at several rates eta: the sharpness (top Hessian eigenvalue,
 *      Lanczos on exact HVPs, probe `sharpness`) rises from well below
 *      2/eta (progressive sharpening) to the stability threshold 2/eta of
 *      GD on a quadratic and hovers there instead of exceeding it;
 *  (b) full-batch Adam (beta1 = 0.9): the preconditioned sharpness
 *      (probe `precond_sharpness`, top eigenvalue of P^-1 H with Adam's
 *      current P) hovers at the frozen-preconditioner threshold
 *      (2 + 2 beta1) / ((1 - beta1) eta) = 38/eta (mech_stability_threshold).
 * Time axis t = eta k, so the runs at different rates share the x axis.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "repro.h"

#define D 8
#define N 128
#define H 32
#define MAX_ETA 4
#define BETA1 0.9

typedef struct sizes {
    size_t n_gd, n_adam;
    double gd_eta[MAX_ETA], adam_eta[MAX_ETA];
    double t_gd;       /* GD horizon in t = eta k */
    int64_t adam_steps;
    int64_t rows;      /* sharpness measurements per run */
} sizes;

/* Inputs N(0, I_D) and y = 2 (sin(x . w) + cos(2 x_0) / 2), w ~ N(0, I):
 * a target the network fits only after its sharpness has grown several
 * fold (progressive sharpening needs a task that is not learned at init
 * curvature). Fixed data stream; the seed changes it with the context. */
static int make_data(repro_run *r, mech_data **out)
{
    mech_rng *rng = NULL;
    double x[N * D], y[N], w[D];
    int rc = repro_ok(r, mech_rng_create(&rng, repro_ctx(r), 1), "generator") ||
             repro_ok(r, mech_rng_normal(rng, x, N * D, 0.0, 1.0), "inputs") ||
             repro_ok(r, mech_rng_normal(rng, w, D, 0.0, 1.0), "teacher");
    mech_rng_destroy(rng);
    if (rc) return 1;
    for (size_t i = 0; i < N; i++) {
        double s = 0.0;
        for (size_t j = 0; j < D; j++) s += x[i * D + j] * w[j];
        y[i] = 2.0 * (sin(s) + 0.5 * cos(2.0 * x[i * D]));
    }
    return repro_ok(r, mech_data_create_arrays(out, repro_ctx(r), x, y, N, D, 1, MECH_COPY),
                    "dataset");
}

/* What one run gives: the late-time (second half) mean and standard
 * deviation of S / threshold, and S(0) / threshold. */
typedef struct eos_stat {
    double late_mean, late_sd, start;
} eos_stat;

/* The larger of a and b, NaN if either is NaN (a failed run must fail). */
static double worse(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : fmax(a, b);
}

/* Trains from the same initialization with GD or Adam at rate eta for
 * `steps` steps, measuring the (preconditioned) sharpness every steps/rows
 * steps, and saves theory (threshold) and experiment (sharpness) on the
 * time axis as stem. */
static int train(repro_run *r, mech_data *data, bool adam, double eta, int64_t steps,
                 int64_t rows, const char *stem, eos_stat *st)
{
    static const size_t widths[4] = {D, H, H, 1};
    static const char *const cols[] = {"threshold", "sharpness", "sharpness_over_threshold",
                                       "train_loss", NULL};
    mech_model *m = NULL;
    mech_optimizer *opt = NULL;
    mech_probe *p = NULL;
    mech_run *run = NULL;
    mech_trace *tr = NULL;
    const mech_trace *rt = NULL;
    int rc = 1;
    double thr;
    if (repro_ok(r, mech_stability_threshold(adam ? MECH_OPTIMIZER_ADAM : MECH_OPTIMIZER_GD, eta,
                                             BETA1, &thr),
                 "stability threshold") ||
        repro_ok(r, mech_model_create(&m, repro_ctx(r), MECH_MODEL_MLP), "MLP") ||
        repro_ok(r, mech_model_set_widths(m, widths, 4), "widths") ||
        repro_ok(r, mech_model_set_i64(m, MECH_MODEL_ACTIVATION, MECH_ACT_TANH), "tanh") ||
        repro_ok(r, mech_model_set_i64(m, MECH_MODEL_BIAS, 1), "bias") ||
        repro_ok(r, mech_model_setup(m), "MLP setup") ||
        repro_ok(r, mech_optimizer_create(&opt, repro_ctx(r),
                                          adam ? MECH_OPTIMIZER_ADAM : MECH_OPTIMIZER_GD,
                                          mech_model_num_params(m)),
                 "optimizer") ||
        repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta), "rate") ||
        (adam && repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_BETA1, BETA1), "beta1")) ||
        repro_ok(r, mech_optimizer_setup(opt), "optimizer setup") ||
        repro_ok(r, mech_probe_create(&p, repro_ctx(r),
                                      adam ? MECH_PROBE_PRECOND_SHARPNESS : MECH_PROBE_SHARPNESS),
                 "probe") ||
        /* 1e-6 relative: far below the few-% oscillation being measured. */
        repro_ok(r, mech_probe_set_f64(p, MECH_PROBE_TOL, 1e-6), "probe tolerance") ||
        repro_ok(r, mech_probe_set_str(p, MECH_PROBE_NAME, "s"), "probe name") ||
        repro_ok(r, mech_probe_attach_model(p, m, MECH_LOSS_MSE, data, 0), "probe attach") ||
        (adam && repro_ok(r, mech_probe_attach_optimizer(p, opt), "probe optimizer")) ||
        repro_ok(r, mech_run_create(&run, repro_ctx(r), m, MECH_LOSS_MSE, data, opt), "run") ||
        repro_ok(r, mech_run_set_i64(run, MECH_RUN_MAX_STEPS, steps), "steps") ||
        repro_ok(r, mech_run_set_i64(run, MECH_RUN_PROBE_EVERY, steps / rows), "probe rows") ||
        repro_ok(r, mech_run_add_probe(run, p), "add probe") ||
        repro_ok(r, mech_run_setup(run), "run setup") ||
        repro_ok(r, mech_run_execute(run), "training") ||
        repro_ok(r, mech_run_trace(run, &rt), "run trace") ||
        repro_trace(r, &tr, MECH_AXIS_TIME, cols))
        goto out;
    size_t c_s, c_l, nr = mech_trace_n_rows(rt);
    if (repro_ok(r, mech_trace_column_index(rt, "s.sharpness", &c_s), "sharpness column") ||
        repro_ok(r, mech_trace_column_index(rt, "train_loss", &c_l), "loss column"))
        goto out;
    double sum = 0, sum2 = 0, cnt = 0, *steps_at = malloc((nr ? nr : 1) * sizeof *steps_at);
    st->start = NAN;
    if (!steps_at) {
        repro_fail(r, "out of memory");
        goto out;
    }
    if (repro_ok(r, mech_trace_time(rt, steps_at, nr), "trace steps")) {
        free(steps_at);
        goto out;
    }
    for (size_t i = 0; i < nr; i++) {
        double k = steps_at[i], s, l;
        if (repro_ok(r, mech_trace_value(rt, i, c_s, &s), "trace") ||
            repro_ok(r, mech_trace_value(rt, i, c_l, &l), "trace")) {
            free(steps_at);
            goto out;
        }
        /* Adam's preconditioner is undefined before its first step. */
        if (adam && k == 0) continue;
        if (isnan(st->start)) st->start = s / thr;
        double v[4] = {thr, s, s / thr, l};
        if (repro_ok(r, mech_trace_append(tr, eta * k, v, 4), "trace row")) {
            free(steps_at);
            goto out;
        }
        if (2 * k >= (double)steps) sum += s / thr, sum2 += (s / thr) * (s / thr), cnt += 1;
    }
    free(steps_at);
    st->late_mean = sum / cnt;
    st->late_sd = sqrt(fmax(sum2 / cnt - st->late_mean * st->late_mean, 0.0));
    if (repro_ok(r, mech_trace_set_meta_f64(tr, "eta", eta), "metadata") ||
        repro_save_trace(r, tr, stem))
        goto out;
    rc = 0;
out:
    mech_trace_destroy(tr);
    mech_run_destroy(run);
    mech_probe_destroy(p);
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    return rc;
}

static int run(repro_run *r)
{
    const sizes sz = repro_quick(r)
                         ? (sizes){3, 1, {0.1, 0.15, 0.2}, {0.005}, 160.0, 2000, 40}
                         : (sizes){4, 2, {0.1, 0.125, 0.15, 0.2}, {0.005, 0.01}, 300.0, 4000, 150};
    mech_data *data = NULL;
    if (make_data(r, &data)) return 1;
    int rc = 1;
    double worst_gd = 0, worst_adam = 0, sd_gd = 0, sd_adam = 0, start_max = 0;
    char stem[32], msg[64], label[64];
    size_t total = sz.n_gd + sz.n_adam;
    if (repro_panel(r, "GD: sharpness rises to 2/eta and hovers (edge of stability)",
                    "time t = eta k", "sharpness S (top Hessian eigenvalue)", "linear", "log"))
        goto out;
    for (size_t i = 0; i < total; i++) {
        bool adam = i >= sz.n_gd;
        double eta = adam ? sz.adam_eta[i - sz.n_gd] : sz.gd_eta[i];
        int64_t steps = adam ? sz.adam_steps : (int64_t)llround(sz.t_gd / eta);
        eos_stat st;
        snprintf(stem, sizeof stem, adam ? "eos_adam_%zu" : "eos_gd_%zu", adam ? i - sz.n_gd : i);
        snprintf(msg, sizeof msg, "%s at eta = %g", adam ? "Adam" : "GD", eta);
        repro_progress(r, (double)i / (double)total, msg);
        if (adam && i == sz.n_gd &&
            repro_panel(r, "full-batch Adam: preconditioned sharpness at 38/eta", "time t = eta k",
                        "top eigenvalue of P^-1 H", "linear", "log"))
            goto out;
        if (train(r, data, adam, eta, steps, sz.rows, stem, &st)) goto out;
        if (adam) {
            worst_adam = worse(worst_adam, fabs(st.late_mean - 1.0));
            sd_adam = worse(sd_adam, st.late_sd);
        } else {
            worst_gd = worse(worst_gd, fabs(st.late_mean - 1.0));
            sd_gd = worse(sd_gd, st.late_sd);
            start_max = worse(start_max, st.start);
        }
        snprintf(label, sizeof label, adam ? "38/eta, eta = %g" : "2/eta, eta = %g", eta);
        if (repro_series(r, stem, "time", "threshold", "theory", label)) goto out;
        snprintf(label, sizeof label, adam ? "Adam, eta = %g" : "GD, eta = %g", eta);
        if (repro_series(r, stem, "time", "sharpness", "experiment", label)) goto out;
    }
    if (repro_panel(r, "GD: sharpness over its threshold", "time t = eta k", "S eta / 2",
                    "linear", "linear"))
        goto out;
    for (size_t i = 0; i < sz.n_gd; i++) {
        snprintf(stem, sizeof stem, "eos_gd_%zu", i);
        snprintf(label, sizeof label, "GD, eta = %g", sz.gd_eta[i]);
        if (repro_series(r, stem, "time", "sharpness_over_threshold", "experiment", label))
            goto out;
    }
    if (repro_panel(r, "GD: training loss (non-monotone at the edge)", "time t = eta k",
                    "training loss (1/2 MSE)", "linear", "log"))
        goto out;
    for (size_t i = 0; i < sz.n_gd; i++) {
        snprintf(stem, sizeof stem, "eos_gd_%zu", i);
        snprintf(label, sizeof label, "GD, eta = %g", sz.gd_eta[i]);
        if (repro_series(r, stem, "time", "train_loss", "experiment", label)) goto out;
    }
    /* Tolerances. At the edge of stability S oscillates around 2/eta: it
     * overshoots, the loss spikes along the top eigenvector, and
     * self-stabilization pulls S back (Damian et al. 2023). Cohen et al.
     * report the hover "at, or a bit above" 2/eta, within a few percent
     * once settled; the first overshoot (up to +70% at the largest eta)
     * lies in the first half of the run, outside the window. 10% covers
     * the settled oscillation (a few %) with margin; the window's rms
     * oscillation is checked too, so a run that reaches 2/eta only on
     * average, while swinging widely, does not pass. */
    repro_check(r, "GD: max_eta |mean_{t > T/2} S eta/2 - 1|", worst_gd, 0.10, REPRO_AT_MOST);
    repro_check(r, "GD: max_eta rms oscillation of S eta/2 over t > T/2", sd_gd, 0.10,
                REPRO_AT_MOST);
    /* Progressive sharpening, not a start at the edge: every run begins
     * well below its threshold (half of it at most). */
    repro_check(r, "GD: max_eta S(0) eta/2 (progressive sharpening from below)", start_max, 0.5,
                REPRO_AT_MOST);
    /* Adam's edge is that of a frozen preconditioner; the preconditioner
     * itself drifts (beta2 = 0.999), so the oscillation is larger than
     * GD's: same 10% bound on the mean (Cohen et al. 2022, their Figure
     * 1: the hover is within ~10%). */
    repro_check(r, "Adam: max_eta |mean_{t > T/2} S_P eta/38 - 1|", worst_adam, 0.10,
                REPRO_AT_MOST);
    repro_check(r, "Adam: max_eta rms oscillation of S_P eta/38 over t > T/2", sd_adam, 0.10,
                REPRO_AT_MOST);
    rc = 0;
out:
    mech_data_destroy(data);
    return rc;
}

const repro repro_eos = {
    .name = "eos",
    .reference = "Cohen, Kaur, Li, Kolter & Talwalkar 2021; Cohen et al. 2022",
    .summary = "full-batch GD sharpness rises to 2/eta and hovers; Adam's preconditioned "
               "sharpness at 38/eta",
    .quick_size = "tanh MLP {8,32,32,1}, N = 128; GD eta 0.1, 0.15, 0.2 to t = 160; Adam eta "
                  "0.005, 2000 steps; 40 sharpness rows",
    .full_size = "GD eta 0.1, 0.125, 0.15, 0.2 to t = 300; Adam eta 0.005, 0.01, 4000 steps; "
                 "150 rows",
    .run = run,
};
