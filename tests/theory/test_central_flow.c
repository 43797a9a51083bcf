/* Central flow: grad S against finite differences of the sharpness, the
 * sigma^2 formula against the sharpness's actual rate of change, the
 * gradient-flow mode against extrapolated small-step GD, and bad input.
 * (The comparison with GD at the edge of stability is
 * test_central_flow_eos.c, suite slow.) */
#include "central_flow_fixture.h"

/* {3, 8, 1} tanh MLP with biases on 12 points: P = 41. */
static cf_problem P_;
static mech_central_flow *cf_;

static void setup(void)
{
    cf_problem_init(&P_, 12, 3, 8, 2);
    ck_assert_ok(mech_central_flow_create(&cf_, P_.ctx, P_.model, MECH_LOSS_MSE, P_.x, P_.y,
                                          P_.n, 0.1));
    /* tight Lanczos: eigenvalues enter finite differences below */
    ck_assert_ok(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_LANCZOS_TOL, 1e-13));
}

static void teardown(void)
{
    mech_central_flow_destroy(cf_);
    cf_problem_free(&P_);
}

static double sharpness_at(const double *w)
{
    double s = NAN;
    ck_assert_ok(mech_central_flow_eval(cf_, w, NULL, &s, NULL, NULL, NULL));
    return s;
}

/* A point where gradient flow sharpens (measured: S rises from 2.4 at
 * t = 2 to 4.4 at t = 22): the gradient-flow state at t = 6. */
static void sharpening_point(double *w)
{
    const double t[2] = {0, 6};
    ck_assert_ok(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_GRADIENT_FLOW, 1));
    ck_assert_ok(mech_central_flow_solve(cf_, t, 2, NULL, NULL, NULL, NULL, NULL));
    ck_assert_ok(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_GRADIENT_FLOW, 0));
    ck_assert_ok(mech_central_flow_get_params(cf_, w, P_.P));
}

static double max_abs(const double *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

/* grad S by HVP differences equals the central difference of the Lanczos
 * eigenvalue itself along coordinates. Step h = 1e-4: truncation
 * h^2 S''' / 6 (measured 1.4e-8 relative), eigenvalue rounding
 * ~1e-14 S / h ~ 1e-10; tolerance 1e-6 relative. */
START_TEST(grad_s_matches_difference_of_sharpness)
{
    size_t P = P_.P;
    double *w = malloc(P * sizeof *w), *gs = malloc(P * sizeof *gs);
    sharpening_point(w);
    ck_assert_ok(mech_central_flow_eval(cf_, w, NULL, NULL, NULL, gs, NULL));
    double scale = max_abs(gs, P);
    ck_assert(scale > 0);
    int checked = 0;
    for (size_t i = 0; i < P; i++) {
        if (fabs(gs[i]) < 0.1 * scale) continue; /* the large components */
        const double h = 1e-4, wi = w[i];
        w[i] = wi + h;
        double sp = sharpness_at(w);
        w[i] = wi - h;
        double sm = sharpness_at(w);
        w[i] = wi;
        double fd = (sp - sm) / (2 * h);
        ck_assert_msg(fabs(fd - gs[i]) <= 1e-6 * fabs(gs[i]), "coord %zu: fd %.10g gs %.10g",
                      i, fd, gs[i]);
        checked++;
    }
    ck_assert_int_ge(checked, 3);
    free(w);
    free(gs);
}
END_TEST

/* Richardson check of the difference step: the error of grad S is
 * C e^2, so it drops 4x from e = 2e-3 to 1e-3, measured against the
 * default step (~6e-6, whose own error is ~1e-5 of those). Measured
 * ratio 4.0001. */
START_TEST(grad_s_difference_is_second_order)
{
    size_t P = P_.P;
    double *w = malloc(P * sizeof *w), *g0 = malloc(3 * P * sizeof *g0);
    double *g1 = g0 + P, *g2 = g0 + 2 * P;
    ck_assert_ok(mech_model_get_params(P_.model, w, P));
    ck_assert_ok(mech_central_flow_eval(cf_, w, NULL, NULL, NULL, g0, NULL));
    ck_assert_ok(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_FD_STEP, 2e-3));
    ck_assert_ok(mech_central_flow_eval(cf_, w, NULL, NULL, NULL, g1, NULL));
    ck_assert_ok(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_FD_STEP, 1e-3));
    ck_assert_ok(mech_central_flow_eval(cf_, w, NULL, NULL, NULL, g2, NULL));
    double e1 = 0, e2 = 0;
    for (size_t i = 0; i < P; i++) {
        e1 = fmax(e1, fabs(g1[i] - g0[i]));
        e2 = fmax(e2, fabs(g2[i] - g0[i]));
    }
    ck_assert_msg(e1 / e2 > 3.9 && e1 / e2 < 4.1, "error ratio %g (want 4)", e1 / e2);
    ck_assert(e2 < 1e-4 * max_abs(g0, P));
    free(w);
    free(g0);
}
END_TEST

/* d/dt S along the flow velocity, by a central difference of the
 * eigenvalue along dw/dt (independent of grad S), equals what sigma^2 was
 * chosen for: -kappa (S - 2/eta) with relaxation, 0 without. Tolerance
 * 1e-6 relative to the gradient flow's own sharpening rate <grad S, -g>
 * and to the target (measured 2e-8 and 8e-10; difference errors as
 * above). */
static void check_rate(double relax)
{
    size_t P = P_.P;
    double *w = malloc(P * sizeof *w), *v = malloc(P * sizeof *v);
    double *gs = malloc(P * sizeof *gs), *w2 = malloc(P * sizeof *w2);
    sharpening_point(w);
    double s0 = sharpness_at(w);
    /* a second handle whose threshold 2/eta sits 10% under S(w) */
    double eta = 2 / (0.9 * s0);
    mech_central_flow *cf = NULL;
    ck_assert_ok(mech_central_flow_create(&cf, P_.ctx, P_.model, MECH_LOSS_MSE, P_.x, P_.y,
                                          P_.n, eta));
    ck_assert_ok(mech_central_flow_set_f64(cf, MECH_CENTRAL_FLOW_LANCZOS_TOL, 1e-13));
    ck_assert_ok(mech_central_flow_set_f64(cf, MECH_CENTRAL_FLOW_RELAX, relax));
    double s, sigma2, loss;
    ck_assert_ok(mech_central_flow_eval(cf, w, &loss, &s, &sigma2, gs, v));
    ck_assert_double_eq_tol(s, s0, 1e-10 * s0);
    /* gradient-flow rate a = <grad S, -g>: from the velocity minus the
     * sigma^2 term */
    double a = 0, vs = 0;
    for (size_t i = 0; i < P; i++) {
        a += gs[i] * (v[i] + 0.5 * sigma2 * gs[i]);
        vs += v[i] * v[i];
    }
    double want = -relax / eta * (s0 - 2 / eta);
    ck_assert_msg(a > 0, "the point does not sharpen (a = %g)", a);
    ck_assert(sigma2 > 0);
    double d = 1e-4 / sqrt(vs);
    for (size_t i = 0; i < P; i++) w2[i] = w[i] + d * v[i];
    double sp = sharpness_at(w2);
    for (size_t i = 0; i < P; i++) w2[i] = w[i] - d * v[i];
    double sm = sharpness_at(w2);
    double rate = (sp - sm) / (2 * d);
    ck_assert_msg(fabs(rate - want) <= 1e-6 * fabs(a) + 1e-6 * fabs(want),
                  "dS/dt = %.10g, want %.10g (gradient-flow rate %.4g)", rate, want, a);
    mech_central_flow_destroy(cf);
    free(w);
    free(v);
    free(gs);
    free(w2);
}

START_TEST(sigma2_sets_sharpness_rate_relaxed) { check_rate(0.5); }
END_TEST

START_TEST(sigma2_sets_sharpness_rate_exact) { check_rate(0); }
END_TEST

/* Gradient flow against GD with small steps, Richardson-extrapolated
 * (2 GD(h/2) - GD(h) has error O(h^2); measured 8e-8 relative for
 * h = 2e-3, with DOPRI5 at rtol 1e-7). */
static double gd_loss(double t, double h)
{
    size_t P = P_.P, k = (size_t)llround(t / h);
    double *w = malloc(P * sizeof *w), *g = malloc(P * sizeof *g), loss = NAN;
    ck_assert_ok(mech_model_get_params(P_.model, w, P));
    double *w0 = malloc(P * sizeof *w0);
    memcpy(w0, w, P * sizeof *w);
    for (size_t j = 0; j <= k; j++) {
        ck_assert_ok(mech_model_set_params(P_.model, w, P));
        ck_assert_ok(mech_model_gradient(P_.model, MECH_LOSS_MSE, P_.x, P_.y, P_.n, &loss,
                                         g));
        for (size_t i = 0; i < P; i++) w[i] -= h * g[i];
    }
    ck_assert_ok(mech_model_set_params(P_.model, w0, P));
    free(w);
    free(w0);
    free(g);
    return loss;
}

START_TEST(gradient_flow_mode_matches_small_step_gd)
{
    const double t[3] = {0, 0.25, 0.5};
    double loss[3], lp[3], s[3], s2[3];
    size_t P = P_.P;
    double *w0 = malloc(P * sizeof *w0), *w = malloc(P * sizeof *w);
    ck_assert_ok(mech_model_get_params(P_.model, w0, P));
    ck_assert_ok(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_GRADIENT_FLOW, 1));
    mech_trace *tr = NULL;
    ck_assert_ok(mech_trace_create(&tr, P_.ctx, MECH_AXIS_TIME));
    ck_assert_ok(mech_central_flow_solve(cf_, t, 3, lp, loss, s, s2, tr));
    double ref = 2 * gd_loss(0.5, 1e-3) - gd_loss(0.5, 2e-3);
    ck_assert_double_eq_tol(loss[2], ref, 1e-6 * ref);
    ck_assert(loss[2] < loss[1] && loss[1] < loss[0]);
    for (int i = 0; i < 3; i++) {
        ck_assert(s2[i] == 0 && lp[i] == loss[i] && s[i] > 0);
    }
    /* the model is untouched; the final state is kept */
    ck_assert_ok(mech_model_get_params(P_.model, w, P));
    ck_assert(memcmp(w, w0, P * sizeof *w) == 0);
    ck_assert_ok(mech_central_flow_get_params(cf_, w, P));
    double l_end;
    ck_assert_ok(mech_central_flow_eval(cf_, w, &l_end, NULL, NULL, NULL, NULL));
    ck_assert_double_eq_tol(l_end, loss[2], 1e-14);
    /* trace rows */
    ck_assert_uint_eq(mech_trace_n_rows(tr), 3);
    size_t col;
    ck_assert_ok(mech_trace_column_index(tr, "loss_avg_pred", &col));
    double v;
    ck_assert_ok(mech_trace_value(tr, 2, col, &v));
    ck_assert(v == lp[2]);
    ck_assert_ok(mech_trace_column_index(tr, "sigma2", &col));
    ck_assert_ok(mech_trace_column_index(tr, "sharpness", &col));
    ck_assert_ok(mech_trace_column_index(tr, "loss", &col));
    /* RK4 with a small fixed step agrees with DOPRI5 */
    double loss_rk[3];
    ck_assert_ok(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_METHOD, MECH_ODE_RK4));
    ck_assert_ok(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_H_FIXED, 0.01));
    ck_assert_ok(mech_central_flow_solve(cf_, t, 3, NULL, loss_rk, NULL, NULL, NULL));
    ck_assert_double_eq_tol(loss_rk[2], loss[2], 1e-7 * loss[2]);
    mech_trace_destroy(tr);
    free(w0);
    free(w);
}
END_TEST

/* Far below the threshold the central flow is gradient flow. */
START_TEST(stable_phase_is_gradient_flow)
{
    const double t[2] = {0, 0.5};
    double l_cf[2], l_gf[2], s2[2], te;
    mech_central_flow *cf = NULL;
    ck_assert_ok(mech_central_flow_create(&cf, P_.ctx, P_.model, MECH_LOSS_MSE, P_.x, P_.y,
                                          P_.n, 1e-3));
    ck_assert_ok(mech_central_flow_solve(cf, t, 2, NULL, l_cf, NULL, s2, NULL));
    ck_assert_ok(mech_central_flow_get_stat(cf, MECH_CENTRAL_FLOW_STAT_T_ENTER, &te));
    ck_assert(isnan(te) && s2[0] == 0 && s2[1] == 0);
    ck_assert_ok(mech_central_flow_set_i64(cf, MECH_CENTRAL_FLOW_GRADIENT_FLOW, 1));
    ck_assert_ok(mech_central_flow_solve(cf, t, 2, NULL, l_gf, NULL, NULL, NULL));
    ck_assert_double_eq_tol(l_cf[1], l_gf[1], 1e-12);
    mech_central_flow_destroy(cf);
}
END_TEST

START_TEST(bad_input)
{
    mech_central_flow *cf = NULL;
    mech_model *m = P_.model;
    const double *x = P_.x, *y = P_.y;
    size_t n = P_.n;
    ck_assert_fails_with(mech_central_flow_create(NULL, NULL, m, MECH_LOSS_MSE, x, y, n, 1),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, NULL, MECH_LOSS_MSE, x, y, n, 1),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, MECH_LOSS_MSE, NULL, y, n, 1),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, MECH_LOSS_MSE, x, y, 0, 1),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, MECH_LOSS_MSE, x, y, n, 0),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, MECH_LOSS_MSE, x, y, n, NAN),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, (mech_loss)9, x, y, n, 1),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, MECH_LOSS_MSE, x, y, 1000, 1),
                         MECH_ERANGE);
    double xbad[36];
    memcpy(xbad, x, sizeof xbad);
    xbad[5] = NAN;
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, m, MECH_LOSS_MSE, xbad, y, n, 1),
                         MECH_ENONFINITE);
    mech_model *raw = NULL;
    ck_assert_ok(mech_model_create(&raw, NULL, MECH_MODEL_MLP));
    ck_assert_fails_with(mech_central_flow_create(&cf, NULL, raw, MECH_LOSS_MSE, x, y, n, 1),
                         MECH_ESTATE);
    mech_model_destroy(raw);
    ck_assert(cf == NULL);

    /* options */
    ck_assert_fails_with(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_RELAX, 3), MECH_ERANGE);
    ck_assert_fails_with(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_RTOL, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_central_flow_set_f64(cf_, MECH_CENTRAL_FLOW_FD_STEP, NAN),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_GRADIENT_FLOW, 2),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_RTOL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_set_i64(cf_, MECH_CENTRAL_FLOW_NOPTS, 1), MECH_EINVAL);
    ck_assert_str_ne(mech_central_flow_last_error(cf_), "");
    int key;
    ck_assert_ok(mech_option_lookup(MECH_KIND_CENTRAL_FLOW, "relax", &key));
    ck_assert_int_eq(key, MECH_CENTRAL_FLOW_RELAX);
    double relax;
    ck_assert_ok(mech_central_flow_get_f64(cf_, MECH_CENTRAL_FLOW_RELAX, &relax));
    ck_assert(relax == 1);

    /* solve, eval, getters */
    const double t_ok[2] = {0, 0.1}, t_dec[2] = {0.2, 0.1}, t_neg[2] = {-1, 0};
    const double t_nan[2] = {0, NAN};
    ck_assert_fails_with(mech_central_flow_solve(NULL, t_ok, 2, NULL, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_solve(cf_, NULL, 2, NULL, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_solve(cf_, t_ok, 0, NULL, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_solve(cf_, t_dec, 2, NULL, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_solve(cf_, t_neg, 2, NULL, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_solve(cf_, t_nan, 2, NULL, NULL, NULL, NULL, NULL),
                         MECH_ENONFINITE);
    mech_trace *tr = NULL;
    ck_assert_ok(mech_trace_create(&tr, NULL, MECH_AXIS_STEP));
    ck_assert_fails_with(mech_central_flow_solve(cf_, t_ok, 2, NULL, NULL, NULL, NULL, tr),
                         MECH_EINVAL);
    mech_trace_destroy(tr);
    size_t P = P_.P;
    double *w = malloc(P * sizeof *w);
    ck_assert_fails_with(mech_central_flow_get_params(cf_, w, P + 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_central_flow_get_params(cf_, NULL, P), MECH_EINVAL);
    ck_assert_ok(mech_central_flow_get_params(cf_, w, P));
    ck_assert_fails_with(mech_central_flow_eval(cf_, NULL, NULL, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    double wi = w[0];
    w[0] = INFINITY;
    ck_assert_fails_with(mech_central_flow_eval(cf_, w, NULL, NULL, NULL, NULL, NULL),
                         MECH_ENONFINITE);
    w[0] = wi;
    double v;
    ck_assert_fails_with(mech_central_flow_get_stat(cf_, (mech_central_flow_stat)99, &v),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_central_flow_get_stat(cf_, MECH_CENTRAL_FLOW_STAT_HVPS, NULL),
                         MECH_EINVAL);
    /* still usable */
    double loss[2];
    ck_assert_ok(mech_central_flow_solve(cf_, t_ok, 2, NULL, loss, NULL, NULL, NULL));
    ck_assert(loss[1] < loss[0]);
    ck_assert_uint_eq(mech_central_flow_num_params(cf_), P);
    ck_assert_uint_eq(mech_central_flow_num_params(NULL), 0);
    ck_assert_str_eq(mech_central_flow_last_error(NULL), "");
    mech_central_flow_destroy(NULL);
    free(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("central_flow");
    TCase *tc = tcase_create("central_flow");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, grad_s_matches_difference_of_sharpness);
    tcase_add_test(tc, grad_s_difference_is_second_order);
    tcase_add_test(tc, sigma2_sets_sharpness_rate_relaxed);
    tcase_add_test(tc, sigma2_sets_sharpness_rate_exact);
    tcase_add_test(tc, gradient_flow_mode_matches_small_step_gd);
    tcase_add_test(tc, stable_phase_is_gradient_flow);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
