/* Deep linear networks (THEORY.md section 1): the mode solver and the
 * matrix flow against gradient descent on actual DEEP_LINEAR models. */
#include <stdio.h>

#include "linear_fixtures.h"

#define IN 4
#define OUT 3
#define RANK 3
#define N 8

static const double S[RANK] = {3.0, 1.5, 0.75};

/* End-to-end effective matrix (OUT x IN) = (a_{L-1} W_{L-1}) ... (a_0 W_0). */
static void end_to_end(const mech_model *m, size_t depth, const size_t *widths, double *w)
{
    double prod[64], next[64], layer[64];
    for (size_t i = 0; i < IN * IN; i++) prod[i] = (i % (IN + 1)) == 0;
    for (size_t l = 0; l < depth; l++) {
        size_t r = widths[l + 1], c = widths[l];
        double a, b;
        ck_assert_ok(mech_model_layer_multipliers(m, l, &a, &b));
        ck_assert_ok(mech_model_get_layer_weights(m, l, layer, r * c));
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < IN; j++) {
                double acc = 0.0;
                for (size_t k = 0; k < c; k++) acc += a * layer[i * c + k] * prod[k * IN + j];
                next[i * IN + j] = acc;
            }
        memcpy(prod, next, r * IN * sizeof(double));
    }
    memcpy(w, prod, OUT * IN * sizeof(double));
}

/* Exactly whitened data: X = sqrt(N) Q (Q^T Q = I), Y = X A^T + noise
 * orthogonal to the columns of X, A = U diag(S) V^T. Returns E|y|^2. */
static double whitened_data(double *x, double *y, double *u, double *v)
{
    double q[N * (IN + 1)];
    random_orthonormal(1, N, IN + 1, q);
    random_orthonormal(2, OUT, RANK, u);
    random_orthonormal(3, IN, RANK, v);
    const double e[OUT] = {0.3, -0.2, 0.1};
    double y_sq = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
    for (size_t a = 0; a < RANK; a++) y_sq += S[a] * S[a];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < IN; j++) x[i * IN + j] = sqrt((double)N) * q[i * (IN + 1) + j];
    for (size_t i = 0; i < N; i++)
        for (size_t o = 0; o < OUT; o++) {
            double acc = sqrt((double)N) * q[i * (IN + 1) + IN] * e[o];
            for (size_t j = 0; j < IN; j++)
                for (size_t a = 0; a < RANK; a++)
                    acc += x[i * IN + j] * v[j * RANK + a] * S[a] * u[o * RANK + a];
            y[i * OUT + o] = acc;
        }
    return y_sq;
}

typedef struct gd_result {
    double max_err_rel; /* max over modes of (max_t |u_meas - u_pred|) / s_a */
    double max_loss_err; /* max |model loss - mech_saxe_loss(measured u)| */
} gd_result;

/* GD with rate eta from the aligned balanced init; every `every` steps the
 * mode strengths are measured and compared with mech_saxe_modes through
 * mech_trace_compare on the time axis. */
static gd_result run_aligned_gd(size_t depth, double u0, double eta, double t_end)
{
    double x[N * IN], y[N * OUT], u[OUT * RANK], v[IN * RANK];
    double y_sq = whitened_data(x, y, u, v);
    size_t widths[5] = {IN, 4, 4, 4, OUT};
    widths[depth] = OUT;
    mech_model *m;
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_DEEP_LINEAR));
    ck_assert_ok(mech_model_set_widths(m, widths, depth + 1));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_INIT, MECH_INIT_ALIGNED));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, u0));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, N));
    ck_assert_ok(mech_model_set_alignment(m, u, v, RANK));
    ck_assert_ok(mech_model_setup(m));
    /* GD on stored weights is GF at t = eta k on effective weights only
     * when every multiplier is 1 (SP). */
    for (size_t l = 0; l < depth; l++) {
        double a, b;
        ck_assert_ok(mech_model_layer_multipliers(m, l, &a, &b));
        ck_assert_msg(a == 1.0, "layer %zu multiplier %g", l, a);
    }
    size_t np = mech_model_num_params(m);
    double *params = malloc(np * sizeof(double)), *grad = malloc(np * sizeof(double));
    double *work = malloc(np * sizeof(double));
    mech_optimizer *opt;
    ck_assert_ok(mech_optimizer_create(&opt, NULL, MECH_OPTIMIZER_GD, np));
    ck_assert_ok(mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta));
    ck_assert_ok(mech_optimizer_setup(opt));

    const size_t every = 10;
    size_t steps = (size_t)ceil(t_end / eta), rows = steps / every + 1;
    double *t = malloc(rows * sizeof(double)), *pred = malloc(rows * RANK * sizeof(double));
    mech_trace *meas, *pr;
    ck_assert_ok(mech_trace_create(&meas, NULL, MECH_AXIS_TIME));
    ck_assert_ok(mech_trace_create(&pr, NULL, MECH_AXIS_TIME));
    const char *cols[RANK] = {"u0", "u1", "u2"};
    for (size_t a = 0; a < RANK; a++) {
        ck_assert_ok(mech_trace_add_column(meas, cols[a], NULL));
        ck_assert_ok(mech_trace_add_column(pr, cols[a], NULL));
    }
    gd_result res = {0.0, 0.0};
    size_t row = 0;
    for (size_t k = 0; k <= steps; k++) {
        double w[OUT * IN], um[RANK];
        bool record = k % every == 0;
        if (record) {
            end_to_end(m, depth, widths, w);
            for (size_t a = 0; a < RANK; a++) {
                double acc = 0.0;
                for (size_t o = 0; o < OUT; o++)
                    for (size_t j = 0; j < IN; j++)
                        acc += u[o * RANK + a] * w[o * IN + j] * v[j * RANK + a];
                um[a] = acc;
            }
            t[row] = eta * (double)k;
            ck_assert_ok(mech_trace_append(meas, t[row], um, RANK));
            row++;
        }
        double loss = gd_step(m, opt, x, y, N, params, work, grad, np);
        if (record) {
            double l_pred;
            ck_assert_ok(mech_saxe_loss(S, um, RANK, 1, y_sq, &l_pred));
            res.max_loss_err = fmax(res.max_loss_err, fabs(loss - l_pred));
        }
    }
    double u0s[RANK] = {u0, u0, u0};
    mech_flow_report rep = {sizeof rep, 0, 0, 0.0};
    ck_assert_ok(mech_saxe_modes(S, u0s, RANK, depth, t, row, pred, &rep));
    ck_assert_msg(rep.error_estimate < 1e-8, "ODE error estimate %g", rep.error_estimate);
    for (size_t i = 0; i < row; i++) ck_assert_ok(mech_trace_append(pr, t[i], pred + i * RANK, RANK));
    for (size_t a = 0; a < RANK; a++) {
        mech_comparison c = {.size = sizeof c};
        ck_assert_ok(mech_trace_compare(pr, cols[a], meas, cols[a], NAN, NAN, 0.0, &c));
        ck_assert_uint_eq(c.n_points, row);
        res.max_err_rel = fmax(res.max_err_rel, c.max_abs / S[a]);
    }
    mech_trace_destroy(meas);
    mech_trace_destroy(pr);
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    free(params);
    free(grad);
    free(work);
    free(t);
    free(pred);
    return res;
}

/* Time for the weakest mode to reach 99% of its strength, plus 30%. */
static double horizon(size_t depth, double u0)
{
    double s = S[RANK - 1], uf = 0.99 * s, t;
    ck_assert_ok(mech_saxe_learning_time(&s, &u0, &uf, 1, depth, &t));
    return 1.3 * t;
}

static void check_gd_tracks_modes(size_t depth)
{
    const double u0 = 0.01, eta = 1e-3, t_end = horizon(depth, u0);
    gd_result fine = run_aligned_gd(depth, u0, eta, t_end);
    gd_result coarse = run_aligned_gd(depth, u0, 2.0 * eta, t_end);
    fprintf(stderr, "# depth %zu, T = %.2f: max |u_GD - u_pred| / s = %.2e (eta %g), %.2e (eta %g); "
            "loss formula error %.1e\n", depth, t_end, fine.max_err_rel, eta,
            coarse.max_err_rel, 2 * eta, fine.max_loss_err);
    /* Acceptance: within 1% of s over the whole trajectory. */
    ck_assert_double_le(fine.max_err_rel, 0.01);
    /* The remaining gap is GD's O(eta) discretization error, not a model
     * error: it halves with eta (first order; 1.6..2.4 allows the O(eta^2)
     * term). */
    double ratio = coarse.max_err_rel / fine.max_err_rel;
    ck_assert_msg(ratio > 1.6 && ratio < 2.4, "error ratio %g is not first order", ratio);
    /* With the measured strengths the loss formula is exact (W stays
     * U diag(u) V^T): only rounding separates it from the model's loss. */
    ck_assert_double_le(fine.max_loss_err, 1e-10);
}

START_TEST(gd_tracks_modes_depth2) { check_gd_tracks_modes(2); }
END_TEST

START_TEST(gd_tracks_modes_depth3) { check_gd_tracks_modes(3); }
END_TEST

/* The learning time inverts the mode trajectory; for depth 3 the two come
 * from different integrations (u(t) and t(u)). */
START_TEST(learning_time_inverts_modes)
{
    const double s[3] = {2.0, 1.0, 0.5}, u0[3] = {1e-4, 0.3, 0.9}, uf[3] = {1.9, 0.5, 0.6};
    for (size_t depth = 2; depth <= 4; depth++) {
        double t[3];
        ck_assert_ok(mech_saxe_learning_time(s, u0, uf, 3, depth, t));
        for (size_t a = 0; a < 3; a++) {
            double ua;
            ck_assert_ok(mech_saxe_modes(&s[a], &u0[a], 1, depth, &t[a], 1, &ua, NULL));
            /* rtol 1e-11 / 1e-12 integrations: 1e-8 leaves room for both. */
            ck_assert_close(ua, uf[a], 1e-8);
        }
    }
    /* Depth 2 closed form of the schedule: ln(s/u0 - 1) / (2 s). */
    double sh = 2.0, u0s = 1e-6, th;
    ck_assert_ok(mech_saxe_schedule(&sh, &u0s, 1, 2, &th));
    ck_assert_close(th, log(sh / u0s - 1.0) / (2.0 * sh), 1e-14);
    /* Stepwise: stronger modes are learned first, at ~ln(s/u0)/(2s). */
    const double s3[3] = {4.0, 2.0, 1.0}, small[3] = {1e-6, 1e-6, 1e-6};
    double th3[3];
    ck_assert_ok(mech_saxe_schedule(s3, small, 3, 2, th3));
    for (size_t a = 0; a < 3; a++)
        ck_assert_close(th3[a], log(s3[a] / small[a]) / (2.0 * s3[a]), 1e-6);
    ck_assert_ok(mech_saxe_schedule(s3, small, 3, 3, th3));
    ck_assert(th3[0] < th3[1] && th3[1] < th3[2]);
    for (size_t a = 0; a < 3; a++) {
        double ua;
        ck_assert_ok(mech_saxe_modes(&s3[a], &small[a], 1, 3, &th3[a], 1, &ua, NULL));
        ck_assert_close(ua, 0.5 * s3[a], 1e-8);
    }
}
END_TEST

/* The matrix ODE with Sigma_xx = I from an aligned balanced init reduces
 * to the decoupled modes (an independent integration of the same flow). */
START_TEST(matrix_flow_decouples_when_whitened)
{
    double u[OUT * RANK], v[IN * RANK];
    random_orthonormal(2, OUT, RANK, u);
    random_orthonormal(3, IN, RANK, v);
    const double u0 = 0.05, c = cbrt(u0);
    size_t widths[4] = {IN, RANK, RANK, OUT};
    double w0[RANK * IN + RANK * RANK + OUT * RANK], sxx[IN * IN] = {0}, syx[OUT * IN];
    for (size_t i = 0; i < RANK; i++)
        for (size_t j = 0; j < IN; j++) w0[i * IN + j] = c * v[j * RANK + i];
    for (size_t i = 0; i < RANK * RANK; i++) w0[RANK * IN + i] = (i % (RANK + 1)) == 0 ? c : 0.0;
    for (size_t i = 0; i < OUT * RANK; i++) w0[RANK * IN + RANK * RANK + i] = c * u[i];
    for (size_t j = 0; j < IN; j++) sxx[j * IN + j] = 1.0;
    for (size_t o = 0; o < OUT; o++)
        for (size_t j = 0; j < IN; j++) {
            double acc = 0.0;
            for (size_t a = 0; a < RANK; a++) acc += u[o * RANK + a] * S[a] * v[j * RANK + a];
            syx[o * IN + j] = acc;
        }
    double y_sq = S[0] * S[0] + S[1] * S[1] + S[2] * S[2];
    enum { NT = 6 };
    const double t[NT] = {0.0, 0.5, 1.0, 2.0, 4.0, 8.0};
    const size_t np = sizeof w0 / sizeof w0[0];
    double w_out[NT * np], loss[NT], modes[NT * RANK], loss_pred[NT];
    mech_flow_report rep = {sizeof rep, 0, 0, 0.0};
    ck_assert_ok(mech_deep_linear_flow(NULL, 3, widths, sxx, syx, y_sq, w0, t, NT, w_out, loss,
                                       &rep));
    ck_assert_double_le(rep.error_estimate, 1e-8);
    ck_assert_uint_gt(rep.steps, 0);
    double u0s[RANK] = {u0, u0, u0};
    ck_assert_ok(mech_saxe_modes(S, u0s, RANK, 3, t, NT, modes, NULL));
    ck_assert_ok(mech_saxe_loss(S, modes, RANK, NT, y_sq, loss_pred));
    for (size_t i = 0; i < NT; i++) {
        const double *w = w_out + i * np;
        const double *w1 = w + RANK * IN, *w2 = w1 + RANK * RANK;
        for (size_t a = 0; a < RANK; a++) {
            /* u_a^T W2 W1 W0 v_a */
            double left[RANK] = {0}, mid[RANK] = {0}, right[RANK] = {0};
            for (size_t k = 0; k < RANK; k++)
                for (size_t o = 0; o < OUT; o++) left[k] += u[o * RANK + a] * w2[o * RANK + k];
            for (size_t k = 0; k < RANK; k++)
                for (size_t j = 0; j < RANK; j++) mid[j] += left[k] * w1[k * RANK + j];
            for (size_t j = 0; j < RANK; j++)
                for (size_t i2 = 0; i2 < IN; i2++) right[j] += w[j * IN + i2] * v[i2 * RANK + a];
            double ua = 0.0;
            for (size_t j = 0; j < RANK; j++) ua += mid[j] * right[j];
            /* both integrations at rtol <= 1e-10 */
            ck_assert_close(ua, modes[i * RANK + a], 1e-7);
        }
        ck_assert_close(loss[i], loss_pred[i], 1e-7);
    }
}
END_TEST

/* Not decoupled: Gaussian inputs (Sigma_xx far from I), random Gaussian
 * init, depth 3; GD on the model at t = eta k against the matrix ODE.
 * Fills w_gd and w_flow (FV_NT x np each) at t = 0, 0.2, ..., 2. */
enum { FV_NT = 11, FV_MAXP = 64 };

static size_t flow_vs_gd(double eta, double *w_gd, double *w_flow, double *loss_err)
{
    enum { NX = 12, DI = 3, DH = 4, DO = 2 };
    const size_t widths[4] = {DI, DH, DH, DO};
    mech_rng *rng;
    double x[NX * DI], y[NX * DO];
    ck_assert_ok(mech_rng_create_seeded(&rng, 99, 0));
    ck_assert_ok(mech_rng_normal(rng, x, NX * DI, 0.0, 1.0));
    ck_assert_ok(mech_rng_normal(rng, y, NX * DO, 0.0, 1.0));
    mech_rng_destroy(rng);
    for (size_t i = 0; i < NX; i++) x[i * DI + 1] *= 2.0; /* anisotropic */
    double sxx[DI * DI] = {0}, syx[DO * DI] = {0}, y_sq = 0.0;
    for (size_t i = 0; i < NX; i++) {
        for (size_t a = 0; a < DI; a++)
            for (size_t b = 0; b < DI; b++) sxx[a * DI + b] += x[i * DI + a] * x[i * DI + b] / NX;
        for (size_t o = 0; o < DO; o++) {
            for (size_t b = 0; b < DI; b++) syx[o * DI + b] += y[i * DO + o] * x[i * DI + b] / NX;
            y_sq += y[i * DO + o] * y[i * DO + o] / NX;
        }
    }
    mech_ctx *ctx;
    ck_assert_ok(mech_ctx_create(&ctx));
    mech_model *m;
    ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_DEEP_LINEAR));
    ck_assert_ok(mech_model_set_widths(m, widths, 4));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, NX));
    ck_assert_ok(mech_model_setup(m));
    size_t np = mech_model_num_params(m), off = 0;
    ck_assert_uint_le(np, FV_MAXP);
    double w0[FV_MAXP], params[FV_MAXP], work[FV_MAXP], grad[FV_MAXP];
    for (size_t l = 0; l < 3; l++) {
        double a, b;
        size_t sz = widths[l + 1] * widths[l];
        ck_assert_ok(mech_model_layer_multipliers(m, l, &a, &b));
        ck_assert_msg(a == 1.0, "SP multiplier %g", a);
        ck_assert_ok(mech_model_get_layer_weights(m, l, w0 + off, sz));
        for (size_t i = 0; i < sz; i++) w0[off + i] *= a;
        off += sz;
    }
    ck_assert_uint_eq(off, np);
    size_t steps = (size_t)llround(2.0 / eta), every = steps / (FV_NT - 1);
    double t[FV_NT], loss_flow[FV_NT];
    for (size_t i = 0; i < FV_NT; i++) t[i] = eta * (double)(i * every);
    ck_assert_ok(mech_deep_linear_flow(ctx, 3, widths, sxx, syx, y_sq, w0, t, FV_NT, w_flow,
                                       loss_flow, NULL));
    mech_optimizer *opt;
    ck_assert_ok(mech_optimizer_create(&opt, NULL, MECH_OPTIMIZER_GD, np));
    ck_assert_ok(mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta));
    ck_assert_ok(mech_optimizer_setup(opt));
    *loss_err = 0.0;
    for (size_t k = 0; k <= steps; k++) {
        double loss = gd_step(m, opt, x, y, NX, params, work, grad, np);
        if (k % every) continue;
        size_t i = k / every;
        memcpy(w_gd + i * np, params, np * sizeof(double));
        *loss_err = fmax(*loss_err, fabs(loss - loss_flow[i]) / loss_flow[0]);
    }
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
    mech_ctx_destroy(ctx);
    return np;
}

START_TEST(matrix_flow_matches_gd_unwhitened)
{
    double fine[FV_NT * FV_MAXP], coarse[FV_NT * FV_MAXP], flow[FV_NT * FV_MAXP], lerr, lerr2;
    size_t np = flow_vs_gd(1e-3, fine, flow, &lerr);
    flow_vs_gd(2e-3, coarse, flow, &lerr2); /* same flow: t = 0, 0.2, ..., 2 */
    double err = 0.0, err_rich = 0.0, scale = 0.0;
    for (size_t i = 0; i < FV_NT * np; i++) {
        err = fmax(err, fabs(fine[i] - flow[i]));
        err_rich = fmax(err_rich, fabs(2.0 * fine[i] - coarse[i] - flow[i]));
        scale = fmax(scale, fabs(flow[i]));
    }
    err /= scale;
    err_rich /= scale;
    fprintf(stderr, "# matrix flow vs GD (eta 1e-3): weight error %.2e, Richardson-extrapolated "
            "GD %.2e; loss error %.2e\n", err, err_rich, lerr);
    /* GD is GF plus O(eta): about 1e-3 relative at eta = 1e-3, and the
     * extrapolation 2 W_eta - W_2eta removes the first-order term, leaving
     * O(eta^2) ~ 1e-6 (bound 1e-4: two orders below the raw error). */
    ck_assert_double_le(err, 5e-3);
    ck_assert_double_le(lerr, 5e-3);
    ck_assert_double_le(err_rich, 1e-4);
}
END_TEST

START_TEST(bad_input)
{
    double s[2] = {1.0, 2.0}, u0[2] = {0.1, 0.1}, t[2] = {0.0, 1.0}, u[4], l[2];
    ck_assert_fails_with(mech_saxe_modes(NULL, u0, 2, 2, t, 2, u, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_saxe_modes(s, u0, 0, 2, t, 2, u, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_saxe_modes(s, u0, 2, 1, t, 2, u, NULL), MECH_EINVAL);
    double neg[2] = {-1.0, 2.0}, nan2[2] = {NAN, 1.0}, back[2] = {1.0, 0.5};
    ck_assert_fails_with(mech_saxe_modes(neg, u0, 2, 2, t, 2, u, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_saxe_modes(s, neg, 2, 3, t, 2, u, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_saxe_modes(s, nan2, 2, 2, t, 2, u, NULL), MECH_ENONFINITE);
    ck_assert_fails_with(mech_saxe_modes(s, u0, 2, 2, back, 2, u, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_saxe_modes(s, u0, 2, 2, neg, 2, u, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_saxe_loss(s, u0, 2, 1, 1.0, l), MECH_ERANGE); /* y_sq < 5 */
    ck_assert_fails_with(mech_saxe_loss(neg, u0, 2, 1, 10.0, l), MECH_ERANGE);
    ck_assert_fails_with(mech_saxe_loss(s, nan2, 2, 1, 10.0, l), MECH_ENONFINITE);
    ck_assert_fails_with(mech_saxe_loss(s, u0, 2, 0, 10.0, l), MECH_EINVAL);
    double uf[2] = {3.0, 0.5};
    ck_assert_fails_with(mech_saxe_learning_time(s, u0, uf, 2, 2, l), MECH_ERANGE);
    ck_assert_fails_with(mech_saxe_learning_time(s, u0, NULL, 2, 2, l), MECH_EINVAL);
    ck_assert_fails_with(mech_saxe_learning_time(s, u0, uf, 2, 0, l), MECH_EINVAL);
    double big[2] = {0.9, 0.9};
    ck_assert_fails_with(mech_saxe_schedule(s, big, 2, 2, l), MECH_ERANGE);
    ck_assert_fails_with(mech_saxe_schedule(s, u0, 2, 2, NULL), MECH_EINVAL);

    size_t widths[3] = {2, 2, 1};
    double sxx[4] = {1, 0.5, 0.5, 1}, syx[2] = {1, 0}, w0[6] = {1, 0, 0, 1, 1, 1}, wo[12];
    ck_assert_ok(mech_deep_linear_flow(NULL, 2, widths, sxx, syx, 1.0, w0, t, 2, wo, NULL, NULL));
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 1, widths, sxx, syx, 1.0, w0, t, 2, wo,
                                               NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 2, widths, sxx, syx, 1.0, w0, t, 2, NULL,
                                               NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 2, widths, sxx, syx, -1.0, w0, t, 2, wo,
                                               NULL, NULL), MECH_ERANGE);
    size_t zero_w[3] = {2, 0, 1};
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 2, zero_w, sxx, syx, 1.0, w0, t, 2, wo,
                                               NULL, NULL), MECH_EINVAL);
    double asym[4] = {1, 0.5, 0.4, 1}, wnan[6] = {1, 0, 0, NAN, 1, 1};
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 2, widths, asym, syx, 1.0, w0, t, 2, wo,
                                               NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 2, widths, sxx, syx, 1.0, wnan, t, 2, wo,
                                               NULL, NULL), MECH_ENONFINITE);
    ck_assert_fails_with(mech_deep_linear_flow(NULL, 2, widths, sxx, syx, 1.0, w0, back, 2, wo,
                                               NULL, NULL), MECH_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deep_linear");
    TCase *tc = tcase_create("deep_linear");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, learning_time_inverts_modes);
    tcase_add_test(tc, matrix_flow_decouples_when_whitened);
    tcase_add_test(tc, gd_tracks_modes_depth2);
    tcase_add_test(tc, gd_tracks_modes_depth3);
    tcase_add_test(tc, matrix_flow_matches_gd_unwhitened);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
