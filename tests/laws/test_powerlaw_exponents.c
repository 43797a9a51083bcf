/* Acceptance grid of the power-law scaling models: exponents fitted from
 * the exact sums in fixed windows are within 5% of the asymptotic
 * predictions for alpha in {1.5, 2.5} and beta in {0.5, 0.7, 1.3, 1.7,
 * 2.3, 3} (0.3 away from the crossovers beta = 1, 2). Windows: t in
 * [1e3, 1e6], n and N in [1e2, 1e4], C in [1e3, 1e6]. Prints the table. */
#include <stdio.h>

#include "harness.h"

static const double alphas[] = {1.5, 2.5};
static const double betas[] = {0.5, 0.7, 1.3, 1.7, 2.3, 3.0};
static const double windows[4][2] = {{1e3, 1e6}, {1e2, 1e4}, {1e2, 1e4}, {1e3, 1e6}};
static const char *names[4] = {"time", "data", "width", "compute"};

START_TEST(exponents_within_five_percent)
{
    const int kind = _i / 12, a = (_i / 6) % 2, b = _i % 6;
    double fitted, predicted;
    ck_assert_ok(mech_powerlaw_model_exponent((mech_powerlaw_kind)kind, alphas[a], betas[b],
                                              windows[kind][0], windows[kind][1], &fitted,
                                              &predicted));
    printf("# %-7s alpha %.1f beta %.1f fitted %.4f predicted %.4f (%+.2f%%)\n", names[kind],
           alphas[a], betas[b], fitted, predicted, 100.0 * (fitted / predicted - 1.0));
    ck_assert_msg(fabs(fitted / predicted - 1.0) < 0.05, "%s alpha %g beta %g: %g vs %g",
                  names[kind], alphas[a], betas[b], fitted, predicted);
}
END_TEST

static Suite *exponent_suite(void)
{
    Suite *s = suite_create("powerlaw_exponents");
    TCase *tc = tcase_create("grid");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, exponents_within_five_percent, 0, 48);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(exponent_suite()); }
