/* Private layout of the ODE integrator, shared by the files of lib/ode. */
#ifndef MECHANICS_ODE_INTERNAL_H
#define MECHANICS_ODE_INTERNAL_H

#include <stdbool.h>

#include "internal.h"
#include "mechanics/ode.h"

#define MECH_ODE_NOPTS 7

struct mech_ode {
    mech_err err;
    mech_optval opt[MECH_ODE_NOPTS];
    size_t dim;
    mech_ode_rhs_fn rhs;
    void *rhs_ud;
    mech_ode_observer_fn obs;
    void *obs_ud;

    /* event function and the buffer of found events */
    mech_ode_event_fn ev;
    void *ev_ud;
    int ev_dir;
    bool ev_terminal;
    size_t ev_cap;
    double *ev_times;
    int *ev_dirs;
    double g_prev; /* g at the start of the current step */

    /* work arrays, carved from one block: the current state and its
     * derivative, the proposed state and its derivative, a stage argument,
     * stage derivatives and the dense-output coefficients of the step */
    double *block;
    double *y, *f, *y_new, *f_new, *ytmp;
    double *k[5];
    double *rc[4];
    bool rc_quartic; /* rc[3] is in use (DOPRI5); RK4 is cubic Hermite */

    /* statistics of the last call */
    int64_t accepted, rejected, nrhs, nevents, outputs;
    int stop;
    double t_last, h_last, err_last, t_event;
};

/* Calls the right-hand side and counts it: 0 ok, 1 retry with a smaller
 * step (rhs > 0 or a non-finite output), MECH_ECALLBACK (reported). */
int mech__ode_rhs(mech_ode *o, double t, const double *y, double *dydt);

/* One RK4 step from (t, y, f) to t_new = t + h: fills y_new, f_new and the
 * Hermite dense coefficients. Returns as mech__ode_rhs. */
int mech__rk4_step(mech_ode *o, double t, double h, double t_new);

/* One DOPRI5 attempt from (t, y, f) to t_new = t + h: fills y_new, f_new
 * (FSAL), the dense coefficients and the scaled error norm *err. Returns
 * as mech__ode_rhs. */
int mech__dopri5_step(mech_ode *o, double t, double h, double t_new, double *err);

/* Magnitude of the first DOPRI5 step from (t0, y, f) towards t_end
 * (Hairer-Norsett-Wanner II.4); < 0 status on callback abort. */
mech_status mech__dopri5_h0(mech_ode *o, double t0, double t_end, double *h0);

/* Scaled RMS norm of v with weights atol + rtol * max(|a_i|, |b_i|). */
double mech__ode_norm(const mech_ode *o, const double *v, const double *a,
                      const double *b);

/* Dense output of the current step [t, t + h] at time s, into out. */
void mech__ode_dense(const mech_ode *o, double t, double h, double s, double *out);

/* Event handling after an accepted step [t, t_new]: records a crossing.
 * Returns 0 (continue), 1 (terminal event: *t_stop set and y_new replaced
 * by the state there), 2 (the event function asked to stop), or a < 0
 * status (reported). */
int mech__ode_events(mech_ode *o, double t, double t_new, double *t_stop);

/* Evaluates g at (t0, y0) to start event tracking; 0, 2 or < 0 as above. */
int mech__ode_events_start(mech_ode *o, double t0, const double *y0);

#endif /* MECHANICS_ODE_INTERNAL_H */
