/* Eigenlearning: the KRR prediction of THEORY.md section 3 from a kernel
 * eigensystem, and the helpers the random-feature variant shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eigenlearning_internal.h"

void mech__learnability_sums(const double *lam, size_t m, double kappa, double *z, double *q)
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

mech_status mech__solve_log_root(mech__root_fn f, const void *data, double lo, double hi,
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
    mech__learnability_sums(p->lam, p->m, kappa, &z, NULL);
    return z + p->ridge / kappa - p->n;
}

mech_status mech__check_spectrum(const double *lam, const double *v, size_t m, double n,
                                 double ridge, double noise_var, size_t *positive,
                                 double *lmax)
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
    double top = 0.0;
    for (size_t i = 0; i < m; i++) {
        top = fmax(top, lam[i]);
        if (lam[i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "eigenvalues[%zu] = %g is negative", i,
                              lam[i]);
        pos += lam[i] > 0.0;
    }
    if (pos == 0) return mech__fail(NULL, MECH_ERANGE, "every eigenvalue is zero");
    *positive = pos;
    *lmax = top;
    return MECH_OK;
}

static void fill_result(const double *lam, const double *v, size_t m, double n, double ridge,
                        double noise_var, double kappa, int iters, double *learn,
                        mech_eigenlearning_result *out)
{
    double z, q, bias = 0.0;
    mech__learnability_sums(lam, m, kappa, &z, &q);
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
    mech__store_result(r, out);
}

void mech__store_result(mech_eigenlearning_result r, mech_eigenlearning_result *out)
{
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
    double lmax = 0.0;
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(mech__check_spectrum(eigenvalues, coefficients, m, n, ridge, noise_var, &pos,
                                  &lmax));
    if (out->size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL, "out->size must be set to sizeof(*out)");
    if (ridge == 0.0 && n >= (double)pos)
        return mech__fail(NULL, MECH_ERANGE,
                          "ridgeless eigenlearning needs n < %zu (the number of positive "
                          "eigenvalues); got n = %g",
                          pos, n);
    krr_problem p = {eigenvalues, m, n, ridge};
    double log_kappa = 0.0;
    int iters = 0;
    MECH_TRY(mech__solve_log_root(krr_condition, &p, log(lmax) - 40.0, log(lmax) + 10.0 +
                            log(1.0 + ridge / lmax), &log_kappa, &iters));
    fill_result(eigenvalues, coefficients, m, n, ridge, noise_var, exp(log_kappa), iters,
                learnabilities, out);
    return MECH_OK;
}
