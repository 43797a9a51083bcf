/*
 * chinchilla: the parametric scaling law L(N, D) = E + A/N^alpha + B/D^beta
 * fitted to the real runs of Hoffmann et al. 2022 (approach 3), as
 * extracted and refitted by Besiroglu, Erdil, Barnett & You 2024 (THEORY.md
 * section 8). The data file ships with the command (share/mechanics).
 * Theory: the fitted law and its compute-optimal frontier; experiment: the
 * runs' final losses; checks: the fit against the published replication.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repro.h"
#include "share.h"

#define DATA_FILE "chinchilla_svg_extracted.csv"
#define MAX_RUNS 1000

typedef struct run_row {
    double n, d, c, loss;
} run_row;

/* Reads `Model Size`, `Training FLOP` and `loss`; D = C / (6 N). */
static int load_runs(repro_run *r, run_row *rows, size_t *count)
{
    char path[PATH_MAX];
    if (share_find(DATA_FILE, path, sizeof path))
        return repro_fail(r, "data file %s not found (looked in $MECHANICS_DATADIR, "
                             "<bindir>/../share/mechanics and the configured datadir)",
                          DATA_FILE);
    FILE *fp = fopen(path, "r");
    if (!fp) return repro_fail(r, "cannot open %s", path);
    char line[1024];
    int col_n = -1, col_c = -1, col_l = -1, col = 0;
    if (fgets(line, sizeof line, fp))
        for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), col++) {
            if (!strcmp(tok, "Model Size")) col_n = col;
            if (!strcmp(tok, "Training FLOP")) col_c = col;
            if (!strcmp(tok, "loss")) col_l = col;
        }
    if (col_n < 0 || col_c < 0 || col_l < 0) {
        fclose(fp);
        return repro_fail(r, "%s: missing column Model Size, Training FLOP or loss", path);
    }
    *count = 0;
    while (*count < MAX_RUNS && fgets(line, sizeof line, fp)) {
        double v[3] = {NAN, NAN, NAN};
        col = 0;
        for (char *p = line, *q; p; p = q ? q + 1 : NULL, col++) {
            q = strchr(p, ',');
            if (col == col_n) v[0] = strtod(p, NULL);
            if (col == col_c) v[1] = strtod(p, NULL);
            if (col == col_l) v[2] = strtod(p, NULL);
        }
        if (!(v[0] > 0 && v[1] > 0 && v[2] > 0)) {
            fclose(fp);
            return repro_fail(r, "%s: bad row %zu", path, *count + 2);
        }
        rows[(*count)++] = (run_row){v[0], v[1] / (6.0 * v[0]), v[1], v[2]};
    }
    fclose(fp);
    return 0;
}

static int by_compute(const void *a, const void *b)
{
    double x = ((const run_row *)a)->c, y = ((const run_row *)b)->c;
    return (x > y) - (x < y);
}

static int run(repro_run *r)
{
    const size_t bootstrap = repro_quick(r) ? 100 : 400;
    static run_row rows[MAX_RUNS];
    static double n[MAX_RUNS], d[MAX_RUNS], loss[MAX_RUNS];
    size_t count = 0;
    repro_progress(r, 0.02, "reading the runs");
    if (load_runs(r, rows, &count)) return 1;
    qsort(rows, count, sizeof rows[0], by_compute);
    for (size_t i = 0; i < count; i++) n[i] = rows[i].n, d[i] = rows[i].d, loss[i] = rows[i].loss;
    repro_progress(r, 0.1, "Huber fit from the 4500-point grid, then the bootstrap");
    mech_chinchilla_fit fit = {.size = sizeof fit};
    if (repro_ok(r, mech_fit_chinchilla(repro_ctx(r), n, d, loss, count, 5, 1e-3, bootstrap, &fit),
                 "Chinchilla fit"))
        return 1;
    /* One row per run, by compute: the observed loss, the law at the run's
     * (N, D) and the law on the compute-optimal frontier at its C. */
    static const char *const cols[] = {"params", "tokens", "flop", "loss_observed",
                                       "loss_fit", "loss_frontier", "n_opt", "d_opt", NULL};
    mech_trace *tr = NULL;
    if (repro_trace(r, &tr, MECH_AXIS_STEP, cols)) return 1;
    int rc = 1;
    for (size_t i = 0; i < count; i++) {
        double fitted, nopt, dopt, frontier;
        if (repro_ok(r, mech_chinchilla_loss(&fit, n[i], d[i], &fitted), "law") ||
            repro_ok(r, mech_chinchilla_compute_optimal(&fit, rows[i].c, &nopt, &dopt),
                     "compute-optimal") ||
            repro_ok(r, mech_chinchilla_loss(&fit, nopt, dopt, &frontier), "law"))
            goto out;
        double v[8] = {n[i], d[i], rows[i].c, loss[i], fitted, frontier, nopt, dopt};
        if (repro_ok(r, mech_trace_append(tr, (double)i, v, 8), "trace row")) goto out;
    }
    static const char *const keys[] = {"E", "A", "B", "alpha", "beta", "se_E", "se_A",
                                       "se_B", "se_alpha", "se_beta"};
    const double vals[] = {fit.E, fit.A, fit.B, fit.alpha, fit.beta, fit.se_E, fit.se_A,
                           fit.se_B, fit.se_alpha, fit.se_beta};
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++)
        if (repro_ok(r, mech_trace_set_meta_f64(tr, keys[k], vals[k]), "metadata")) goto out;
    mech_comparison cmp;
    if (repro_compare(r, tr, "loss_fit", "loss_observed", 0.0, &cmp)) goto out;
    /* Besiroglu et al. 2024 report E 1.82, alpha 0.348, beta 0.366 to
     * three digits: 1% covers the rounding and the optimizer's stopping
     * point on a flat valley; A 482 +- 125 and B 2085 +- 1293 (one
     * published standard error). */
    repro_check(r, "alpha: |fit / 0.348 - 1|", fabs(fit.alpha / 0.348 - 1.0), 0.01,
                REPRO_AT_MOST);
    repro_check(r, "beta: |fit / 0.366 - 1|", fabs(fit.beta / 0.366 - 1.0), 0.01, REPRO_AT_MOST);
    repro_check(r, "E: |fit / 1.82 - 1|", fabs(fit.E / 1.82 - 1.0), 0.01, REPRO_AT_MOST);
    repro_check(r, "A: |fit - 482| / 125", fabs(fit.A - 482.0) / 125.0, 1.0, REPRO_AT_MOST);
    repro_check(r, "B: |fit - 2085| / 1293", fabs(fit.B - 2085.0) / 1293.0, 1.0, REPRO_AT_MOST);
    /* b bootstrap resamples estimate a standard error to ~1/sqrt(2b)
     * (7% at b = 100); the published ones come from a different refit:
     * a factor 2 either way. */
    repro_check(r, "bootstrap se_A vs published 125: |log2 ratio|",
                fabs(log2(fit.se_A / 125.0)), 1.0, REPRO_AT_MOST);
    repro_check(r, "bootstrap se_B vs published 1293: |log2 ratio|",
                fabs(log2(fit.se_B / 1293.0)), 1.0, REPRO_AT_MOST);
    /* The 95% intervals hold the point estimates. */
    bool inside = fit.lo_alpha < fit.alpha && fit.alpha < fit.hi_alpha &&
                  fit.lo_beta < fit.beta && fit.beta < fit.hi_beta && fit.lo_E < fit.E &&
                  fit.E < fit.hi_E;
    repro_check(r, "95% intervals of E, alpha, beta hold the fit", inside ? 1.0 : 0.0, 1.0,
                REPRO_AT_LEAST);
    char msg[200];
    snprintf(msg, sizeof msg, "E=%.3f A=%.0f B=%.0f alpha=%.3f beta=%.3f; mean |rel. residual| %.3f",
             fit.E, fit.A, fit.B, fit.alpha, fit.beta, cmp.mean_rel);
    repro_progress(r, 0.95, msg);
    if (repro_save_trace(r, tr, "chinchilla")) goto out;
    char title[160];
    snprintf(title, sizeof title, "fit: E=%.2f  A=%.0f  B=%.0f  alpha=%.3f  beta=%.3f", fit.E,
             fit.A, fit.B, fit.alpha, fit.beta);
    if (repro_panel(r, title, "training compute C = 6ND (FLOP)", "final loss (nats/token)",
                    "log", "linear") ||
        repro_series(r, "chinchilla", "flop", "loss_frontier", "theory",
                     "fitted law on the compute-optimal frontier") ||
        repro_series(r, "chinchilla", "flop", "loss_observed", "experiment",
                     "Chinchilla runs (Hoffmann et al.)") ||
        repro_series(r, "chinchilla", "flop", "loss_fit", "experiment",
                     "fitted law at each run's (N, D)") ||
        repro_panel(r, "compute-optimal allocation of the fit", "training compute C (FLOP)",
                    "parameters N, tokens D", "log", "log") ||
        repro_series(r, "chinchilla", "flop", "n_opt", "theory", "N_opt(C)") ||
        repro_series(r, "chinchilla", "flop", "d_opt", "theory", "D_opt(C)") ||
        repro_series(r, "chinchilla", "flop", "params", "experiment", "runs: N") ||
        repro_series(r, "chinchilla", "flop", "tokens", "experiment", "runs: D"))
        goto out;
    rc = 0;
out:
    mech_trace_destroy(tr);
    return rc;
}

const repro repro_chinchilla = {
    .name = "chinchilla",
    .reference = "Hoffmann et al. 2022; Besiroglu, Erdil, Barnett & You 2024",
    .summary = "Chinchilla law fit on the real runs vs the published replication",
    .quick_size = "245 runs (5 highest losses dropped), 4500-start grid, 100 bootstrap resamples",
    .full_size = "the same fit, 400 bootstrap resamples",
    .run = run,
};
