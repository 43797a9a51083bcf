/*
 * General-purpose ODE integrators for y' = f(t, y), y in R^dim, with the
 * right-hand side given as a callback.
 *
 * Methods (option MECH_ODE_METHOD):
 *  - MECH_ODE_RK4: classical fourth-order Runge-Kutta with a fixed step.
 *    The interval to each target time is cut into the fewest equal steps of
 *    size at most MECH_ODE_H_FIXED, so targets are hit exactly.
 *  - MECH_ODE_DOPRI5 (default): Dormand-Prince 5(4) with local
 *    extrapolation (the 5th-order solution is propagated), error control on
 *    the embedded 4th-order solution and the 4th-order continuous extension
 *    for dense output. Error per step: sqrt(mean_i (e_i / sc_i)^2) <= 1 with
 *    sc_i = ATOL + RTOL * max(|y_i|, |y_new_i|).
 *
 * Integration may run forward (t1 > t0) or backward (t1 < t0) in time.
 * A handle owns all its work arrays: create and set_event allocate,
 * integrate and solve never do. Distinct handles may be used from distinct
 * threads; one handle is not safe for concurrent calls.
 *
 * Callback return values follow the library convention:
 *  - right-hand side: 0 = ok; > 0 = "step too large": the step is retried
 *    with half the size (both methods; RK4 resumes equal steps of at most
 *    H_FIXED after the halved step succeeds); < 0 = abort (MECH_ECALLBACK).
 *    A non-finite dy/dt is treated like > 0. Retries count as rejected steps.
 *    If the step falls below 16 machine epsilons of the time scale the call
 *    fails with MECH_ENOCONV.
 *  - observer and event function: 0 = continue; > 0 = stop cleanly
 *    (MECH_STOPPED); < 0 = abort (MECH_ECALLBACK).
 */
#ifndef MECHANICS_ODE_H
#define MECHANICS_ODE_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_ode mech_ode;

/* Right-hand side: writes dydt[0..dim) = f(t, y). y and dydt do not
 * overlap; y must not be modified. */
typedef int (*mech_ode_rhs_fn)(double t, const double *y, double *dydt,
                               void *user_data);

/* Observer: called after each accepted step with the new time and state
 * (not at t0). y is borrowed for the duration of the call. */
typedef int (*mech_ode_observer_fn)(double t, const double *y, void *user_data);

/* Event function: writes the scalar *g_out = g(t, y). An event is a sign
 * change of g between the start and the end of an accepted step. */
typedef int (*mech_ode_event_fn)(double t, const double *y, double *g_out,
                                 void *user_data);

typedef enum mech_ode_method {
    MECH_ODE_RK4 = 0,
    MECH_ODE_DOPRI5 = 1
} mech_ode_method;

/* Option keys (mech_option_* with MECH_KIND_ODE lists names and bounds).
 * Options are read at the start of each integrate/solve call. */
typedef enum mech_ode_opt {
    MECH_ODE_METHOD = 0,    /* i64, mech_ode_method; default DOPRI5 */
    MECH_ODE_RTOL = 1,      /* f64 in [0, 1], default 1e-8 (DOPRI5) */
    MECH_ODE_ATOL = 2,      /* f64 >= 0, default 1e-10 (DOPRI5); RTOL and
                               ATOL must not both be 0 */
    MECH_ODE_H_INIT = 3,    /* f64 >= 0, first DOPRI5 step magnitude;
                               default 0 = automatic (Hairer-Norsett-Wanner
                               II.4 starting-step algorithm, one extra f) */
    MECH_ODE_H_MAX = 4,     /* f64 > 0, cap on every step magnitude
                               (both methods); default +inf */
    MECH_ODE_H_FIXED = 5,   /* f64 >= 0, RK4 step magnitude; default 0 =
                               unset (RK4 then refuses to run) */
    MECH_ODE_MAX_STEPS = 6  /* i64 >= 1, cap on attempted steps (accepted
                               plus rejected) per call; default 1e6 */
} mech_ode_opt;

/* Statistics of the most recent integrate/solve call (reset at its start),
 * all read as double (counts are exact integers). */
typedef enum mech_ode_stat {
    MECH_ODE_STAT_ACCEPTED = 0,   /* accepted steps */
    MECH_ODE_STAT_REJECTED = 1,   /* rejected or retried steps */
    MECH_ODE_STAT_RHS_EVALS = 2,  /* right-hand side calls */
    MECH_ODE_STAT_EVENTS = 3,     /* events found (also beyond capacity) */
    MECH_ODE_STAT_OUTPUTS = 4,    /* rows of y_out written by solve */
    MECH_ODE_STAT_STOP = 5,       /* mech_ode_stop reason */
    MECH_ODE_STAT_T_LAST = 6,     /* time of the last accepted state */
    MECH_ODE_STAT_H_LAST = 7,     /* signed size of the last accepted step
                                     (NaN if none) */
    MECH_ODE_STAT_ERR_LAST = 8,   /* DOPRI5 scaled error of the last accepted
                                     step (<= 1); NaN for RK4 or no step */
    MECH_ODE_STAT_T_EVENT = 9     /* time of the terminal event; NaN if none */
} mech_ode_stat;

/* Why the last call ended (MECH_ODE_STAT_STOP). */
typedef enum mech_ode_stop {
    MECH_ODE_STOP_END = 0,       /* reached the final time */
    MECH_ODE_STOP_EVENT = 1,     /* a terminal event */
    MECH_ODE_STOP_CALLBACK = 2,  /* observer or event function returned > 0 */
    MECH_ODE_STOP_ERROR = 3      /* the call failed (see its status) */
} mech_ode_stop;

/* Creates an integrator for a system of dim equations. rhs is required;
 * user_data is borrowed and passed back unchanged. ctx may be NULL (it is
 * not retained). Allocates all work arrays (about 14 * dim doubles). The
 * caller owns *out and frees it with mech_ode_destroy.
 * Errors: MECH_EINVAL (NULL out/rhs, dim 0), MECH_EOVERFLOW, MECH_ENOMEM. */
MECH_API mech_status mech_ode_create(mech_ode **out, const mech_ctx *ctx, size_t dim,
                                     mech_ode_rhs_fn rhs, void *user_data);
/* Frees the integrator; NULL is accepted. */
MECH_API void mech_ode_destroy(mech_ode *ode);
/* The handle's most recent error message ("" if none, "" for NULL). */
MECH_API const char *mech_ode_last_error(const mech_ode *ode);

/* Typed option access; MECH_EINVAL for a bad key or the wrong type,
 * MECH_ERANGE / MECH_ENONFINITE for values outside the bounds. */
MECH_API mech_status mech_ode_set_i64(mech_ode *ode, mech_ode_opt key, int64_t value);
MECH_API mech_status mech_ode_get_i64(const mech_ode *ode, mech_ode_opt key, int64_t *value);
MECH_API mech_status mech_ode_set_f64(mech_ode *ode, mech_ode_opt key, double value);
MECH_API mech_status mech_ode_get_f64(const mech_ode *ode, mech_ode_opt key, double *value);

/* Installs (fn = NULL removes) the observer, called after every accepted
 * step, including the final one and the one cut at a terminal event.
 * Returning > 0 stops the call with MECH_STOPPED at that state. */
MECH_API mech_status mech_ode_set_observer(mech_ode *ode, mech_ode_observer_fn fn,
                                           void *user_data);

/* Installs (g = NULL removes) a scalar event function. direction: +1 only
 * rising crossings (g < 0 before, g >= 0 after), -1 only falling (g > 0
 * before, g <= 0 after), 0 both. A zero of g at t0 is not an event. At most
 * one crossing per step is found (an even number of crossings inside one
 * step is invisible: cap the step with MECH_ODE_H_MAX if that matters). The
 * crossing is located on the dense output (DOPRI5: its continuous
 * extension; RK4: the cubic Hermite interpolant of the step) by the
 * Illinois method with a bisection safeguard, to a bracket of 4 machine
 * epsilons relative in t; the reported time is the bracket end on the
 * far side of the crossing. terminal: the first event ends the call with
 * MECH_STOPPED, its state in y1 / the final solve row. capacity: how many
 * event times (and directions) are stored per call; this call allocates
 * them (0 is allowed: only the count is kept). If g returns > 0 the call
 * ends with MECH_STOPPED at the start of the step being checked (the last
 * state already passed to the observer); a non-finite g is MECH_ENONFINITE.
 * Errors: MECH_EINVAL (NULL ode, direction not in {-1, 0, 1}), MECH_ENOMEM
 * (the previous event setting is kept). */
MECH_API mech_status mech_ode_set_event(mech_ode *ode, mech_ode_event_fn g, int direction,
                                        bool terminal, size_t capacity, void *user_data);

/* Integrates from (t0, y0) to t1 and writes the state at the end into
 * y1[0..dim). y1 may alias y0. t1 == t0 copies y0. On MECH_STOPPED
 * (terminal event, observer or event function > 0) and on errors after
 * integration started (MECH_ENOCONV, MECH_ECALLBACK), y1 holds the last
 * accepted state, at time MECH_ODE_STAT_T_LAST.
 * Errors: MECH_EINVAL (NULL, RK4 without H_FIXED, RTOL = ATOL = 0),
 * MECH_ENONFINITE (t0, t1, y0 or the initial f not finite),
 * MECH_ECALLBACK (a callback returned < 0, or rhs refused the initial
 * state), MECH_ENOCONV (MAX_STEPS attempts used, or step size underflow). */
MECH_API mech_status mech_ode_integrate(mech_ode *ode, double t0, const double *y0,
                                        double t1, double *y1);

/* Integrates from (t0, y0) and writes the states at the n_out times t_out
 * into the rows of y_out (n_out x dim, row-major). t_out must be finite and
 * monotone in one direction away from t0 (non-decreasing with every entry
 * >= t0, or non-increasing with every entry <= t0); entries equal to t0 get
 * y0. DOPRI5 fills rows from its dense output without changing its steps;
 * RK4 steps to hit each t_out exactly (equal steps of at most H_FIXED
 * between consecutive outputs). On MECH_STOPPED and on errors, rows beyond
 * MECH_ODE_STAT_OUTPUTS are left untouched. y_out must not overlap y0.
 * Errors: as mech_ode_integrate, plus MECH_EINVAL for n_out == 0 or t_out
 * not monotone away from t0. */
MECH_API mech_status mech_ode_solve(mech_ode *ode, double t0, const double *y0,
                                    const double *t_out, size_t n_out, double *y_out);

/* Reads one statistic of the last integrate/solve call.
 * Errors: MECH_EINVAL (NULL, unknown key). */
MECH_API mech_status mech_ode_get_stat(const mech_ode *ode, mech_ode_stat key, double *value);

/* The i-th stored event of the last call (i < min(count, capacity)): its
 * time and direction (+1 rising, -1 falling; direction may be NULL).
 * Errors: MECH_EINVAL (NULL), MECH_ERANGE (i out of range). */
MECH_API mech_status mech_ode_get_event(const mech_ode *ode, size_t i, double *t,
                                        int *direction);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_ODE_H */
