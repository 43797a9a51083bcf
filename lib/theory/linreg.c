/* Linear regression per eigenmode under gradient flow or GD with ridge
 * (THEORY.md section 2): exact relaxation of each mode's weight. */
#include <math.h>

#include "mechanics/linreg.h"
#include "internal.h"

static mech_status check_linreg(const double *lambda, const double *w_star, const double *w0,
                                size_t d, double ridge, double noise_var, const double *times,
                                size_t n, bool discrete, double eta)
{
    MECH_CHECK_PTR(NULL, lambda);
    MECH_CHECK_PTR(NULL, w_star);
    MECH_CHECK_PTR(NULL, w0);
    MECH_CHECK_PTR(NULL, times);
    MECH_CHECK_NONZERO(NULL, d);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_TRY(mech__check_finite(lambda, d, "lambda", NULL));
    MECH_TRY(mech__check_finite(w_star, d, "w_star", NULL));
    MECH_TRY(mech__check_finite(w0, d, "w0", NULL));
    MECH_TRY(mech__check_finite(times, n, "times", NULL));
    if (!isfinite(ridge) || !isfinite(noise_var) || (discrete && !isfinite(eta)))
        return mech__fail(NULL, MECH_ENONFINITE, "ridge, noise_var and eta must be finite");
    if (ridge < 0.0 || noise_var < 0.0)
        return mech__fail(NULL, MECH_ERANGE, "need ridge >= 0 and noise_var >= 0 (got %g, %g)",
                          ridge, noise_var);
    if (discrete && !(eta > 0.0))
        return mech__fail(NULL, MECH_ERANGE, "discrete GD needs eta > 0 (got %g)", eta);
    for (size_t k = 0; k < d; k++)
        if (lambda[k] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "lambda[%zu] = %g is negative", k, lambda[k]);
    for (size_t i = 0; i < n; i++) {
        if (times[i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "times[%zu] = %g is negative", i, times[i]);
        if (discrete && times[i] != floor(times[i]))
            return mech__fail(NULL, MECH_ERANGE, "times[%zu] = %g is not a step count", i,
                              times[i]);
    }
    return MECH_OK;
}

MECH_API mech_status mech_linreg_modes(const double *lambda, const double *w_star,
                                       const double *w0, size_t d, double ridge,
                                       double noise_var, const double *times, size_t n,
                                       bool discrete, double eta, double *loss_per_mode,
                                       double *loss, double *objective)
{
    MECH_TRY(check_linreg(lambda, w_star, w0, d, ridge, noise_var, times, n, discrete, eta));
    if (!loss_per_mode && !loss && !objective)
        return mech__fail(NULL, MECH_EINVAL, "every output is NULL");
    size_t total;
    MECH_TRY(mech__mul(n, d, &total, NULL));
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0, norm2 = 0.0;
        for (size_t k = 0; k < d; k++) {
            double rate = lambda[k] + ridge;
            double wbar = rate > 0.0 ? lambda[k] * w_star[k] / rate : w0[k];
            double r = discrete ? pow(1.0 - eta * rate, times[i]) : exp(-rate * times[i]);
            double w = wbar + (w0[k] - wbar) * r, e = w - w_star[k];
            double lk = 0.5 * lambda[k] * e * e;
            if (loss_per_mode) loss_per_mode[i * d + k] = lk;
            sum += lk;
            norm2 += w * w;
        }
        double l = sum + 0.5 * noise_var;
        if (loss) loss[i] = l;
        if (objective) objective[i] = l + 0.5 * ridge * norm2;
    }
    return MECH_OK;
}
