/*
 * Probes of hidden representations and final weights on raw arrays, so a
 * model trained anywhere (PyTorch, JAX, this library) can be measured:
 * CKA and HSIC, effective rank and norms, heavy-tailed spectra, neural
 * collapse, the neural feature ansatz, kernel alignment and the
 * information plane. Formulas: THEORY.md section 9.
 *
 * Arrays are double, row-major, contiguous and caller-owned; they are only
 * borrowed for the call. Representations are n x p with one row per
 * example. Labels are int64 class indices in [0, n_classes).
 * ctx (may be NULL) gives the thread count of the matrix products.
 * Each function allocates its scratch per call (the sizes are stated) and
 * frees it before returning; none keeps state, so all are safe to call
 * from several threads at once.
 *
 * Several-number results are size-first structs: set out->size =
 * sizeof(*out) before the call; only the fields that fit in size are
 * written, so the structs may grow at the end.
 *
 * Errors (status plus mech_last_error()): MECH_EINVAL for NULL or a zero
 * size, MECH_EOVERFLOW when an extent overflows, MECH_ENONFINITE for
 * NaN/Inf entries, MECH_ERANGE for out-of-range values (labels, options,
 * degenerate inputs such as a zero matrix), MECH_ENOMEM, and the statuses
 * of include/mechanics/linalg.h. Outputs are unspecified after an error.
 */
#ifndef MECHANICS_METRICS_H
#define MECHANICS_METRICS_H

#include "mechanics/core.h"
#include "mechanics/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* CKA and HSIC (Kornblith et al. 2019; Song et al. 2012)             */
/* ------------------------------------------------------------------ */

/* Which HSIC estimator CKA is built on. */
typedef enum mech_hsic_estimator {
    /* tr(K H L H)/(n-1)^2 with linear kernels on centered data: CKA is
     * ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F). */
    MECH_HSIC_BIASED = 0,
    /* Song et al. (2012) unbiased U-statistic; needs n >= 4. Its mean is 0
     * for independent X and Y, so CKA built on it can be negative. */
    MECH_HSIC_UNBIASED = 1
} mech_hsic_estimator;

/* Linear-kernel HSIC between X (n x p1) and Y (n x p2), rows paired by
 * example, with the given estimator. Columns are centered internally.
 * Works in feature space (cost n p1 p2 + n p1^2 + n p2^2) or through the
 * n x n Gram matrices (cost n^2 (p1 + p2)), whichever is cheaper.
 * Scratch: n (p1 + p2 + 2) + max(p1, p2) doubles, plus
 * max(p1 p2, max(p1, p2)^2) (feature space) or 2 n^2 (Gram) doubles.
 * Errors: MECH_EINVAL (NULL, zero size), MECH_ERANGE (n < 2; n < 4 for
 * the unbiased estimator; bad estimator), MECH_ENONFINITE. */
MECH_API mech_status mech_hsic(const mech_ctx *ctx, const double *x, size_t n, size_t p1,
                               const double *y, size_t p2, mech_hsic_estimator estimator,
                               double *out);

/* Linear CKA = HSIC(X, Y) / sqrt(HSIC(X, X) HSIC(Y, Y)) with the given
 * estimator: 1 for X = Y; invariant to orthogonal maps and isotropic
 * scalings of either side. Same shapes, cost and scratch as mech_hsic.
 * MECH_ERANGE if X or Y has zero variance (or, unbiased, HSIC(X, X) <= 0). */
MECH_API mech_status mech_cka(const mech_ctx *ctx, const double *x, size_t n, size_t p1,
                              const double *y, size_t p2, mech_hsic_estimator estimator,
                              double *out);

/* CKA with a permutation-null p-value: the rows of Y are permuted n_perm
 * times (uniform permutations drawn from rng, which advances);
 * p = (1 + #{CKA_perm >= CKA}) / (1 + n_perm). cka and p_value (both
 * required) receive the observed CKA and the p-value. n_perm >= 1.
 * Scratch as mech_cka plus n (p2 + 2) doubles. Cost: n_perm + 1 CKA
 * cross terms. */
MECH_API mech_status mech_cka_permutation_test(const mech_ctx *ctx, const double *x,
                                               size_t n, size_t p1, const double *y,
                                               size_t p2, mech_hsic_estimator estimator,
                                               size_t n_perm, mech_rng *rng, double *cka,
                                               double *p_value);

/* ------------------------------------------------------------------ */
/* Effective rank and norms                                           */
/* ------------------------------------------------------------------ */

/* Spectral summary of a matrix. With singular values s_i (i < r =
 * min(m, n)) and eigenvalues lambda_i = s_i^2 (of A^T A, or of the
 * covariance up to a factor when columns are centered): */
typedef struct mech_spectrum_result {
    size_t size;
    size_t count;               /* r = min(m, n) singular values */
    double frobenius_norm;      /* sqrt(sum s_i^2) */
    double spectral_norm;       /* s_0, the largest */
    double stable_rank;         /* ||A||_F^2 / ||A||_2^2 */
    double participation_ratio; /* (sum lambda)^2 / sum lambda^2 */
    double entropy_rank;        /* exp(H(p)), p_i = lambda_i / sum lambda */
} mech_spectrum_result;

/* Spectrum of the m x n matrix A (a weight matrix, or a representation
 * with one example per row). center_columns subtracts each column's mean
 * first, so lambda are the covariance eigenvalues times (m - 1) (the
 * ratios are unaffected) and the norms are those of the centered matrix.
 * singular_values (min(m, n) entries, descending; may be NULL) receives
 * s_i. Scratch: m n + min(m, n) + n doubles plus LAPACK workspace.
 * MECH_ERANGE for a zero (or, centered, constant-column) matrix. */
MECH_API mech_status mech_matrix_spectrum(const mech_ctx *ctx, const double *a, size_t m,
                                          size_t n, bool center_columns,
                                          double *singular_values,
                                          mech_spectrum_result *out);

/* Participation ratio (sum lambda)^2 / sum lambda^2 and entropy rank
 * exp(-sum p log p), p = lambda / sum lambda (0 log 0 = 0), from m given
 * eigenvalues lambda >= 0 (e.g. of a covariance). Either output may be
 * NULL. MECH_ERANGE for a negative eigenvalue or if all are zero. */
MECH_API mech_status mech_effective_rank(const double *eigenvalues, size_t m,
                                         double *participation_ratio,
                                         double *entropy_rank);

/* ------------------------------------------------------------------ */
/* Heavy-tailed spectra (Martin & Mahoney; Clauset, Shalizi & Newman) */
/* ------------------------------------------------------------------ */

/* Continuous power-law fit p(x) ∝ x^-alpha for x >= x_min. */
typedef struct mech_power_law_result {
    size_t size;
    double alpha;       /* 1 + n_tail / sum_tail ln(x_i / x_min) */
    double x_min;       /* the candidate minimizing ks_distance */
    double ks_distance; /* sup |empirical tail CDF - fitted CDF| */
    size_t n_tail;      /* number of values >= x_min */
    double alpha_se;    /* (alpha - 1) / sqrt(n_tail) */
} mech_power_law_result;

/* Fits a power law to m values (e.g. eigenvalues). Values <= 0 are ignored
 * (round-off of zero eigenvalues). Every distinct positive value leaving
 * at least min_tail values at or above it is a candidate x_min; the one
 * with the smallest KS distance wins (ties: the smaller x_min).
 * min_tail = 0 means 10; otherwise min_tail >= 2. Cost O(u k) for u
 * candidates and tail sizes k. Scratch: 2 m doubles.
 * MECH_ERANGE if fewer than min_tail positive values, no candidate with a
 * non-degenerate tail, or min_tail == 1. */
MECH_API mech_status mech_power_law_fit(const double *values, size_t m, size_t min_tail,
                                        mech_power_law_result *out);

/* Power-law fit of the eigenvalues of W^T W (the squared singular values
 * of the m x n weight matrix W). eigenvalues (min(m, n) entries,
 * descending; may be NULL) receives them. Scratch: m n + 3 min(m, n)
 * doubles plus LAPACK workspace. Errors as mech_power_law_fit. */
MECH_API mech_status mech_weight_power_law(const mech_ctx *ctx, const double *w, size_t m,
                                           size_t n, size_t min_tail, double *eigenvalues,
                                           mech_power_law_result *out);

/* ------------------------------------------------------------------ */
/* Neural collapse (Papyan, Han & Donoho 2020)                        */
/* ------------------------------------------------------------------ */

/* With class means mu_c, their average mu_G, centered means
 * M_c = mu_c - mu_G (rows of M, C x p), Sigma_W = (1/n) sum_i
 * (h_i - mu_{y_i})(h_i - mu_{y_i})^T and Sigma_B = (1/C) M^T M: */
typedef struct mech_neural_collapse_result {
    size_t size;
    double nc1;              /* tr(Sigma_W Sigma_B^+) / C */
    double equinorm;         /* std / mean of ||M_c|| (population std) */
    double cos_mean;         /* mean cos(M_c, M_c') over pairs c < c' */
    double equiangular_mean; /* mean |cos + 1/(C-1)| over pairs */
    double equiangular_max;  /* max |cos + 1/(C-1)| over pairs */
    double nc3;              /* ||W/||W||_F - M/||M||_F||_F^2; NaN without W */
    double nc4;              /* fraction where nearest class mean != argmax(W h + b); NaN without W */
} mech_neural_collapse_result;

/* Neural-collapse metrics of last-layer features H (n x p) with labels
 * (n values in [0, n_classes)), n_classes >= 2, every class present.
 * w (n_classes x p, row c = class c's classifier; may be NULL) and bias
 * (n_classes; may be NULL = zero) give NC3 and NC4. Sigma_B^+ keeps the
 * top min(C - 1, p) eigenvalues of Sigma_B above 1e-12 times the largest.
 * mu_G is the average of the class means (the global mean when classes are
 * balanced). Ties in either prediction go to the lower class index.
 * Scratch, with r = min(C, p): n (p + r + C) + C (2 p + C + 2) + r (p + 1)
 * doubles plus LAPACK workspace.
 * MECH_ERANGE for labels out of range, an empty class, or M = 0. */
MECH_API mech_status mech_neural_collapse(const mech_ctx *ctx, const double *h, size_t n,
                                          size_t p, const int64_t *labels, size_t n_classes,
                                          const double *w, const double *bias,
                                          mech_neural_collapse_result *out);

/* ------------------------------------------------------------------ */
/* Neural feature ansatz (Radhakrishnan et al. 2024)                  */
/* ------------------------------------------------------------------ */

/* Average gradient outer product G^T G / n from per-example input
 * gradients G (n x d; for several outputs, stack their gradients as
 * extra rows and divide by the row count: the ansatz's correlations do
 * not depend on the scale). agop: d x d, caller-owned. */
MECH_API mech_status mech_agop(const mech_ctx *ctx, const double *grads, size_t n, size_t d,
                               double *agop);

/* Neural feature ansatz: compares the neural feature matrix W1^T W1 of the
 * first layer W1 (k x d: k hidden units, d inputs) with agop (d x d),
 * entrywise. pearson receives the Pearson correlation of the d^2 entry
 * pairs (entries centered by their means); cosine (may be NULL) the
 * uncentered correlation <A, B>_F / (||A||_F ||B||_F). Both are 1 when
 * agop = c W1^T W1, c > 0. Scratch: d^2 doubles.
 * MECH_ERANGE when either matrix has constant entries (pearson) or is
 * zero (cosine). */
MECH_API mech_status mech_nfa_correlation(const mech_ctx *ctx, const double *w1, size_t k,
                                          size_t d, const double *agop, double *pearson,
                                          double *cosine);

/* ------------------------------------------------------------------ */
/* Kernel alignment                                                   */
/* ------------------------------------------------------------------ */

/* Kernel-target alignment <K, Y Y^T>_F / (||K||_F ||Y Y^T||_F) of an n x n
 * kernel K and targets Y (n x c; c = 1 for a vector y). centered replaces
 * K by H K H and Y by H Y, H = I - 11^T/n (Cortes et al. 2012).
 * Scratch: 2 n c + c^2 + c doubles (+ 2 n when centered).
 * MECH_ERANGE if K or Y Y^T (after centering) is zero. */
MECH_API mech_status mech_kernel_target_alignment(const mech_ctx *ctx, const double *k,
                                                  size_t n, const double *y, size_t c,
                                                  bool centered, double *out);

/* Kernel distance 1 - <K1, K2>_F / (||K1||_F ||K2||_F) between two n x n
 * kernels (e.g. the empirical NTK at initialization and later: a measure of
 * feature learning). No scratch. MECH_ERANGE if either kernel is zero. */
MECH_API mech_status mech_kernel_distance(const double *k1, const double *k2, size_t n,
                                          double *out);

/* ------------------------------------------------------------------ */
/* Information plane (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018)    */
/* ------------------------------------------------------------------ */

/* Mutual-information estimates of one layer, in nats. */
typedef struct mech_information_plane {
    size_t size;
    double i_xt;       /* I(X; T) */
    double i_ty;       /* I(T; Y); NaN without labels */
    size_t n_patterns; /* binned: distinct binned rows; kernel: 0 */
} mech_information_plane;

/* Binned estimate: activations T (n x p) are cut into n_bins equal bins
 * over the layer's range [min T, max T] (all entries; a constant T is one
 * bin), each distinct row of bin indices is a symbol, and with X uniform
 * over the n inputs and a deterministic network I(X; T) = H(T) and
 * I(T; Y) = H(T) - H(T | Y) = H(T) + H(Y) - H(T, Y). labels (may be NULL)
 * in [0, n_classes). n_bins >= 1. Scratch: n p uint32 values and at most
 * 5 n + 2 + n_classes size_t values.
 * MECH_ERANGE for labels out of range. */
MECH_API mech_status mech_information_plane_binned(const double *t, size_t n, size_t p,
                                                   const int64_t *labels, size_t n_classes,
                                                   size_t n_bins,
                                                   mech_information_plane *out);

/* Kernel (KDE) upper bounds with Gaussian noise of variance noise_var > 0
 * added to T (Kolchinsky & Tracey 2017; Saxe et al. 2018):
 *   I(X; T) = -(1/n) sum_i log((1/n) sum_j exp(-|t_i - t_j|^2 / (2 noise_var)))
 *   I(T; Y) = I(X; T) - sum_y (n_y/n) [the same bound within class y].
 * labels (may be NULL) in [0, n_classes); empty classes add nothing.
 * Scratch: n^2 + n + n_classes doubles.
 * MECH_ERANGE for labels out of range or noise_var <= 0. */
MECH_API mech_status mech_information_plane_kde(const mech_ctx *ctx, const double *t,
                                                size_t n, size_t p, const int64_t *labels,
                                                size_t n_classes, double noise_var,
                                                mech_information_plane *out);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_METRICS_H */
