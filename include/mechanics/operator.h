/*
 * Operator eigensolvers and trace estimators over a matrix-vector callback:
 * the one copy that probes (sharpness, Hessian spectra) and theory share.
 *
 * The operator H is real symmetric (a Hessian, a kernel, a Gram matrix) of
 * dimension n and is only seen through products out = H v computed by the
 * caller's mech_matvec_fn. Symmetry is assumed, not checked.
 *
 * Callback convention (mech_matvec_fn): 0 = ok; < 0 = abort: the call
 * returns MECH_ECALLBACK; > 0 = stop early and cleanly: the call returns
 * MECH_STOPPED with what is meaningful so far (said per function). A
 * product holding NaN or Inf ends the call with MECH_ENONFINITE. The callback
 * must not call back into the same handle.
 *
 * Randomness (start vectors, probe vectors) comes from the handle's own
 * mech_rng on a fixed stream of the context's seed (MECH_CTX_SEED; ctx may
 * be NULL for seed 0), so results are reproducible from the seed; repeated
 * calls on one handle continue the stream (fresh probes each call).
 * Streams: Lanczos 0x6c616e637a6f73 ("lanczos"), Hutchinson
 * 0x6875746368 ("hutch"), SLQ 0x736c71 ("slq").
 *
 * Allocation: create allocates every array of size n (the Krylov basis,
 * probe and work vectors). solve/estimate/run allocate nothing of size n;
 * the projected m x m eigenproblems go through mech_syev, which allocates
 * LAPACK workspace of O(m^2) per Rayleigh-Ritz step. Getters never allocate.
 * Distinct handles may be used from distinct threads; one handle is not
 * safe for concurrent calls. The context is borrowed: it must outlive every
 * handle made from it (it supplies the BLIS thread count).
 *
 * Arrays are caller-owned, row-major; a handle's last error is read with
 * its *_last_error function (and mech_last_error()).
 */
#ifndef MECHANICS_OPERATOR_H
#define MECHANICS_OPERATOR_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out[0..n) = H v[0..n). v and out do not overlap; v must not be modified.
 * Return 0 to continue, > 0 to stop cleanly, < 0 to abort. */
typedef int (*mech_matvec_fn)(const double *v, double *out, size_t n, void *user_data);

/* ------------------------------------------------------------------ */
/* Lanczos: k extreme eigenpairs                                      */
/* ------------------------------------------------------------------ */

/* Thick-restart Lanczos (Wu & Simon 2000) with full reorthogonalization
 * (two passes of classical Gram-Schmidt against the whole basis) and exact
 * Rayleigh-Ritz on the projected matrix V^T H V. A Ritz pair (theta, x)
 * counts as converged when ||H x - theta x|| <= TOL * max_i |theta_i|
 * (the largest Ritz value magnitude estimates ||H||); for a symmetric H the
 * eigenvalue error is then at most that residual, and typically its square
 * over the spectral gap.
 *
 * Multiplicity: a Krylov space from one start vector holds one vector of a
 * degenerate eigenspace. When the wanted pairs first converge, the solver
 * keeps them and restarts from a fresh random vector orthogonal to them, so
 * further copies of a wanted eigenvalue (and eigenvalues the start vector
 * missed) enter; it finishes only when the wanted values no longer change
 * under such a restart. A copy can still be missed when its Ritz value stays
 * below the k-th wanted one during that deflated cycle (tight clusters at
 * the k-th position). The check costs one more cycle of products (about
 * the basis size); MECH_LANCZOS_CONFIRM = 0 skips it, for operators whose
 * wanted eigenvalues are known to be simple or when only the value of the
 * top eigenvalue matters (a sharpness estimate: a missed copy does not
 * change the largest value).
 *
 * When the basis size equals n the first cycle spans the whole space and
 * the result is exact Rayleigh-Ritz (an exact eigendecomposition up to
 * rounding): small operators need no special case. */
typedef struct mech_lanczos mech_lanczos;

/* Which end of the spectrum (option MECH_LANCZOS_WHICH). */
typedef enum mech_lanczos_which {
    MECH_LANCZOS_LARGEST = 0,   /* largest algebraic (sharpness = lambda_max) */
    MECH_LANCZOS_SMALLEST = 1,  /* smallest algebraic */
    MECH_LANCZOS_MAGNITUDE = 2  /* largest |lambda| */
} mech_lanczos_which;

/* Option keys (typed; out-of-range values give MECH_ERANGE); listed by
 * mech_option_* under MECH_KIND_LANCZOS (MECH_SLQ_PROBES: MECH_KIND_SLQ). */
typedef enum mech_lanczos_opt {
    MECH_LANCZOS_WHICH = 0,        /* i64, mech_lanczos_which; default LARGEST */
    MECH_LANCZOS_TOL = 1,          /* f64 in [1e-15, 1], relative residual
                                    * tolerance (see above); default 1e-10.
                                    * Below ~1e-13 rounding (n eps ||H||) may
                                    * keep it out of reach: MECH_ENOCONV */
    MECH_LANCZOS_MAX_RESTARTS = 2, /* i64 >= 0, restarts per solve before
                                    * MECH_ENOCONV; default 500 */
    MECH_LANCZOS_WARM_START = 3,   /* i64 0/1, default 1: without an explicit
                                    * start vector, start the next solve from
                                    * the sum of the previous solve's Ritz
                                    * vectors (0: a random vector each solve) */
    MECH_LANCZOS_CONFIRM = 4,      /* i64 0/1, default 1: after the wanted pairs
                                    * converge, restart once from a fresh random
                                    * vector to catch missed copies of degenerate
                                    * eigenvalues (see Multiplicity above); 0:
                                    * finish at first convergence */
    MECH_LANCZOS_NOPTS = 5
} mech_lanczos_opt;

/* Statistics of the last solve (mech_lanczos_get_stat). */
typedef enum mech_lanczos_stat {
    MECH_LANCZOS_STAT_MATVECS = 0,   /* callback calls, verification included */
    MECH_LANCZOS_STAT_STEPS = 1,     /* Lanczos steps (basis expansions) */
    MECH_LANCZOS_STAT_RESTARTS = 2,  /* thick restarts */
    MECH_LANCZOS_STAT_CONVERGED = 3  /* wanted pairs meeting the tolerance */
} mech_lanczos_stat;

/* Creates a solver for the k wanted eigenpairs of an n x n operator with a
 * Krylov basis of `basis` vectors (0: min(n, max(2k + 10, 20))). Needs
 * 1 <= k <= n and either basis == n or k + 3 <= basis <= n; k > n or a
 * basis out of range -> MECH_ERANGE; n == 0 or k == 0 -> MECH_EINVAL.
 * Allocates (basis + 1) n + 3 n doubles plus O(basis^2). Caller owns *out. */
MECH_API mech_status mech_lanczos_create(mech_lanczos **out, const mech_ctx *ctx,
                                         size_t n, size_t k, size_t basis);
/* Frees a solver; NULL is accepted. */
MECH_API void mech_lanczos_destroy(mech_lanczos *h);
MECH_API const char *mech_lanczos_last_error(const mech_lanczos *h);

MECH_API mech_status mech_lanczos_set_i64(mech_lanczos *h, mech_lanczos_opt key,
                                          int64_t value);
MECH_API mech_status mech_lanczos_get_i64(const mech_lanczos *h, mech_lanczos_opt key,
                                          int64_t *value);
MECH_API mech_status mech_lanczos_set_f64(mech_lanczos *h, mech_lanczos_opt key,
                                          double value);
MECH_API mech_status mech_lanczos_get_f64(const mech_lanczos *h, mech_lanczos_opt key,
                                          double *value);

/* Start vector of the next solve only (v: n entries, copied; need not be
 * normalized). Use it to warm-start from a previous eigenvector. A zero
 * vector falls back to a random start. MECH_ENONFINITE on NaN/Inf. */
MECH_API mech_status mech_lanczos_set_start(mech_lanczos *h, const double *v);

/* Computes the k wanted eigenpairs of the operator given by fn.
 * Outputs (caller buffers, in wanted order: descending for LARGEST,
 * ascending for SMALLEST, by descending |lambda| for MAGNITUDE):
 *   values[k]        Ritz values (required);
 *   vectors[k * n]   unit Ritz vectors, vector i at vectors + i n (may be NULL);
 *   residuals[k]     ||H x_i - theta_i x_i||, each measured with one extra
 *                    product (may be NULL);
 *   converged[k]     1 if pair i meets the tolerance, else 0 (may be NULL).
 * Returns MECH_OK when all k converged; MECH_ENOCONV after MAX_RESTARTS
 * restarts, with every output filled with the current (partial) pairs;
 * MECH_STOPPED if the callback returned > 0: no meaningful partial result
 * mid-cycle, so values and residuals are NaN, converged 0, vectors
 * untouched; MECH_ECALLBACK / MECH_ENONFINITE as said above. */
MECH_API mech_status mech_lanczos_solve(mech_lanczos *h, mech_matvec_fn fn,
                                        void *user_data, double *values, double *vectors,
                                        double *residuals, int *converged);

/* A statistic of the last solve. */
MECH_API mech_status mech_lanczos_get_stat(const mech_lanczos *h, mech_lanczos_stat key,
                                           int64_t *value);

/* ------------------------------------------------------------------ */
/* Hutchinson and Hutch++ trace estimators                            */
/* ------------------------------------------------------------------ */

/* tr(H) from products with random sign (Rademacher) vectors.
 *  - sketch == 0: Hutchinson. Each probe z gives z^T H z; the estimate is
 *    their mean, the standard error their sample standard deviation over
 *    sqrt(n_probes). Products: n_probes.
 *  - sketch = s > 0: Hutch++ (Meyer, Musco, Musco & Woodruff 2021). Q =
 *    orth(H S) for an n x s sign matrix S (directions whose norm falls below
 *    1e-12 of the largest are dropped), the trace of Q^T H Q exactly, plus
 *    Hutchinson on (I - QQ^T) H (I - QQ^T) with n_probes fresh probes; the
 *    standard error is that of the stochastic part. Products: 2 s + n_probes
 *    (fewer if the sketch has lower rank).
 * The standard error needs n_probes >= 2 (NaN otherwise). */
typedef struct mech_hutchinson mech_hutchinson;

typedef enum mech_hutchinson_stat {
    MECH_HUTCHINSON_STAT_MATVECS = 0, /* callback calls of the last estimate */
    MECH_HUTCHINSON_STAT_PROBES = 1,  /* stochastic probes used */
    MECH_HUTCHINSON_STAT_RANK = 2     /* Hutch++: rank kept from the sketch */
} mech_hutchinson_stat;

/* n >= 1, n_probes >= 1 (MECH_EINVAL if 0), sketch <= n (MECH_ERANGE).
 * Allocates (sketch + 2) n doubles. Caller owns *out. */
MECH_API mech_status mech_hutchinson_create(mech_hutchinson **out, const mech_ctx *ctx,
                                            size_t n, size_t n_probes, size_t sketch);
MECH_API void mech_hutchinson_destroy(mech_hutchinson *h);
MECH_API const char *mech_hutchinson_last_error(const mech_hutchinson *h);
/* Estimates tr(H): *trace and *std_error (either may be NULL).
 * MECH_STOPPED (callback > 0): the estimate from the probes completed so
 * far (NaN if none; for Hutch++ NaN when stopped while sketching). */
MECH_API mech_status mech_hutchinson_estimate(mech_hutchinson *h, mech_matvec_fn fn,
                                              void *user_data, double *trace,
                                              double *std_error);
MECH_API mech_status mech_hutchinson_get_stat(const mech_hutchinson *h,
                                              mech_hutchinson_stat key, int64_t *value);

/* ------------------------------------------------------------------ */
/* Stochastic Lanczos quadrature: spectral density and trace          */
/* ------------------------------------------------------------------ */

/* SLQ (Ubaru, Chen & Saad 2017; used for Hessian spectra by Ghorbani,
 * Krishnan & Xiao 2019). For each probe z (Rademacher or Gaussian), m
 * Lanczos steps with full reorthogonalization from v = z / ||z|| give the
 * tridiagonal T_m; its eigenvalues are the Gauss quadrature nodes and the
 * squared first components of its unit eigenvectors the weights (summing
 * to 1 per probe), so that sum_j w_j node_j^p = v^T H^p v for p <= 2m - 1.
 * If the Krylov space is invariant after m' < m steps the run keeps m'
 * nodes (then exact for every p) and pads with node 0, weight 0.
 * The spectral density estimate is phi(x) = (1/P) sum_probes sum_j w_j
 * g_sigma(x - node_j) with g_sigma the normal density of width sigma; it
 * integrates to 1. The trace estimate is n sum_j w_j node_j averaged over
 * probes (z^T H z for Rademacher probes), with its standard error. */
typedef struct mech_slq mech_slq;

/* Probe distribution (option MECH_SLQ_PROBES). */
typedef enum mech_slq_probes {
    MECH_SLQ_RADEMACHER = 0, /* entries +-1 with probability 1/2 */
    MECH_SLQ_GAUSSIAN = 1    /* standard normal entries */
} mech_slq_probes;

typedef enum mech_slq_opt {
    MECH_SLQ_PROBES = 0, /* i64, mech_slq_probes; default RADEMACHER */
    MECH_SLQ_NOPTS = 1
} mech_slq_opt;

typedef enum mech_slq_stat {
    MECH_SLQ_STAT_MATVECS = 0, /* callback calls of the last run */
    MECH_SLQ_STAT_PROBES = 1   /* probes completed in the last run */
} mech_slq_stat;

/* n >= 1, n_probes >= 1, 1 <= steps <= n (zero -> MECH_EINVAL, steps > n ->
 * MECH_ERANGE). Allocates (steps + 1) n doubles plus O(steps^2 + n_probes
 * steps). Caller owns *out. */
MECH_API mech_status mech_slq_create(mech_slq **out, const mech_ctx *ctx, size_t n,
                                     size_t n_probes, size_t steps);
MECH_API void mech_slq_destroy(mech_slq *h);
MECH_API const char *mech_slq_last_error(const mech_slq *h);
MECH_API mech_status mech_slq_set_i64(mech_slq *h, mech_slq_opt key, int64_t value);
MECH_API mech_status mech_slq_get_i64(const mech_slq *h, mech_slq_opt key, int64_t *value);

/* Runs all probes. MECH_STOPPED (callback > 0): the results of the probes
 * completed so far (getters fail with MECH_ESTATE if none). On an error the
 * previous results are gone and getters fail with MECH_ESTATE. */
MECH_API mech_status mech_slq_run(mech_slq *h, mech_matvec_fn fn, void *user_data);

/* Nodes and weights of the last run, probe p's at [p * steps, (p+1) steps)
 * of each (n_probes x steps buffers; either may be NULL). Rows of probes not
 * completed are NaN. */
MECH_API mech_status mech_slq_get_nodes(const mech_slq *h, double *nodes, double *weights);
/* Probe vector p (< n_probes) of the last run, unnormalized (n entries),
 * regenerated from the recorded stream position. */
MECH_API mech_status mech_slq_get_probe(mech_slq *h, size_t p, double *v);
/* Trace estimate and its standard error (NaN with fewer than 2 probes);
 * either pointer may be NULL. */
MECH_API mech_status mech_slq_trace(const mech_slq *h, double *trace, double *std_error);
/* out[d] = mean over probes of sum_j w_j node_j^d for d = 0 .. count-1
 * (out[0] = 1); an estimate of tr(H^d) / n. */
MECH_API mech_status mech_slq_moments(const mech_slq *h, size_t count, double *out);
/* Smoothed density on a caller grid: out[i] = phi(grid[i]) for kernel width
 * sigma > 0 (MECH_ERANGE otherwise; MECH_ENONFINITE for NaN in grid). */
MECH_API mech_status mech_slq_density(const mech_slq *h, const double *grid, size_t count,
                                      double sigma, double *out);
MECH_API mech_status mech_slq_get_stat(const mech_slq *h, mech_slq_stat key,
                                       int64_t *value);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_OPERATOR_H */
