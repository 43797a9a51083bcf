/*
 * Probes: observables of a network in training, as one handle type.
 *
 * A probe is created by kind (mech_probe_kind), configured with typed
 * options (MECH_KIND_PROBE), and measured in one of three ways:
 *   - on a libmechanics model: mech_probe_attach_model (model, loss and a
 *     finite evaluation set) then mech_probe_measure at the model's current
 *     parameters, by hand or at every probe row of a run
 *     (mech_run_add_probe);
 *   - on a caller's matrix-vector callback (Hessian-type kinds):
 *     mech_probe_measure_operator, e.g. an HVP from PyTorch or JAX;
 *   - on caller arrays (activations, weights, predictions, kernels):
 *     mech_probe_measure_arrays.
 * Every measurement leaves named scalar outputs (the value and its
 * diagnostics: iterations, matrix-vector products, residuals, standard
 * errors) and, where natural, named vector outputs (eigenvalues, density,
 * singular values, a kernel). Names are fixed once the probe is attached
 * (for the raw ways in: after the measurement), so a run writes each
 * scalar output as the trace column "<name>.<output>" (name: option
 * MECH_PROBE_NAME, default the kind's name).
 *
 * Conventions: ½-MSE and the other losses of loss.h; the Hessian is that
 * of the mean loss over the evaluation set (mech_model_hvp in chunks of
 * the model's MAX_BATCH, weighted by chunk size; a set within one batch is
 * prepared once per measurement, mech_model_hvp_prepare, which ends any
 * preparation the caller made on that model). Layers are the model's
 * weight layers l = 0 .. L-1; hidden representation l is the
 * post-activation h_l of layer l (l < L-1); "the last hidden layer" is
 * L-2. Arrays are double, row-major, caller-owned, borrowed for the call.
 *
 * Allocation: attach allocates every buffer the kind needs for the model
 * (evaluation copies, reference state at attach time = "init", solver
 * handles). mech_probe_measure allocates nothing of its own size except
 * the scratch of the metrics.h functions it calls (representation and
 * weight kinds) and the LAPACK workspace of Lanczos' Rayleigh-Ritz steps.
 * The raw ways in allocate when the dimensions change.
 *
 * Randomness (Lanczos starts, Hutchinson/SLQ probes, noise-scale batches)
 * comes from the context's seed (ctx may be NULL: seed 0), on streams of
 * the probe's own; repeated measurements continue the streams.
 *
 * Handles are borrowed: the context, model, data and optimizer must outlive
 * the probe (the evaluation set is copied at attach and not read again).
 * One probe is not safe for concurrent calls; distinct probes are.
 *
 * Errors (status, plus mech_probe_last_error and mech_last_error()):
 * MECH_EINVAL (NULL, zero sizes), MECH_ESHAPE (wrong shapes), MECH_ERANGE
 * (option or value out of range, k larger than the dimension, a layer
 * that does not exist), MECH_ENONFINITE (NaN/Inf inputs), MECH_ECALLBACK
 * (a callback returned < 0), MECH_ESTATE (measure before attach, output
 * before a measurement), MECH_EUNSUPPORTED (kind not measurable that way,
 * model kind without the needed structure), MECH_ENOCONV (Lanczos did not
 * meet TOL: the outputs hold the partial pairs and "converged" < k). A
 * failed call leaves the handle usable. After a failed model measurement
 * the outputs keep their names but read as unavailable (MECH_ESTATE);
 * after a failed raw measurement there are none. MECH_ENOCONV is not a
 * failure in this sense: the partial results are readable.
 */
#ifndef MECHANICS_PROBE_H
#define MECHANICS_PROBE_H

#include "mechanics/core.h"
#include "mechanics/data.h"
#include "mechanics/loss.h"
#include "mechanics/model.h"
#include "mechanics/operator.h"
#include "mechanics/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_probe mech_probe;

/* Probe kinds. Outputs (scalar unless "vector"); "<l>" is a layer index.
 * Model / operator / arrays say which ways in a kind accepts. */
typedef enum mech_probe_kind {
    /* Performance. Model: loss, accuracy on the evaluation set; with a test
     * set (mech_probe_attach_test_data) test_loss, test_acc and gap =
     * test_loss - loss. Arrays: a = predictions f (n x out), b = targets y
     * (n x out), loss kind from MECH_PROBE_ARRAY_LOSS: loss, accuracy. */
    MECH_PROBE_LOSS = 0,
    /* Per-eigenmode error. Kernel setting (a basis is set with
     * mech_probe_set_basis: k orthonormal vectors u_j over the n evaluation
     * points): e_j = sum_o (u_j . (f_o - y_o))^2 / n for the residual
     * f - y of the model on the evaluation set (arrays: a = f, b = y).
     * Linear setting (no basis; LINEAR model without bias and target weights
     * from mech_probe_set_target): with Sigma = X^T X / n = sum_j s_j v_j
     * v_j^T, e_j = s_j ||(W_eff - W*) v_j||^2, so that sum_j e_j / 2 is the
     * population ½-MSE excess under Sigma. Outputs: total = sum_j e_j,
     * modes; vectors mode_error (e_j), mode_eigenvalue (s_j; kernel
     * setting: NaN). */
    MECH_PROBE_MODE_ERROR = 1,
    /* Model: grad_norm = ||grad L||, loss, on the evaluation set. */
    MECH_PROBE_GRAD_NORM = 2,
    /* Top-k eigenpairs of the Hessian by Lanczos on exact HVPs, warm
     * started from the previous measurement's Ritz vectors. Model and
     * operator. Outputs: sharpness (= eig0), eig<i>, residual<i> (||H x -
     * theta x||), max_residual, converged, iterations (Lanczos steps),
     * restarts, matvecs; vectors eigenvalues (k), eigenvectors (k x n),
     * residuals (k). Options K, TOL, MAX_RESTARTS, WHICH, WARM_START. */
    MECH_PROBE_SHARPNESS = 3,
    /* Hessian trace, Hutchinson (SKETCH = 0) or Hutch++ (SKETCH > 0),
     * N_PROBES stochastic probes. Model and operator. Outputs: trace,
     * std_error, matvecs, rank (Hutch++ sketch rank kept). */
    MECH_PROBE_HESSIAN_TRACE = 4,
    /* Hessian spectral density by stochastic Lanczos quadrature, N_PROBES
     * probes of SLQ_STEPS steps. Model and operator. Outputs: trace,
     * std_error, node_min, node_max, sigma, matvecs; vectors grid and
     * density (DENSITY_POINTS points spanning [node_min - 6 sigma,
     * node_max + 6 sigma]; the density integrates to 1), nodes and weights
     * (N_PROBES x SLQ_STEPS). sigma = DENSITY_SIGMA, or when 0 (default)
     * (node_max - node_min) / 100 (1e-3 max(1, |node|) for one node). */
    MECH_PROBE_HESSIAN_DENSITY = 5,
    /* Preconditioned sharpness: top-k eigenpairs of P^{-1/2} H P^{-1/2}
     * (same spectrum as P^{-1} H), P = mech_optimizer_preconditioner of the
     * attached optimizer (ADAM, ADAMW, RMSPROP), read at each measurement.
     * Model only (needs mech_probe_attach_optimizer). Outputs as SHARPNESS.
     * MECH_ERANGE if some P_i <= 0 (e.g. Adam before its first step with
     * eps = 0). */
    MECH_PROBE_PRECOND_SHARPNESS = 6,
    /* Top-k eigenpairs of the Gauss-Newton matrix G = J^T H_out J (H_out
     * the loss Hessian in output space, with its 1/n). For ½-MSE, G =
     * J^T J / n, whose non-zero eigenvalues are those of the empirical NTK
     * over n. Model only. Outputs as SHARPNESS. */
    MECH_PROBE_GAUSS_NEWTON = 7,
    /* Distance from the parameters at attach (init) and relative update
     * since the previous measurement. Model: distance = ||theta - theta0||,
     * relative_distance = distance / ||theta0||, update = ||theta -
     * theta_prev|| / ||theta_prev|| with theta_prev the parameters at the
     * previous measurement (at the first: at attach), and per
     * trainable layer dist<l>, update<l> (relative, weight and bias
     * together). Arrays: a = current parameters, b = reference (same
     * size): distance, relative_distance. */
    MECH_PROBE_DISTANCE = 8,
    /* Gradient noise scale (McCandlish et al. 2018; THEORY.md section 8)
     * from N_BATCHES batches of SMALL_BATCH and of BIG_BATCH examples drawn
     * with replacement from the evaluation set: g2_small, g2_big (mean
     * squared gradient norms) and their standard errors g2_small_se,
     * g2_big_se, g2 = |G|^2 and trace_sigma = tr(Sigma) estimates,
     * b_simple = trace_sigma / g2 and b_simple_se (delta method). Arrays:
     * a = per-example gradients (n x P), exact over the n examples with
     * Sigma their population covariance: g2, trace_sigma, b_simple. */
    MECH_PROBE_NOISE_SCALE = 9,
    /* Conservation laws under gradient flow (Kunin et al. 2021), in the
     * per-layer learning-rate form of THEORY.md section 9, eta_l the
     * learning-rate factor of layer l's weight (the attached optimizer's
     * group multipliers; 1 without an optimizer). Linear networks
     * (DEEP_LINEAR, MLP with IDENTITY): D_l = W_{l+1}^T W_{l+1} / eta_{l+1}
     * - W_l W_l^T / eta_l (- b_l b_l^T / eta_{b_l} with biases);
     * residual<l> = ||D_l - D_l(0)||_F. ReLU MLPs: per
     * hidden neuron j of layer l, c_j = (||W_l[j,:]||^2 + b_l[j]^2) / eta_l
     * - ||W_{l+1}[:,j]||^2 / eta_{l+1}; residual<l> = ||c - c(0)||_2.
     * relative<l> divides by the norm of the two terms at init;
     * max_relative is the largest. l runs over the hidden layers. Model
     * only; other model kinds: MECH_EUNSUPPORTED. */
    MECH_PROBE_CONSERVATION = 10,
    /* Coordinate check: rms<l> of each hidden layer's activations over the
     * evaluation set, rms_out of the outputs, and delta_rms<l>,
     * delta_rms_out of their change since attach. Arrays: a = activations,
     * b = reference (same shape, may be NULL): rms, delta_rms. */
    MECH_PROBE_ACTIVATIONS = 11,
    /* Effective rank of the representation at LAYER (-1: last hidden;
     * columns centered): participation_ratio, entropy_rank, stable_rank.
     * Arrays: a (n x p). */
    MECH_PROBE_EFFECTIVE_RANK = 12,
    /* Linear CKA (biased HSIC) between the representations at LAYER and
     * LAYER_B (-1 for LAYER: last hidden; -1 for LAYER_B: LAYER at attach
     * time, i.e. similarity to init): cka. Arrays: a (n x p1), b (n x p2). */
    MECH_PROBE_CKA = 13,
    /* Empirical NTK over the evaluation set (K = J J^T, (n out) x (n out)):
     * alignment (centered kernel-target alignment with y), distance (kernel
     * distance from the NTK at attach), trace (tr K / n); vector ntk.
     * Arrays: a = a kernel (n x n), b = targets (n x c): alignment. */
    MECH_PROBE_NTK = 14,
    /* Neural collapse of the last hidden layer, classes = argmax of the
     * evaluation targets (or labels), classifier = readout weights and bias
     * times their multipliers: nc1, equinorm, cos_mean, equiangular_mean,
     * equiangular_max, nc3, nc4. Arrays: a = features (n x p), labels, b =
     * classifier (C x p) or NULL. */
    MECH_PROBE_NEURAL_COLLAPSE = 15,
    /* Neural feature ansatz: correlation of W_0^T W_0 with the AGOP of the
     * input gradients of every output over the evaluation set (exact: the
     * input gradient is W_0^T (dW_0 x) / |x|^2 from the first layer's
     * parameter gradient, so inputs must be non-zero): pearson, cosine.
     * Arrays: a = W_0 (k x d), b = input gradients (n x d). */
    MECH_PROBE_NFA = 16,
    /* Final weights, per weight layer l (frozen ones too): frob<l>,
     * spectral<l>, stable_rank<l>, alpha<l>, alpha_se<l>, ks<l>,
     * n_tail<l> (power-law fit of the eigenvalues of W^T W with MIN_TAIL;
     * NaN when the layer has too few singular values); vectors sv<l>.
     * Arrays: a = one matrix (outputs without the suffix, vector sv). */
    MECH_PROBE_WEIGHTS = 17,
    /* Per-unit views of units (mech_probe_set_units; default the first
     * UNIT_COUNT) of hidden layer LAYER (-1: last hidden): u<j>.mean,
     * u<j>.std, u<j>.active (fraction of examples with h > 0) of the
     * activations over the evaluation set, u<j>.w_in (norm of the unit's
     * incoming weights), u<j>.w_out (outgoing), u<j>.w0 (its first
     * incoming weight, a weight trajectory). Arrays: a = activations
     * (n x p): the activation statistics. */
    MECH_PROBE_UNITS = 18,
    /* Information plane (binned with N_BINS; and kernel bounds when
     * KDE_VAR > 0), labels from the targets: i_xt<l>, i_ty<l> (binned),
     * kde_i_xt<l>, kde_i_ty<l> for every hidden layer l and the output
     * (suffix "_out"). Arrays: a = T (n x p), labels (may be NULL): i_xt,
     * i_ty, kde_i_xt, kde_i_ty. */
    MECH_PROBE_INFO_PLANE = 19
} mech_probe_kind;

/* Options (typed; MECH_KIND_PROBE for introspection). Set before attach;
 * changing one after attach takes effect at the next attach (except
 * NAME, TOL, MAX_RESTARTS, WHICH, WARM_START, DENSITY_SIGMA, KDE_VAR and
 * N_BINS, which apply at the next measurement). */
typedef enum mech_probe_opt {
    MECH_PROBE_K = 0,            /* i64 >= 1 eigenpairs; default 1 */
    MECH_PROBE_TOL = 1,          /* f64 Lanczos relative tolerance; default 1e-10 */
    MECH_PROBE_MAX_RESTARTS = 2, /* i64 Lanczos restarts; default 500 */
    MECH_PROBE_N_PROBES = 3,     /* i64 >= 1 Hutchinson / SLQ probes; default 30 */
    MECH_PROBE_SKETCH = 4,       /* i64 >= 0 Hutch++ sketch size (0: Hutchinson); default 0 */
    MECH_PROBE_SLQ_STEPS = 5,    /* i64 >= 1 Lanczos steps per SLQ probe; default 30 */
    MECH_PROBE_LAYER = 6,        /* i64 >= -1 representation layer; default -1 */
    MECH_PROBE_LAYER_B = 7,      /* i64 >= -1 second layer of CKA; default -1 */
    MECH_PROBE_N_BINS = 8,       /* i64 >= 1 information-plane bins; default 30 */
    MECH_PROBE_KDE_VAR = 9,      /* f64 >= 0 KDE noise variance, 0 = off; default 0 */
    MECH_PROBE_MIN_TAIL = 10,    /* i64 0 or >= 2 power-law tail size; default 0 (10) */
    MECH_PROBE_UNIT_COUNT = 11,  /* i64 >= 1 units when none are set; default 4 */
    MECH_PROBE_SMALL_BATCH = 12, /* i64 >= 1 noise scale small batch; default 1 */
    MECH_PROBE_BIG_BATCH = 13,   /* i64 >= 2 noise scale big batch; default 64 */
    MECH_PROBE_N_BATCHES = 14,   /* i64 >= 1 noise scale batches per size; default 100 */
    MECH_PROBE_DENSITY_POINTS = 15, /* i64 >= 2 density grid points; default 200 */
    MECH_PROBE_DENSITY_SIGMA = 16,  /* f64 >= 0 density kernel width, 0 = auto; default 0 */
    MECH_PROBE_NAME = 17,        /* str trace column prefix; default the kind's name */
    MECH_PROBE_WHICH = 18,       /* i64 mech_lanczos_which; default LARGEST */
    MECH_PROBE_WARM_START = 19,  /* i64 0/1 Lanczos warm start between measurements; default 1 */
    MECH_PROBE_ARRAY_LOSS = 20,  /* i64 mech_loss of the arrays way of the LOSS kind; default MSE */
    MECH_PROBE_NOPTS = 21
} mech_probe_opt;

/* Static name of a kind ("sharpness", "hessian_trace", ...); "unknown"
 * otherwise. It is the default MECH_PROBE_NAME. */
MECH_API const char *mech_probe_kind_name(mech_probe_kind kind);

/* Creates a probe of a kind with default options. ctx (may be NULL) is
 * borrowed and must outlive the probe. Caller owns *out
 * (mech_probe_destroy). Errors: MECH_EINVAL (NULL out, unknown kind). */
MECH_API mech_status mech_probe_create(mech_probe **out, const mech_ctx *ctx,
                                       mech_probe_kind kind);
/* Frees a probe (never the borrowed handles); NULL is accepted. */
MECH_API void mech_probe_destroy(mech_probe *p);
/* The probe's most recent error message ("" if none or p is NULL). */
MECH_API const char *mech_probe_last_error(const mech_probe *p);
/* The probe's kind. */
MECH_API mech_status mech_probe_kind_of(const mech_probe *p, mech_probe_kind *kind);

MECH_API mech_status mech_probe_set_i64(mech_probe *p, mech_probe_opt key, int64_t value);
MECH_API mech_status mech_probe_get_i64(const mech_probe *p, mech_probe_opt key,
                                        int64_t *value);
MECH_API mech_status mech_probe_set_f64(mech_probe *p, mech_probe_opt key, double value);
MECH_API mech_status mech_probe_get_f64(const mech_probe *p, mech_probe_opt key,
                                        double *value);
/* String options (MECH_PROBE_NAME: non-empty, letters, digits, '_' and
 * '.', at most 63 characters; MECH_ERANGE otherwise). The getter's string
 * is owned by the probe, valid until the option changes. */
MECH_API mech_status mech_probe_set_str(mech_probe *p, mech_probe_opt key, const char *value);
MECH_API mech_status mech_probe_get_str(const mech_probe *p, mech_probe_opt key,
                                        const char **value);

/* ---------------- ways in ---------------- */

/* Attaches a set-up model, a loss and a finite evaluation set (the first
 * max_examples examples, 0 = all, are copied now; the labels of the
 * classification kinds are the argmax of y, or for one output y > 0.5).
 * Records the reference state of the kinds that compare with init
 * (parameters, activations, NTK, conserved quantities) and allocates
 * everything the measurement needs. Re-attaching replaces the previous
 * attachment (a failed attach leaves the probe unattached). A raw
 * measurement (operator or arrays) replaces the output list, so an
 * attached probe must be attached again before its next model
 * measurement. Errors: MECH_EINVAL (NULL, unknown loss), MECH_ESTATE (model
 * not set up), MECH_ESHAPE (data dimensions differ from the model's),
 * MECH_EUNSUPPORTED (a generator; a model kind the probe kind cannot
 * use; F32 models for Hessian kinds), MECH_ERANGE (a layer out of range,
 * k > n_params, batch sizes above the evaluation set), MECH_ENOMEM. */
MECH_API mech_status mech_probe_attach_model(mech_probe *p, mech_model *model, mech_loss loss,
                                             mech_data *eval_data, size_t max_examples);
/* A second finite set (copied like the evaluation set) for the test
 * columns of MECH_PROBE_LOSS; call after attach_model. */
MECH_API mech_status mech_probe_attach_test_data(mech_probe *p, mech_data *test,
                                                 size_t max_examples);
/* Borrows an optimizer of the model's parameter count: the preconditioner
 * of PRECOND_SHARPNESS and the group learning-rate factors of
 * CONSERVATION (which then re-records its reference). Call after
 * attach_model. Errors: MECH_EINVAL, MECH_ESTATE (not attached, optimizer
 * not set up), MECH_ESHAPE (parameter count), MECH_EUNSUPPORTED (a kind
 * without a preconditioner for PRECOND_SHARPNESS). */
MECH_API mech_status mech_probe_attach_optimizer(mech_probe *p, const mech_optimizer *opt);

/* Caller basis of MODE_ERROR (copied): k orthonormal vectors of n entries
 * (vector j at vecs + j n, e.g. kernel eigenvectors over the evaluation
 * points). n must match the evaluation set (checked at measure).
 * Errors: MECH_EINVAL, MECH_ENONFINITE. */
MECH_API mech_status mech_probe_set_basis(mech_probe *p, const double *vecs, size_t n,
                                          size_t k);
/* Target weights W* (out x in, effective: f* = W* x) of MODE_ERROR's
 * linear setting (copied). Errors: MECH_EINVAL, MECH_ENONFINITE. */
MECH_API mech_status mech_probe_set_target(mech_probe *p, const double *w, size_t rows,
                                           size_t cols);
/* Units of MECH_PROBE_UNITS (copied, n >= 1, checked against the layer
 * width at attach / measure). */
MECH_API mech_status mech_probe_set_units(mech_probe *p, const size_t *units, size_t n);

/* Measures at the attached model's current parameters. Errors:
 * MECH_ESTATE (not attached), MECH_EUNSUPPORTED, errors of the model and
 * the solvers (see the header comment). */
MECH_API mech_status mech_probe_measure(mech_probe *p);

/* Measures a Hessian-type kind (SHARPNESS, HESSIAN_TRACE,
 * HESSIAN_DENSITY) on the symmetric n x n operator given by fn (see
 * operator.h for the callback convention: < 0 -> MECH_ECALLBACK, > 0 ->
 * MECH_STOPPED). Allocates the solver when n changes (then no warm start).
 * Errors: MECH_EINVAL (NULL fn, n == 0), MECH_ERANGE (k > n, SLQ_STEPS >
 * n, SKETCH > n), MECH_EUNSUPPORTED (another kind). */
MECH_API mech_status mech_probe_measure_operator(mech_probe *p, size_t n, mech_matvec_fn fn,
                                                 void *user_data);

/* Measures a kind on caller arrays: a (rows x cols, required), b
 * (rows_b x cols_b, or NULL with zero sizes) and labels (rows entries, or
 * NULL); what a, b and labels mean is said per kind. Errors: MECH_EINVAL,
 * MECH_ESHAPE, MECH_ENONFINITE, MECH_ERANGE (labels), MECH_EUNSUPPORTED
 * (a kind that needs a model). */
MECH_API mech_status mech_probe_measure_arrays(mech_probe *p, const double *a, size_t rows,
                                               size_t cols, const double *b, size_t rows_b,
                                               size_t cols_b, const int64_t *labels);

/* ---------------- outputs ---------------- */

/* Number of scalar outputs (names fixed since attach or the last raw
 * measurement; 0 before either). */
MECH_API mech_status mech_probe_output_count(const mech_probe *p, size_t *count);
/* Name of scalar output i (owned by the probe; valid until re-attach or
 * the next raw measurement). MECH_ERANGE for i >= count. */
MECH_API mech_status mech_probe_output_name(const mech_probe *p, size_t i, const char **name);
/* Value of scalar output i from the last measurement. MECH_ESTATE before
 * a measurement (or after a failed one). */
MECH_API mech_status mech_probe_output(const mech_probe *p, size_t i, double *value);
/* Value of a scalar output by name. MECH_ENOTFOUND for an unknown name. */
MECH_API mech_status mech_probe_value(const mech_probe *p, const char *name, double *value);

/* Number of vector outputs and the name of vector i. */
MECH_API mech_status mech_probe_vector_count(const mech_probe *p, size_t *count);
MECH_API mech_status mech_probe_vector_name(const mech_probe *p, size_t i, const char **name);
/* Copies vector output `name` into out (n entries available): *len
 * receives its length; out may be NULL (with n = 0) to ask for the length.
 * MECH_ESHAPE if n < length (nothing copied), MECH_ENOTFOUND, MECH_ESTATE. */
MECH_API mech_status mech_probe_vector(const mech_probe *p, const char *name, double *out,
                                       size_t n, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_PROBE_H */
