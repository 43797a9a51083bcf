/* Random-feature ridge regression by eigenlearning (Simon, Karkada, Ghosh
 * & Belkin 2024; THEORY.md section 3). With A the random-feature kernel
 * operator, its resolvent obeys kappa (A + kappa)^-1 ~ gamma (Lambda +
 * gamma)^-1 with kappa = gamma (1 - z/k); E0 and the bias follow by
 * differentiating that equivalence in kappa (docs/theory.md). */
#include <math.h>

#include "eigenlearning_internal.h"

typedef struct rf_problem {
    const double *lam;
    size_t m;
    double n, k, ridge;
} rf_problem;

/* ridge > 0: z + ridge/kappa - n with kappa = gamma (1 - z/k); +Inf where
 * z >= k (kappa <= 0 is outside the domain, left of the root). */
static double rf_condition(double log_gamma, const void *data)
{
    const rf_problem *p = data;
    double gamma = exp(log_gamma), z;
    mech__learnability_sums(p->lam, p->m, gamma, &z, NULL);
    double kappa = gamma * (1.0 - z / p->k);
    if (!(kappa > 0.0)) return HUGE_VAL;
    return z + p->ridge / kappa - p->n;
}

/* ridge = 0: z equals the smaller of n and k (the rank of the fit). */
static double rank_condition(double log_gamma, const void *data)
{
    const rf_problem *p = data;
    double z;
    mech__learnability_sums(p->lam, p->m, exp(log_gamma), &z, NULL);
    return z - fmin(p->n, p->k);
}

MECH_API mech_status mech_rf_eigenlearning(const double *eigenvalues, const double *coefficients,
                                           size_t m, double n, double k, double ridge,
                                           double noise_var, double *gamma,
                                           mech_eigenlearning_result *out)
{
    size_t pos = 0;
    double lmax = 0.0;
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(mech__check_spectrum(eigenvalues, coefficients, m, n, ridge, noise_var, &pos,
                                  &lmax));
    if (out->size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL, "out->size must be set to sizeof(*out)");
    if (!isfinite(k)) return mech__fail(NULL, MECH_ENONFINITE, "k must be finite");
    if (!(k > 0.0)) return mech__fail(NULL, MECH_ERANGE, "need k > 0 features (got %g)", k);
    if (ridge == 0.0 && (n == k || fmin(n, k) >= (double)pos))
        return mech__fail(NULL, MECH_ERANGE,
                          "ridgeless random-feature eigenlearning needs n != k and min(n, k) "
                          "< %zu (the number of positive eigenvalues); got n = %g, k = %g",
                          pos, n, k);
    rf_problem p = {eigenvalues, m, n, k, ridge};
    double log_gamma = 0.0;
    int iters = 0;
    MECH_TRY(mech__solve_log_root(ridge > 0.0 ? rf_condition : rank_condition, &p,
                                  log(lmax) - 40.0,
                                  log(lmax) + 10.0 + log(1.0 + ridge / lmax), &log_gamma,
                                  &iters));
    double g = exp(log_gamma), z, q;
    mech__learnability_sums(eigenvalues, m, g, &z, &q);
    /* kappa = gamma (1 - z/k); exactly 0 in the ridgeless n > k branch. */
    double kappa = (ridge == 0.0 && n > k) ? 0.0 : g * (1.0 - z / k);
    double x = (q * (k - 2.0 * z) + z * z) / (n * (k - q));
    double e0 = 1.0 / (1.0 - x);
    /* bias_i = (1 - L_i) - kappa L_i/(lambda_i + gamma) k/(k - q), written
     * with kappa/gamma = 1 - z/k so that it tends to (1 - L_i)^2 as
     * k -> Inf without cancellation. */
    double bias = 0.0;
    for (size_t i = 0; i < m; i++) {
        double lam = eigenvalues[i], l = lam / (lam + g), one_minus = g / (lam + g);
        double b = one_minus * (one_minus + (l * z - q) / k) / (1.0 - q / k);
        bias += b * coefficients[i] * coefficients[i];
    }
    double test = e0 * (bias + noise_var);
    /* train/test = (ridge/(n kappa))^2 = ((n - z)/n)^2 at the root: zero
     * when ridgeless with n < k (interpolation), (n - k)/n squared when
     * ridgeless with n > k (least squares on k features). */
    double shrink = ridge > 0.0 ? ridge / (n * kappa) : (n > k ? (n - k) / n : 0.0);
    double residual = ridge > 0.0 ? fabs(z + ridge / kappa - n) / n
                                  : fabs(z - fmin(n, k)) / fmin(n, k);
    mech_eigenlearning_result r = {
        .size = sizeof r,
        .kappa = kappa,
        .e0 = e0,
        .test_mse = test,
        .train_mse = shrink * shrink * test,
        .sum_learnability = z,
        .iterations = iters,
        .residual = residual,
    };
    if (gamma) *gamma = g;
    mech__store_result(r, out);
    return MECH_OK;
}
