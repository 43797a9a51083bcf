/* Limited-memory BFGS with a strong-Wolfe line search, for any smooth
 * objective of a few to a few thousand variables. Internal to the library
 * (lib/laws and any module that needs an unconstrained minimizer). */
#ifndef MECHANICS_LBFGS_H
#define MECHANICS_LBFGS_H

#include <stddef.h>

/* Evaluates the objective at x: writes *f and g[0..n). Returns 0 when both
 * are finite, non-zero otherwise (the line search then shortens the step). */
typedef int (*mech__objective_fn)(const double *x, double *f, double *g, void *user);

typedef struct mech__lbfgs_opts {
    int memory;     /* correction pairs kept (m) */
    int max_iter;   /* iterations */
    int max_eval;   /* objective evaluations */
    double gtol;    /* stop when max_i |g_i| <= gtol */
    double ftol;    /* stop when (f_prev - f) <= ftol * max(|f_prev|, |f|, 1) */
} mech__lbfgs_opts;

/* scipy L-BFGS-B's defaults: m = 10, 15000 iterations and evaluations,
 * gtol = 1e-5, ftol = factr * eps = 1e7 * 2.22e-16. */
mech__lbfgs_opts mech__lbfgs_defaults(void);

typedef enum mech__lbfgs_stop {
    MECH__LBFGS_GTOL = 0,        /* converged: gradient small */
    MECH__LBFGS_FTOL = 1,        /* converged: relative reduction small */
    MECH__LBFGS_MAX_ITER = 2,
    MECH__LBFGS_MAX_EVAL = 3,
    MECH__LBFGS_LINE_SEARCH = 4, /* no step along the direction decreased f */
    MECH__LBFGS_NONFINITE = 5    /* the objective is not finite at the start */
} mech__lbfgs_stop;

typedef struct mech__lbfgs_result {
    double f;          /* objective at the returned x */
    double gnorm;      /* max-norm of the gradient there */
    int iterations;
    int evaluations;
    mech__lbfgs_stop stop;
} mech__lbfgs_result;

/* Doubles of workspace mech__lbfgs needs for n variables and `memory` pairs
 * (0 if the size overflows). */
size_t mech__lbfgs_work_size(size_t n, int memory);

/* Minimizes fn from x (n values, overwritten with the best point found,
 * whose f is in res). work: mech__lbfgs_work_size(n, o->memory) doubles,
 * caller-owned; nothing is allocated. Returns 1 if a convergence test
 * stopped it (GTOL or FTOL), 0 otherwise. */
int mech__lbfgs(size_t n, double *x, mech__objective_fn fn, void *user,
                const mech__lbfgs_opts *o, double *work, mech__lbfgs_result *res);

#endif /* MECHANICS_LBFGS_H */
