/* Statistical recovery of power-law exponents by mech_power_law_fit
 * (slow suite: the x_min scan is O(n^2) for n = 3000). */
#include "harness.h"

/* Pareto samples x = x_min (1 - u)^(-1/(alpha - 1)) by inverse CDF from
 * mech_rng uniforms, fixed seed per alpha. */
static double *pareto(double alpha, size_t n, uint64_t stream)
{
    mech_rng *rng = NULL;
    double *x = malloc(n * sizeof *x);
    ck_assert_ok(mech_rng_create_seeded(&rng, 2024, stream));
    ck_assert_ok(mech_rng_uniform(rng, x, n));
    for (size_t i = 0; i < n; i++) x[i] = 0.5 * pow(1.0 - x[i], -1.0 / (alpha - 1.0));
    mech_rng_destroy(rng);
    return x;
}

/* Acceptance: |alpha_hat - alpha| <= 3 (alpha_hat - 1) / sqrt(n_tail) for
 * alpha = 2 ... 4 at n = 3000 (the MLE's asymptotic standard error; a
 * 3-sigma band fails with probability ~0.3% per case). */
START_TEST(test_power_law_recovery)
{
    const double alphas[4] = {2.0, 2.5, 3.0, 4.0};
    const size_t n = 3000;
    for (int a = 0; a < 4; a++) {
        double *x = pareto(alphas[a], n, (uint64_t)a);
        mech_power_law_result r = {.size = sizeof r};
        ck_assert_ok(mech_power_law_fit(x, n, 50, &r));
        ck_assert_msg(fabs(r.alpha - alphas[a]) <= 3.0 * r.alpha_se,
                      "alpha %g: fitted %g (se %g, x_min %g, n_tail %zu)", alphas[a], r.alpha,
                      r.alpha_se, r.x_min, r.n_tail);
        ck_assert(r.n_tail >= 50 && r.x_min >= 0.5);
        ck_assert_msg(r.ks_distance < 0.05, "KS %g", r.ks_distance);
        free(x);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("power_law");
    TCase *tc = tcase_create("power_law");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_power_law_recovery);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
