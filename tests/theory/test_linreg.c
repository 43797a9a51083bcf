/* Linear regression per eigenmode (THEORY.md section 2) against the
 * library's LINEAR model trained by GD with L2 weight decay, on data whose
 * sample covariance is exactly diagonal. */
#include "compare_fixture.h"
#include "linear_fixtures.h"

#define D 4
#define NX 12

static const double LAMBDA[D] = {2.0, 1.0, 0.5, 0.1};
static const double WSTAR[D] = {1.0, -0.5, 2.0, 1.5};
static const double NOISE_VAR = 0.09;

/* X = sqrt(n) Q diag(sqrt(lambda)) so X^T X / n = diag(lambda); the label
 * noise lies along a further orthonormal column, so X^T noise = 0 and the
 * training loss equals the population formula exactly. */
static void diagonal_data(double *x, double *y)
{
    double q[NX * (D + 1)];
    random_orthonormal(11, NX, D + 1, q);
    double rn = sqrt((double)NX);
    for (size_t i = 0; i < NX; i++) {
        y[i] = rn * sqrt(NOISE_VAR) * q[i * (D + 1) + D];
        for (size_t k = 0; k < D; k++) {
            x[i * D + k] = rn * q[i * (D + 1) + k] * sqrt(LAMBDA[k]);
            y[i] += x[i * D + k] * WSTAR[k];
        }
    }
}

static mech_model *linear_model(double *w0)
{
    mech_model *m;
    const size_t widths[2] = {D, 1};
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_LINEAR));
    ck_assert_ok(mech_model_set_widths(m, widths, 2));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, NX));
    ck_assert_ok(mech_model_setup(m));
    double a, b;
    ck_assert_ok(mech_model_layer_multipliers(m, 0, &a, &b));
    ck_assert_msg(a == 1.0, "SP multiplier %g", a); /* else GD is not GF at t = eta k */
    ck_assert_ok(mech_model_get_params(m, w0, D));
    return m;
}

START_TEST(gd_with_weight_decay_matches_modes)
{
    const double eta = 0.3, ridge = 0.1;
    double x[NX * D], y[NX], w0[D], w[D], work[D], grad[D];
    diagonal_data(x, y);
    mech_model *m = linear_model(w0);
    mech_optimizer *opt;
    ck_assert_ok(mech_optimizer_create(&opt, NULL, MECH_OPTIMIZER_GD, D));
    ck_assert_ok(mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta));
    ck_assert_ok(mech_optimizer_set_f64(opt, MECH_OPTIMIZER_WEIGHT_DECAY, ridge));
    ck_assert_ok(mech_optimizer_setup(opt));
    enum { NK = 61 };
    double steps[NK], t[NK], per_mode[NK * D], loss[NK], obj[NK];
    double meas_loss[NK], meas_obj[NK], meas_mode[D][NK], pred_mode[D][NK];
    for (size_t k = 0; k < NK; k++) steps[k] = (double)k, t[k] = eta * (double)k;
    ck_assert_ok(mech_linreg_modes(LAMBDA, WSTAR, w0, D, ridge, NOISE_VAR, steps, NK, true, eta,
                                   per_mode, loss, obj));
    for (size_t k = 0; k < NK; k++) {
        double norm2 = 0.0;
        meas_loss[k] = gd_step(m, opt, x, y, NX, w, work, grad, D);
        for (size_t j = 0; j < D; j++) {
            double e = w[j] - WSTAR[j];
            meas_mode[j][k] = 0.5 * LAMBDA[j] * e * e;
            pred_mode[j][k] = per_mode[k * D + j];
            norm2 += w[j] * w[j];
        }
        meas_obj[k] = meas_loss[k] + 0.5 * ridge * norm2;
    }
    /* Time axis t = eta k. Only rounding separates them (about 60 steps of
     * a few flops): 1e-10 relative to max(|prediction|, 1) (rel_floor 1). */
    ck_assert_double_le(compare_pointwise("linreg GD loss", t, loss, meas_loss, NULL, NK, 1.0)
                            .max_rel, 1e-10);
    ck_assert_double_le(compare_pointwise("linreg GD objective", t, obj, meas_obj, NULL, NK, 1.0)
                            .max_rel, 1e-10);
    for (size_t j = 0; j < D; j++) {
        char name[48];
        snprintf(name, sizeof name, "linreg GD mode %zu", j);
        ck_assert_double_le(
            compare_pointwise(name, t, pred_mode[j], meas_mode[j], NULL, NK, 1.0).max_rel, 1e-10);
    }
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
}
END_TEST

/* Gradient flow of the model's own gradient plus the ridge term,
 * integrated by mech_ode, against the closed-form relaxation. */
typedef struct flow_ud {
    mech_model *m;
    const double *x, *y;
    double ridge;
} flow_ud;

static int model_flow(double t, const double *w, double *dw, void *ud)
{
    (void)t;
    flow_ud *f = ud;
    if (mech_model_set_params(f->m, w, D) < 0) return -1;
    if (mech_model_gradient(f->m, MECH_LOSS_MSE, f->x, f->y, NX, NULL, dw) < 0) return -1;
    for (size_t k = 0; k < D; k++) dw[k] = -dw[k] - f->ridge * w[k];
    return 0;
}

START_TEST(gradient_flow_matches_ode)
{
    double x[NX * D], y[NX], w0[D];
    diagonal_data(x, y);
    mech_model *m = linear_model(w0);
    for (int r = 0; r < 2; r++) {
        flow_ud f = {m, x, y, r ? 0.25 : 0.0};
        mech_ode *ode;
        ck_assert_ok(mech_ode_create(&ode, NULL, D, model_flow, &f));
        ck_assert_ok(mech_ode_set_f64(ode, MECH_ODE_RTOL, 1e-12));
        ck_assert_ok(mech_ode_set_f64(ode, MECH_ODE_ATOL, 1e-14));
        enum { NT = 5 };
        const double t[NT] = {0.0, 0.3, 1.0, 4.0, 20.0};
        double traj[NT * D], per_mode[NT * D], loss[NT], obj[NT];
        ck_assert_ok(mech_ode_solve(ode, 0.0, w0, t, NT, traj));
        ck_assert_ok(mech_linreg_modes(LAMBDA, WSTAR, w0, D, f.ridge, NOISE_VAR, t, NT, false,
                                       0.0, per_mode, loss, obj));
        double meas_loss[NT], meas_mode[D][NT], pred_mode[D][NT];
        for (size_t i = 0; i < NT; i++) {
            meas_loss[i] = 0.5 * NOISE_VAR;
            for (size_t k = 0; k < D; k++) {
                double e = traj[i * D + k] - WSTAR[k];
                meas_mode[k][i] = 0.5 * LAMBDA[k] * e * e;
                pred_mode[k][i] = per_mode[i * D + k];
                meas_loss[i] += meas_mode[k][i];
            }
        }
        /* rtol 1e-12 integration: 1e-9 relative to max(|prediction|, 1) is
         * ample. */
        char name[48];
        snprintf(name, sizeof name, "linreg GF loss, ridge %g", f.ridge);
        ck_assert_double_le(compare_pointwise(name, t, loss, meas_loss, NULL, NT, 1.0).max_rel,
                            1e-9);
        for (size_t k = 0; k < D; k++) {
            snprintf(name, sizeof name, "linreg GF mode %zu, ridge %g", k, f.ridge);
            ck_assert_double_le(
                compare_pointwise(name, t, pred_mode[k], meas_mode[k], NULL, NT, 1.0).max_rel,
                1e-9);
        }
        mech_ode_destroy(ode);
    }
    /* Long-time limit with ridge: the ridge bias sum 1/2 lambda d^2 w*^2 /
     * (lambda + d)^2 plus noise/2. */
    const double ridge = 0.25, t_inf = 1e4;
    double lim, expect = 0.5 * NOISE_VAR;
    for (size_t k = 0; k < D; k++) {
        double rate = LAMBDA[k] + ridge;
        expect += 0.5 * LAMBDA[k] * ridge * ridge * WSTAR[k] * WSTAR[k] / (rate * rate);
    }
    ck_assert_ok(mech_linreg_modes(LAMBDA, WSTAR, w0, D, ridge, NOISE_VAR, &t_inf, 1, false,
                                   0.0, NULL, &lim, NULL));
    ck_assert_close(lim, expect, 1e-13);
    mech_model_destroy(m);
}
END_TEST

START_TEST(bad_input)
{
    double t[2] = {0.0, 1.0}, out[8], l[2];
    ck_assert_fails_with(mech_linreg_modes(NULL, WSTAR, WSTAR, D, 0, 0, t, 2, false, 0, out, l,
                                           NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, 0, 0, 0, t, 2, false, 0, out, l,
                                           NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, 0, 0, t, 2, false, 0, NULL,
                                           NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, -1, 0, t, 2, false, 0, out,
                                           l, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, 0, -1, t, 2, false, 0, out,
                                           l, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, 0, NAN, t, 2, false, 0, out,
                                           l, NULL), MECH_ENONFINITE);
    double neg[D] = {1, -1, 1, 1}, half[2] = {0.0, 1.5}, tneg[2] = {-1.0, 0.0};
    ck_assert_fails_with(mech_linreg_modes(neg, WSTAR, WSTAR, D, 0, 0, t, 2, false, 0, out, l,
                                           NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, 0, 0, tneg, 2, false, 0,
                                           out, l, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, 0, 0, half, 2, true, 0.1,
                                           out, l, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_linreg_modes(LAMBDA, WSTAR, WSTAR, D, 0, 0, t, 2, true, 0.0, out,
                                           l, NULL), MECH_ERANGE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linreg");
    TCase *tc = tcase_create("linreg");
    tcase_add_test(tc, gd_with_weight_decay_matches_modes);
    tcase_add_test(tc, gradient_flow_matches_ode);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
