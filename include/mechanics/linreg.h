/*
 * Linear regression under gradient flow and gradient descent, per
 * eigenmode of the input covariance (THEORY.md section 2).
 *
 * Setting: inputs with covariance eigenvalues lambda_k (coordinates w_k of
 * the weights in the eigenbasis), labels y = w* . x + noise of variance
 * noise_var, population 1/2-MSE loss
 *   L(w) = 1/2 sum_k lambda_k (w_k - w*_k)^2 + noise_var / 2,
 * trained on the objective L(w) + (ridge/2) |w|^2 (ridge = L2 weight decay
 * as in mech_optimizer's WEIGHT_DECAY). Mode k relaxes at rate
 * lambda_k + ridge toward wbar_k = lambda_k w*_k / (lambda_k + ridge):
 *   w_k = wbar_k + (w0_k - wbar_k) r_k,
 *   r_k = exp(-(lambda_k + ridge) t)         gradient flow at time t,
 *   r_k = (1 - eta (lambda_k + ridge))^k     k steps of GD with rate eta.
 * With ridge > 0 the loss keeps the ridge bias
 *   1/2 lambda_k (wbar_k - w*_k)^2 = 1/2 lambda_k ridge^2 w*_k^2 / (lambda_k + ridge)^2.
 */
#ifndef MECHANICS_LINREG_H
#define MECHANICS_LINREG_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-mode and total loss along a trajectory. lambda (>= 0), w_star, w0:
 * d entries each; ridge >= 0; noise_var >= 0. times: n entries, each a
 * gradient-flow time t >= 0 (discrete = false; eta is ignored) or a step
 * count k, a non-negative integer (discrete = true; eta > 0). Outputs, each
 * n x d or n, caller-owned, may be NULL (not all three):
 *   loss_per_mode[i d + k] = 1/2 lambda_k (w_k - w*_k)^2 (the population
 *                            loss, ridge penalty NOT included),
 *   loss[i]      = sum_k loss_per_mode + noise_var / 2,
 *   objective[i] = loss[i] + (ridge/2) |w|^2 (the trained objective).
 * Errors: MECH_EINVAL (NULL inputs, d or n zero, every output NULL),
 * MECH_ENONFINITE (NaN/Inf), MECH_ERANGE (negative lambda, ridge,
 * noise_var or time, eta <= 0 or a non-integer step count when discrete). */
MECH_API mech_status mech_linreg_modes(const double *lambda, const double *w_star,
                                       const double *w0, size_t d, double ridge,
                                       double noise_var, const double *times, size_t n,
                                       bool discrete, double eta, double *loss_per_mode,
                                       double *loss, double *objective);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_LINREG_H */
