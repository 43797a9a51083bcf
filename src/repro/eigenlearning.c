/*
 * eigenlearning: kernel ridge regression learning curves (Simon, Dickens,
 * Karkada & DeWeese, TMLR 2023; Bordelon, Canatar & Pehlevan 2020;
 * THEORY.md section 3). Test and train MSE of KRR against n at three
 * ridges: mech_eigenlearning against simulations averaged over datasets.
 *
 * Setting: a linear kernel on Gaussian inputs with covariance diag(lambda),
 * so the eigenfunctions under the data measure are independent standard
 * normal coordinates (the regime in which the theory is asymptotically
 * exact); power-law spectrum lambda_i = i^-1.5 and target v_i^2 = i^-1.3,
 * label noise of standard deviation 0.3. The test error is exact given the
 * learned coefficients (no test set): sum_i (c_i - v_i)^2 + noise_var.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "repro.h"

#define N_RIDGES 3
#define NOISE_SD 0.3
#define MAX_N 16

static const double RIDGES[N_RIDGES] = {1e-3, 1e-2, 1e-1};

typedef struct sizes {
    size_t p;          /* kernel modes */
    size_t n_ns;       /* simulated sample sizes, doubling from 8 */
    size_t draws;      /* datasets per (n, ridge) */
} sizes;

typedef struct problem {
    size_t p;
    double *lam, *coef;
} problem;

typedef struct stat {
    double test, test_se, train, train_se;
} stat;

/* KRR over `draws` datasets of n samples: mean and standard error of the
 * test and train MSE (see the file comment). Workspace from the caller. */
static int simulate(repro_run *r, const problem *pb, size_t n, double ridge, size_t draws,
                    mech_rng *rng, double *work, stat *out)
{
    size_t p = pb->p;
    double *phix = work, *lphix = phix + n * p, *kxx = lphix + n * p, *alpha = kxx + n * n;
    double *c = alpha + n;
    double s_te = 0, s2_te = 0, s_tr = 0, s2_tr = 0;
    for (size_t d = 0; d < draws; d++) {
        if (repro_ok(r, mech_rng_normal(rng, phix, n * p, 0.0, 1.0), "features") ||
            repro_ok(r, mech_rng_normal(rng, alpha, n, 0.0, NOISE_SD), "label noise"))
            return 1;
        for (size_t s = 0; s < n; s++) {
            double f = 0.0;
            for (size_t i = 0; i < p; i++) {
                lphix[s * p + i] = pb->lam[i] * phix[s * p + i];
                f += pb->coef[i] * phix[s * p + i];
            }
            alpha[s] += f; /* the labels y */
        }
        /* alpha = (K + ridge I)^-1 y with K = Phi diag(lambda) Phi^T */
        if (repro_ok(r, mech_gemm(NULL, false, true, n, n, p, 1.0, phix, p, lphix, p, 0.0, kxx, n),
                     "kernel matrix"))
            return 1;
        for (size_t s = 0; s < n; s++) kxx[s * n + s] += ridge;
        if (repro_ok(r, mech_cholesky_solve(NULL, n, 1, kxx, n, alpha, 1), "KRR solve") ||
            repro_ok(r, mech_gemv(NULL, true, n, p, 1.0, lphix, p, alpha, 0.0, c), "coefficients"))
            return 1;
        double te = NOISE_SD * NOISE_SD, tr = 0.0;
        for (size_t i = 0; i < p; i++) te += (c[i] - pb->coef[i]) * (c[i] - pb->coef[i]);
        /* f(x_s) = y_s - ridge alpha_s */
        for (size_t s = 0; s < n; s++) tr += ridge * alpha[s] * ridge * alpha[s] / (double)n;
        s_te += te, s2_te += te * te, s_tr += tr, s2_tr += tr * tr;
    }
    double D = (double)draws;
    out->test = s_te / D;
    out->test_se = sqrt(fmax(s2_te / D - out->test * out->test, 0.0) / (D - 1.0));
    out->train = s_tr / D;
    out->train_se = sqrt(fmax(s2_tr / D - out->train * out->train, 0.0) / (D - 1.0));
    return 0;
}

/* Column names per ridge j: test_theory_j, test_sim_j, test_sim_j_se,
 * train_theory_j, train_sim_j, train_sim_j_se. */
static void col_name(char *buf, size_t cap, const char *what, size_t j)
{
    snprintf(buf, cap, what, j);
}

static const char *const FMT[6] = {"test_theory_%zu", "test_sim_%zu",  "test_sim_%zu_se",
                                   "train_theory_%zu", "train_sim_%zu", "train_sim_%zu_se"};

static int run(repro_run *r)
{
    const sizes sz = repro_quick(r) ? (sizes){200, 5, 80} : (sizes){600, 7, 300};
    problem pb = {sz.p, malloc(sz.p * sizeof(double)), malloc(sz.p * sizeof(double))};
    size_t n_max = (size_t)8 << (sz.n_ns - 1);
    double *work = malloc((2 * n_max * sz.p + n_max * n_max + n_max + sz.p) * sizeof(double));
    mech_rng *rng = NULL;
    mech_trace *tr = NULL;
    int rc = 1;
    if (!pb.lam || !pb.coef || !work) {
        repro_fail(r, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sz.p; i++) {
        pb.lam[i] = pow((double)(i + 1), -1.5);
        pb.coef[i] = pow((double)(i + 1), -0.65) * ((i % 3) ? 1.0 : -1.0);
    }
    if (repro_ok(r, mech_rng_create(&rng, repro_ctx(r), 1), "generator") ||
        repro_trace(r, &tr, MECH_AXIS_SAMPLES, NULL))
        goto out;
    for (size_t j = 0; j < N_RIDGES; j++)
        for (size_t f = 0; f < 6; f++) {
            char name[32];
            col_name(name, sizeof name, FMT[f], j);
            if (repro_ok(r, mech_trace_add_column(tr, name, NULL), "trace column")) goto out;
        }
    /* Rows: the theory on a fine log grid of n (4 per octave) from 4 to
     * n_max; simulated points at n = 8, 16, ... fall on the grid. */
    double worst = 0.0, worst_train = 0.0;
    size_t sims = 0;
    for (size_t g = 0; g <= 4 * sz.n_ns; g++) {
        double n = 4.0 * pow(2.0, g / 4.0);
        bool simulated = g % 4 == 0 && g >= 4 && g / 4 <= sz.n_ns;
        if (repro_ok(r, mech_trace_begin_row(tr, n), "trace row")) goto out;
        for (size_t j = 0; j < N_RIDGES; j++) {
            mech_eigenlearning_result th = {.size = sizeof th};
            if (repro_ok(r, mech_eigenlearning(pb.lam, pb.coef, sz.p, n, RIDGES[j],
                                               NOISE_SD * NOISE_SD, NULL, &th),
                         "eigenlearning"))
                goto out;
            size_t base = 6 * j;
            if (repro_ok(r, mech_trace_put(tr, base, th.test_mse), "trace") ||
                repro_ok(r, mech_trace_put(tr, base + 3, th.train_mse), "trace"))
                goto out;
            if (!simulated) continue;
            char msg[64];
            snprintf(msg, sizeof msg, "KRR simulations, n = %.0f", n);
            repro_progress(r, (double)sims++ / (double)(N_RIDGES * sz.n_ns), msg);
            stat st;
            if (simulate(r, &pb, (size_t)llround(n), RIDGES[j], sz.draws, rng, work, &st))
                goto out;
            double vals[4] = {st.test, st.test_se, st.train, st.train_se};
            size_t at[4] = {1, 2, 4, 5};
            for (size_t v = 0; v < 4; v++)
                if (repro_ok(r, mech_trace_put(tr, base + at[v], vals[v]), "trace")) goto out;
            /* Budget per point: 4 standard errors (about 30 comparisons:
             * a Bonferroni bound at 1% needs 3.8) plus the theory's own
             * O(1/n) finite-size error, taken as 1/n relative. */
            worst = fmax(worst, fabs(st.test - th.test_mse) / (4 * st.test_se + th.test_mse / n));
            worst_train = fmax(worst_train, fabs(st.train - th.train_mse) /
                                                (4 * st.train_se + th.train_mse / n));
        }
    }
    /* The trace comparison's summary over every simulated point. */
    double mean_rel = 0.0;
    for (size_t j = 0; j < N_RIDGES; j++) {
        char pred[32], meas[32];
        col_name(pred, sizeof pred, FMT[0], j);
        col_name(meas, sizeof meas, FMT[1], j);
        mech_comparison c;
        if (repro_compare(r, tr, pred, meas, 0.0, &c)) goto out;
        mean_rel = fmax(mean_rel, c.mean_rel);
    }
    repro_check(r, "test MSE: max |sim - theory| / (4 se + theory/n)", worst, 1.0,
                REPRO_AT_MOST);
    repro_check(r, "train MSE: max |sim - theory| / (4 se + theory/n)", worst_train, 1.0,
                REPRO_AT_MOST);
    /* Mean relative error over n >= 8: the 1/n budget at n = 8 bounds it. */
    repro_check(r, "test MSE: worst ridge's mean relative error", mean_rel, 1.0 / 8.0,
                REPRO_AT_MOST);
    if (repro_save_trace(r, tr, "eigenlearning")) goto out;
    static const char *const ridge_label[N_RIDGES] = {"ridge 1e-3", "ridge 1e-2", "ridge 1e-1"};
    for (size_t panel = 0; panel < 2; panel++) {
        if (repro_panel(r, panel ? "train error" : "test error (label noise 0.09)",
                        "training samples n", panel ? "train MSE" : "test MSE", "log", "log"))
            goto out;
        for (size_t j = 0; j < N_RIDGES; j++) {
            char th[32], sim[32], lt[48], ls[48];
            col_name(th, sizeof th, FMT[3 * panel], j);
            col_name(sim, sizeof sim, FMT[3 * panel + 1], j);
            snprintf(lt, sizeof lt, "theory, %s", ridge_label[j]);
            snprintf(ls, sizeof ls, "KRR, %s", ridge_label[j]);
            if (repro_series(r, "eigenlearning", "samples", th, "theory", lt) ||
                repro_series(r, "eigenlearning", "samples", sim, "experiment", ls))
                goto out;
        }
    }
    rc = 0;
out:
    mech_trace_destroy(tr);
    mech_rng_destroy(rng);
    free(pb.lam);
    free(pb.coef);
    free(work);
    return rc;
}

const repro repro_eigenlearning = {
    .name = "eigenlearning",
    .reference = "Simon, Dickens, Karkada & DeWeese, TMLR 2023",
    .summary = "KRR test/train MSE vs n at 3 ridges: eigenlearning vs simulation",
    .quick_size = "200 modes, n = 8..128, 80 datasets per point",
    .full_size = "600 modes, n = 8..512, 300 datasets per point",
    .run = run,
};
