/* Internal pieces the operator solvers share (lanczos.c, slq.c,
 * hutchinson.c): the checked matvec call, probe vectors, and a Krylov basis
 * with full reorthogonalization that records the projected matrix. */
#ifndef MECHANICS_LINALG_KRYLOV_H
#define MECHANICS_LINALG_KRYLOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "mechanics/operator.h"
#include "mechanics/rng.h"

/* out = H v through the callback: MECH_OK, MECH_STOPPED (callback > 0),
 * MECH_ECALLBACK (< 0) or MECH_ENONFINITE (NaN/Inf in out); counts the call. */
mech_status mech__op_apply(mech_matvec_fn fn, void *ud, const double *v, double *out,
                           size_t n, int64_t *count, mech_err *e, const char *who);

/* Draws a probe vector: +-1 entries (2 uniform words each) or standard
 * normal entries (normal draws of n, i.e. 4 ceil(n/2) words). */
mech_status mech__op_probe(mech_rng *rng, bool gaussian, double *v, size_t n, mech_err *e);
/* Words one probe of dimension n consumes (for replaying a stream). */
uint64_t mech__op_probe_words(bool gaussian, size_t n);

/* Orthonormal basis V (rows, cap x n) of which rows [0, p) are "processed"
 * (their product H v is known) and T[i][j] = v_i^T H v_j is stored at
 * T[max(i,j) * cap + min(i,j)] (the lower triangle, leading dimension cap)
 * for every pair with a processed member. Rows [p, len) wait to be
 * processed. Borrowed storage; the struct only organizes it. */
typedef struct mech__krylov {
    const mech_ctx *ctx;
    size_t n, cap, len, p;
    double *V, *T;  /* cap x n, cap x cap */
    double *w, *c;  /* n and cap scratch */
    double scale;   /* largest ||H v|| seen: the breakdown yardstick */
    int64_t matvecs;
} mech__krylov;

/* Empties the basis and T (keeps storage and counters). */
void mech__kry_reset(mech__krylov *k);
/* Orthogonalizes x against rows [0, len) twice (classical Gram-Schmidt),
 * accumulating the coefficients in k->c; returns ||x|| afterwards. */
double mech__kry_orth(mech__krylov *k, double *x);
/* Appends x / norm as row len (x has been orthogonalized). */
void mech__kry_append(mech__krylov *k, const double *x, double norm);
/* Appends a random unit vector orthogonal to the basis (Gaussian draws from
 * rng). MECH_OK, or an rng error. Needs len < min(cap, n). */
mech_status mech__kry_append_random(mech__krylov *k, mech_rng *rng, mech_err *e);
/* Processes row p: one product, full reorthogonalization, T updated, and
 * the new direction appended while len < min(cap, n). On breakdown (the
 * new direction's norm <= 1e-12 of the largest product norm) it appends a
 * random direction when rng is given, else nothing (*invariant = true). */
mech_status mech__kry_step(mech__krylov *k, mech_matvec_fn fn, void *ud, mech_rng *rng,
                           bool *invariant, mech_err *e, const char *who);

#endif
