/*
 * Losses over a batch of network outputs: value, gradient with respect to
 * the outputs and the output-space Hessian-vector product.
 *
 * Shapes: f, y, dl_df, r and out are row-major batch x out_dim arrays owned
 * by the caller; per_example has batch entries. Every loss is a mean over
 * the examples of the batch (the 1/batch factor is inside dl_df and the
 * Hessian product), so model gradients of different batch sizes compare.
 */
#ifndef MECHANICS_LOSS_H
#define MECHANICS_LOSS_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mech_loss {
    /* Half mean squared error: L = (1/2n) sum_examples sum_outputs (f - y)^2. */
    MECH_LOSS_MSE = 0,
    /* Softmax cross-entropy, mean over examples:
     * L = (1/n) sum_i sum_o y_io (logsumexp(f_i) - f_io). y is one-hot or a
     * probability vector (finite, >= 0); out_dim >= 2. */
    MECH_LOSS_SOFTMAX_CE = 1,
    /* Binary logistic loss on one output (out_dim = 1), mean over examples:
     * L = (1/n) sum_i softplus(f_i) - t_i f_i with target t = y for
     * y in [0, 1] (hard or soft labels) and t = 0 for y = -1, so both the
     * {0, 1} and the {-1, +1} label conventions work. */
    MECH_LOSS_LOGISTIC = 2
} mech_loss;

/* Evaluates the loss. value (required) receives L; per_example (may be
 * NULL) receives each example's term (its mean is L); dl_df (may be NULL)
 * receives dL/df, which includes the 1/batch factor.
 * Errors: MECH_EINVAL (NULL f, y or value; unknown loss; zero batch or
 * out_dim), MECH_ESHAPE (out_dim not allowed for the loss), MECH_ENONFINITE
 * (NaN/Inf in f or y), MECH_ERANGE (label outside the loss's domain). */
MECH_API mech_status mech_loss_eval(mech_loss loss, const double *f, const double *y,
                                    size_t batch, size_t out_dim, double *value,
                                    double *per_example, double *dl_df);

/* Output-space Hessian-vector product: out = (d^2 L / df^2) r, with the
 * 1/batch factor (the Hessian is block diagonal over examples). This is the
 * middle factor of the Gauss-Newton matrix J^T H_out J. Same errors as
 * mech_loss_eval; r must be finite and out must not alias r. */
MECH_API mech_status mech_loss_hvp_output(mech_loss loss, const double *f, const double *y,
                                          size_t batch, size_t out_dim, const double *r,
                                          double *out);

/* Fraction of correct predictions in [0, 1]. out_dim > 1: argmax f equals
 * argmax y (first maximum wins). out_dim = 1: for MECH_LOSS_LOGISTIC,
 * (f > 0) equals (t > 1/2); otherwise sign(f) equals sign(y) (zero counts
 * as negative). Errors as mech_loss_eval. */
MECH_API mech_status mech_loss_accuracy(mech_loss loss, const double *f, const double *y,
                                        size_t batch, size_t out_dim, double *accuracy);

/* Name of a loss ("mse", "softmax_ce", "logistic"); "unknown" otherwise. */
MECH_API const char *mech_loss_name(mech_loss loss);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_LOSS_H */
