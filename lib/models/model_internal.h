/* Private layout of mech_model, shared by the files of lib/models. */
#ifndef MECHANICS_MODEL_INTERNAL_H
#define MECHANICS_MODEL_INTERNAL_H

#include "internal.h"
#include "models/activation.h"
#include "mechanics/model.h"
#include "mechanics/rng.h"

#define MECH_MODEL_NOPTS 14

/* Option table of MECH_KIND_MODEL (model.c). */
extern const mech_opttable mech__model_opts;

/* One weight layer of the network kinds (for DIAGONAL: w+ and w-). */
typedef struct mech__layer {
    size_t rows, cols;      /* fan_out x fan_in */
    size_t w_off, b_off;    /* into theta (trainable) or frozen; b_off SIZE_MAX: no bias */
    bool trainable;
    mech_layer_role role;
    mech_activation act;    /* applied to z unless this is the output layer */
    double w_mult, b_mult;  /* forward multipliers */
    double w_var, b_var;    /* init variances of the rule (before INIT_SCALE^2) */
    size_t z_off, h_off;    /* workspace: pre/post activations, MAX_BATCH x rows */
    size_t rz_off, rh_off;  /* workspace: their R-operator directions */
} mech__layer;

struct mech_model {
    mech_err err;
    const mech_ctx *ctx;
    mech_model_kind kind;
    mech_optval opt[MECH_MODEL_NOPTS];
    size_t *widths, n_widths;
    double *align_u, *align_v; /* MECH_INIT_ALIGNED */
    size_t align_rank;
    /* CALLBACK */
    mech_model_forward_fn cb_forward;
    mech_model_vjp_fn cb_vjp;
    mech_model_jvp_fn cb_jvp;
    mech_model_hvp2_fn cb_hvp2;
    void *cb_ud;
    size_t cb_n_params;

    /* after setup */
    bool ready;
    bool f32;              /* parameters and kernels in float */
    size_t n_layers, n_params, n_frozen, in_dim, out_dim, max_batch, max_width;
    size_t first_trainable; /* lowest trainable layer: backward stops there */
    mech__layer *layers;
    void *theta, *frozen;  /* model precision */
    void *ws;              /* model precision: z, h, rz, rh of every layer, then the
                            * backward buffers d, dh, rd, rdh (MAX_BATCH x max_width) */
    size_t d_off, dh_off, rd_off, rdh_off;
    size_t f_off, rf_off;  /* workspace: where forward leaves f and rforward J v */
    void *cx, *cv, *cg;    /* model precision copies of x, v and grad */
    void *cd, *crd;        /* model precision dL/df and its R-direction (MAX_BATCH x out) */
    double *fd, *yd, *gd, *rfd, *rgd; /* double loss buffers, MAX_BATCH x out:
                                       * f, y, dL/df, J v, H_out J v */
    double *pv;            /* n_params doubles (NTK) */
    /* mech_model_hvp_prepare: copies of x (model precision, MAX_BATCH x in)
     * and y (MAX_BATCH x out), the batch and loss; hvp_ready until the next
     * execution call or parameter change (mech__model_changed). */
    void *hx;
    double *hy;
    size_t hvp_batch;
    mech_loss hvp_loss;
    bool hvp_ready;
};

/* Element size of the model's precision. */
static inline size_t mech__esize(const mech_model *m) { return m->f32 ? sizeof(float) : sizeof(double); }

/* The parameters or the workspace changed: a prepared HVP is void. */
static inline void mech__model_changed(mech_model *m) { m->hvp_ready = false; }

/* Kernels over the model's precision (mlp_kernels.h, instantiated in
 * mlp_f64.c and mlp_f32.c). Pointers are in the model precision. After
 * forward, the output f sits at ws + f_off; after rforward, J v at
 * ws + rf_off. */
typedef struct mech__kernels {
    mech_status (*forward)(mech_model *m, const void *x, size_t batch);
    /* grad = J^T dout (dout batch x out), using the last forward. */
    mech_status (*backward)(mech_model *m, const void *x, size_t batch, const void *dout,
                            void *grad);
    mech_status (*rforward)(mech_model *m, const void *x, size_t batch, const void *v);
    /* hv = d/dr of backward along v; rdout = R{dout}. */
    mech_status (*rbackward)(mech_model *m, const void *x, size_t batch, const void *dout,
                             const void *rdout, const void *v, void *hv);
} mech__kernels;

extern const mech__kernels mech__mlp_f64, mech__mlp_f32, mech__diag_f64, mech__diag_f32;


/* Builds the layer table, sizes and offsets (model.c); initializes the
 * parameters (init.c). */
mech_status mech__model_init_params(mech_model *m);

/* Callback model operations (callback.c), double precision. */
mech_status mech__cb_forward(mech_model *m, const double *x, size_t batch, double *out);
mech_status mech__cb_vjp(mech_model *m, const double *x, size_t batch, const double *u,
                         double *grad);
mech_status mech__cb_jvp(mech_model *m, const double *x, size_t batch, const double *v,
                         double *out);
mech_status mech__cb_hvp2(mech_model *m, const double *x, size_t batch, const double *g,
                          const double *v, double *hv);

/* Checks shared by the execution functions: set up, x not NULL, batch in
 * range. */
mech_status mech__model_check_batch(mech_model *m, const void *x, size_t batch,
                                    const char *fn);

#endif
