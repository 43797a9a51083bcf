/*
 * The training integrator: model + loss + data + optimizer -> trace.
 *
 * Modes (MECH_RUN_MODE):
 *  - FULL_BATCH: every step uses the gradient of the mean loss over the
 *    whole finite training set (processed in chunks of the model's
 *    MAX_BATCH rows; chunk gradients are weighted by chunk size / n).
 *  - MINIBATCH: every step draws a batch of MECH_RUN_BATCH examples from
 *    the finite training set with the data handle's sampler (mode
 *    MECH_RUN_SAMPLING).
 *  - ONLINE: every step draws MECH_RUN_BATCH fresh examples from a
 *    generator (online SGD; no example is ever reused).
 *  - GRADIENT_FLOW: d theta / dt = -grad L(theta) on the whole finite
 *    training set, integrated with mech_ode (DOPRI5, tolerances GF_RTOL and
 *    GF_ATOL). No optimizer. When GF_STABILITY = c > 0 the step is capped at
 *    h <= c / lambda_max, with lambda_max estimated by 30 power iterations
 *    of the training-loss Hessian (mech_model_hvp) from a fixed start
 *    vector, at the start of every integration segment (between two probe
 *    times). Double-precision models only.
 *
 * One discrete step k = 1, 2, ... evaluates the loss and its gradient at
 * theta_{k-1} on the step's batch ("batch_loss"), asks the optimizer for
 * theta_k and advances the counters: step k, time t_k = sum_{j<=k} eta_j
 * (eta_j the schedule value of step j, without group multipliers),
 * samples = k B (n for full batch), alpha = samples / ALPHA_N.
 *
 * Probe points are where a trace row is written (always at the start,
 * step 0 / time 0, of the first execute). Discrete modes: every
 * PROBE_EVERY steps, at the log-spaced steps round(PROBE_LOG_START *
 * 10^(j / PROBE_LOG_POINTS)), j = 0, 1, ..., and at the first step whose
 * axis value reaches each explicit probe time (mech_run_set_probe_times;
 * reached means >= t - 1e-12 max(1, |t|)); with none of the three, every
 * step. Gradient flow: at multiples of GF_PROBE_DT, at the log-spaced
 * times PROBE_LOG_START * 10^(j / PROBE_LOG_POINTS) and at the explicit
 * times, exactly; with none of them, at MAX_TIME k / 100.
 *
 * Trace (axis MECH_RUN_AXIS: step for discrete modes, time for gradient
 * flow by default). Columns at each probe row (NaN = not measured):
 *   step, time, samples, alpha (when ALPHA_N > 0), minus the axis itself;
 *   train_loss  mean loss over the whole finite training set at theta_k
 *               (EVAL_TRAIN_FULL = 1, the default); otherwise (and always
 *               for generators) the mean batch_loss of the steps since the
 *               previous probe row (NaN at step 0);
 *   batch_loss  the last step's batch loss (at theta_{k-1}; discrete only);
 *   test_loss   over the test set, if one is set;
 *   train_acc, test_acc  accuracy (mech_loss_accuracy), for SOFTMAX_CE and
 *               LOGISTIC losses, where the matching loss is on the full set;
 *   grad_norm   L2 norm of the last step's gradient (GF: of grad L at the
 *               row's state);
 *   lr          eta of the last step taken (step 0: of step 1; discrete only).
 * Metadata: mode, loss, model kind, parametrization, widths, precision,
 * optimizer kind and every optimizer option, batch, seed (the context's).
 *
 * Per-layer learning rates: with LR_FROM_PARAMETRIZATION = 1 (default)
 * setup installs mech_model_lr_multipliers of the optimizer's family
 * (ADAM, ADAMW, RMSPROP, SIGN: Adam-like; the others SGD-like) as the
 * optimizer's groups (replacing groups set before).
 *
 * Divergence: a discrete step whose batch loss or gradient is not finite,
 * or whose updated parameters are not finite, ends execute with
 * MECH_EDIVERGED; mech_run_diverged_step gives its index k. The model then
 * holds theta_{k-1} (the last finite parameters), no row is written for
 * step k, the trace keeps its earlier rows, and the counters stay at k-1.
 * The optimizer's state (moments, step count) has advanced through step k
 * when only the parameters were non-finite. A diverged run refuses to
 * continue (MECH_ESTATE). Gradient flow reports a non-finite gradient to
 * the ODE solver as "step too large" and ends with MECH_ENOCONV if that
 * does not resolve.
 *
 * Callbacks: the observer is called at every probe row after the built-in
 * columns are written (it may add columns with mech_trace_add_column and
 * fill the current row with mech_trace_put on the trace from
 * mech_run_trace, cast to non-const). Then the context's progress callback
 * gets ("run", done, total): steps taken and MAX_STEPS (NaN when 0) for the
 * discrete modes, time and MAX_TIME for gradient flow. Either returning
 * > 0 ends execute cleanly with MECH_STOPPED; < 0 with MECH_ECALLBACK.
 * Evaluations that overflow are recorded as NaN (the next step then
 * reports the divergence).
 *
 * Handles are borrowed: the context, model, data sets and optimizer must
 * outlive the run; the run changes the model's parameters, the optimizer's
 * state and groups and the training set's sampler (mech_data_set_batch at
 * setup). Use them elsewhere only between execute calls.
 *
 * Plan/execute: mech_run_setup validates and allocates every buffer
 * (batch, gradient, parameter copies, evaluation chunks, ODE workspace,
 * trace rows for the planned probes); a training step allocates nothing
 * (the trace may grow when more rows are written than were planned, or
 * when an observer adds columns). The one allocation below the library:
 * Debian's OpenMP BLIS opens a parallel region per level-3 call, and with
 * one thread libgomp allocates and frees its team descriptor each time
 * (tests/run/test_alloc.c measures this; with two threads it is cached).
 */
#ifndef MECHANICS_RUN_H
#define MECHANICS_RUN_H

#include "mechanics/core.h"
#include "mechanics/data.h"
#include "mechanics/loss.h"
#include "mechanics/model.h"
#include "mechanics/optim.h"
#include "mechanics/probe.h"
#include "mechanics/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_run mech_run;

typedef enum mech_run_mode {
    MECH_RUN_FULL_BATCH = 0,
    MECH_RUN_MINIBATCH = 1,
    MECH_RUN_ONLINE = 2,
    MECH_RUN_GRADIENT_FLOW = 3
} mech_run_mode;

/* Why the last execute ended. */
typedef enum mech_run_stop {
    MECH_RUN_STOP_NONE = 0,        /* not executed yet */
    MECH_RUN_STOP_MAX_STEPS = 1,
    MECH_RUN_STOP_MAX_TIME = 2,
    MECH_RUN_STOP_MAX_SAMPLES = 3,
    MECH_RUN_STOP_LOSS_TARGET = 4,
    MECH_RUN_STOP_CALLBACK = 5,    /* observer or progress returned > 0 */
    MECH_RUN_STOP_DIVERGED = 6,
    MECH_RUN_STOP_ERROR = 7        /* another error (callback < 0, ODE, ...) */
} mech_run_stop;

/* Options (mech_run_set_i64 / _f64; MECH_KIND_RUN for introspection).
 * MAX_STEPS, MAX_TIME, MAX_SAMPLES and LOSS_TARGET may change after setup
 * (to continue a run); the others only before it (MECH_ESTATE). A stop
 * value of 0 means "no limit"; setup needs at least one of MAX_STEPS,
 * MAX_TIME, MAX_SAMPLES (gradient flow: MAX_TIME). */
typedef enum mech_run_opt {
    MECH_RUN_MODE = 0,          /* i64 mech_run_mode; default FULL_BATCH */
    MECH_RUN_BATCH = 1,         /* i64 >= 0 batch size (MINIBATCH, ONLINE: required >= 1,
                                 * <= the model's MAX_BATCH); default 0 */
    MECH_RUN_MAX_STEPS = 2,     /* i64 >= 0; default 0 */
    MECH_RUN_MAX_TIME = 3,      /* f64 >= 0, on the time axis (sum of eta); default 0 */
    MECH_RUN_MAX_SAMPLES = 4,   /* i64 >= 0; default 0 */
    MECH_RUN_LOSS_TARGET = 5,   /* f64 >= 0: stop at the first probe row whose train_loss
                                 * is <= the target; 0 = off; default 0 */
    MECH_RUN_PROBE_EVERY = 6,   /* i64 >= 0 steps between probe rows; default 0 */
    MECH_RUN_PROBE_LOG_POINTS = 7, /* i64 >= 0 log-spaced probe points per decade; default 0 */
    MECH_RUN_PROBE_LOG_START = 8,  /* f64 > 0 first log-spaced point (steps, GF: time);
                                    * default 1 */
    MECH_RUN_GF_PROBE_DT = 9,   /* f64 >= 0 gradient-flow time between probe rows; default 0 */
    MECH_RUN_AXIS = 10,         /* i64 -1 (auto) or a mech_axis; default -1 */
    MECH_RUN_ALPHA_N = 11,      /* i64 >= 0 input dimension N of the alpha axis; default 0 */
    MECH_RUN_GF_RTOL = 12,      /* f64 in [0, 1]; default 1e-9 */
    MECH_RUN_GF_ATOL = 13,      /* f64 >= 0; default 1e-12 */
    MECH_RUN_GF_STABILITY = 14, /* f64 >= 0 safety factor c of h <= c / lambda_max;
                                 * 0 = no cap; default 2 */
    MECH_RUN_EVAL_TRAIN_FULL = 15, /* i64 0/1; default 1 */
    MECH_RUN_LR_FROM_PARAMETRIZATION = 16, /* i64 0/1; default 1 */
    MECH_RUN_SAMPLING = 17      /* i64 mech_sampling of MINIBATCH (WITH_ or
                                 * WITHOUT_REPLACEMENT); default WITHOUT_REPLACEMENT */
} mech_run_opt;

/* Observer, called at each probe row: step and t are the step count and
 * the axis value of the row. 0 continue, > 0 stop, < 0 abort. */
typedef int (*mech_run_observer_fn)(mech_run *r, uint64_t step, double t, void *user_data);

/* Creates a run over borrowed handles (see the header comment): ctx may be
 * NULL; model set up; train a finite dataset (FULL_BATCH, MINIBATCH,
 * GRADIENT_FLOW) or a labelled generator (ONLINE); opt may be NULL only for
 * gradient flow (checked at setup). Caller owns *out (mech_run_destroy).
 * Errors: MECH_EINVAL (NULL out, model or train, unknown loss),
 * MECH_ESTATE (model not set up), MECH_ENOMEM. */
MECH_API mech_status mech_run_create(mech_run **out, const mech_ctx *ctx, mech_model *model,
                                     mech_loss loss, mech_data *train, mech_optimizer *opt);
/* Frees the run (never the borrowed handles); NULL is accepted. */
MECH_API void mech_run_destroy(mech_run *r);
/* The run's most recent error message ("" if none or r is NULL). */
MECH_API const char *mech_run_last_error(const mech_run *r);

MECH_API mech_status mech_run_set_i64(mech_run *r, mech_run_opt key, int64_t value);
MECH_API mech_status mech_run_get_i64(const mech_run *r, mech_run_opt key, int64_t *value);
MECH_API mech_status mech_run_set_f64(mech_run *r, mech_run_opt key, double value);
MECH_API mech_status mech_run_get_f64(const mech_run *r, mech_run_opt key, double *value);

/* Explicit probe times on the run's axis, copied: n >= 1 finite values,
 * strictly increasing, >= 0. Before setup. Errors: MECH_EINVAL,
 * MECH_ENONFINITE, MECH_ERANGE (not increasing or negative), MECH_ESTATE. */
MECH_API mech_status mech_run_set_probe_times(mech_run *r, const double *t, size_t n);
/* A finite test set (borrowed; same dimensions as the training data) for
 * test_loss / test_acc. Before setup. Errors: MECH_EINVAL (NULL, a
 * generator), MECH_ESHAPE (dimensions), MECH_ESTATE. */
MECH_API mech_status mech_run_set_test_data(mech_run *r, mech_data *test);
/* Installs (fn = NULL removes) the observer; user_data is borrowed. */
MECH_API mech_status mech_run_set_observer(mech_run *r, mech_run_observer_fn fn,
                                           void *user_data);

/* Attaches a probe (borrowed: it must outlive the run, and stay attached
 * to the run's model with the same outputs). At every probe row, after
 * the built-in columns and before the observer, the run calls
 * mech_probe_measure and writes each scalar output i as the column
 * "<name>.<output i>" (name: the probe's MECH_PROBE_NAME, default its
 * kind's name); non-finite values are written as NaN, and a Lanczos that
 * missed its tolerance (MECH_ENOCONV) writes its partial pairs. Any other
 * probe error ends execute with that status. mech_run_ensemble makes each
 * probe take every member's fresh initialization as its reference ("init"
 * of DISTANCE, ACTIVATIONS, CKA, NTK, CONSERVATION). Before or after setup (rows
 * written before a probe was added read NaN in its columns). Errors:
 * MECH_EINVAL (NULL, the same probe twice, a column name already in the
 * trace: give the probe another name), MECH_ESTATE (probe not attached to
 * this run's model), MECH_ENOMEM. */
MECH_API mech_status mech_run_add_probe(mech_run *r, mech_probe *p);

/* Validates the configuration and allocates everything. Errors:
 * MECH_ESTATE (already set up; no stop condition; no optimizer for a
 * discrete mode; a generator where finite data is needed or the reverse),
 * MECH_ESHAPE (data and model dimensions differ), MECH_ERANGE (batch 0 or
 * above MAX_BATCH or n), MECH_EUNSUPPORTED (F32 model with gradient flow;
 * AXIS alpha without ALPHA_N), MECH_ENOMEM, and errors of the handles. */
MECH_API mech_status mech_run_setup(mech_run *r);

/* Runs until a stop condition. Returns MECH_OK when a stop value or the
 * loss target was reached, MECH_STOPPED when a callback asked to stop,
 * MECH_EDIVERGED on divergence, MECH_ECALLBACK, MECH_ENOCONV (gradient
 * flow) or the errors of the handles. Calling it again continues from where
 * it stopped (raise a stop value first; a stop value already reached
 * returns MECH_OK at once). Errors: MECH_ESTATE (before setup, or after
 * divergence). */
MECH_API mech_status mech_run_execute(mech_run *r);

/* Counters: steps taken (gradient flow: accepted ODE steps), time (sum of
 * eta; gradient-flow time), the index of the diverged step (0 if none),
 * why the last execute ended. Errors: MECH_EINVAL (NULL). */
MECH_API mech_status mech_run_step_count(const mech_run *r, uint64_t *steps);
MECH_API mech_status mech_run_time(const mech_run *r, double *t);
MECH_API mech_status mech_run_diverged_step(const mech_run *r, uint64_t *step);
MECH_API mech_status mech_run_stop_reason(const mech_run *r, mech_run_stop *reason);

/* The trace (borrowed, owned by the run, valid until the run is destroyed
 * or the trace taken). Errors: MECH_EINVAL, MECH_ESTATE (before setup or
 * after take_trace). */
MECH_API mech_status mech_run_trace(const mech_run *r, const mech_trace **out);
/* Hands the trace to the caller (who frees it with mech_trace_destroy);
 * the run then has none and cannot execute again (MECH_ESTATE). */
MECH_API mech_status mech_run_take_trace(mech_run *r, mech_trace **out);

/* Checkpoint: one CRC-checked file with the parameters (in the model's
 * precision), the optimizer state, the training sampler's state, the run's
 * counters and schedule positions, and the trace so far. Loading needs a
 * run set up with the same configuration (same mode, parameter count,
 * optimizer kind, batch); it replaces the state of the model, optimizer,
 * sampler and run and the trace, so that execute continues exactly (bit
 * for bit) as the saved run would have. Gradient flow resumes exactly when
 * saved at a probe time. Errors: MECH_EINVAL (NULL), MECH_ESTATE (not set
 * up, trace taken), MECH_EIO, MECH_EFORMAT (corrupted, truncated, other
 * configuration; nothing is changed), MECH_ESHAPE, MECH_EVERSION,
 * MECH_ENOMEM. */
MECH_API mech_status mech_run_save_checkpoint(const mech_run *r, const char *path);
MECH_API mech_status mech_run_load_checkpoint(mech_run *r, const char *path);

/* Ensemble over seeds: for each seeds[i] (<= 2^40) the run is restarted
 * from scratch: mech_model_reinit(model, seeds[i]), mech_optimizer_reset,
 * the training data's MECH_DATA_STREAM set to seeds[i] (new sampling order
 * and, for generators, new examples), counters and trace cleared; then
 * executed. The member traces (metadata "seed" = seeds[i]) are aggregated
 * by mech_trace_ensemble into *out (caller owns it): each column c has
 * its mean c and standard error c_se; metadata seeds lists the seeds.
 * The run is left holding the last member's state and trace. Needs a set-up
 * run whose model kind can be reinitialized (not CALLBACK). n >= 1.
 * Errors: those of setup/execute (a diverged member aborts the ensemble),
 * MECH_ERANGE (seed above 2^40), MECH_ESHAPE (members with different
 * probe times, e.g. under a loss target), MECH_EUNSUPPORTED. */
MECH_API mech_status mech_run_ensemble(mech_run *r, const uint64_t *seeds, size_t n,
                                       mech_trace **out);

/* Name of a mode ("full_batch", "minibatch", "online", "gradient_flow");
 * "unknown" otherwise. */
MECH_API const char *mech_run_mode_name(mech_run_mode mode);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_RUN_H */
