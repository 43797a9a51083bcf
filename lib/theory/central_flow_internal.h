/* Private state of the central-flow solver, shared by its handle code
 * (central_flow.c) and its right-hand side (central_flow_rhs.c). */
#ifndef MECHANICS_CENTRAL_FLOW_INTERNAL_H
#define MECHANICS_CENTRAL_FLOW_INTERNAL_H

#include "internal.h"
#include "mechanics/central_flow.h"
#include "mechanics/ode.h"
#include "mechanics/operator.h"

struct mech_central_flow {
    mech_err err;
    mech_optval opt[MECH_CENTRAL_FLOW_NOPTS];
    mech_model *model;    /* borrowed */
    mech_loss loss;
    double *x, *y;        /* copied full batch */
    size_t n, P;
    double eta;
    mech_lanczos *lz;
    mech_ode *ode;
    /* P-sized work: parameters to restore, kept state, gradient, top
     * eigenvector, grad S, displaced parameters, two HVPs */
    double *w_saved, *w_state, *g, *u, *gs, *w_tmp, *hv_p, *hv_m;
    /* last evaluation */
    double last_loss, last_s, last_sigma2;
    int have_u;           /* u holds a previous eigenvector (warm start) */
    /* statistics */
    double rhs_evals, hvps, steps, t_enter, t_end;
};

/* Evaluates the flow at w: fills cf->g, cf->u, cf->gs, cf->last_* and,
 * if dwdt is not NULL, the velocity. with_grad_s: compute grad S even
 * under GRADIENT_FLOW. Leaves the model's parameters at w (the caller
 * restores). Reports errors in cf->err. */
mech_status mech__central_flow_eval(mech_central_flow *cf, const double *w, double *dwdt,
                                    int with_grad_s);

#endif /* MECHANICS_CENTRAL_FLOW_INTERNAL_H */
