/*
 * Stability thresholds and batch-size scaling rules (THEORY.md sections 7
 * and 8 of the project notes): the largest sharpness an optimizer can sit
 * on without diverging, the SDE scaling rules that keep training curves
 * against samples seen invariant when the batch size changes, and the
 * critical batch size from two gradient-norm measurements.
 *
 * All functions are pure: no allocation, no state.
 */
#ifndef MECHANICS_STABILITY_H
#define MECHANICS_STABILITY_H

#include "mechanics/core.h"
#include "mechanics/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest stable sharpness of an optimizer on a quadratic
 * L = (1/2) theta^T H theta at a constant learning rate lr (no weight
 * decay, clipping or schedule): iterates converge iff S < *max_sharpness,
 * where S = lambda_max(H) for GD, SGD, HEAVY_BALL and NESTEROV and
 * S = lambda_max(P^-1 H) for ADAM, ADAMW and RMSPROP with the
 * preconditioner P = diag(sqrt(vhat) + eps) held fixed. With
 * b = momentum_or_beta1 (MOMENTUM for the momentum kinds, BETA1 for
 * ADAM/ADAMW; ignored by GD, SGD and RMSPROP):
 *   GD, SGD, RMSPROP  2 / lr
 *   HEAVY_BALL        (2 + 2b) / lr
 *   NESTEROV          (2 + 2b) / ((1 + 2b) lr)     (PyTorch's form)
 *   ADAM, ADAMW       (2 + 2b) / ((1 - b) lr)      (38 / lr for b = 0.9)
 * Each is where one root of the two-term linear recurrence of a mode
 * (eigenvalue a = lr S) crosses -1: GD theta' = (1 - a) theta; heavy ball
 * z^2 - (1 + b - a) z + b; Nesterov z^2 - (1 + b - a(1 + b)) z + b(1 - a);
 * Adam (bias correction settled, u = lr m / p) z^2 - (1 + b - (1 - b) a) z + b.
 * Errors: MECH_EINVAL (NULL, SIGN or an unknown kind), MECH_ENONFINITE,
 * MECH_ERANGE (lr <= 0, b outside [0, 1)). */
MECH_API mech_status mech_stability_threshold(mech_optimizer_kind kind, double lr,
                                              double momentum_or_beta1,
                                              double *max_sharpness);

/* The inverse: the largest stable learning rate at sharpness S (same
 * conventions), *max_lr = c(b) / S with c(b) the numerators above.
 * Errors: as mech_stability_threshold, with MECH_ERANGE for S <= 0. */
MECH_API mech_status mech_stability_max_lr(mech_optimizer_kind kind, double sharpness,
                                           double momentum_or_beta1, double *max_lr);

/* Rescales hyperparameters in place for a batch size changed by a factor
 * kappa (B -> kappa B) so that, to first order in the SDE approximation,
 * training curves against samples seen (k B) do not change:
 *   GD, SGD                lr -> kappa lr (linear rule; betas, eps untouched)
 *   ADAM, ADAMW, RMSPROP   lr -> sqrt(kappa) lr, (1 - beta_i) -> kappa (1 - beta_i),
 *                          eps -> eps / sqrt(kappa)
 *                          (square-root rule, Malladi, Lyu, Panigrahi & Arora
 *                          2022; RMSPROP's decay is beta2, beta1 is untouched)
 * For ADAMW the decoupled weight decay lambda (not an argument) must go to
 * sqrt(kappa) lambda so lr lambda per step scales with kappa. Momentum SGD
 * (HEAVY_BALL, NESTEROV) is MECH_EUNSUPPORTED: no rule is claimed for it.
 * lr, beta1, beta2, eps: in/out; beta1 and beta2 may be NULL where the kind
 * does not use them (beta1 for GD, SGD, RMSPROP; beta2 and eps for GD,
 * SGD). Nothing is written on error.
 * Errors: MECH_EINVAL (a needed pointer NULL, unknown kind),
 * MECH_EUNSUPPORTED (HEAVY_BALL, NESTEROV, SIGN), MECH_ENONFINITE,
 * MECH_ERANGE (kappa <= 0, lr < 0, eps < 0, a beta outside [0, 1), or a
 * rescaled beta that would leave [0, 1), i.e. kappa (1 - beta) > 1). */
MECH_API mech_status mech_sde_scale(mech_optimizer_kind kind, double kappa, double *lr,
                                    double *beta1, double *beta2, double *eps);

/* Critical batch size from the gradient noise scale (McCandlish, Kaplan,
 * Amodei et al. 2018): with g_small_sq = |G_Bsmall|^2 and g_big_sq =
 * |G_Bbig|^2, squared norms of mini-batch gradients (averaged over batches
 * for a lower-variance estimate) at batch sizes b_small < b_big, and
 * E|G_B|^2 = |G|^2 + tr(Sigma) / B (Sigma the per-example gradient
 * covariance; exact in expectation for batches drawn with replacement),
 *   |G|^2    = (b_big g_big_sq - b_small g_small_sq) / (b_big - b_small),
 *   tr Sigma = (g_small_sq - g_big_sq) / (1/b_small - 1/b_big),
 *   B_simple = tr Sigma / |G|^2.
 * *g_sq and *tr_sigma may come out negative from noisy inputs; B_simple is
 * then reported as +Inf when *g_sq <= 0 (no gradient signal resolved) and
 * as 0 when *tr_sigma <= 0 < *g_sq (no noise resolved). Any output pointer
 * may be NULL. Errors: MECH_ENONFINITE, MECH_ERANGE (a squared norm < 0,
 * b_small <= 0, b_big <= b_small). */
MECH_API mech_status mech_critical_batch(double g_small_sq, double g_big_sq, double b_small,
                                         double b_big, double *b_simple, double *g_sq,
                                         double *tr_sigma);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_STABILITY_H */
