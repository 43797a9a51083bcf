/* The central flow's right-hand side at one point w: loss and gradient,
 * sharpness and top eigenvector by Lanczos on exact (prepared) HVPs, grad S by a
 * central difference of HVPs along u, and sigma^2 from the constraint
 * S = 2/eta (see include/mechanics/central_flow.h). */
#include <float.h>
#include <math.h>

#include "theory/central_flow_internal.h"

static int hvp_matvec(const double *v, double *out, size_t n, void *user_data)
{
    mech_central_flow *cf = user_data;
    (void)n;
    cf->hvps += 1;
    mech_status st = mech_model_hvp_apply(cf->model, v, out);
    if (st < 0) {
        mech__adopt(&cf->err, st);
        return -1;
    }
    return 0;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* H(w + s e u) u into out, s = +-1. */
static mech_status displaced_hvp(mech_central_flow *cf, const double *w, double e,
                                 double *out)
{
    for (size_t i = 0; i < cf->P; i++) cf->w_tmp[i] = w[i] + e * cf->u[i];
    mech_status st = mech_model_set_params(cf->model, cf->w_tmp, cf->P);
    if (st < 0) return mech__adopt(&cf->err, st);
    cf->hvps += 1;
    st = mech_model_hvp(cf->model, cf->loss, cf->x, cf->y, cf->n, cf->u, out);
    return st < 0 ? mech__adopt(&cf->err, st) : MECH_OK;
}

/* grad S = D^3 L[u, u, .] ~ [H(w + e u) u - H(w - e u) u] / (2 e). */
static mech_status grad_sharpness(mech_central_flow *cf, const double *w)
{
    double e = cf->opt[MECH_CENTRAL_FLOW_FD_STEP].f;
    if (e == 0) {
        double scale = sqrt(dot(w, w, cf->P) / (double)cf->P);
        e = cbrt(DBL_EPSILON) * fmax(1.0, scale);
    }
    MECH_TRY(displaced_hvp(cf, w, e, cf->hv_p));
    MECH_TRY(displaced_hvp(cf, w, -e, cf->hv_m));
    for (size_t i = 0; i < cf->P; i++) cf->gs[i] = (cf->hv_p[i] - cf->hv_m[i]) / (2 * e);
    return MECH_OK;
}

static mech_status top_eigenpair(mech_central_flow *cf)
{
    mech_lanczos *lz = cf->lz;
    MECH_TRY(mech_lanczos_set_f64(lz, MECH_LANCZOS_TOL,
                                  cf->opt[MECH_CENTRAL_FLOW_LANCZOS_TOL].f));
    if (cf->have_u) MECH_TRY(mech_lanczos_set_start(lz, cf->u));
    /* every product of this solve is at one point on one batch */
    mech_status pst = mech_model_hvp_prepare(cf->model, cf->loss, cf->x, cf->y, cf->n);
    if (pst < 0) return mech__adopt(&cf->err, pst);
    cf->err.status = MECH_OK;
    mech_status st = mech_lanczos_solve(lz, hvp_matvec, cf, &cf->last_s, cf->u, NULL, NULL);
    if (st == MECH_ECALLBACK && cf->err.status < 0) return cf->err.status;
    if (st < 0)
        return mech__fail(&cf->err, st, "central flow: sharpness by Lanczos failed: %s",
                          mech_lanczos_last_error(lz));
    cf->have_u = 1;
    return MECH_OK;
}

/* sigma^2 >= 0 keeping S on 2/eta: the relaxed constraint
 * dS/dt = <grad S, dw/dt> = -kappa (S - 2/eta), clipped at zero. */
static double sigma_squared(const mech_central_flow *cf)
{
    double gs2 = dot(cf->gs, cf->gs, cf->P);
    if (!(gs2 > 0)) return 0;
    double a = -dot(cf->g, cf->gs, cf->P); /* dS/dt under gradient flow */
    double gap = cf->last_s - 2.0 / cf->eta;
    double relax = cf->opt[MECH_CENTRAL_FLOW_RELAX].f;
    if (relax == 0 && gap < 0) return 0; /* exact switch: stable phase */
    double s2 = 2.0 * (a + relax / cf->eta * gap) / gs2;
    return s2 > 0 ? s2 : 0;
}

mech_status mech__central_flow_eval(mech_central_flow *cf, const double *w, double *dwdt,
                                    int with_grad_s)
{
    cf->rhs_evals += 1;
    mech_status st = mech_model_set_params(cf->model, w, cf->P);
    if (st < 0) return mech__adopt(&cf->err, st);
    st = mech_model_gradient(cf->model, cf->loss, cf->x, cf->y, cf->n, &cf->last_loss,
                             cf->g);
    if (st < 0) return mech__adopt(&cf->err, st);
    MECH_TRY(top_eigenpair(cf));
    int gf = cf->opt[MECH_CENTRAL_FLOW_GRADIENT_FLOW].i != 0;
    cf->last_sigma2 = 0;
    if (!gf || with_grad_s) {
        MECH_TRY(grad_sharpness(cf, w));
        if (!gf) cf->last_sigma2 = sigma_squared(cf);
    }
    if (dwdt)
        for (size_t i = 0; i < cf->P; i++)
            dwdt[i] = -(cf->g[i] + 0.5 * cf->last_sigma2 * cf->gs[i]);
    return MECH_OK;
}
