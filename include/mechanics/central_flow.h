/*
 * Central flow of full-batch gradient descent with one unstable direction
 * (Cohen, Damian, Talwalkar, Kolter & Lee 2025; THEORY.md section 7).
 *
 * GD with step size eta at the edge of stability oscillates along the top
 * Hessian eigenvector u while its sharpness S = lambda_max(H) hovers at
 * 2/eta. The central flow models the time average w of those iterates
 * (time t = eta k):
 *   dw/dt = -[grad L(w) + (sigma^2 / 2) grad S(w)],
 * where sigma^2 >= 0 is the variance of the oscillation along u. In the
 * stable phase (S < 2/eta) sigma^2 = 0 (gradient flow); on the edge of
 * stability sigma^2 is whatever keeps S at 2/eta, the complementarity
 * sigma^2 >= 0, S <= 2/eta, sigma^2 (2/eta - S) = 0. Because
 * dS/dt = <grad S, dw/dt>, the constraint gives
 *   sigma^2 = 2 [<-grad L, grad S> + kappa (S - 2/eta)] / |grad S|^2,
 * clipped at 0. kappa = RELAX / eta (option) is a relaxation rate that
 * pulls S back onto 2/eta when rounding or the integrator lets it drift
 * (Baumgarte stabilization: dS/dt = -kappa (S - 2/eta) while sigma^2 > 0).
 * With RELAX > 0 the formula is used everywhere: below 2/eta it is
 * positive only when gradient flow would sharpen faster than
 * kappa (2/eta - S), so the flow reaches 2/eta smoothly instead of
 * crossing it (with RELAX = 1 this only bends the last ~eta dS/dt of the
 * approach). With RELAX = 0 the exact switch is used: sigma^2 = 0 while
 * S < 2/eta, the unrelaxed formula (clipped at 0) once S >= 2/eta.
 *
 * The predicted time-averaged GD loss is the loss at the centre plus the
 * oscillation's second-order term: L(w) + sigma^2 S / 2 = L(w) + sigma^2/eta
 * on the constraint; this library reports L(w) + sigma^2 / eta.
 *
 * Sharpness and u come from Lanczos (mech_lanczos, one pair, warm-started
 * from the previous u) on exact Hessian-vector products of the model on
 * the fixed full batch. grad S = D^3 L[u, u, .] (the eigenvalue's gradient
 * for a simple top eigenvalue) is the central difference of exact HVPs:
 *   grad S ~ [H(w + e u) u - H(w - e u) u] / (2 e),
 * truncation error O(e^2), rounding O(eps |H| / e); the default
 * e = eps^(1/3) max(1, |w| / sqrt(P)) balances the two (about 1e-11
 * relative for O(1) derivatives).
 *
 * Only the model's public interface is used (mech_model_gradient,
 * mech_model_hvp, mech_model_get_params / set_params). The model is
 * borrowed and must outlive the handle; every call below that moves its
 * parameters puts them back before returning. Setting sigma^2 = 0
 * everywhere (option GRADIENT_FLOW) gives plain gradient flow on the same
 * machinery, the natural baseline.
 *
 * Allocation: create allocates everything (P-sized work vectors, the
 * Lanczos and ODE handles); solve and eval allocate nothing (appending to
 * a trace may grow the trace). One handle is not safe for concurrent calls.
 */
#ifndef MECHANICS_CENTRAL_FLOW_H
#define MECHANICS_CENTRAL_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "mechanics/core.h"
#include "mechanics/loss.h"
#include "mechanics/model.h"
#include "mechanics/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_central_flow mech_central_flow;

/* Option keys (mech_option_* under MECH_KIND_CENTRAL_FLOW lists names,
 * bounds, docs). Read at the start of each solve / eval. */
typedef enum mech_central_flow_opt {
    MECH_CENTRAL_FLOW_METHOD = 0,        /* i64 mech_ode_method: 0 RK4, 1 DOPRI5
                                          * (default) */
    MECH_CENTRAL_FLOW_RTOL = 1,          /* f64 in (0, 1], DOPRI5; default 1e-7 */
    MECH_CENTRAL_FLOW_ATOL = 2,          /* f64 > 0, DOPRI5; default 1e-9 */
    MECH_CENTRAL_FLOW_H_FIXED = 3,       /* f64 >= 0, RK4 step in time units;
                                          * default 0 = eta */
    MECH_CENTRAL_FLOW_FD_STEP = 4,       /* f64 >= 0, the e of the grad S
                                          * difference; default 0 = automatic */
    MECH_CENTRAL_FLOW_LANCZOS_TOL = 5,   /* f64 in [1e-15, 1e-2], Lanczos relative
                                          * residual; default 1e-10 */
    MECH_CENTRAL_FLOW_RELAX = 6,         /* f64 in [0, 2], kappa eta (see above);
                                          * default 1 */
    MECH_CENTRAL_FLOW_GRADIENT_FLOW = 7, /* i64 0/1: sigma^2 = 0 (plain gradient
                                          * flow); default 0 */
    MECH_CENTRAL_FLOW_NOPTS = 8
} mech_central_flow_opt;

/* Statistics (mech_central_flow_get_stat), all read as double. */
typedef enum mech_central_flow_stat {
    MECH_CENTRAL_FLOW_STAT_RHS_EVALS = 0, /* flow evaluations (last solve/eval) */
    MECH_CENTRAL_FLOW_STAT_HVPS = 1,      /* Hessian-vector products (same) */
    MECH_CENTRAL_FLOW_STAT_STEPS = 2,     /* accepted ODE steps of the last solve */
    MECH_CENTRAL_FLOW_STAT_T_ENTER = 3,   /* first output time of the last solve
                                           * with sigma^2 > 0; NaN if none */
    MECH_CENTRAL_FLOW_STAT_T_END = 4      /* time the last solve reached */
} mech_central_flow_stat;

/* Creates a central-flow solver for the set-up model on the full batch
 * (x: n x in_dim, y: n x out_dim, row-major; both copied) with loss
 * `loss` and GD step size eta > 0. The model is borrowed. Checks the
 * batch by one gradient evaluation (so n <= the model's MAX_BATCH, finite
 * inputs, labels valid for the loss). ctx may be NULL; it must outlive
 * the handle. Caller owns *out.
 * Errors: MECH_EINVAL (NULL, n == 0, bad loss), MECH_ERANGE (eta <= 0,
 * n > MAX_BATCH), MECH_ENONFINITE, MECH_ESTATE (model not set up),
 * MECH_ESHAPE, MECH_EOVERFLOW, MECH_ENOMEM; errors of mech_model_gradient. */
MECH_API mech_status mech_central_flow_create(mech_central_flow **out, const mech_ctx *ctx,
                                              mech_model *model, mech_loss loss,
                                              const double *x, const double *y, size_t n,
                                              double eta);
/* Frees the handle (not the model); NULL is accepted. */
MECH_API void mech_central_flow_destroy(mech_central_flow *cf);
/* The handle's most recent error message ("" if none or NULL). */
MECH_API const char *mech_central_flow_last_error(const mech_central_flow *cf);

/* Typed option access. Errors: MECH_EINVAL (NULL, bad key or type),
 * MECH_ERANGE, MECH_ENONFINITE. */
MECH_API mech_status mech_central_flow_set_i64(mech_central_flow *cf,
                                               mech_central_flow_opt key, int64_t value);
MECH_API mech_status mech_central_flow_get_i64(const mech_central_flow *cf,
                                               mech_central_flow_opt key, int64_t *value);
MECH_API mech_status mech_central_flow_set_f64(mech_central_flow *cf,
                                               mech_central_flow_opt key, double value);
MECH_API mech_status mech_central_flow_get_f64(const mech_central_flow *cf,
                                               mech_central_flow_opt key, double *value);

/* Number of parameters P of the model (the state dimension). */
MECH_API size_t mech_central_flow_num_params(const mech_central_flow *cf);

/* Evaluates the flow at parameters w (P entries): loss L(w), sharpness
 * S(w), sigma^2 (as the flow would use it), grad_s = grad S(w) (P) and
 * dwdt = the flow's velocity (P). Every output may be NULL. grad_s is
 * computed even under GRADIENT_FLOW. Useful to inspect or test the flow.
 * Errors: MECH_EINVAL (NULL cf or w), MECH_ENONFINITE (w), MECH_ENOCONV
 * (Lanczos), errors of the model. */
MECH_API mech_status mech_central_flow_eval(mech_central_flow *cf, const double *w,
                                            double *loss, double *sharpness,
                                            double *sigma2, double *grad_s, double *dwdt);

/* Integrates the flow from the model's current parameters at t = 0 and
 * reports at the n_t times t_out (finite, >= 0, non-decreasing; t = eta k
 * compares with GD step k):
 *   loss_pred[i]  L(w) + sigma^2 / eta, the predicted time-averaged GD loss;
 *   loss_w[i]     L(w) at the flow's point;
 *   sharpness[i]  S(w);
 *   sigma2[i]     sigma^2.
 * Every output array (n_t entries) may be NULL. If trace is not NULL (it
 * must be on MECH_AXIS_TIME) one row per output time is appended with the
 * columns "loss" (= L(w)), "loss_avg_pred", "sharpness", "sigma2" (added
 * when missing; other columns of the row are NaN). The state at the last
 * output time is kept (mech_central_flow_get_params). On an error after
 * integration started, outputs and trace rows up to the failure are
 * written and the kept state is the last good one.
 * Errors: MECH_EINVAL (NULL cf or t_out, n_t == 0, t_out decreasing or
 * negative, trace on another axis), MECH_ENONFINITE, MECH_ENOCONV (ODE or
 * Lanczos failed), errors of the model and the trace. */
MECH_API mech_status mech_central_flow_solve(mech_central_flow *cf, const double *t_out,
                                             size_t n_t, double *loss_pred, double *loss_w,
                                             double *sharpness, double *sigma2,
                                             mech_trace *trace);

/* Copies the state kept by the last solve (P = n entries; before any solve,
 * the model's parameters at create). Errors: MECH_EINVAL, MECH_ESHAPE. */
MECH_API mech_status mech_central_flow_get_params(const mech_central_flow *cf, double *w,
                                                  size_t n);

/* Reads a statistic. Errors: MECH_EINVAL (NULL, unknown key). */
MECH_API mech_status mech_central_flow_get_stat(const mech_central_flow *cf,
                                                mech_central_flow_stat key, double *value);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_CENTRAL_FLOW_H */
