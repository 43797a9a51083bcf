/*
 * Models: forward pass, exact gradient (backward pass), exact
 * Hessian-vector products (Pearlmutter's R-operator), Jacobian-vector
 * products, the empirical NTK and the table of parametrization rules.
 *
 * Life cycle (plan/execute):
 *   mech_model_create -> mech_model_set_widths -> option setters
 *   (-> mech_model_set_alignment / mech_model_set_callbacks)
 *   -> mech_model_setup -> execution functions (allocate nothing)
 *   -> mech_model_destroy.
 * Structure (widths, options) is frozen by mech_model_setup; execution
 * functions before setup return MECH_ESTATE.
 *
 * Network (LINEAR, DEEP_LINEAR, MLP, COMMITTEE, RANDOM_FEATURES): layer l
 * (0-based, l < L = number of widths - 1) maps width n_l to n_{l+1}:
 *   z_l = a_l W_l h_{l-1} + c_l b_l,  h_l = phi(z_l) (hidden),  f = z_{L-1},
 * with h_{-1} = x, W_l stored row-major n_{l+1} x n_l (out x in), a_l and
 * c_l the forward multipliers of the parametrization (mech_param_rule; the
 * output layer's a also carries MECH_MODEL_OUTPUT_MULT). Inputs x are
 * row-major batch x in_dim, outputs batch x out_dim.
 *
 * Parameter vector: the trainable entries only, layer by layer: W_0
 * (row-major), b_0 (if biases), W_1, b_1, ... Frozen layers (the first
 * layer of RANDOM_FEATURES, the second layer of COMMITTEE unless
 * MECH_MODEL_TRAIN_SECOND_LAYER) are not in it; read them with
 * mech_model_get_layer_weights.
 *
 * Precision: parameters live in the model's precision
 * (MECH_MODEL_PRECISION). The double functions work for both precisions
 * (an F32 model converts inputs to float, computes in float and widens the
 * results); the _f32 functions need an F32 model (MECH_ESTATE otherwise).
 * Losses are always evaluated in double.
 *
 * Threads: distinct handles may run in distinct threads; one handle is not
 * thread safe (it owns its workspaces). The context must outlive the model.
 */
#ifndef MECHANICS_MODEL_H
#define MECHANICS_MODEL_H

#include "mechanics/core.h"
#include "mechanics/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_model mech_model;

typedef enum mech_model_kind {
    /* One layer f = a W x (+ c b). widths: {in, out}. */
    MECH_MODEL_LINEAR = 0,
    /* Product of matrices, identity activation, no biases. */
    MECH_MODEL_DEEP_LINEAR = 1,
    /* Multilayer perceptron, any depth; MECH_MODEL_ACTIVATION, optional biases. */
    MECH_MODEL_MLP = 2,
    /* Soft committee machine f = sum_k v_k g(w_k . x / sqrt(N)), g = scaled_erf,
     * widths {N, K, 1}; no biases; the parametrization is ignored (its
     * multipliers are fixed: 1/sqrt(N) and 1). w_k entries start
     * N(0, INIT_SCALE^2); v_k starts at 1 (frozen second layer) or
     * N(0, INIT_SCALE^2) (MECH_MODEL_TRAIN_SECOND_LAYER = 1). */
    MECH_MODEL_COMMITTEE = 3,
    /* MLP with one hidden layer {in, k, out} whose first layer (with its
     * bias, if any) is frozen (random features): only the readout and its
     * bias train. */
    MECH_MODEL_RANDOM_FEATURES = 4,
    /* Diagonal linear network (Woodworth et al. 2020): widths {d, 1},
     * parameters (w+, w-) (2d entries, w+ first), beta = w+^2 - w-^2,
     * f = beta . x. Initialization w+ = w- = alpha (every entry, so
     * beta(0) = 0) with alpha = MECH_MODEL_INIT_SCALE: the convention under
     * which gradient flow's implicit bias is sum alpha^2 q(beta_i/alpha^2). */
    MECH_MODEL_DIAGONAL = 5,
    /* Model defined by caller callbacks (mech_model_set_callbacks);
     * widths {in, out}; double precision only; parameters start at zero. */
    MECH_MODEL_CALLBACK = 6
} mech_model_kind;

typedef enum mech_activation {
    MECH_ACT_IDENTITY = 0,
    MECH_ACT_RELU = 1,
    MECH_ACT_TANH = 2,
    MECH_ACT_ERF = 3,        /* erf(z) */
    MECH_ACT_SCALED_ERF = 4, /* erf(z / sqrt 2) */
    MECH_ACT_GELU = 5,       /* z Phi(z), exact erf form */
    MECH_ACT_SOFTPLUS = 6,   /* log(1 + e^z) */
    MECH_ACT_QUADRATIC = 7   /* z^2 */
} mech_activation;

typedef enum mech_parametrization {
    MECH_PARAM_SP = 0,        /* standard */
    MECH_PARAM_NTK = 1,       /* N(0,1) entries, sigma_w/sqrt(fan_in) multipliers */
    MECH_PARAM_MUP = 2,       /* maximal update (Tensor Programs V, Table 3) */
    MECH_PARAM_MEANFIELD = 3  /* muP with O(1) readout weights and a 1/width readout multiplier */
} mech_parametrization;

typedef enum mech_optimizer_family {
    MECH_OPTFAM_SGD = 0, /* SGD and momentum variants */
    MECH_OPTFAM_ADAM = 1 /* Adam-like (scale-invariant updates) */
} mech_optimizer_family;

typedef enum mech_layer_role {
    MECH_ROLE_INPUT = 0,  /* first weight matrix (fan_in = input dim) */
    MECH_ROLE_HIDDEN = 1, /* width -> width */
    MECH_ROLE_OUTPUT = 2, /* last weight matrix (fan_out = output dim) */
    MECH_ROLE_BIAS = 3    /* any bias vector (fan_out = its length) */
} mech_layer_role;

typedef enum mech_init {
    /* Gaussian entries, variance INIT_SCALE^2 * init_var of the rule. */
    MECH_INIT_GAUSSIAN = 0,
    /* Deep linear (no biases): a Gaussian end-to-end matrix A (entries
     * N(0, INIT_SCALE^2 / in)) factored through its SVD A = U S V^T into
     * balanced layers W_0 = S^{1/L} V^T, W_l = S^{1/L}, W_{L-1} = U S^{1/L}
     * (zero padded), so W_{l+1}^T W_{l+1} = W_l W_l^T. Needs every hidden
     * width >= min(in, out). Effective weights (multiplier times W) are
     * balanced. */
    MECH_INIT_BALANCED = 1,
    /* As BALANCED with A = U (INIT_SCALE I) V^T from mech_model_set_alignment
     * (the target's singular vectors): every mode starts at strength
     * INIT_SCALE, aligned and balanced (THEORY.md section 1). */
    MECH_INIT_ALIGNED = 2,
    /* Each weight matrix a scaled random orthogonal (Haar) matrix with the
     * rule's entry variance (sqrt(init_var * max(rows, cols)) times a matrix
     * with orthonormal rows or columns). */
    MECH_INIT_ORTHOGONAL = 3,
    /* Entries N(0, INIT_SCALE^2) whatever the widths (absolute small init
     * for saddle-to-saddle experiments); biases zero. */
    MECH_INIT_SMALL = 4
} mech_init;

typedef enum mech_precision {
    MECH_PREC_F64 = 0,
    MECH_PREC_F32 = 1
} mech_precision;

/* Options (mech_model_set_i64 / _f64; introspection via mech_option_* with
 * MECH_KIND_MODEL). All must be set before mech_model_setup. */
typedef enum mech_model_opt {
    MECH_MODEL_ACTIVATION = 0,     /* i64 mech_activation (MLP, RANDOM_FEATURES); default RELU */
    MECH_MODEL_BIAS = 1,           /* i64 0/1: biases (LINEAR, MLP, RANDOM_FEATURES); default 0 */
    MECH_MODEL_PARAMETRIZATION = 2,/* i64 mech_parametrization; default SP */
    MECH_MODEL_BASE_WIDTH = 3,     /* i64 >= 0: base width of hidden layers for muP /
                                    * mean-field width multipliers; 0 = the actual widths
                                    * (so muP = SP); default 0 */
    MECH_MODEL_OUTPUT_MULT = 4,    /* f64 > 0: extra readout multiplier; richness 1/gamma
                                    * (Atanasov et al. 2024); default 1 */
    MECH_MODEL_INIT_SCALE = 5,     /* f64 >= 0: init std multiplier (alpha for DIAGONAL); default 1 */
    MECH_MODEL_INIT = 6,           /* i64 mech_init; default GAUSSIAN */
    MECH_MODEL_MAX_BATCH = 7,      /* i64 >= 1: largest batch (workspace size); default 256 */
    MECH_MODEL_PRECISION = 8,      /* i64 mech_precision; default F64 */
    MECH_MODEL_TRAIN_SECOND_LAYER = 9, /* i64 0/1: COMMITTEE second layer trains; default 0 */
    MECH_MODEL_SIGMA_W = 10,       /* f64 >= 0: NTK weight multiplier sigma_w; default 1 */
    MECH_MODEL_SIGMA_B = 11,       /* f64 >= 0: NTK bias multiplier sigma_b; default 1 */
    MECH_MODEL_INIT_STREAM = 12,   /* i64 >= 0: initialization stream under the context
                                    * seed; models of one context with equal streams (and
                                    * shapes) start identical, distinct streams give
                                    * independent draws (e.g. teacher and student); default 0 */
    MECH_MODEL_LINEAR_LAYERS = 13  /* i64 >= 0, MLP only: the first LINEAR_LAYERS hidden layers
                                    * apply no activation, the rest apply ACTIVATION. With
                                    * one-hot inputs the first layer is then a learned
                                    * embedding summed over the input tokens, followed by
                                    * an MLP (e.g. grokking models, Liu et al. 2022); must
                                    * leave at least one hidden layer nonlinear; default 0 */
} mech_model_opt;

/* ---------------- parametrization rules ---------------- */

/* THE table of parametrization rules (THEORY.md section 6). For one
 * tensor of the given role, with fan_in/fan_out its actual dimensions and
 * base_fan_in/base_fan_out those at the base width (width multipliers
 * r_in = fan_in/base_fan_in, r_out = fan_out/base_fan_out; biases have
 * fan_in 1, pass fan_out = their length):
 *   init_var    variance of each stored entry (before INIT_SCALE^2),
 *   multiplier  forward multiplier (before sigma_w, sigma_b, OUTPUT_MULT),
 *   lr_scale    factor on the global learning rate for this tensor.
 *
 *        | INPUT           | HIDDEN            | OUTPUT                  | BIAS
 *   SP   | 1/fan_in, 1, 1  | 1/fan_in, 1, 1    | 1/fan_in, 1, 1          | 0, 1, 1
 *   NTK  | 1, 1/sqrt(fan_in), 1 (all weights)                            | 1, 1, 1
 *   muP  | 1/fan_in, 1,    | 1/fan_in, 1,      | 1/(fan_in r_in), 1,     | 0, 1,
 *        |  SGD r_out,     |  SGD 1,           |  SGD 1/r_in,            |  SGD r_out,
 *        |  Adam 1         |  Adam 1/r_in      |  Adam 1/r_in            |  Adam 1
 *   MF   | as muP          | as muP            | 1/base_fan_in, 1/r_in,  | as muP
 *        |                 |                   |  SGD r_in, Adam 1       |
 * (entries: init_var, multiplier, lr_scale). muP and mean-field equal SP
 * at the base width (r = 1). Mean-field is muP re-expressed with O(1)
 * readout weights and a 1/width readout multiplier: its effective
 * readout (multiplier x weight) has the same init variance and the same
 * SGD/Adam update size as muP's. SGD is "SGD-like" (updates proportional
 * to gradients), Adam "Adam-like" (updates of O(lr) per entry).
 * Any output pointer may be NULL. Errors: MECH_EINVAL (bad enum),
 * MECH_ERANGE (a fan not finite and > 0). */
MECH_API mech_status mech_param_rule(mech_parametrization p, mech_optimizer_family fam,
                                     mech_layer_role role, double fan_in, double fan_out,
                                     double base_fan_in, double base_fan_out,
                                     double *init_var, double *multiplier,
                                     double *lr_scale);

/* Name of a parametrization ("sp", "ntk", "mup", "meanfield"), of an
 * activation ("relu", ...), of a model kind ("mlp", ...); "unknown" else. */
MECH_API const char *mech_parametrization_name(mech_parametrization p);
MECH_API const char *mech_activation_name(mech_activation a);
MECH_API const char *mech_model_kind_name(mech_model_kind k);

/* ---------------- construction ---------------- */

/* Creates an empty model of a kind. The model keeps a pointer to ctx
 * (may be NULL: one thread, seed 0), which must outlive it, and draws its
 * initialization from its own generator split from the context seed.
 * Caller owns *out (mech_model_destroy). */
MECH_API mech_status mech_model_create(mech_model **out, const mech_ctx *ctx,
                                       mech_model_kind kind);
/* Frees a model; NULL is accepted. */
MECH_API void mech_model_destroy(mech_model *m);
/* The model's most recent error message ("" if none or m is NULL). */
MECH_API const char *mech_model_last_error(const mech_model *m);

/* Layer widths, copied: widths[0] = input dim, widths[n-1] = output dim,
 * n >= 2 (LINEAR, CALLBACK: n = 2; RANDOM_FEATURES: n = 3; COMMITTEE:
 * n = 3 with widths[2] = 1; DIAGONAL: n = 2 with widths[1] = 1). Every
 * width >= 1. Errors: MECH_EINVAL, MECH_ESHAPE, MECH_ESTATE after setup. */
MECH_API mech_status mech_model_set_widths(mech_model *m, const size_t *widths, size_t n);

/* Option setters/getters. Errors: MECH_EINVAL (NULL, key of another type),
 * MECH_ERANGE (outside the bounds of mech_option_bounds), MECH_ENONFINITE,
 * MECH_ESTATE (setter after setup). */
MECH_API mech_status mech_model_set_i64(mech_model *m, mech_model_opt key, int64_t value);
MECH_API mech_status mech_model_get_i64(const mech_model *m, mech_model_opt key, int64_t *value);
MECH_API mech_status mech_model_set_f64(mech_model *m, mech_model_opt key, double value);
MECH_API mech_status mech_model_get_f64(const mech_model *m, mech_model_opt key, double *value);

/* Target singular vectors for MECH_INIT_ALIGNED, copied: u is out_dim x
 * rank, v is in_dim x rank (row-major, orthonormal columns within 1e-8),
 * 1 <= rank <= min(in, out). Call after mech_model_set_widths.
 * Errors: MECH_EINVAL, MECH_ESHAPE, MECH_ENONFINITE, MECH_ERANGE (columns
 * not orthonormal), MECH_ESTATE (no widths yet, or after setup). */
MECH_API mech_status mech_model_set_alignment(mech_model *m, const double *u,
                                              const double *v, size_t rank);

/* Validates the configuration, allocates every workspace for MAX_BATCH
 * examples and initializes the parameters. Errors: MECH_ESTATE (no
 * widths, callbacks missing, already set up), MECH_ESHAPE (widths do not
 * fit the kind), MECH_EUNSUPPORTED (option not valid for the kind, e.g.
 * biases on DEEP_LINEAR, F32 for CALLBACK), MECH_ENOMEM, MECH_EOVERFLOW. */
MECH_API mech_status mech_model_setup(mech_model *m);

/* ---------------- callback models ---------------- */

/* Callbacks of a MECH_MODEL_CALLBACK model. Every array is row-major,
 * contiguous, owned by the library and valid only during the call; x is
 * batch x in_dim, outputs batch x out_dim, parameter-shaped arrays have
 * n_params entries. Return 0 on success, < 0 to abort (the library call
 * returns MECH_ECALLBACK); > 0 is treated as an error too.
 *   forward: out = f(params; x).
 *   vjp:     grad = J^T u (u batch x out_dim), J = df/dparams of the batch.
 *   jvp:     out = J v.
 *   hvp2 (optional): hv = sum_{i,o} g_io (d^2 f_io / dparams^2) v, the
 *            second-order term of the loss Hessian (g = dL/df, which
 *            already holds the 1/batch factor). Without it
 *            mech_model_hvp returns the Gauss-Newton product J^T H_out J v. */
typedef int (*mech_model_forward_fn)(const double *params, size_t n_params,
                                     const double *x, size_t batch, size_t in_dim,
                                     double *out, size_t out_dim, void *user_data);
typedef int (*mech_model_vjp_fn)(const double *params, size_t n_params,
                                 const double *x, size_t batch, size_t in_dim,
                                 const double *u, size_t out_dim, double *grad,
                                 void *user_data);
typedef int (*mech_model_jvp_fn)(const double *params, size_t n_params,
                                 const double *x, size_t batch, size_t in_dim,
                                 const double *v, double *out, size_t out_dim,
                                 void *user_data);
typedef int (*mech_model_hvp2_fn)(const double *params, size_t n_params,
                                  const double *x, size_t batch, size_t in_dim,
                                  const double *g, size_t out_dim, const double *v,
                                  double *hv, void *user_data);

/* Installs the callbacks (before setup) and the parameter count.
 * forward, vjp and jvp are required; hvp2 may be NULL. user_data is
 * borrowed and passed back unchanged. Errors: MECH_EINVAL (NULL, zero
 * n_params, kind is not CALLBACK), MECH_ESTATE (after setup). */
MECH_API mech_status mech_model_set_callbacks(mech_model *m, size_t n_params,
                                              mech_model_forward_fn forward,
                                              mech_model_vjp_fn vjp,
                                              mech_model_jvp_fn jvp,
                                              mech_model_hvp2_fn hvp2, void *user_data);

/* ---------------- parameter view and structure ---------------- */

/* Number of trainable parameters (0 before setup). */
MECH_API size_t mech_model_num_params(const mech_model *m);
/* Number of weight layers (widths - 1; 2 for DIAGONAL: w+ and w-; 1 for
 * CALLBACK: the whole parameter vector); 0 before setup. */
MECH_API size_t mech_model_num_layers(const mech_model *m);
/* Input and output dimensions (after set_widths; else MECH_ESTATE). */
MECH_API mech_status mech_model_dims(const mech_model *m, size_t *in_dim, size_t *out_dim);
/* Kind and parametrization. */
MECH_API mech_status mech_model_info(const mech_model *m, mech_model_kind *kind,
                                     mech_parametrization *param);

/* Copies the parameters into out (n = mech_model_num_params). */
MECH_API mech_status mech_model_get_params(const mech_model *m, double *out, size_t n);
/* Replaces the parameters (copied). MECH_ENONFINITE (nothing changed) if
 * any entry is NaN or Inf; MECH_ESHAPE if n is wrong. */
MECH_API mech_status mech_model_set_params(mech_model *m, const double *in, size_t n);
MECH_API mech_status mech_model_get_params_f32(const mech_model *m, float *out, size_t n);
MECH_API mech_status mech_model_set_params_f32(mech_model *m, const float *in, size_t n);

/* Where layer `layer` sits in the parameter vector: weight offset, its
 * shape rows x cols (fan_out x fan_in), bias offset (SIZE_MAX if none).
 * A frozen layer reports offset SIZE_MAX (its bias too). DIAGONAL: layer
 * 0 is w+ and layer 1 is w- (1 x d each); CALLBACK: one 1 x n_params
 * layer. Any output may be NULL. Errors: MECH_ESTATE, MECH_ERANGE (layer
 * >= num_layers). */
MECH_API mech_status mech_model_layer_info(const mech_model *m, size_t layer,
                                           size_t *offset, size_t *rows, size_t *cols,
                                           size_t *bias_offset);
/* Forward multipliers of layer `layer` (weight and bias; the readout's
 * includes OUTPUT_MULT; 1 for DIAGONAL and CALLBACK). */
MECH_API mech_status mech_model_layer_multipliers(const mech_model *m, size_t layer,
                                                  double *weight_mult, double *bias_mult);
/* Copies the stored weights of any layer, frozen or not (rows*cols
 * entries, row-major). */
MECH_API mech_status mech_model_get_layer_weights(const mech_model *m, size_t layer,
                                                  double *out, size_t n);

/* Per-tensor learning-rate factors from mech_param_rule for an optimizer
 * family, as groups of the parameter vector: group g covers entries
 * [group_offsets[g], group_offsets[g+1]) and has factor mult[g]. Groups
 * are the trainable tensors (each layer's weight, then its bias) in vector
 * order; n_groups must equal mech_model_num_lr_groups (MECH_ESHAPE
 * otherwise) and group_offsets has n_groups + 1 entries. COMMITTEE,
 * DIAGONAL and CALLBACK models have factor 1 everywhere. */
MECH_API size_t mech_model_num_lr_groups(const mech_model *m);
MECH_API mech_status mech_model_lr_multipliers(const mech_model *m, mech_optimizer_family fam,
                                               size_t *group_offsets, double *mult,
                                               size_t n_groups);

/* ---------------- execution (no allocation) ---------------- */

/* out (batch x out_dim) = f(x). 1 <= batch <= MAX_BATCH; x finite.
 * Errors: MECH_EINVAL (NULL, batch 0), MECH_ERANGE (batch > MAX_BATCH),
 * MECH_ENONFINITE, MECH_ESTATE (before setup), MECH_ECALLBACK. */
MECH_API mech_status mech_model_forward(mech_model *m, const double *x, size_t batch,
                                        double *out);
MECH_API mech_status mech_model_forward_f32(mech_model *m, const float *x, size_t batch,
                                            float *out);

/* Loss value (may be NULL) and its exact gradient (n_params entries) on
 * the batch (x batch x in_dim, y batch x out_dim). Errors as forward plus
 * those of mech_loss_eval. */
MECH_API mech_status mech_model_gradient(mech_model *m, mech_loss loss, const double *x,
                                         const double *y, size_t batch, double *loss_value,
                                         double *grad);
MECH_API mech_status mech_model_gradient_f32(mech_model *m, mech_loss loss, const float *x,
                                             const float *y, size_t batch, double *loss_value,
                                             float *grad);

/* Exact Hessian-vector product hv = (d^2 L/dparams^2) v of the batch loss
 * (R-operator; Gauss-Newton only for CALLBACK models without hvp2).
 * v and hv have n_params entries. */
MECH_API mech_status mech_model_hvp(mech_model *m, mech_loss loss, const double *x,
                                    const double *y, size_t batch, const double *v,
                                    double *hv);
MECH_API mech_status mech_model_hvp_f32(mech_model *m, mech_loss loss, const float *x,
                                        const float *y, size_t batch, const float *v,
                                        float *hv);

/* Many Hessian-vector products on one batch at fixed parameters (Lanczos,
 * Hutchinson, power iteration): mech_model_hvp_prepare runs the forward
 * pass and the loss derivatives on (x, y) once, keeping copies of x and
 * y, and each mech_model_hvp_apply then returns hv = H v for that batch
 * without repeating them (for an MLP that saves 15-25% of an HVP).
 * apply equals mech_model_hvp on the same batch bit for bit. Any other
 * execution call on the model (forward, gradient, hvp, jvp, vjp,
 * activations, ntk, the _f32 forms) and any change of the parameters
 * (set_params, reinit, a training step of mech_run) ends the preparation;
 * apply then fails with MECH_ESTATE. Double-precision interface for
 * either model precision. Errors of prepare: as mech_model_hvp. */
MECH_API mech_status mech_model_hvp_prepare(mech_model *m, mech_loss loss, const double *x,
                                            const double *y, size_t batch);
MECH_API mech_status mech_model_hvp_apply(mech_model *m, const double *v, double *hv);

/* out (batch x out_dim) = J v, J = d f(x) / d params. */
MECH_API mech_status mech_model_jvp(mech_model *m, const double *x, size_t batch,
                                    const double *v, double *out);
/* grad (n_params) = J^T u for u batch x out_dim. */
MECH_API mech_status mech_model_vjp(mech_model *m, const double *x, size_t batch,
                                    const double *u, double *grad);

/* Empirical NTK K = J(x1) J(x2)^T, (n1 out_dim) x (n2 out_dim) row-major:
 * K[(i out_dim + o) (n2 out_dim) + j out_dim + p] = df_o(x1_i)/dparams .
 * df_p(x2_j)/dparams. Any n1, n2 >= 1 (x2 is processed in chunks of
 * MAX_BATCH); costs n1 out_dim single-example VJPs and as many batched
 * JVPs over x2. */
MECH_API mech_status mech_model_ntk(mech_model *m, const double *x1, size_t n1,
                                    const double *x2, size_t n2, double *k);

/* Post-activation h_layer (batch x width of hidden layer `layer`,
 * 0 <= layer < num_layers - 1) of the network kinds (LINEAR to
 * RANDOM_FEATURES). MECH_EUNSUPPORTED for DIAGONAL and CALLBACK,
 * MECH_ERANGE for a layer that is not hidden. */
MECH_API mech_status mech_model_activations(mech_model *m, const double *x, size_t batch,
                                            size_t layer, double *out);

/* ---------------- save / load ---------------- */

/* Writes kind, widths, every option, the alignment, and the parameters
 * (trainable and frozen, in the model's precision) to path in a
 * CRC-checked container; load gives a bitwise-identical model. Callback
 * models cannot be saved (MECH_EUNSUPPORTED). Errors: MECH_ESTATE (before
 * setup), MECH_EIO. */
MECH_API mech_status mech_model_save(const mech_model *m, const char *path);
/* Creates a set-up model from a file (caller owns *out). Errors:
 * MECH_EIO (cannot read), MECH_EFORMAT (truncated, corrupted, or not a
 * model file), MECH_EVERSION, MECH_ENOMEM. */
MECH_API mech_status mech_model_load(mech_model **out, const mech_ctx *ctx, const char *path);

/* ---------------- re-initialization ---------------- */

/* Sets MECH_MODEL_INIT_STREAM to stream (<= 2^63 - 1) and draws every
 * parameter (trainable and frozen) again exactly as mech_model_setup
 * would with that stream: a model reinitialized with stream s equals a
 * fresh model set up with INIT_STREAM = s. Used by ensembles over seeds.
 * Allocates temporary buffers. Errors: MECH_EINVAL (NULL), MECH_ESTATE
 * (before setup), MECH_EUNSUPPORTED (CALLBACK), MECH_ERANGE, MECH_ENOMEM
 * (the stream option is restored; parameters may be partly redrawn). */
MECH_API mech_status mech_model_reinit(mech_model *m, uint64_t stream);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_MODEL_H */
