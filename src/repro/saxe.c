/*
 * saxe: stepwise learning of a deep linear network (Saxe, McClelland &
 * Ganguli 2014; THEORY.md section 1). Full-batch GD on a DEEP_LINEAR model
 * with exactly whitened inputs and an aligned balanced small init, against
 * the decoupled mode solver mech_saxe_modes at t = eta k.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repro.h"

#define IN 4
#define OUT 3
#define RANK 3
#define N 8

static const double S[RANK] = {3.0, 1.5, 0.75}; /* singular values of Sigma_yx */
static const double U0 = 1e-3;                   /* initial end-to-end mode strength */

typedef struct setting {
    double x[N * IN], y[N * OUT], u[OUT * RANK], v[IN * RANK];
    double y_sq; /* E|y|^2 */
} setting;

/* q (rows x cols, cols <= rows) with orthonormal columns: Gram-Schmidt
 * (twice) on Gaussian draws of stream. */
static int orthonormal(repro_run *r, uint64_t stream, size_t rows, size_t cols, double *q)
{
    mech_rng *rng = NULL;
    if (repro_ok(r, mech_rng_create(&rng, repro_ctx(r), stream), "creating a generator") ||
        repro_ok(r, mech_rng_normal(rng, q, rows * cols, 0.0, 1.0), "drawing normals")) {
        mech_rng_destroy(rng);
        return 1;
    }
    mech_rng_destroy(rng);
    for (size_t j = 0; j < cols; j++) {
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < j; k++) {
                double dot = 0.0;
                for (size_t i = 0; i < rows; i++) dot += q[i * cols + j] * q[i * cols + k];
                for (size_t i = 0; i < rows; i++) q[i * cols + j] -= dot * q[i * cols + k];
            }
        double nrm = 0.0;
        for (size_t i = 0; i < rows; i++) nrm += q[i * cols + j] * q[i * cols + j];
        for (size_t i = 0; i < rows; i++) q[i * cols + j] /= sqrt(nrm);
    }
    return 0;
}

/* X = sqrt(N) Q with Q^T Q = I (so Sigma_xx = I exactly), Y = X A^T plus
 * a residual orthogonal to X's columns, A = U diag(S) V^T. */
static int make_setting(repro_run *r, setting *d)
{
    double q[N * (IN + 1)];
    if (orthonormal(r, 1, N, IN + 1, q) || orthonormal(r, 2, OUT, RANK, d->u) ||
        orthonormal(r, 3, IN, RANK, d->v))
        return 1;
    const double e[OUT] = {0.3, -0.2, 0.1};
    d->y_sq = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
    for (size_t a = 0; a < RANK; a++) d->y_sq += S[a] * S[a];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < IN; j++) d->x[i * IN + j] = sqrt((double)N) * q[i * (IN + 1) + j];
    for (size_t i = 0; i < N; i++)
        for (size_t o = 0; o < OUT; o++) {
            double acc = sqrt((double)N) * q[i * (IN + 1) + IN] * e[o];
            for (size_t j = 0; j < IN; j++)
                for (size_t a = 0; a < RANK; a++)
                    acc += d->x[i * IN + j] * d->v[j * RANK + a] * S[a] * d->u[o * RANK + a];
            d->y[i * OUT + o] = acc;
        }
    return 0;
}

/* Mode strengths u_a = U_a^T W V_a of the end-to-end map
 * W = (a_{L-1} W_{L-1}) ... (a_0 W_0). */
static int measure_modes(repro_run *r, const mech_model *m, const setting *d, double *um)
{
    double prod[IN * IN], next[IN * IN], layer[IN * IN];
    size_t rows = IN;
    for (size_t i = 0; i < IN * IN; i++) prod[i] = (i % (IN + 1)) == 0;
    for (size_t l = 0; l < mech_model_num_layers(m); l++) {
        size_t r_l = l + 1 == mech_model_num_layers(m) ? OUT : IN;
        double a, b;
        if (repro_ok(r, mech_model_layer_multipliers(m, l, &a, &b), "layer multipliers") ||
            repro_ok(r, mech_model_get_layer_weights(m, l, layer, r_l * rows), "layer weights"))
            return 1;
        for (size_t i = 0; i < r_l; i++)
            for (size_t j = 0; j < IN; j++) {
                double acc = 0.0;
                for (size_t k = 0; k < rows; k++) acc += a * layer[i * rows + k] * prod[k * IN + j];
                next[i * IN + j] = acc;
            }
        memcpy(prod, next, r_l * IN * sizeof(double));
        rows = r_l;
    }
    for (size_t a = 0; a < RANK; a++) {
        double acc = 0.0;
        for (size_t o = 0; o < OUT; o++)
            for (size_t j = 0; j < IN; j++)
                acc += d->u[o * RANK + a] * prod[o * IN + j] * d->v[j * RANK + a];
        um[a] = acc;
    }
    return 0;
}

typedef struct outcome {
    double max_err_rel;   /* max_a max_t |u_GD - u_GF| / s_a */
    double max_loss_rel;  /* max_t |L_GD - L_GF| / L_GF(0) */
    double half_err_rel;  /* max_a |t_half(GD) - t_half(theory)| / t_half(theory) */
} outcome;

static const char *const COLS[] = {"u0_theory", "u1_theory", "u2_theory", "u0_gd", "u1_gd",
                                   "u2_gd", "loss_theory", "loss_gd", NULL};

/* Time at which column col of the trace first reaches level (linear
 * interpolation between rows); NaN if never. */
static double crossing(const double *t, const double *v, size_t n, double level)
{
    for (size_t i = 1; i < n; i++)
        if (v[i - 1] < level && v[i] >= level)
            return t[i - 1] + (t[i] - t[i - 1]) * (level - v[i - 1]) / (v[i] - v[i - 1]);
    return NAN;
}

/* GD at rate eta for depth layers up to t_end, recorded every `every`
 * steps with the theory in the same trace; saved as stem when non-NULL. */
static int run_gd(repro_run *r, const setting *d, size_t depth, double eta, double t_end,
                  const char *stem, outcome *out)
{
    size_t widths[8] = {IN};
    for (size_t l = 1; l < depth; l++) widths[l] = IN;
    widths[depth] = OUT;
    mech_model *m = NULL;
    mech_optimizer *opt = NULL;
    mech_trace *tr = NULL;
    double *params = NULL, *grad = NULL, *t = NULL, *u_th = NULL, *loss_th = NULL;
    int rc = 1;
    if (repro_ok(r, mech_model_create(&m, repro_ctx(r), MECH_MODEL_DEEP_LINEAR), "model") ||
        repro_ok(r, mech_model_set_widths(m, widths, depth + 1), "model widths") ||
        repro_ok(r, mech_model_set_i64(m, MECH_MODEL_INIT, MECH_INIT_ALIGNED), "model init") ||
        repro_ok(r, mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, U0), "model init scale") ||
        repro_ok(r, mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, N), "model batch") ||
        repro_ok(r, mech_model_set_alignment(m, d->u, d->v, RANK), "model alignment") ||
        repro_ok(r, mech_model_setup(m), "model setup"))
        goto out;
    size_t np = mech_model_num_params(m);
    const size_t every = (size_t)fmax(1.0, round(0.02 / eta)); /* a row per 0.02 time */
    size_t steps = (size_t)ceil(t_end / eta), rows = steps / every + 1;
    params = malloc(np * sizeof *params);
    grad = malloc(np * sizeof *grad);
    t = malloc(rows * sizeof *t);
    u_th = malloc(rows * RANK * sizeof *u_th);
    loss_th = malloc(rows * sizeof *loss_th);
    if (!params || !grad || !t || !u_th || !loss_th) {
        repro_fail(r, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rows; i++) t[i] = eta * (double)(i * every);
    double u0s[RANK] = {U0, U0, U0};
    mech_flow_report rep = {sizeof rep, 0, 0, 0.0};
    if (repro_ok(r, mech_saxe_modes(S, u0s, RANK, depth, t, rows, u_th, &rep), "mode solver") ||
        repro_ok(r, mech_saxe_loss(S, u_th, RANK, rows, d->y_sq, loss_th), "mode loss") ||
        repro_ok(r, mech_optimizer_create(&opt, repro_ctx(r), MECH_OPTIMIZER_GD, np), "GD") ||
        repro_ok(r, mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta), "GD rate") ||
        repro_ok(r, mech_optimizer_setup(opt), "GD setup") || repro_trace(r, &tr, MECH_AXIS_TIME, COLS) ||
        repro_ok(r, mech_trace_reserve(tr, rows), "trace"))
        goto out;
    for (size_t k = 0, row = 0; k <= steps; k++) {
        double loss;
        if (repro_ok(r, mech_model_get_params(m, params, np), "parameters") ||
            repro_ok(r, mech_model_gradient(m, MECH_LOSS_MSE, d->x, d->y, N, &loss, grad),
                     "gradient"))
            goto out;
        if (k % every == 0 && row < rows) {
            double vals[8];
            memcpy(vals, u_th + row * RANK, RANK * sizeof(double));
            if (measure_modes(r, m, d, vals + RANK)) goto out;
            vals[6] = loss_th[row];
            vals[7] = loss;
            if (repro_ok(r, mech_trace_append(tr, t[row], vals, 8), "trace row")) goto out;
            row++;
        }
        if (repro_ok(r, mech_optimizer_step(opt, params, grad), "GD step") ||
            repro_ok(r, mech_model_set_params(m, params, np), "parameters"))
            goto out;
    }
    *out = (outcome){0};
    for (size_t a = 0; a < RANK; a++) {
        mech_comparison c;
        if (repro_compare(r, tr, COLS[a], COLS[RANK + a], 0.0, &c)) goto out;
        out->max_err_rel = fmax(out->max_err_rel, c.max_abs / S[a]);
        /* Stepwise: the time each mode reaches half its strength. */
        double *ug = u_th; /* reuse as scratch: the theory is in the trace */
        if (repro_ok(r, mech_trace_column(tr, RANK + a, ug, rows), "trace column")) goto out;
        double t_meas = crossing(t, ug, rows, 0.5 * S[a]), t_pred;
        if (repro_ok(r, mech_saxe_schedule(&S[a], &U0, 1, depth, &t_pred), "schedule")) goto out;
        out->half_err_rel = fmax(out->half_err_rel, fabs(t_meas - t_pred) / t_pred);
        if (isnan(t_meas)) out->half_err_rel = NAN;
    }
    mech_comparison cl;
    if (repro_compare(r, tr, "loss_theory", "loss_gd", 0.0, &cl)) goto out;
    out->max_loss_rel = cl.max_abs / loss_th[0];
    if (repro_ok(r, mech_trace_set_meta_f64(tr, "eta", eta), "trace metadata") ||
        repro_ok(r, mech_trace_set_meta_f64(tr, "depth", (double)depth), "trace metadata") ||
        repro_ok(r, mech_trace_set_meta_f64(tr, "u0", U0), "trace metadata"))
        goto out;
    rc = stem ? repro_save_trace(r, tr, stem) : 0;
out:
    mech_trace_destroy(tr);
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    free(params);
    free(grad);
    free(t);
    free(u_th);
    free(loss_th);
    return rc;
}

/* 1.3 times the time for the weakest mode to reach 99% of its strength. */
static int horizon(repro_run *r, size_t depth, double *t_end)
{
    double s = S[RANK - 1], uf = 0.99 * s;
    if (repro_ok(r, mech_saxe_learning_time(&s, &U0, &uf, 1, depth, t_end), "learning time"))
        return 1;
    *t_end *= 1.3;
    return 0;
}

/* Euler's first-order error for du/dt = 2u(s - u) from u0: the growth per
 * step is ln(1 + 2 eta s) instead of 2 eta s, a relative timing error of
 * ~eta s over the escape time ln(s/u0)/(2s); times the largest slope s^2/2
 * this bounds |u_GD - u_GF| / s by ~eta s ln(s/u0)/4. Tolerance: twice
 * that for the strongest mode (the O(eta^2) remainder and depth > 2). */
static double gd_tolerance(double eta) { return 2.0 * eta * S[0] * log(S[0] / U0) / 4.0; }

static int add_panels(repro_run *r, const char *stem, const char *title)
{
    static const char *const label_th[] = {"theory mode 1 (s=3)", "theory mode 2 (s=1.5)",
                                           "theory mode 3 (s=0.75)"};
    static const char *const label_gd[] = {"GD mode 1", "GD mode 2", "GD mode 3"};
    if (repro_panel(r, title, "time t = eta k", "mode strength u_a(t)", "linear", "linear"))
        return 1;
    for (size_t a = 0; a < RANK; a++)
        if (repro_series(r, stem, "time", COLS[a], "theory", label_th[a]) ||
            repro_series(r, stem, "time", COLS[RANK + a], "experiment", label_gd[a]))
            return 1;
    return 0;
}

static int run(repro_run *r)
{
    const double eta = repro_quick(r) ? 2e-3 : 5e-4;
    setting d;
    if (make_setting(r, &d)) return 1;
    double t2, t3;
    if (horizon(r, 2, &t2) || horizon(r, 3, &t3)) return 1;
    outcome o2, o2c, o3;
    repro_progress(r, 0.05, "depth 2, GD");
    if (run_gd(r, &d, 2, eta, t2, "saxe_depth2", &o2)) return 1;
    repro_progress(r, 0.4, "depth 2, GD at twice the rate (order check)");
    if (run_gd(r, &d, 2, 2 * eta, t2, NULL, &o2c)) return 1;
    repro_progress(r, 0.6, "depth 3, GD");
    if (run_gd(r, &d, 3, eta, t3, "saxe_depth3", &o3)) return 1;

    const double tol = gd_tolerance(eta);
    repro_check(r, "depth 2: max_t |u_GD - u_theory| / s", o2.max_err_rel, tol, REPRO_AT_MOST);
    repro_check(r, "depth 3: max_t |u_GD - u_theory| / s", o3.max_err_rel, tol, REPRO_AT_MOST);
    /* The timing error of a mode is ~eta s relative (see gd_tolerance). */
    repro_check(r, "depth 2: half-strength time, rel. error", o2.half_err_rel, 2 * eta * S[0],
                REPRO_AT_MOST);
    /* What remains is discretization: first order, halving with eta. */
    repro_check(r, "|err(2 eta)/err(eta) - 2| (first order)",
                fabs(o2c.max_err_rel / o2.max_err_rel - 2.0), 0.4, REPRO_AT_MOST);
    repro_check(r, "depth 2: max_t |L_GD - L_theory| / L(0)", o2.max_loss_rel, tol,
                REPRO_AT_MOST);
    if (add_panels(r, "saxe_depth2", "depth 2: modes learned one after another") ||
        add_panels(r, "saxe_depth3", "depth 3: sharper, later steps"))
        return 1;
    if (repro_panel(r, "loss", "time t = eta k", "training loss (1/2 MSE)", "linear", "log") ||
        repro_series(r, "saxe_depth2", "time", "loss_theory", "theory", "theory, depth 2") ||
        repro_series(r, "saxe_depth2", "time", "loss_gd", "experiment", "GD, depth 2") ||
        repro_series(r, "saxe_depth3", "time", "loss_theory", "theory", "theory, depth 3") ||
        repro_series(r, "saxe_depth3", "time", "loss_gd", "experiment", "GD, depth 3"))
        return 1;
    return 0;
}

const repro repro_saxe = {
    .name = "saxe",
    .reference = "Saxe, McClelland & Ganguli, ICLR 2014",
    .summary = "deep linear net: GD mode strengths vs decoupled mode ODE",
    .quick_size = "3 modes (s = 3, 1.5, 0.75), u0 = 1e-3, depths 2 and 3, eta = 2e-3",
    .full_size = "same network, eta = 5e-4",
    .run = run,
};
