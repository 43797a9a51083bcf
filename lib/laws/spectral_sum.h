/* Tail-corrected sums over a power-law spectrum lambda_k = k^-alpha with
 * target weights lambda_k w*_k^2 = k^-p, p = 1 + alpha beta (internal to
 * lib/laws; used by the power-law scaling models). */
#ifndef MECHANICS_SPECTRAL_SUM_H
#define MECHANICS_SPECTRAL_SUM_H

#include <stddef.h>

/* Terms summed exactly before the integral tail. */
#define MECH__SPEC_EXPLICIT ((size_t)1024)

typedef struct mech__spec {
    double alpha, p;
    double t;         /* gradient-flow time of TIME and FLOW */
    double log_kappa; /* ln of the effective regularization kappa (or gamma) */
} mech__spec;

/* With r = lambda/kappa, L = r/(1+r) the learnability, v2 = k^-p: */
typedef enum mech__spec_what {
    MECH__SPEC_TIME,       /* v2 exp(-2 lambda t) */
    MECH__SPEC_LEARN,      /* L */
    MECH__SPEC_LEARN_DLOG, /* L (1 - L) = -dL / d ln kappa */
    MECH__SPEC_LEARN2,     /* L^2 */
    MECH__SPEC_BIAS2,      /* v2 (1 - L)^2 */
    MECH__SPEC_BIAS1,      /* v2 (1 - L) */
    MECH__SPEC_FLOW        /* v2 ((1 - L) + L exp(-2 lambda t)) */
} mech__spec_what;

/* sum_{k >= 1} of the term `what`. */
double mech__spec_sum(const mech__spec *s, mech__spec_what what);

/* Sets s->log_kappa so that sum_k L_k = n (n > 0). Returns 0 on success. */
int mech__spec_solve_kappa(mech__spec *s, double n);

#endif /* MECHANICS_SPECTRAL_SUM_H */
