/* Losses: closed-form values, output gradients and Hessian products
 * against central finite differences, accuracy, bad input. */
#include "harness.h"

/* Central-difference step: error O(h^2 L''') ~ 1e-10 against round-off
 * eps/h ~ 1e-11 for O(1) losses, so 1e-7 relative agreement is safe. */
#define H 1e-5
#define TOL 1e-7

static const double F[6] = {0.3, -1.2, 2.0, 0.7, 0.1, -0.4}; /* batch 2 x 3 */

START_TEST(mse_value_and_gradient_closed_form)
{
    const double y[6] = {1, 0, 0, 0, 1, 0};
    double v, pe[2], g[6];
    ck_assert_ok(mech_loss_eval(MECH_LOSS_MSE, F, y, 2, 3, &v, pe, g));
    double want0 = 0.5 * (0.7 * 0.7 + 1.2 * 1.2 + 2.0 * 2.0);
    double want1 = 0.5 * (0.7 * 0.7 + 0.9 * 0.9 + 0.4 * 0.4);
    ck_assert_close(pe[0], want0, 1e-15);
    ck_assert_close(pe[1], want1, 1e-15);
    ck_assert_close(v, (want0 + want1) / 2, 1e-15);
    ck_assert_close(g[1], -1.2 / 2, 1e-15);
}
END_TEST

START_TEST(softmax_ce_closed_form)
{
    const double y[6] = {0, 0, 1, 0.25, 0.75, 0};
    double v, pe[2];
    ck_assert_ok(mech_loss_eval(MECH_LOSS_SOFTMAX_CE, F, y, 2, 3, &v, pe, NULL));
    double lse0 = log(exp(0.3) + exp(-1.2) + exp(2.0));
    double lse1 = log(exp(0.7) + exp(0.1) + exp(-0.4));
    ck_assert_close(pe[0], lse0 - 2.0, 1e-14);
    ck_assert_close(pe[1], 0.25 * (lse1 - 0.7) + 0.75 * (lse1 - 0.1), 1e-14);
    ck_assert_close(v, (pe[0] + pe[1]) / 2, 1e-15);
}
END_TEST

START_TEST(logistic_label_conventions_agree)
{
    const double f[3] = {0.5, -2.0, 30.0};
    const double y01[3] = {1, 0, 0}, ypm[3] = {1, -1, 0};
    double v1, v2, pe[3];
    ck_assert_ok(mech_loss_eval(MECH_LOSS_LOGISTIC, f, y01, 3, 1, &v1, pe, NULL));
    ck_assert_ok(mech_loss_eval(MECH_LOSS_LOGISTIC, f, ypm, 3, 1, &v2, NULL, NULL));
    ck_assert_double_eq(v1, v2);
    ck_assert_close(pe[0], log1p(exp(-0.5)), 1e-15);
    ck_assert_close(pe[2], 30.0 + log1p(exp(-30.0)), 1e-15); /* no overflow path */
}
END_TEST

/* dl_df and the output Hessian product against finite differences. */
static void check_derivatives(mech_loss loss, const double *y, size_t out)
{
    const size_t n = 2 * out;
    double f[6], g[6], gp[6], gm[6], r[6], hr[6], v, vp, vm;
    for (size_t i = 0; i < n; i++) {
        f[i] = F[i];
        r[i] = 0.3 - 0.17 * (double)i;
    }
    ck_assert_ok(mech_loss_eval(loss, f, y, 2, out, &v, NULL, g));
    ck_assert_ok(mech_loss_hvp_output(loss, f, y, 2, out, r, hr));
    for (size_t i = 0; i < n; i++) {
        double fi = f[i];
        f[i] = fi + H;
        ck_assert_ok(mech_loss_eval(loss, f, y, 2, out, &vp, NULL, NULL));
        f[i] = fi - H;
        ck_assert_ok(mech_loss_eval(loss, f, y, 2, out, &vm, NULL, NULL));
        f[i] = fi;
        ck_assert_close(g[i], (vp - vm) / (2 * H), TOL);
    }
    double fp[6], fm[6];
    for (size_t i = 0; i < n; i++) {
        fp[i] = f[i] + H * r[i];
        fm[i] = f[i] - H * r[i];
    }
    ck_assert_ok(mech_loss_eval(loss, fp, y, 2, out, &v, NULL, gp));
    ck_assert_ok(mech_loss_eval(loss, fm, y, 2, out, &v, NULL, gm));
    for (size_t i = 0; i < n; i++) ck_assert_close(hr[i], (gp[i] - gm[i]) / (2 * H), TOL);
}

START_TEST(derivatives_match_finite_differences)
{
    const double y3[6] = {0.2, -1, 0.5, 1, 0.3, 0};
    check_derivatives(MECH_LOSS_MSE, y3, 3);
    const double p3[6] = {0, 1, 0, 0.2, 0.3, 0.5};
    check_derivatives(MECH_LOSS_SOFTMAX_CE, p3, 3);
    const double b1[2] = {1, -1};
    check_derivatives(MECH_LOSS_LOGISTIC, b1, 1);
    const double s1[2] = {0.3, 0};
    check_derivatives(MECH_LOSS_LOGISTIC, s1, 1);
}
END_TEST

START_TEST(accuracy_counts)
{
    const double y[6] = {0, 0, 1, 1, 0, 0};
    double a;
    ck_assert_ok(mech_loss_accuracy(MECH_LOSS_SOFTMAX_CE, F, y, 2, 3, &a));
    ck_assert_double_eq(a, 1.0);
    const double f1[4] = {0.5, -0.2, 0.1, -3}, y1[4] = {1, -1, 0, 0};
    ck_assert_ok(mech_loss_accuracy(MECH_LOSS_LOGISTIC, f1, y1, 4, 1, &a));
    ck_assert_double_eq(a, 0.75); /* f = 0.1 with label 0 is wrong */
    ck_assert_ok(mech_loss_accuracy(MECH_LOSS_MSE, f1, y1, 4, 1, &a));
    ck_assert_double_eq(a, 0.75);
}
END_TEST

START_TEST(bad_input)
{
    const double y[6] = {0, 0, 1, 1, 0, 0};
    double v, g[6], nanf[6] = {0, NAN, 0, 0, 0, 0};
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_MSE, NULL, y, 2, 3, &v, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_MSE, F, y, 2, 3, NULL, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_MSE, F, y, 0, 3, &v, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_loss_eval((mech_loss)9, F, y, 2, 3, &v, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_MSE, nanf, y, 2, 3, &v, NULL, NULL),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_SOFTMAX_CE, F, y, 6, 1, &v, NULL, NULL),
                         MECH_ESHAPE);
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_LOGISTIC, F, y, 2, 3, &v, NULL, NULL),
                         MECH_ESHAPE);
    const double bad[2] = {2, 0};
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_LOGISTIC, F, bad, 2, 1, &v, NULL, NULL),
                         MECH_ERANGE);
    const double neg[6] = {-1, 0, 2, 1, 0, 0};
    ck_assert_fails_with(mech_loss_eval(MECH_LOSS_SOFTMAX_CE, F, neg, 2, 3, &v, NULL, NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_loss_hvp_output(MECH_LOSS_MSE, F, y, 2, 3, NULL, g), MECH_EINVAL);
    ck_assert_fails_with(mech_loss_hvp_output(MECH_LOSS_MSE, F, y, 2, 3, nanf, g),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_loss_accuracy(MECH_LOSS_MSE, F, y, 2, 3, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_loss_accuracy(MECH_LOSS_MSE, F, NULL, 2, 3, &v), MECH_EINVAL);
    ck_assert_str_eq(mech_loss_name(MECH_LOSS_SOFTMAX_CE), "softmax_ce");
    ck_assert_str_eq(mech_loss_name((mech_loss)7), "unknown");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("losses");
    TCase *tc = tcase_create("losses");
    tcase_add_test(tc, mse_value_and_gradient_closed_form);
    tcase_add_test(tc, softmax_ce_closed_form);
    tcase_add_test(tc, logistic_label_conventions_agree);
    tcase_add_test(tc, derivatives_match_finite_differences);
    tcase_add_test(tc, accuracy_counts);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
