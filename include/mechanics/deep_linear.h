/*
 * Deep linear networks under gradient flow (Saxe, McClelland & Ganguli
 * 2014; THEORY.md section 1).
 *
 * Setting: f(x) = W_{L-1} ... W_0 x (L = depth >= 2 weight matrices),
 * population loss L = (1/2) E|y - f(x)|^2 (the 1/2-MSE convention), so only
 * Sigma_xx = E[x x^T] and Sigma_yx = E[y x^T] enter the dynamics, and
 * gradient flow dW_l/dt = -dL/dW_l on the effective weights (for a model
 * whose forward multipliers are 1, GD with rate eta at step k sits at
 * t = eta k).
 *
 * Decoupled modes: with Sigma_xx = I (or sharing right singular vectors
 * with Sigma_yx = U diag(s) V^T) and an aligned balanced initialization,
 * the end-to-end strength u_a = u_a^T W_{L-1}...W_0 v_a of every mode obeys
 *   du/dt = L u^{2 - 2/L} (s - u),
 * solved in closed form for L = 2: u(t) = s / (1 + (s/u0 - 1) e^{-2 s t}).
 * The general (coupled) case is integrated as the matrix ODE
 * (mech_deep_linear_flow).
 */
#ifndef MECHANICS_DEEP_LINEAR_H
#define MECHANICS_DEEP_LINEAR_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a numerical integration converged. Set size = sizeof(mech_flow_report)
 * before the call; fields past size are not written. */
typedef struct mech_flow_report {
    size_t size;
    size_t steps;          /* accepted ODE steps (0: closed form) */
    size_t rhs_evals;      /* right-hand side evaluations */
    double error_estimate; /* max over outputs of |y - y_check| / scale, where
                            * y_check is a second integration at 100x tighter
                            * tolerance (scale: s_a for mode strengths, the
                            * largest |entry| for weights); 0 for closed forms */
} mech_flow_report;

/* Mode strengths u_a(t) of the decoupled dynamics above for n_modes modes
 * with target strengths s[a] > 0 and initial strengths u0[a] > 0 (any side
 * of s), at the n_t times t[] (finite, >= 0, non-decreasing). Output u is
 * n_t x n_modes row-major (caller-owned). depth 2: closed form; depth > 2:
 * DOPRI5 on log u with rtol 1e-11, checked against a second run at 1e-13
 * (report may be NULL).
 * Errors: MECH_EINVAL (NULL, zero size, depth < 2, t decreasing),
 * MECH_ENONFINITE (NaN/Inf), MECH_ERANGE (s, u0 <= 0, t < 0),
 * MECH_ENOCONV (the integration failed). */
MECH_API mech_status mech_saxe_modes(const double *s, const double *u0, size_t n_modes,
                                     size_t depth, const double *t, size_t n_t, double *u,
                                     mech_flow_report *report);

/* Loss of decoupled modes with whitened inputs:
 *   loss[i] = 1/2 sum_a (s_a - u[i, a])^2 + 1/2 (y_sq - sum_a s_a^2)
 * for n_t rows of mode strengths u (n_t x n_modes, e.g. from
 * mech_saxe_modes). y_sq = E|y|^2 must be >= sum_a s_a^2 (within 1e-12
 * relative; the unexplained variance cannot be negative).
 * Errors: MECH_EINVAL, MECH_ENONFINITE, MECH_ERANGE (s < 0, y_sq too small). */
MECH_API mech_status mech_saxe_loss(const double *s, const double *u, size_t n_modes,
                                    size_t n_t, double y_sq, double *loss);

/* Time for each mode to go from u0[a] to uf[a] under du/dt = L u^{2-2/L}(s - u):
 * depth 2 closed form t = ln[uf (s - u0) / (u0 (s - uf))] / (2 s); deeper:
 * t = integral of d(ln u) / (L u^{1-2/L} (s - u)) by DOPRI5 (rtol 1e-12).
 * uf[a] must lie strictly between u0[a] and s[a] (or equal u0[a]: t = 0).
 * Output t_out has n_modes entries. Errors: as mech_saxe_modes, and
 * MECH_ERANGE when uf is not reachable. */
MECH_API mech_status mech_saxe_learning_time(const double *s, const double *u0,
                                             const double *uf, size_t n_modes,
                                             size_t depth, double *t_out);

/* Stepwise (saddle-to-saddle) schedule for a small initialization: the time
 * at which mode a reaches half its target strength, s_a/2, from u0 < s_a/2
 * (for depth 2: ln(s/u0 - 1)/(2 s) ~ ln(s/u0)/(2 s)). Output n_modes entries.
 * Errors: as mech_saxe_learning_time (MECH_ERANGE if u0[a] >= s[a]/2). */
MECH_API mech_status mech_saxe_schedule(const double *s, const double *u0, size_t n_modes,
                                        size_t depth, double *t_half);

/* Gradient flow of the full matrix ODE
 *   dW_l/dt = (W_{L-1}...W_{l+1})^T (Sigma_yx - W Sigma_xx) (W_{l-1}...W_0)^T,
 * W = W_{L-1}...W_0, for any Sigma_xx (not decoupled). depth L >= 2;
 * widths has L + 1 entries >= 1 (widths[0] = input dim, widths[L] = output
 * dim); W_l is widths[l+1] x widths[l] row-major, the same layout as a
 * DEEP_LINEAR mech_model's layers. sigma_xx: in x in, symmetric PSD
 * (symmetry checked within 1e-12 relative); sigma_yx: out x in; w0: the
 * initial W_0, W_1, ... concatenated (P = sum widths[l+1] widths[l]
 * entries). t: n_t times, finite, >= 0, non-decreasing. Outputs (each may
 * be NULL, not both): w_out (n_t x P, row-major) and loss_out (n_t):
 * 1/2 (y_sq - 2 tr(W Sigma_yx^T) + tr(W Sigma_xx W^T)) with y_sq = E|y|^2
 * >= 0. DOPRI5, rtol 1e-10 (report may be NULL). Allocates its workspace.
 * Errors: MECH_EINVAL (NULL, zero sizes, depth < 2, t decreasing, both
 * outputs NULL), MECH_ENONFINITE, MECH_ERANGE (sigma_xx not symmetric,
 * y_sq < 0, t < 0), MECH_EOVERFLOW, MECH_ENOMEM, MECH_ENOCONV. */
MECH_API mech_status mech_deep_linear_flow(const mech_ctx *ctx, size_t depth,
                                           const size_t *widths, const double *sigma_xx,
                                           const double *sigma_yx, double y_sq,
                                           const double *w0, const double *t, size_t n_t,
                                           double *w_out, double *loss_out,
                                           mech_flow_report *report);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_DEEP_LINEAR_H */
