/*
 * Implicit bias of diagonal linear networks (Woodworth et al. 2020;
 * THEORY.md section 8).
 *
 * Setting: beta = w+^2 - w-^2 (elementwise), initialization w+ = w- = alpha
 * (every entry; the convention of MECH_MODEL_DIAGONAL), gradient flow on the
 * squared loss of underdetermined data X beta = y. Writing w+- = alpha
 * exp(-+2 G) shows beta(t) = 2 alpha^2 sinh(X^T nu(t)) for some nu(t), so the
 * interpolating limit is the minimizer of
 *   Q_alpha(beta) = sum_i alpha^2 q(beta_i / alpha^2),
 *   q(z) = 2 - sqrt(4 + z^2) + z asinh(z/2),  q'(z) = asinh(z/2),
 * subject to X beta = y: large alpha gives the minimum-l2 interpolator,
 * small alpha approaches the minimum-l1 one.
 */
#ifndef MECHANICS_DIAGONAL_H
#define MECHANICS_DIAGONAL_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the dual Newton solve converged. Set size = sizeof(...) before the
 * call; fields past size are not written. */
typedef struct mech_implicit_bias_report {
    size_t size;
    size_t iterations; /* Newton iterations */
    double residual;   /* |X beta - y|_2 at the returned beta */
    double decrement;  /* Newton decrement^2 = r^T H^-1 r of the last step */
} mech_implicit_bias_report;

/* The gradient-flow limit argmin Q_alpha(beta) s.t. X beta = y for
 * x (n x d row-major, full row rank, so n <= d), y (n), alpha > 0 with
 * alpha^2 a normal double; beta (d, caller-owned) receives the solution. Solved on the concave dual
 *   max_nu nu^T y - sum_i 2 alpha^2 (cosh((X^T nu)_i) - 1),
 * beta_i = 2 alpha^2 sinh((X^T nu)_i), by Newton's method (Hessian
 * X diag(2 alpha^2 cosh(X^T nu)) X^T) with a backtracking line search that
 * also guards cosh overflow and limits each change of X^T nu to 20, to
 * |X beta - y| <= 1e-11 max(|y|, 1e-300). Robust from alpha ~ 1e3 down to
 * the deep sparse regime (tested to alpha = 1e-30, where |X^T nu| ~
 * ln(|beta| / alpha^2) ~ 140): when the cosh weights make the Hessian
 * numerically singular a small multiple of the identity is added
 * (Levenberg). ctx may be NULL; report may be NULL.
 * Allocates its workspace per call.
 * Errors: MECH_EINVAL (NULL, n or d zero), MECH_ESHAPE (n > d),
 * MECH_ENONFINITE, MECH_ERANGE (alpha <= 0, or alpha^2 subnormal),
 * MECH_ELINALG (dependent rows: X X^T is not positive definite, or a
 * Hessian singular even with the Levenberg term), MECH_ENOCONV (200
 * iterations without convergence; beta holds the last iterate and the
 * report says how far it got), MECH_ENOMEM. */
MECH_API mech_status mech_diagonal_implicit_bias(const mech_ctx *ctx, const double *x,
                                                 const double *y, size_t n, size_t d,
                                                 double alpha, double *beta,
                                                 mech_implicit_bias_report *report);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_DIAGONAL_H */
