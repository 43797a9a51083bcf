/* Compute-optimal allocation and evaluation of a fitted Chinchilla law. */
#include <math.h>

#include "laws_internal.h"

static mech_status check_law(const char *fn, const mech_chinchilla_fit *fit)
{
    MECH_CHECK_PTR(NULL, fit);
    if (fit->size < offsetof(mech_chinchilla_fit, objective))
        return mech__fail(NULL, MECH_EINVAL, "%s: fit->size must be set", fn);
    double law[5] = {fit->E, fit->A, fit->B, fit->alpha, fit->beta};
    return mech__check_finite(law, 5, "fit", NULL);
}

MECH_API mech_status mech_chinchilla_loss(const mech_chinchilla_fit *fit, double n,
                                          double d, double *loss)
{
    static const char fn[] = "mech_chinchilla_loss";
    MECH_TRY(check_law(fn, fit));
    MECH_CHECK_PTR(NULL, loss);
    if (!isfinite(n) || !isfinite(d))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: n and d must be finite", fn);
    if (n <= 0.0 || d <= 0.0)
        return mech__fail(NULL, MECH_ERANGE, "%s: n = %g and d = %g must be > 0", fn, n, d);
    *loss = fit->E + fit->A * pow(n, -fit->alpha) + fit->B * pow(d, -fit->beta);
    return MECH_OK;
}

MECH_API mech_status mech_chinchilla_compute_optimal(const mech_chinchilla_fit *fit,
                                                     double c, double *n_opt,
                                                     double *d_opt)
{
    static const char fn[] = "mech_chinchilla_compute_optimal";
    MECH_TRY(check_law(fn, fit));
    MECH_CHECK_PTR(NULL, n_opt);
    MECH_CHECK_PTR(NULL, d_opt);
    if (!isfinite(c)) return mech__fail(NULL, MECH_ENONFINITE, "%s: c is not finite", fn);
    if (c <= 0.0 || fit->A <= 0.0 || fit->B <= 0.0 || fit->alpha <= 0.0 || fit->beta <= 0.0)
        return mech__fail(NULL, MECH_ERANGE,
                          "%s: c, A, B, alpha and beta must be > 0 for an interior optimum", fn);
    const double s = fit->alpha + fit->beta;
    /* in logs, so huge budgets do not overflow intermediate powers */
    const double log_g = (log(fit->alpha * fit->A) - log(fit->beta * fit->B)) / s;
    const double log_c6 = log(c / 6.0);
    *n_opt = exp(log_g + fit->beta / s * log_c6);
    *d_opt = exp(-log_g + fit->alpha / s * log_c6);
    return MECH_OK;
}
