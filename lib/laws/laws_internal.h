/* Shared pieces of lib/laws: the Chinchilla objective, input checks, the
 * small least-squares solve behind variable projection and a 1-D search. */
#ifndef MECHANICS_LAWS_INTERNAL_H
#define MECHANICS_LAWS_INTERNAL_H

#include <stddef.h>

#include "internal.h"
#include "mechanics/laws.h"

/* Runs in log space, as the objectives read them. */
typedef struct mech__chin_data {
    size_t count;
    const double *log_n, *log_d, *log_loss;
    double delta;
    int simd; /* evaluate with mech__huber_lse_simd (mech__simd_available) */
} mech__chin_data;

/* sum_i Huber_delta(LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i)
 * at p = (a, b, e, alpha, beta) and its exact gradient g[5]; user is a
 * mech__chin_data. Returns 0 when finite (a mech__objective_fn). */
int mech__huber_lse(const double *p, double *f, double *g, void *user);

/* Below this exponent exp() is far from overflow, so the three terms are
 * summed unshifted; beyond it each run is shifted by its largest term. */
#define MECH__SAFE_EXP 700.0

/* Adds runs [from, to) to acc = (objective, gradient[5]), with libm. */
void mech__huber_lse_runs(const mech__chin_data *dat, const double *p, size_t from,
                          size_t to, double acc[6]);

/* The same sums over all runs, four at a time with AVX2 and FMA (own exp
 * and log, within 2 machine epsilons of libm's); only call it when
 * mech__simd_available() is true. */
void mech__huber_lse_simd(const mech__chin_data *dat, const double *p, double acc[6]);
int mech__simd_available(void);

/* Checks count runs (NULL, finite, > 0; count >= 5) for function fn. */
mech_status mech__check_runs(const char *fn, const double *n, const double *d,
                             const double *loss, size_t count);

/* Writes what fits in out->size from r (r->size is ignored); MECH_EINVAL
 * if out->size cannot even hold the size field. */
mech_status mech__write_fit(const char *fn, const void *r, size_t full, void *out);

/* Sets bootstrap = 0 and every se_*, lo_* and hi_* of r to NaN. */
void mech__clear_intervals(mech_chinchilla_fit *r);

/* Least squares with p <= 3 columns from their Gram matrix G (p x p,
 * row-major, from Phi^T Phi) and h = Phi^T y: writes c (p) by Cholesky
 * after scaling the columns to unit norm. Returns 0 on success, non-zero
 * if the columns are (numerically) dependent. */
int mech__small_lsq(size_t p, const double *G, const double *h, double *c);

/* Golden-section search for a minimum of f on [lo, hi] until the bracket
 * is below rtol * max(|lo|, |hi|, 1e-300); evaluates both ends too and returns the
 * best point seen (its value in *fbest). *evals is incremented per call
 * of f. A NaN value of f counts as +Inf. */
double mech__golden(double lo, double hi, double (*f)(double, void *), void *user,
                    double rtol, double *fbest, int *evals);

#endif /* MECHANICS_LAWS_INTERNAL_H */
