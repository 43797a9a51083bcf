/* Gradient flow d theta/dt = -grad L(theta) on the whole training set,
 * integrated by mech_ode between consecutive probe times, with the step
 * capped by a stability bound c / lambda_max (lambda_max of the training
 * loss Hessian, by power iteration at the start of each segment). */
#include <math.h>

#include "run_internal.h"

#define POWER_ITERATIONS 30

int mech__run_gf_rhs(double t, const double *y, double *dydt, void *ud)
{
    mech_run *r = ud;
    double loss = 0;
    mech_status st = mech__adopt(&r->err, mech_model_set_params(r->model, y, r->n_params));
    if (st == MECH_OK) st = mech__run_eval(r, r->train, r->n_train, &loss, NULL, true);
    if (st == MECH_ENONFINITE) return 1; /* overflow: ask for a smaller step */
    if (st < 0) return -1;
    for (size_t i = 0; i < r->n_params; i++) dydt[i] = -r->grad[i];
    return 0;
}

/* hv = Hessian of the full training loss times v, chunk by chunk. */
static mech_status full_hvp(mech_run *r, const double *v, double *hv)
{
    const size_t n = r->n_train, np = r->n_params;
    for (size_t first = 0; first < n; first += r->chunk) {
        const size_t c = n - first < r->chunk ? n - first : r->chunk;
        const double w = c == n ? 1.0 : (double)c / (double)n;
        MECH_TRY(mech__adopt(&r->err, mech_data_get(r->train, first, c, r->ex, r->ey)));
        MECH_TRY(mech__adopt(&r->err, mech_model_hvp(r->model, r->loss, r->ex, r->ey, c, v,
                                                     r->gtmp)));
        for (size_t i = 0; i < np; i++) hv[i] = (first == 0 ? 0 : hv[i]) + w * r->gtmp[i];
    }
    return MECH_OK;
}

/* Largest |eigenvalue| of the training-loss Hessian at the model's current
 * parameters, by power iteration from a fixed vector (deterministic, so a
 * resumed run caps its steps exactly like the original). */
static mech_status lambda_max(mech_run *r, double *lam)
{
    const size_t np = r->n_params;
    double s = 0;
    for (size_t i = 0; i < np; i++) {
        r->pv[i] = cos(1.0 + 0.7 * (double)i);
        s += r->pv[i] * r->pv[i];
    }
    for (size_t i = 0; i < np; i++) r->pv[i] /= sqrt(s);
    *lam = 0;
    for (int it = 0; it < POWER_ITERATIONS; it++) {
        MECH_TRY(full_hvp(r, r->pv, r->pw));
        double nrm = 0;
        for (size_t i = 0; i < np; i++) nrm += r->pw[i] * r->pw[i];
        nrm = sqrt(nrm);
        if (!(nrm > 0) || !isfinite(nrm)) return MECH_OK; /* no usable curvature */
        *lam = nrm;
        for (size_t i = 0; i < np; i++) r->pv[i] = r->pw[i] / nrm;
    }
    return MECH_OK;
}

/* Integrates from the current time to t1 (the model then holds the state
 * at the end, or the last accepted one after an error). */
static mech_status segment(mech_run *r, double t1)
{
    const double c = mech__run_f(r, MECH_RUN_GF_STABILITY);
    if (c > 0) {
        double lam = 0;
        MECH_TRY(lambda_max(r, &lam));
        MECH_TRY(mech__adopt(&r->err, mech_ode_set_f64(r->ode, MECH_ODE_H_MAX,
                                                       lam > 0 ? c / lam : INFINITY)));
    }
    mech_status st = mech__adopt(&r->err, mech_ode_integrate(r->ode, r->s.time, r->params, t1,
                                                             r->params));
    double acc = 0, tl = t1;
    mech_ode_get_stat(r->ode, MECH_ODE_STAT_ACCEPTED, &acc);
    if (st < 0) mech_ode_get_stat(r->ode, MECH_ODE_STAT_T_LAST, &tl);
    r->s.step += (uint64_t)acc;
    if (isfinite(tl)) r->s.time = tl;
    /* the right-hand side left a stage state in the model */
    const mech_status ps = mech__adopt(&r->err, mech_model_set_params(r->model, r->params,
                                                                      r->n_params));
    return st < 0 ? st : ps;
}

mech_status mech__run_flow(mech_run *r)
{
    MECH_TRY(mech__adopt(&r->err, mech_model_get_params(r->model, r->params, r->n_params)));
    if (!r->s.started) {
        r->s.started = 1;
        mech__run_gf_consume(r, 0.0);
        const mech_status st = mech__run_record(r);
        if (st != MECH_OK) return st;
    }
    const double tmax = mech__run_f(r, MECH_RUN_MAX_TIME);
    const double slack = 1e-12 * fmax(1.0, tmax);
    for (;;) {
        if (r->s.time >= tmax - slack) {
            r->stop = MECH_RUN_STOP_MAX_TIME;
            return MECH_OK;
        }
        const double tp = mech__run_next_gf_time(r);
        const bool probe = tp <= tmax + slack;
        const double t1 = probe ? tp : tmax;
        MECH_TRY(segment(r, t1));
        mech__run_gf_consume(r, t1);
        if (probe) {
            const mech_status st = mech__run_record(r);
            if (st != MECH_OK) return st;
        }
    }
}
