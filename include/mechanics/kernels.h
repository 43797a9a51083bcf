/*
 * Infinite-width kernels of multilayer perceptrons (NNGP and NTK) and the
 * predictions of linearized training and kernel ridge regression with them
 * (THEORY.md section 4).
 *
 * Network (NTK parametrization, the convention of MECH_PARAM_NTK with
 * MECH_MODEL_SIGMA_W = sqrt(sigma_w2), MECH_MODEL_SIGMA_B = sqrt(sigma_b2)):
 *   h^1 = (sigma_w / sqrt(dim)) W^1 x + sigma_b b^1,
 *   h^{l+1} = (sigma_w / sqrt(n_l)) W^{l+1} phi(h^l) + sigma_b b^{l+1},
 * all weight and bias entries N(0, 1), `depth` hidden layers, readout
 * h^{depth+1} with the same sigma_w2, sigma_b2. As every width goes to
 * infinity, the readout is a Gaussian process with covariance K^{depth+1}
 * (NNGP) and gradient descent on it follows the kernel Theta^{depth+1} (NTK):
 *   K^1 = sigma_w2 x.x'/dim + sigma_b2,  Theta^1 = K^1,
 *   K^{l+1} = sigma_w2 E[phi(u) phi(v)] + sigma_b2,
 *   Theta^{l+1} = K^{l+1} + sigma_w2 Theta^l E[phi'(u) phi'(v)],
 * with (u, v) ~ N(0, [[K^l(x,x), K^l(x,x')], [K^l(x,x'), K^l(x',x')]]).
 * These are the kernels of one output; with several outputs the NTK is
 * Theta times the identity over outputs.
 *
 * The Gaussian moments E[phi phi], E[phi' phi'] are closed forms for
 * identity, relu (arc-cosine kernels; relu'(0) = 0), erf, scaled_erf and
 * quadratic, and quadrature for tanh, gelu and softplus (see
 * mech_gaussian_expectation). Activations are those of the models module
 * (mech_activation in model.h), so theory and experiment name them alike.
 */
#ifndef MECHANICS_KERNELS_H
#define MECHANICS_KERNELS_H

#include "mechanics/core.h"
#include "mechanics/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of hidden layers mech_nngp_ntk accepts. */
#define MECH_KERNEL_MAX_DEPTH 1000
/* Quadrature nodes per piece and dimension used by mech_nngp_ntk for the
 * activations without a closed form (and by mech_gaussian_expectation
 * with nodes = 0): relative error ~1e-13 for tanh, gelu and softplus at
 * variances <= 4, ~1e-11 at variances <= 10; each moment pair costs
 * ~14000 activation evaluations (~0.6 ms per entry and layer, one core). */
#define MECH_KERNEL_QUAD_NODES 48
/* Largest node count mech_gaussian_expectation accepts. */
#define MECH_KERNEL_MAX_NODES 1024

/* Which Gaussian moment mech_gaussian_expectation computes. */
typedef enum mech_gauss_moment {
    MECH_MOMENT_PHI_PHI = 0,  /* E[phi(u) phi(v)] */
    MECH_MOMENT_DPHI_DPHI = 1 /* E[phi'(u) phi'(v)] */
} mech_gauss_moment;

/* *out = E[g(u) g(v)] with g = phi or phi' of the activation and
 * (u, v) ~ N(0, [[k11, k12], [k12, k22]]).
 * nodes = 0: the method mech_nngp_ntk uses (the closed form where there is
 * one, else quadrature with MECH_KERNEL_QUAD_NODES nodes).
 * nodes >= 2: quadrature with `nodes` Gauss-Legendre nodes per piece, for
 * every activation (to check the closed forms). The quadrature writes
 * u = sqrt(k11) z1, v = sqrt(k22) (rho z1 + sqrt(1 - rho^2) z2) with z1, z2
 * standard normal, truncates each to [-10, 10] (Gaussian tail < 1e-22)
 * and splits both integrals where an argument of g crosses 0 (relu's
 * kink, the steep centre of erf and tanh), so each piece has a smooth
 * integrand: with 64 nodes the error is ~1e-15 for relu and ~4e-11 for erf
 * at variances up to 25 (~3e-15 with 96 nodes).
 * Cost: 6 nodes^2 evaluations of g (relu: 12 nodes^2 when |rho| > 0.62,
 * where its step-like phi' needs extra pieces near 0).
 * Errors: MECH_EINVAL (out NULL, unknown activation or moment),
 * MECH_ENONFINITE, MECH_ERANGE (k11 or k22 < 0, k12^2 > k11 k22 (1 + 1e-10),
 * nodes == 1 or > MECH_KERNEL_MAX_NODES). */
MECH_API mech_status mech_gaussian_expectation(mech_activation act, mech_gauss_moment which,
                                               double k11, double k12, double k22,
                                               size_t nodes, double *out);

/* Infinite-width readout kernels K^{depth+1} (nngp) and Theta^{depth+1}
 * (ntk) between the rows of x1 (n1 x dim) and of x2 (n2 x dim), both
 * row-major; x2 = NULL means x2 = x1 (then n2 must equal n1, and the
 * symmetric result is computed on one triangle and mirrored). depth = 0 is
 * the linear model, K = Theta = sigma_w2 x.x'/dim + sigma_b2.
 * nngp and ntk are caller-owned n1 x n2 row-major outputs; either may be
 * NULL (not both). Nothing is allocated beyond (n1 + n2) (depth + 1)
 * doubles of per-point variances and a quadrature rule: the Gram matrix
 * x1 x2^T is formed in blocks of 256 rows inside the output itself.
 * ctx (may be NULL) gives the threads of the Gram products and receives
 * progress calls ("nngp_ntk", rows done, n1); a progress callback
 * returning > 0 stops after the current block with MECH_STOPPED (rows not
 * reached are unspecified), < 0 gives MECH_ECALLBACK.
 * Typical call (Python nngp_ntk defaults): act = MECH_ACT_RELU, depth = 1,
 * sigma_w2 = 2, sigma_b2 = 0.
 * Errors: MECH_EINVAL (x1 NULL, both outputs NULL, unknown activation,
 * zero n1, n2 or dim), MECH_ESHAPE (x2 NULL with n2 != n1), MECH_ERANGE
 * (sigma_w2 or sigma_b2 negative, depth > MECH_KERNEL_MAX_DEPTH),
 * MECH_ENONFINITE (NaN/Inf in inputs or sigmas, or a kernel overflowing),
 * MECH_EOVERFLOW, MECH_ENOMEM, MECH_ECALLBACK. */
MECH_API mech_status mech_nngp_ntk(const mech_ctx *ctx, mech_activation act, size_t depth,
                                   double sigma_w2, double sigma_b2, const double *x1,
                                   size_t n1, const double *x2, size_t n2, size_t dim,
                                   double *nngp, double *ntk);

/* ---------------- linearized training ---------------- */

/* Predictions of a network linearized around its initialization, trained
 * on the loss (1/2n) sum (f - y)^2 (n training points, out_dim outputs),
 * from its NTK Theta (THEORY.md section 4):
 *   gradient flow at time t (t = eta k):
 *     f_t(X) = y + e^{-Theta t/n} (f_0(X) - y),
 *     f_t(x) = f_0(x) - Theta(x, X) Theta^{-1} (I - e^{-Theta t/n}) (f_0(X) - y);
 *   k steps of gradient descent with rate eta: (I - eta Theta/n)^k in place
 *   of e^{-Theta t/n}.
 * Computed in the eigenbasis of Theta, Theta^{-1}(I - e^{-Theta t/n}) as
 * (1 - e^{-lambda t/n})/lambda per eigenvalue (limit t/n at lambda = 0), so
 * a singular Theta is fine. The handle does the eigendecomposition once;
 * each evaluation then costs O((n + m) n out_dim) and allocates nothing. */
typedef struct mech_linearized mech_linearized;

/* Creates the predictor. Inputs are copied (the caller keeps ownership):
 * theta_train n x n (lower triangle read), theta_test_train m x n (may be
 * NULL when m = 0), f0_train n x out_dim and f0_test m x out_dim (each may
 * be NULL: outputs zero at initialization), y n x out_dim. m may be 0.
 * ctx (may be NULL) must outlive the handle. Caller owns *out
 * (mech_linearized_destroy).
 * Errors: MECH_EINVAL (NULL where needed, zero n or out_dim), MECH_ESHAPE
 * (theta_test_train NULL with m > 0), MECH_ENONFINITE, MECH_EOVERFLOW,
 * MECH_ENOMEM, MECH_ELINALG (eigendecomposition failed). */
MECH_API mech_status mech_linearized_create(mech_linearized **out, const mech_ctx *ctx,
                                            const double *theta_train,
                                            const double *theta_test_train, size_t n,
                                            size_t m, const double *f0_train,
                                            const double *f0_test, const double *y,
                                            size_t out_dim);
/* Frees the predictor; NULL is accepted. */
MECH_API void mech_linearized_destroy(mech_linearized *h);
/* The handle's most recent error message ("" if none or h is NULL). */
MECH_API const char *mech_linearized_last_error(const mech_linearized *h);
/* Eigenvalues of Theta_train, ascending (n entries). */
MECH_API mech_status mech_linearized_eigenvalues(const mech_linearized *h, double *out,
                                                 size_t n);

/* Predictions after gradient flow for time t >= 0 (finite): f_train
 * (n x out_dim) and f_test (m x out_dim); either may be NULL.
 * Errors: MECH_EINVAL (h NULL), MECH_ERANGE (t < 0), MECH_ENONFINITE. */
MECH_API mech_status mech_linearized_at_time(mech_linearized *h, double t, double *f_train,
                                             double *f_test);
/* Predictions after `steps` >= 0 full-batch gradient descent steps with
 * learning rate eta > 0. Errors: MECH_EINVAL, MECH_ERANGE (steps < 0,
 * eta <= 0), MECH_ENONFINITE (eta not finite, or the iteration diverged
 * to Inf: eta lambda_max / n > 2 and many steps). */
MECH_API mech_status mech_linearized_at_steps(mech_linearized *h, int64_t steps, double eta,
                                              double *f_train, double *f_test);

/* One-shot form of the above (creates, evaluates once, frees):
 * gd_steps < 0 uses gradient-flow time t; gd_steps >= 0 takes that many GD
 * steps with rate eta (t ignored). For many times, use the handle. Shapes,
 * NULL rules and errors as mech_linearized_create / _at_time / _at_steps. */
MECH_API mech_status mech_linearized_predict(const mech_ctx *ctx, const double *theta_train,
                                             const double *theta_test_train, size_t n,
                                             size_t m, const double *f0_train,
                                             const double *f0_test, const double *y,
                                             size_t out_dim, double t, int64_t gd_steps,
                                             double eta, double *f_train, double *f_test);

/* ---------------- kernel ridge regression ---------------- */

/* pred_test (m x out_dim) = K_test_train (K_train + ridge I)^{-1} y, with
 * K_train n x n (lower triangle read), K_test_train m x n, y n x out_dim,
 * all row-major and caller-owned (inputs are not modified). ridge >= 0 is
 * added to the diagonal as is (no factor n). Solved by Cholesky; allocates
 * n (n + out_dim) doubles.
 * Errors: MECH_EINVAL (NULL, zero sizes), MECH_ERANGE (ridge < 0),
 * MECH_ENONFINITE, MECH_EOVERFLOW, MECH_ENOMEM, MECH_ELINALG
 * (K_train + ridge I not positive definite). */
MECH_API mech_status mech_kernel_regression(const mech_ctx *ctx, const double *k_train,
                                            const double *k_test_train, const double *y,
                                            size_t n, size_t m, size_t out_dim, double ridge,
                                            double *pred_test);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_KERNELS_H */
