/* Private layout of mech_run, shared by the files of lib/run. */
#ifndef MECHANICS_RUN_INTERNAL_H
#define MECHANICS_RUN_INTERNAL_H

#include <stdbool.h>

#include "internal.h"
#include "mechanics/ode.h"
#include "mechanics/run.h"

#define MECH_RUN_NOPTS 18

extern const mech_opttable mech__run_opts;

/* Trace column indices of the built-in columns (SIZE_MAX: not present). */
enum {
    RC_STEP, RC_TIME, RC_SAMPLES, RC_ALPHA, RC_TRAIN_LOSS, RC_BATCH_LOSS, RC_TEST_LOSS,
    RC_TRAIN_ACC, RC_TEST_ACC, RC_GRAD_NORM, RC_LR, RC_COUNT
};

/* Counters and schedule positions: everything a checkpoint must restore
 * besides the handles' own state and the trace. Plain data. */
typedef struct mech__run_state {
    uint64_t step;          /* discrete steps, or accepted ODE steps */
    double time;            /* sum of eta, or gradient-flow time */
    uint64_t samples;
    double batch_loss;      /* last step's batch loss (NaN before the first) */
    double grad_norm;       /* last step's gradient norm */
    double lr;              /* last step's eta */
    double loss_sum;        /* batch losses since the previous probe row */
    uint64_t loss_count;
    uint64_t next_explicit; /* first explicit probe time not yet reached */
    uint64_t next_log;      /* index j of the next log-spaced point */
    uint64_t next_dt;       /* GF: index m of the next GF_PROBE_DT multiple */
    uint64_t started;       /* 1 once the step-0 row is written */
    uint64_t diverged;      /* index of the diverged step, 0 if none */
} mech__run_state;

/* A probe attached to the run and the trace columns of its outputs. */
typedef struct mech__run_probe {
    mech_probe *p;
    size_t *col;
    size_t n;
} mech__run_probe;

struct mech_run {
    mech_err err;
    const mech_ctx *ctx;
    mech_model *model;
    mech_loss loss;
    mech_data *train, *test;
    mech_optimizer *opt;
    mech_optval o[MECH_RUN_NOPTS];
    double *probe_t;
    size_t n_probe_t;
    mech_run_observer_fn observer;
    void *observer_ud;
    mech__run_probe *probes;
    size_t n_probes;

    /* after setup */
    bool ready;
    mech_run_mode mode;
    mech_axis axis;
    bool f32, is_gen, has_acc;
    size_t n_params, in_dim, out_dim, batch, n_train, n_test, chunk;
    double *params, *grad, *gtmp;   /* n_params doubles; params: gradient-flow state,
                                     * or the discrete steps' spare array, which
                                     * trades places with the model's (step.c) */
    float *params_f, *grad_f, *gtmp_f; /* the same for F32 models */
    double *bx, *by;                /* batch buffers, batch x in / out */
    float *bx_f, *by_f;
    double *ex, *ey, *ef;           /* evaluation chunk: chunk x in / out / out */
    double *pv, *pw;                /* power iteration vectors (gradient flow) */
    mech_ode *ode;
    double gf_dt;                   /* gradient flow: probe spacing (0 = none) */
    mech_trace *trace;
    size_t col[RC_COUNT];
    mech__run_state s;
    mech_run_stop stop;
};

/* Option accessors. */
static inline int64_t mech__run_i(const mech_run *r, mech_run_opt k) { return r->o[k].i; }
static inline double mech__run_f(const mech_run *r, mech_run_opt k) { return r->o[k].f; }

/* Loss and accuracy (acc may be NULL), or with want_grad the loss and its
 * gradient (into r->grad, or r->grad_f for F32 models; acc unused), of the
 * whole finite dataset d of n examples at the model's current parameters. */
mech_status mech__run_eval(mech_run *r, mech_data *d, size_t n, double *loss, double *acc,
                           bool want_grad);

/* The trace of a fresh run (columns, metadata, reserved rows). */
mech_status mech__run_new_trace(mech_run *r, mech_trace **out);
/* Writes the probe row at the current state (evaluations, observer,
 * progress) and checks the loss target. Returns MECH_OK, MECH_STOPPED
 * (r->stop says why) or an error. */
mech_status mech__run_record(mech_run *r);

/* Discrete schedule: true if step k (axis value a) is a probe point;
 * advances the schedule positions past it. */
bool mech__run_probe_due(mech_run *r, uint64_t k, double a);
/* Gradient flow: the next probe time after the current one (may be +Inf). */
double mech__run_next_gf_time(const mech_run *r);
/* Gradient flow: advances the schedule positions past time t. */
void mech__run_gf_consume(mech_run *r, double t);
/* The run's axis value of the current state. */
double mech__run_axis_value(const mech_run *r);

/* Gradient-flow right-hand side for mech_ode (flow.c); ud is the run. */
int mech__run_gf_rhs(double t, const double *y, double *dydt, void *ud);
/* Name of built-in column c (record.c). */
const char *mech__run_col_name(int c);

/* Mode drivers (step.c, flow.c). */
mech_status mech__run_discrete(mech_run *r);
mech_status mech__run_flow(mech_run *r);

/* Configures the training set's sampler (minibatch and online modes). */
mech_status mech__run_config_sampler(mech_run *r);

/* Attached probes (run_probes.c): their columns in a new trace, their
 * measurement into the current row, and freeing the list. */
mech_status mech__run_probe_columns(mech_run *r, mech_trace *tr);
mech_status mech__run_probe_record(mech_run *r);
/* Points the probes at their columns of a loaded (checkpoint) trace. */
mech_status mech__run_probe_rebind(mech_run *r, mech_trace *tr);
/* Ensembles: each probe takes the reinitialized model as its init. */
mech_status mech__run_probe_restart(mech_run *r);
void mech__run_probe_free(mech_run *r);

/* Resets counters, schedule and trace for a fresh start (ensembles). */
mech_status mech__run_restart(mech_run *r);

/* The borrowed optimizer's kind, parameter count and readiness, read
 * through its public interface. */
static inline mech_optimizer_kind mech__run_opt_kind(const mech_run *r)
{
    mech_optimizer_kind k = MECH_OPTIMIZER_GD;
    mech_optimizer_info(r->opt, &k, NULL, NULL);
    return k;
}

static inline size_t mech__run_opt_params(const mech_run *r)
{
    size_t n = 0;
    mech_optimizer_info(r->opt, NULL, &n, NULL);
    return n;
}

static inline bool mech__run_opt_ready(const mech_run *r)
{
    bool ready = false;
    mech_optimizer_info(r->opt, NULL, NULL, &ready);
    return ready;
}

#endif
