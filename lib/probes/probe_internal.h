/* Private layout of mech_probe, shared by the lib/probes/probe_*.c files.
 *
 * Outputs are declared while a kind's function runs: in "declare" mode
 * (attach, and every raw measurement) probe_out / probe_vec append names
 * and allocate; otherwise they check the name at the cursor and store, so
 * the names a run wrote as trace columns cannot drift. In "dry" mode (the
 * declaring pass of attach) a kind function skips its computations. */
#ifndef MECHANICS_PROBE_INTERNAL_H
#define MECHANICS_PROBE_INTERNAL_H

#include <stdbool.h>

#include "internal.h"
#include "mechanics/metrics.h"
#include "mechanics/probe.h"
#include "mechanics/rng.h"

#define PROBE_NAME_CAP 48
#define PROBE_MAX_VEC 64
#define PROBE_NBUF 6

typedef struct probe_vector {
    char name[PROBE_NAME_CAP];
    double *v;
    size_t len, cap;
} probe_vector;

typedef enum probe_way { PROBE_MODEL, PROBE_OPERATOR, PROBE_ARRAYS } probe_way;

/* What one call of a kind function works on. */
typedef struct probe_in {
    probe_way way;
    bool dry;
    size_t n; /* operator */
    mech_matvec_fn fn;
    void *ud;
    const double *a, *b; /* arrays */
    size_t ra, ca, rb, cb;
    const int64_t *labels;
} probe_in;

struct mech_probe {
    mech_err err;
    const mech_ctx *ctx;
    mech_probe_kind kind;
    mech_optval o[MECH_PROBE_NOPTS];
    mech_rng *rng;

    /* outputs */
    bool declaring, measured;
    size_t n_out, cap_out, cursor;
    char (*names)[PROBE_NAME_CAP];
    double *vals;
    size_t n_vec, vcursor;
    probe_vector vec[PROBE_MAX_VEC];

    /* attachment */
    mech_model *model;
    mech_loss loss;
    const mech_optimizer *opt;
    size_t n_params, in_dim, out_dim, n_layers, max_batch;
    size_t n_eval, n_test, n_classes;
    double *x, *y, *tx, *ty; /* evaluation and test copies */
    int64_t *labels;         /* n_eval class labels */
    double *f;               /* n_eval x out_dim outputs (scratch) */
    double *theta, *theta0, *t1, *t2, *t3; /* n_params each */
    double *ob1, *ob2, *ob3; /* max_batch x out_dim each */
    mech_status cb_status;   /* model error inside a matvec callback */
    bool hvp_prepared;       /* the evaluation set fits one batch: the model holds
                              * a prepared HVP (mech_model_hvp_prepare) */

    /* caller inputs */
    double *basis, *target;
    size_t basis_n, basis_k, target_rows, target_cols;
    size_t *units;
    size_t n_units;

    /* solvers */
    mech_lanczos *lz;
    mech_hutchinson *hu;
    mech_slq *slq;
    size_t op_n, op_k, op_s; /* dimension and sizes the solver was made for */

    /* kind buffers (references at attach, scratch) */
    double *buf[PROBE_NBUF];
    size_t buf_len[PROBE_NBUF];
};

static inline int64_t probe_i(const mech_probe *p, mech_probe_opt k) { return p->o[k].i; }
static inline double probe_f(const mech_probe *p, mech_probe_opt k) { return p->o[k].f; }

/* probe.c: outputs. */
mech_status probe_out(mech_probe *p, double value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Vector output of len entries: *out points at its storage. */
mech_status probe_vec(mech_probe *p, const char *name, size_t len, double **out);
/* Kind buffer slot (zeroed when first allocated or grown). */
mech_status probe_buf(mech_probe *p, int slot, size_t len, double **out);

/* probe_model.c: the evaluation set through the model. */
mech_status probe_forward(mech_probe *p, const double *x, size_t n, double *f);
/* Mean loss (and its gradient into grad, if non-NULL) over n examples. */
mech_status probe_gradient(mech_probe *p, const double *x, const double *y, size_t n,
                           double *loss, double *grad);
/* Activations of hidden layer `layer` over the evaluation set (n_eval x width). */
mech_status probe_activations(mech_probe *p, size_t layer, double *h);
/* Width of hidden layer `layer` (rows of weight layer `layer`). */
mech_status probe_layer_width(mech_probe *p, size_t layer, size_t *width);
/* Number of hidden representations (0 for DIAGONAL and CALLBACK models). */
size_t probe_n_hidden(mech_probe *p);
/* Resolves a LAYER option (-1: last hidden) to a hidden layer index. */
mech_status probe_hidden_layer(mech_probe *p, int64_t opt, size_t *layer);
/* Matrix-vector callbacks over the evaluation set (ud = the probe). */
int probe_hessian_mv(const double *v, double *out, size_t n, void *ud);
int probe_gn_mv(const double *v, double *out, size_t n, void *ud);
int probe_precond_mv(const double *v, double *out, size_t n, void *ud);
/* Status after a solver call that used one of the callbacks above. */
mech_status probe_solver_status(mech_probe *p, mech_status st);

/* Kind functions (one file per family). */
mech_status mech__probe_loss(mech_probe *p, const probe_in *in);
mech_status mech__probe_mode_error(mech_probe *p, const probe_in *in);
mech_status mech__probe_hessian(mech_probe *p, const probe_in *in);
mech_status mech__probe_grad_norm(mech_probe *p, const probe_in *in);
mech_status mech__probe_noise_scale(mech_probe *p, const probe_in *in);
mech_status mech__probe_distance(mech_probe *p, const probe_in *in);
mech_status mech__probe_conservation(mech_probe *p, const probe_in *in);
mech_status mech__probe_activations(mech_probe *p, const probe_in *in);
mech_status mech__probe_effective_rank(mech_probe *p, const probe_in *in);
mech_status mech__probe_cka(mech_probe *p, const probe_in *in);
mech_status mech__probe_ntk(mech_probe *p, const probe_in *in);
mech_status mech__probe_collapse(mech_probe *p, const probe_in *in);
mech_status mech__probe_nfa(mech_probe *p, const probe_in *in);
mech_status mech__probe_weights(mech_probe *p, const probe_in *in);
mech_status mech__probe_units(mech_probe *p, const probe_in *in);
mech_status mech__probe_info_plane(mech_probe *p, const probe_in *in);

/* Reference state at attach (kinds comparing with init); called after the
 * declaring pass. */
mech_status mech__probe_reference(mech_probe *p);
/* Takes the model's current state as the new init (ensemble members). */
mech_status mech__probe_restart(mech_probe *p);
mech_status mech__probe_conservation_ref(mech_probe *p);
mech_status mech__probe_activations_ref(mech_probe *p);
mech_status mech__probe_cka_ref(mech_probe *p);
mech_status mech__probe_ntk_ref(mech_probe *p);

#endif
