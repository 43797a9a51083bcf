/*
 * Scaling-law fits: the Chinchilla parametric law, power laws with an
 * offset, broken power laws, and the compute-optimal allocation
 * (THEORY.md section 8 of the project notes).
 *
 * Chinchilla law (Hoffmann et al. 2022): L(N, D) = E + A / N^alpha + B / D^beta
 * for N parameters trained on D tokens; training compute C = 6 N D.
 *
 * Result structs cross the ABI: set out->size = sizeof(*out) before a call;
 * fields past out->size are not written (older callers keep working).
 * All functions are pure: they allocate only scratch memory that they free
 * before returning, and keep no state. ctx (may be NULL) supplies the seed
 * of the bootstrap's random stream and the thread count of linear algebra.
 */
#ifndef MECHANICS_LAWS_H
#define MECHANICS_LAWS_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A fit of the Chinchilla law and, after a bootstrap, its uncertainty. */
typedef struct mech_chinchilla_fit {
    size_t size;
    double E, A, B, alpha, beta;
    /* Objective at the fit: the Huber sum (mech_fit_chinchilla) or half the
     * residual sum of squares on L (mech_varpro_chinchilla). */
    double objective;
    double grad_norm;  /* max-norm of the objective's gradient at the fit, in
                          the optimizer's coordinates (see each function) */
    int n_starts;      /* optimizer starts run */
    int n_converged;   /* starts that met a convergence test (gradient or
                          relative reduction), not an iteration limit */
    int iterations;    /* L-BFGS iterations of the start that won */
    size_t n_used;     /* runs fitted, after dropping outliers */
    int bootstrap;     /* bootstrap resamples behind the intervals; 0: none */
    /* Bootstrap standard errors (sample standard deviation over resamples)
     * and 95% percentile intervals [lo, hi]; NaN when bootstrap == 0. */
    double se_E, se_A, se_B, se_alpha, se_beta;
    double lo_E, hi_E, lo_A, hi_A, lo_B, hi_B;
    double lo_alpha, hi_alpha, lo_beta, hi_beta;
} mech_chinchilla_fit;

/* Fits the Chinchilla law as published (Hoffmann et al. 2022, approach 3;
 * replicated by Besiroglu et al. 2024): with p = (a, b, e, alpha, beta),
 * A = exp(a), B = exp(b), E = exp(e), minimizes
 *   sum_i Huber_delta(LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i),
 *   Huber_delta(r) = r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond
 * (the sum, not the mean; scipy.special.huber), by L-BFGS from each of the
 * 4500 grid points alpha, beta in {0, 0.5, ..., 2}, e in {-1, -0.5, ..., 1},
 * a, b in {0, 5, ..., 25}, keeping the lowest objective. The grid runs
 * stop like scipy's L-BFGS-B defaults (max-norm of the gradient <= 1e-5,
 * or relative reduction of the objective <= 2.2e-9 (factr 1e7), or 15000
 * iterations); the winner is then polished to a gradient max-norm of 1e-8
 * (or until the objective stops decreasing), since the objective is so
 * flat along A and B that the relative-reduction test stops early there.
 * On x86-64 CPUs with AVX2 and FMA the objective is evaluated four runs at
 * a time with the library's own exp and log (within 2 machine epsilons of
 * libm's), so fits may differ between CPUs in their last digits.
 *
 * n, d, loss: count values each (parameters, tokens, final loss), all
 * finite and > 0. drop_highest: number of runs with the highest loss left
 * out before fitting (ties broken by position; the replication drops 5).
 * delta > 0 (the published value is 1e-3). bootstrap: number of resamples
 * (0 for none): the kept runs are resampled with replacement (stream
 * 0x6C617773 of the context's seed), and each resample is refitted (with
 * the polishing tolerances) from the full fit and from 4 grid points drawn
 * at random, keeping the best; then se_* and lo_* / hi_* are filled in.
 * grad_norm is with respect to p; iterations counts the winner's grid run
 * plus its polish.
 * out: caller-owned, out->size set.
 * Errors: MECH_EINVAL (NULL, out->size unset, fewer than 5 runs left after
 * dropping), MECH_ENONFINITE (NaN/Inf input), MECH_ERANGE (a value <= 0,
 * delta <= 0, bootstrap > 2^31 - 1), MECH_ENOCONV (no start reached a finite objective),
 * MECH_ENOMEM. */
MECH_API mech_status mech_fit_chinchilla(const mech_ctx *ctx, const double *n,
                                         const double *d, const double *loss,
                                         size_t count, size_t drop_highest,
                                         double delta, size_t bootstrap,
                                         mech_chinchilla_fit *out);

/* The same Huber objective as mech_fit_chinchilla, minimized by one L-BFGS
 * run (polishing tolerances) from start->E, A, B, alpha, beta (e.g. a
 * mech_varpro_chinchilla fit: a fast initializer instead of the grid; it
 * finds the local optimum nearest the start, not necessarily the grid's
 * best). All runs are used; no bootstrap.
 * start: E, A, B > 0 and finite alpha, beta. Errors as mech_fit_chinchilla. */
MECH_API mech_status mech_fit_chinchilla_from(const mech_ctx *ctx, const double *n,
                                              const double *d, const double *loss,
                                              size_t count, double delta,
                                              const mech_chinchilla_fit *start,
                                              mech_chinchilla_fit *out);

/* Variable projection: a different estimator of the same law, least squares
 * on L itself: minimizes (1/2) sum_i (E + A N_i^-alpha + B D_i^-beta - L_i)^2.
 * For fixed (alpha, beta) the best E, A, B solve a linear least-squares
 * problem; L-BFGS minimizes the projected objective over (alpha, beta)
 * from the 16 starts alpha, beta in {0.1, 0.3, 0.6, 1.2} (grad_norm is with
 * respect to (alpha, beta)). E, A, B are not constrained to be positive.
 * No outlier dropping and no bootstrap: every run counts. Errors: as
 * mech_fit_chinchilla; MECH_ENOCONV if no start gave a finite fit. */
MECH_API mech_status mech_varpro_chinchilla(const mech_ctx *ctx, const double *n,
                                            const double *d, const double *loss,
                                            size_t count, mech_chinchilla_fit *out);

/* The law at (n, d): E + A n^-alpha + B d^-beta. Errors: MECH_EINVAL (NULL),
 * MECH_ENONFINITE, MECH_ERANGE (n or d <= 0). */
MECH_API mech_status mech_chinchilla_loss(const mech_chinchilla_fit *fit, double n,
                                          double d, double *loss);

/* Compute-optimal allocation of C = 6 N D FLOP under the fitted law:
 *   N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = (C/6)^(alpha/(alpha+beta)) / G,
 *   G = (alpha A / (beta B))^(1/(alpha+beta)),
 * the minimizer of L(N, C/(6N)) over N. Tokens per parameter: D_opt / N_opt.
 * Errors: MECH_EINVAL (NULL), MECH_ENONFINITE, MECH_ERANGE (c, A, B, alpha
 * or beta <= 0: no interior optimum). */
MECH_API mech_status mech_chinchilla_compute_optimal(const mech_chinchilla_fit *fit,
                                                     double c, double *n_opt,
                                                     double *d_opt);

/* A fit of y = E + A x^-alpha. */
typedef struct mech_power_law_fit {
    size_t size;
    double E, A, alpha;
    double rss;        /* sum of squared residuals on y */
    int evaluations;   /* objective evaluations of the alpha search */
} mech_power_law_fit;

/* Least squares on y of y = E + A x^-alpha (offset = true) or y = A x^-alpha
 * (offset = false, E = 0), by variable projection: E and A are linear for
 * fixed alpha; alpha is found by a scan of 400 log-spaced values in
 * [1e-3, 10] refined by golden-section search to 1e-12 relative (so the
 * fitted alpha lies in that range; a decreasing law is assumed, negative A
 * fits an increasing one). x: n values > 0 with at least two distinct;
 * y: n finite values; n >= 3 (offset) or >= 2.
 * Errors: MECH_EINVAL (NULL, n too small, all x equal), MECH_ENONFINITE,
 * MECH_ERANGE (x <= 0). */
MECH_API mech_status mech_fit_power_law(const double *x, const double *y, size_t n,
                                        bool offset, mech_power_law_fit *out);

/* A fit of the continuous broken power law
 *   y = A x^-alpha1 for x <= x_break,
 *   y = A x_break^(alpha2 - alpha1) x^-alpha2 for x > x_break,
 * i.e. two straight lines meeting at x_break on log-log axes. */
typedef struct mech_broken_power_law_fit {
    size_t size;
    double A, alpha1, alpha2, x_break;
    double rss;        /* sum of squared residuals on log y */
} mech_broken_power_law_fit;

/* Least squares on log y of the broken power law. For a fixed break the
 * fit is linear in (log A, alpha1, alpha2); the break is searched in every
 * interval between consecutive distinct x that leaves at least 2 distinct
 * x on each side (golden section within each interval), so the result is
 * the global optimum up to the golden-section tolerance (1e-12 relative on
 * log x). x, y: n values > 0; at least 4 distinct x.
 * Errors: MECH_EINVAL (NULL, too few distinct x), MECH_ENONFINITE,
 * MECH_ERANGE (x or y <= 0), MECH_ENOMEM. */
MECH_API mech_status mech_fit_broken_power_law(const double *x, const double *y, size_t n,
                                               mech_broken_power_law_fit *out);

/* ---------------- Power-law models of scaling ----------------
 * Exact spectral sums for linear and random-feature models on a power-law
 * spectrum (THEORY.md section 8): feature variances lambda_k = k^-alpha,
 * k = 1, 2, ..., and a target whose mode-k share of the loss is
 * lambda_k w*_k^2 = k^-(1 + alpha beta). With v_k^2 = k^-(1 + alpha beta)
 * and L_k(kappa) = lambda_k / (lambda_k + kappa), the losses (1/2-MSE,
 * noiseless) are:
 *  TIME     gradient flow on the full model, unlimited data, time t:
 *           (1/2) sum_k v_k^2 exp(-2 lambda_k t)              ~ t^-beta
 *  DATA     ridgeless kernel regression on n samples (eigenlearning,
 *           mech_eigenlearning on the infinite spectrum): kappa solves
 *           sum_k L_k = n and the loss is
 *           (1/2) E0 sum_k (1 - L_k)^2 v_k^2, E0 = n / (n - sum_k L_k^2)
 *                                                  ~ n^-(alpha min(2, beta))
 *           (the squared bias saturates at beta = 2).
 *  WIDTH    N random features (Gaussian random projections of the
 *           features), unlimited data, no ridge: the population least-
 *           squares fit in the span of the N features, whose deterministic
 *           equivalent is the projector sum_k L_k(gamma) e_k e_k^T with
 *           sum_k L_k(gamma) = N; the loss is
 *           (1/2) sum_k (1 - L_k(gamma)) v_k^2          ~ N^-(alpha min(1, beta))
 *           (the random-feature bias is not squared, so it saturates at
 *           beta = 1; projecting on the top-N modes instead would give
 *           N^-(alpha beta) with no saturation).
 *  COMPUTE  the compute-optimal frontier L*(C) = min_N L(N, C/N) of the
 *           width-and-time loss (mech_powerlaw_model_loss below), compute
 *           C = N t:                                  ~ C^-(beta c / (beta + c)),
 *           c = alpha min(1, beta), from L ~ t^-beta + N^-c.
 * Sums: the first 1024 terms exactly, the rest by the midpoint
 * Euler-Maclaurin formula (integral by Simpson in ln k, plus the f'/24
 * correction), so the spectrum is
 * effectively untruncated (relative error ~1e-10). Needs alpha > 1 (a
 * trace-class kernel) except for TIME (alpha > 0); beta > 0; alpha <= 16
 * and alpha beta <= 64. Cost: TIME one sum per point; DATA and WIDTH
 * ~10-30 sums (Newton on ln kappa); COMPUTE ~100 (golden section over ln N),
 * each sum ~0.1-1 ms. */
typedef enum mech_powerlaw_kind {
    MECH_POWERLAW_TIME = 0,    /* x = gradient-flow time t > 0 */
    MECH_POWERLAW_DATA = 1,    /* x = samples n > 0 (real-valued) */
    MECH_POWERLAW_WIDTH = 2,   /* x = random features N > 0 (real-valued) */
    MECH_POWERLAW_COMPUTE = 3  /* x = compute C = N t > 1 */
} mech_powerlaw_kind;

/* Loss of model `kind` at each of the n values x (see above) into loss (n).
 * Errors: MECH_EINVAL (NULL, n = 0, unknown kind), MECH_ENONFINITE,
 * MECH_ERANGE (alpha, beta or an x out of range), MECH_ENOCONV (a root
 * solve failed). */
MECH_API mech_status mech_powerlaw_model_curve(mech_powerlaw_kind kind, double alpha,
                                               double beta, const double *x, size_t n,
                                               double *loss);

/* Width-and-time loss of N random features trained by gradient flow for
 * time t on unlimited data: with gamma as for WIDTH,
 *   L(N, t) = (1/2) sum_k v_k^2 [(1 - L_k) + L_k exp(-2 lambda_k t)],
 * i.e. the learnable share L_k of each mode decays at its own rate and the
 * rest is the width-limited floor: exact as t -> inf (WIDTH) and as
 * N -> inf (TIME), an interpolation in between. width > 0, t >= 0.
 * Errors: as mech_powerlaw_model_curve. */
MECH_API mech_status mech_powerlaw_model_loss(double alpha, double beta, double width,
                                              double t, double *loss);

/* Compute-optimal frontier: for each of the n budgets c (> 1) the minimum
 * over N of mech_powerlaw_model_loss(N, c/N) into loss, and the minimizing
 * N into width_opt (may be NULL), found over N in [1, c] (t >= 1) by
 * golden section in ln gamma (N = sum_k L_k(gamma) is then a plain sum) to
 * 1e-8 relative. Errors: as mech_powerlaw_model_curve. */
MECH_API mech_status mech_powerlaw_compute_frontier(double alpha, double beta,
                                                    const double *c, size_t n,
                                                    double *loss, double *width_opt);

/* Fitted and asymptotic exponents of model `kind`: *fitted is minus the
 * least-squares slope of ln loss against ln x over 24 log-spaced x in
 * [lo, hi]; *predicted is beta (TIME), alpha min(2, beta) (DATA),
 * alpha min(1, beta) (WIDTH) or beta c / (beta + c), c = alpha min(1, beta)
 * (COMPUTE). Near the crossovers (beta = 1, 2) logarithmic corrections make
 * the fit drift from the prediction. Either output may be NULL.
 * Errors: as mech_powerlaw_model_curve, plus MECH_ERANGE unless
 * 0 < lo < hi (and lo > 1 for COMPUTE). */
MECH_API mech_status mech_powerlaw_model_exponent(mech_powerlaw_kind kind, double alpha,
                                                  double beta, double lo, double hi,
                                                  double *fitted, double *predicted);

/* ---------------- Learning-rate transfer ---------------- */

/* Best learning rate per width from a sweep: losses (nw x nl x n_seeds,
 * row-major: losses[(w nl + l) n_seeds + s]) are final losses at width
 * widths[w] and rate lrs[l]. A non-finite loss (NaN, +-Inf: diverged)
 * makes that (width, rate) +Inf; otherwise the seeds are averaged. The
 * best rate of a width is the grid minimum of the mean, refined by the
 * vertex of the parabola through the minimum and its two neighbours in
 * ln lr when both neighbours are finite (else the grid point itself);
 * best_lr[w] = NaN when every rate diverged at that width.
 * shift (nw, may be NULL) receives ln(best_lr[w] / best_lr[0]) in grid
 * steps (mean spacing of ln lrs); slope (may be NULL) receives the least-
 * squares slope of ln best_lr against ln width over the finite ones (NaN
 * with fewer than two): ~0 when rates transfer across width (the muP
 * claim), non-zero when they drift (e.g. SP).
 * widths: nw values > 0; lrs: nl >= 3 values > 0, strictly increasing.
 * Errors: MECH_EINVAL (NULL, nw or n_seeds 0, nl < 3), MECH_ENONFINITE
 * (widths, lrs), MECH_ERANGE (values <= 0, lrs not increasing). */
MECH_API mech_status mech_lr_sweep_best(const double *widths, size_t nw, const double *lrs,
                                        size_t nl, const double *losses, size_t n_seeds,
                                        double *best_lr, double *shift, double *slope);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_LAWS_H */
