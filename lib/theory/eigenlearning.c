/* Eigenlearning: the KRR and random-feature ridge predictions of
 * THEORY.md section 3, from a kernel eigensystem. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/eigenlearning.h"
#include "internal.h"

/* sum_i lambda_i / (lambda_i + kappa) and sum_i of its square. */
static void learnability_sums(const double *lam, size_t m, double kappa, double *z, double *q)
{
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < m; i++) {
        double l = lam[i] / (lam[i] + kappa);
        s += l;
        s2 += l * l;
    }
    *z = s;
    if (q) *q = s2;
}

/* Decreasing in log(kappa); its root is the effective regularization. */
typedef double (*root_fn)(double log_kappa, const void *data);

/* Bisection in log space on a function that is positive at the left end and
 * negative at the right end, polished to full precision. */
static mech_status solve_log_root(root_fn f, const void *data, double lo, double hi,
                                  double *root, int *iters)
{
    int it = 0;
    while (f(lo, data) <= 0.0 && it < 400) lo -= 4.0, it++;
    while (f(hi, data) >= 0.0 && it < 800) hi += 4.0, it++;
    if (!(f(lo, data) > 0.0 && f(hi, data) < 0.0))
        return mech__fail(NULL, MECH_ENOCONV, "cannot bracket the effective regularization");
    for (int k = 0; k < 200 && hi - lo > 1e-15 * fmax(1.0, fabs(lo)); k++, it++) {
        double mid = 0.5 * (lo + hi);
        if (f(mid, data) > 0.0) lo = mid;
        else hi = mid;
    }
    *root = 0.5 * (lo + hi);
    *iters = it;
    return MECH_OK;
}

typedef struct krr_problem {
    const double *lam;
    size_t m;
    double n, ridge;
} krr_problem;

static double krr_condition(double log_kappa, const void *data)
{
    const krr_problem *p = data;
    double kappa = exp(log_kappa), z;
    learnability_sums(p->lam, p->m, kappa, &z, NULL);
    return z + p->ridge / kappa - p->n;
}

static mech_status check_spectrum(const double *lam, const double *v, size_t m, double n,
                                  double ridge, double noise_var, size_t *positive)
{
    MECH_CHECK_PTR(NULL, lam);
    MECH_CHECK_PTR(NULL, v);
    MECH_CHECK_NONZERO(NULL, m);
    MECH_TRY(mech__check_finite(lam, m, "eigenvalues", NULL));
    MECH_TRY(mech__check_finite(v, m, "coefficients", NULL));
    if (!isfinite(n) || !isfinite(ridge) || !isfinite(noise_var))
        return mech__fail(NULL, MECH_ENONFINITE, "n, ridge and noise_var must be finite");
    if (n <= 0.0 || ridge < 0.0 || noise_var < 0.0)
        return mech__fail(NULL, MECH_ERANGE,
                          "need n > 0, ridge >= 0, noise_var >= 0 (got %g, %g, %g)", n,
                          ridge, noise_var);
    size_t pos = 0;
    for (size_t i = 0; i < m; i++) {
        if (lam[i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "eigenvalues[%zu] = %g is negative", i,
                              lam[i]);
        pos += lam[i] > 0.0;
    }
    if (pos == 0) return mech__fail(NULL, MECH_ERANGE, "every eigenvalue is zero");
    if (ridge == 0.0 && n >= (double)pos)
        return mech__fail(NULL, MECH_ERANGE,
                          "ridgeless eigenlearning needs n < %zu (the number of positive "
                          "eigenvalues); got n = %g",
                          pos, n);
    *positive = pos;
    return MECH_OK;
}

static void fill_result(const double *lam, const double *v, size_t m, double n, double ridge,
                        double noise_var, double kappa, int iters, double *learn,
                        mech_eigenlearning_result *out)
{
    double z, q, bias = 0.0;
    learnability_sums(lam, m, kappa, &z, &q);
    for (size_t i = 0; i < m; i++) {
        double l = lam[i] / (lam[i] + kappa);
        if (learn) learn[i] = l;
        bias += (1.0 - l) * (1.0 - l) * v[i] * v[i];
    }
    double e0 = n / (n - q);
    double test = e0 * (bias + noise_var);
    double shrink = ridge / (n * kappa);
    mech_eigenlearning_result r = {
        .size = sizeof r,
        .kappa = kappa,
        .e0 = e0,
        .test_mse = test,
        .train_mse = shrink * shrink * test,
        .sum_learnability = z,
        .iterations = iters,
        .residual = fabs(z + ridge / kappa - n) / n,
    };
    size_t keep = out->size < sizeof r ? out->size : sizeof r;
    r.size = out->size;
    memcpy(out, &r, keep);
}

MECH_API mech_status mech_eigenlearning(const double *eigenvalues, const double *coefficients,
                                        size_t m, double n, double ridge, double noise_var,
                                        double *learnabilities,
                                        mech_eigenlearning_result *out)
{
    size_t pos = 0;
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(check_spectrum(eigenvalues, coefficients, m, n, ridge, noise_var, &pos));
    if (out->size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL, "out->size must be set to sizeof(*out)");
    double lmax = 0.0;
    for (size_t i = 0; i < m; i++) lmax = fmax(lmax, eigenvalues[i]);
    krr_problem p = {eigenvalues, m, n, ridge};
    double log_kappa = 0.0;
    int iters = 0;
    MECH_TRY(solve_log_root(krr_condition, &p, log(lmax) - 40.0, log(lmax) + 10.0 +
                            log(1.0 + ridge / lmax), &log_kappa, &iters));
    fill_result(eigenvalues, coefficients, m, n, ridge, noise_var, exp(log_kappa), iters,
                learnabilities, out);
    return MECH_OK;
}
