/*
 * Optimizers: update rules and learning-rate schedules as pure state
 * machines over flat parameter arrays.
 *
 * An optimizer knows nothing about models: the caller (usually the training
 * integrator) hands it the parameters and the gradient of the loss, and it
 * updates the parameters in place. Its state is the step count and, per
 * kind, one or two moment arrays of n_params doubles.
 *
 * Life cycle: mech_optimizer_create (kind and n_params are fixed there),
 * options and parameter groups, mech_optimizer_setup (allocates the state),
 * then mech_optimizer_step as often as needed. Options and groups may change
 * at any time, also between steps (e.g. an external schedule); a step uses
 * the values current when it is called. mech_optimizer_step allocates
 * nothing; distinct handles may step in distinct threads.
 *
 * Notation for one step. k = 1, 2, ... is the index of the step being taken
 * (mech_optimizer_step_count() + 1). The gradient goes through, in order:
 *  1. clipping: if CLIP_NORM = c > 0 and the global L2 norm |g| of the whole
 *     gradient exceeds c, g <- g * c / |g|;
 *  2. L2 weight decay (every kind except ADAMW): g <- g + lambda * theta,
 *     with lambda = WEIGHT_DECAY (PyTorch's `weight_decay`);
 * and parameter i of group j moves with the learning rate
 *     eta_i = eta(k) * multiplier_j,
 * where eta(k) is the schedule value (mech_optimizer_lr_at) and multiplier_j
 * the group's multiplier (1 without groups). The rules, elementwise:
 *  GD, SGD     theta <- theta - eta_i g            (identical; two names so
 *                                                   traces say which was meant)
 *  HEAVY_BALL  v <- beta v + g;  theta <- theta - eta_i v   (beta = MOMENTUM;
 *              v starts at 0. With a constant eta this is Polyak's
 *              theta_{k+1} = theta_k - eta g_k + beta (theta_k - theta_{k-1});
 *              it is PyTorch SGD with momentum and dampening 0.)
 *  NESTEROV    v <- beta v + g;  theta <- theta - eta_i (g + beta v)
 *              (PyTorch's nesterov=True form)
 *  ADAM        m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) g^2;
 *              theta <- theta - eta_i mhat / (sqrt(shat) + eps),
 *              mhat = m / (1 - b1^k), shat = s / (1 - b2^k)
 *  ADAMW       ADAM without the L2 term, plus decoupled decay applied to
 *              the parameters before the update: theta <- theta - eta_i lambda theta
 *  RMSPROP     s <- b2 s + (1-b2) g^2;  theta <- theta - eta_i g / (sqrt(s) + eps)
 *              (no bias correction, no momentum: PyTorch's defaults, with
 *              its `alpha` being BETA2 here)
 *  SIGN        theta <- theta - eta_i sign(g)   (sign(0) = 0)
 * When an adaptive denominator sqrt(.) + eps is exactly 0 (eps = 0 and a
 * coordinate that has only seen zero gradients) the coordinate does not move.
 */
#ifndef MECHANICS_OPTIM_H
#define MECHANICS_OPTIM_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_optimizer mech_optimizer;

typedef enum mech_optimizer_kind {
    MECH_OPTIMIZER_GD = 0,         /* full-batch gradient descent */
    MECH_OPTIMIZER_SGD = 1,        /* stochastic gradient descent (same rule) */
    MECH_OPTIMIZER_HEAVY_BALL = 2, /* Polyak momentum */
    MECH_OPTIMIZER_NESTEROV = 3,   /* Nesterov momentum, PyTorch form */
    MECH_OPTIMIZER_ADAM = 4,
    MECH_OPTIMIZER_ADAMW = 5,
    MECH_OPTIMIZER_RMSPROP = 6,
    MECH_OPTIMIZER_SIGN = 7        /* sign descent */
} mech_optimizer_kind;

/* Learning-rate schedules eta(k), k = 1, 2, ... the step index; eta = LR,
 * W = WARMUP_STEPS, T = TOTAL_STEPS, f = FINAL_LR_FRACTION, and the warmup
 * factor w(k) = min(1, k/W) (w = 1 when W = 0).
 *  CONSTANT       eta                        (WARMUP_STEPS is ignored)
 *  WARMUP_LINEAR  eta w(k)
 *  COSINE         eta w(k) for k <= W; then
 *                 eta [f + (1-f) (1 + cos(pi (k-W)/(T-W))) / 2] for W < k <= T;
 *                 eta f for k > T.  Needs T >= 1 and W <= T.
 *  WSD            warmup-stable-decay with D = floor(DECAY_FRACTION * T)
 *                 decay steps: eta w(k) for k <= T-D; then linear decay
 *                 eta [f + (1-f) (T-k)/D] for T-D < k <= T; eta f for k > T.
 *                 Needs T >= 1 and W <= T-D.
 *  STEP           eta w(k) GAMMA^floor((k-1)/STEP_SIZE): the first STEP_SIZE
 *                 steps run at eta, the next STEP_SIZE at eta GAMMA, ...
 *  INV_SQRT       eta min(k/W', sqrt(W'/k)), W' = max(W, 1): linear warmup
 *                 to eta at k = W', then eta sqrt(W'/k) (eta/sqrt(k) if W = 0).
 * At k = 0 every formula is evaluated as written (0 during a warmup), except
 * STEP, which gives its k = 1 value. */
typedef enum mech_lr_schedule {
    MECH_LR_CONSTANT = 0,
    MECH_LR_WARMUP_LINEAR = 1,
    MECH_LR_COSINE = 2,
    MECH_LR_WSD = 3,
    MECH_LR_STEP = 4,
    MECH_LR_INV_SQRT = 5
} mech_lr_schedule;

/* Option keys (MECH_KIND_OPTIMIZER; names for mech_option_lookup in
 * parentheses). Bounds are inclusive unless "< 1" is written; setting a value
 * out of bounds gives MECH_ERANGE, NaN gives MECH_ENONFINITE. */
typedef enum mech_optimizer_opt {
    MECH_OPTIMIZER_LR = 0,             /* f64 "lr", base rate eta >= 0, finite; default 1e-3 */
    MECH_OPTIMIZER_MOMENTUM = 1,       /* f64 "momentum", beta in [0, 1); default 0.9 */
    MECH_OPTIMIZER_BETA1 = 2,          /* f64 "beta1" in [0, 1); default 0.9 */
    MECH_OPTIMIZER_BETA2 = 3,          /* f64 "beta2" in [0, 1); default 0.999 (also RMSProp) */
    MECH_OPTIMIZER_EPS = 4,            /* f64 "eps" >= 0; default 1e-8 */
    MECH_OPTIMIZER_WEIGHT_DECAY = 5,   /* f64 "weight_decay" lambda >= 0; default 0 */
    MECH_OPTIMIZER_CLIP_NORM = 6,      /* f64 "clip_norm" >= 0, 0 = off; default 0 */
    MECH_OPTIMIZER_SCHEDULE = 7,       /* i64 "schedule", a mech_lr_schedule; default CONSTANT */
    MECH_OPTIMIZER_WARMUP_STEPS = 8,   /* i64 "warmup_steps" >= 0; default 0 */
    MECH_OPTIMIZER_TOTAL_STEPS = 9,    /* i64 "total_steps" >= 0; default 0 */
    MECH_OPTIMIZER_FINAL_LR_FRACTION = 10, /* f64 "final_lr_fraction" in [0, 1]; default 0 */
    MECH_OPTIMIZER_DECAY_FRACTION = 11,    /* f64 "decay_fraction" in [0, 1]; default 0.2 */
    MECH_OPTIMIZER_STEP_SIZE = 12,     /* i64 "step_size" >= 1; default 1000 */
    MECH_OPTIMIZER_GAMMA = 13          /* f64 "gamma" >= 0, finite; default 0.1 */
} mech_optimizer_opt;

/* Static lower-case name of a kind ("gd", "adamw", ...; "unknown" if the
 * value is not a kind); never NULL. */
MECH_API const char *mech_optimizer_kind_name(mech_optimizer_kind kind);

/* Creates an optimizer of `kind` for n_params >= 1 parameters with default
 * options and one group of multiplier 1. ctx may be NULL (it is not kept).
 * The caller owns *out and frees it with mech_optimizer_destroy.
 * Errors: MECH_EINVAL (out NULL, n_params 0, unknown kind), MECH_EOVERFLOW
 * (n_params too large to hold a moment array), MECH_ENOMEM. */
MECH_API mech_status mech_optimizer_create(mech_optimizer **out, const mech_ctx *ctx,
                                           mech_optimizer_kind kind, size_t n_params);
/* Frees an optimizer; NULL is accepted. */
MECH_API void mech_optimizer_destroy(mech_optimizer *o);
/* The handle's most recent error message ("" if none or o is NULL). */
MECH_API const char *mech_optimizer_last_error(const mech_optimizer *o);

/* Typed option access (see mech_optimizer_opt). Errors: MECH_EINVAL (NULL,
 * unknown key, wrong type), MECH_ERANGE, MECH_ENONFINITE; the old value is
 * kept on failure. Cross-option constraints of the schedules (e.g. W <= T)
 * are checked where the schedule is used: setup, step and lr_at. */
MECH_API mech_status mech_optimizer_set_i64(mech_optimizer *o, mech_optimizer_opt key,
                                            int64_t value);
MECH_API mech_status mech_optimizer_get_i64(const mech_optimizer *o, mech_optimizer_opt key,
                                            int64_t *value);
MECH_API mech_status mech_optimizer_set_f64(mech_optimizer *o, mech_optimizer_opt key,
                                            double value);
MECH_API mech_status mech_optimizer_get_f64(const mech_optimizer *o, mech_optimizer_opt key,
                                            double *value);

/* Parameter groups with per-group learning-rate multipliers (e.g. the
 * per-layer rates of a muP parametrization). Group j holds parameters
 * group_offsets[j] .. group_offsets[j+1]-1; group_offsets has n_groups+1
 * strictly increasing entries from 0 to n_params. lr_multipliers[j] >= 0 and
 * finite. Both arrays are copied. Allowed before and after setup.
 * Errors: MECH_EINVAL (NULL, n_groups 0, offsets not starting at 0 or not
 * strictly increasing), MECH_ESHAPE (last offset != n_params), MECH_ERANGE /
 * MECH_ENONFINITE (bad multiplier), MECH_ENOMEM. The old groups stay on failure. */
MECH_API mech_status mech_optimizer_set_groups(mech_optimizer *o, const size_t *group_offsets,
                                               const double *lr_multipliers, size_t n_groups);

/* Checks the schedule options and allocates the state (moments zeroed, step
 * count 0). Errors: MECH_EINVAL (NULL, inconsistent schedule options),
 * MECH_ESTATE (already set up), MECH_ENOMEM. */
MECH_API mech_status mech_optimizer_setup(mech_optimizer *o);

/* One update of params[0..n_params) in place from grad[0..n_params)
 * (gradient of the loss; the optimizer descends). Allocates nothing.
 * Errors: MECH_EINVAL (NULL, inconsistent schedule options), MECH_ESTATE
 * (before setup), MECH_ENONFINITE (grad has a NaN or Inf: the training loop
 * treats this as divergence). On any error params and the state are untouched. */
MECH_API mech_status mech_optimizer_step(mech_optimizer *o, double *params,
                                         const double *grad);
/* The same update on float parameters and gradients. The state stays in
 * double: each element is widened, updated in double exactly as
 * mech_optimizer_step would, and rounded back to float. A state saved from
 * float steps loads into double steps and vice versa. Same errors. */
MECH_API mech_status mech_optimizer_step_f32(mech_optimizer *o, float *params,
                                             const float *grad);

/* Schedule value eta(step) under the current options (without group
 * multipliers); the step about to be taken has index step_count + 1.
 * Works before setup. Errors: MECH_EINVAL (NULL, inconsistent schedule). */
MECH_API mech_status mech_optimizer_lr_at(const mech_optimizer *o, uint64_t step, double *lr);
/* Number of steps taken since setup, reset or the loaded state. */
MECH_API mech_status mech_optimizer_step_count(const mech_optimizer *o, uint64_t *count);
/* Kind, parameter count and whether mech_optimizer_setup has run (any
 * output may be NULL). Errors: MECH_EINVAL (NULL o). */
MECH_API mech_status mech_optimizer_info(const mech_optimizer *o, mech_optimizer_kind *kind,
                                         size_t *n_params, bool *ready);
/* Zeroes the moments and the step count; options and groups are kept.
 * Before setup there is nothing to reset and it succeeds. Errors: MECH_EINVAL (NULL). */
MECH_API mech_status mech_optimizer_reset(mech_optimizer *o);

/* Diagonal preconditioner of the adaptive kinds, for preconditioned
 * sharpness: p_out[i] = sqrt(shat_i) + eps with shat the bias-corrected
 * second moment at the current step count t (ADAM, ADAMW: s/(1 - b2^t),
 * shat = 0 when t = 0; RMSPROP: s itself). The next update of an ADAM
 * parameter is eta_i mhat_i / p_out[i]. n must equal n_params.
 * Errors: MECH_EINVAL (NULL), MECH_ESHAPE (n), MECH_ESTATE (before setup),
 * MECH_EUNSUPPORTED (not ADAM, ADAMW or RMSPROP). */
MECH_API mech_status mech_optimizer_preconditioner(const mech_optimizer *o, double *p_out,
                                                   size_t n);
/* Effective per-parameter step scale of the next step (index t+1): the
 * factor by which the next update multiplies the (clipped, decayed) gradient
 * or, for ADAM/ADAMW, the bias-corrected first moment, with the second
 * moment frozen at its current value: eta_i for GD, SGD, HEAVY_BALL and
 * NESTEROV (which multiply the velocity or gradient by eta_i), eta_i / p_i
 * for the adaptive kinds (p from mech_optimizer_preconditioner; +Inf where
 * p_i = 0). Errors: those of mech_optimizer_preconditioner (SIGN is
 * MECH_EUNSUPPORTED), plus schedule errors. */
MECH_API mech_status mech_optimizer_step_scale(const mech_optimizer *o, double *scale_out,
                                               size_t n);

/* State persistence. The state is the kind, n_params, the step count and
 * the moments, not the options or groups (the caller configures those).
 * mech_optimizer_save writes a CRC-checked container (atomically: temporary
 * file, then rename). mech_optimizer_load needs a set-up optimizer of the
 * same kind and n_params; on any error the previous state is kept.
 * Errors: MECH_EINVAL (NULL), MECH_ESTATE (before setup), MECH_EIO,
 * MECH_EFORMAT (truncated, corrupted, not an optimizer state, other kind),
 * MECH_ESHAPE (other n_params), MECH_EVERSION (newer format), MECH_ENOMEM. */
MECH_API mech_status mech_optimizer_save(const mech_optimizer *o, const char *path);
MECH_API mech_status mech_optimizer_load(mech_optimizer *o, const char *path);

/* In-memory state for checkpoints: exactly the bytes mech_optimizer_save
 * writes to its file. state_size gives the size in bytes; get_state needs
 * n >= that size (MECH_ESHAPE otherwise) and writes that many bytes;
 * set_state reads n bytes (caller-owned, not kept) with the checks and
 * errors of mech_optimizer_load. */
MECH_API mech_status mech_optimizer_state_size(const mech_optimizer *o, size_t *size);
MECH_API mech_status mech_optimizer_get_state(const mech_optimizer *o, void *buf, size_t n);
MECH_API mech_status mech_optimizer_set_state(mech_optimizer *o, const void *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_OPTIM_H */
