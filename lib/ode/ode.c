/* The ODE handle: creation, options, observer, statistics, and the helpers
 * every method shares (counted rhs calls, the error norm, dense output). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ode/ode_internal.h"

static const mech_optdesc ODE_OPTS[MECH_ODE_NOPTS] = {
    [MECH_ODE_METHOD] = {"method", MECH_OPT_I64, 0, 1, MECH_ODE_DOPRI5, NULL,
                         "0 = RK4 (fixed step), 1 = DOPRI5 (adaptive)"},
    [MECH_ODE_RTOL] = {"rtol", MECH_OPT_F64, 0, 1, 1e-8, NULL,
                       "relative tolerance per DOPRI5 step"},
    [MECH_ODE_ATOL] = {"atol", MECH_OPT_F64, 0, DBL_MAX, 1e-10, NULL,
                       "absolute tolerance per DOPRI5 step"},
    [MECH_ODE_H_INIT] = {"h_init", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                         "first DOPRI5 step (0 = automatic)"},
    [MECH_ODE_H_MAX] = {"h_max", MECH_OPT_F64, DBL_MIN, INFINITY, INFINITY, NULL,
                        "largest step magnitude"},
    [MECH_ODE_H_FIXED] = {"h_fixed", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                          "RK4 step magnitude (0 = unset)"},
    [MECH_ODE_MAX_STEPS] = {"max_steps", MECH_OPT_I64, 1, 4.6116860184273879e18, 1e6,
                            NULL, "most step attempts per call"},
};

const mech_opttable mech__ode_opts = {MECH_KIND_ODE, ODE_OPTS, MECH_ODE_NOPTS};

enum { N_WORK = 14 }; /* y, f, y_new, f_new, ytmp, k[5], rc[4] */

MECH_API mech_status mech_ode_create(mech_ode **out, const mech_ctx *ctx, size_t dim,
                                     mech_ode_rhs_fn rhs, void *user_data)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, rhs);
    MECH_CHECK_NONZERO(NULL, dim);
    size_t n = 0;
    MECH_TRY(mech__mul(N_WORK, dim, &n, NULL));
    mech_ode *o = mech__calloc(1, sizeof *o, NULL);
    if (!o) return MECH_ENOMEM;
    o->block = mech__calloc(n, sizeof(double), NULL);
    if (!o->block || mech__opt_defaults(&mech__ode_opts, o->opt, NULL) < 0) {
        free(o->block);
        free(o);
        return MECH_ENOMEM;
    }
    double *p = o->block;
    double **slots[N_WORK] = {&o->y, &o->f, &o->y_new, &o->f_new, &o->ytmp,
                              &o->k[0], &o->k[1], &o->k[2], &o->k[3], &o->k[4],
                              &o->rc[0], &o->rc[1], &o->rc[2], &o->rc[3]};
    for (size_t i = 0; i < N_WORK; i++, p += dim) *slots[i] = p;
    o->dim = dim;
    o->rhs = rhs;
    o->rhs_ud = user_data;
    o->stop = MECH_ODE_STOP_END;
    o->t_last = o->h_last = o->err_last = o->t_event = NAN;
    *out = o;
    return MECH_OK;
}

MECH_API void mech_ode_destroy(mech_ode *ode)
{
    if (!ode) return;
    mech__opt_free(&mech__ode_opts, ode->opt);
    free(ode->ev_times);
    free(ode->ev_dirs);
    free(ode->block);
    free(ode);
}

MECH_API const char *mech_ode_last_error(const mech_ode *ode)
{
    return ode ? ode->err.msg : "";
}

MECH_API mech_status mech_ode_set_i64(mech_ode *ode, mech_ode_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, ode);
    return mech__opt_set_i64(&mech__ode_opts, ode->opt, (int)key, value, &ode->err);
}

MECH_API mech_status mech_ode_get_i64(const mech_ode *ode, mech_ode_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, ode);
    return mech__opt_get_i64(&mech__ode_opts, ode->opt, (int)key, value,
                             (mech_err *)&ode->err);
}

MECH_API mech_status mech_ode_set_f64(mech_ode *ode, mech_ode_opt key, double value)
{
    MECH_CHECK_PTR(NULL, ode);
    return mech__opt_set_f64(&mech__ode_opts, ode->opt, (int)key, value, &ode->err);
}

MECH_API mech_status mech_ode_get_f64(const mech_ode *ode, mech_ode_opt key, double *value)
{
    MECH_CHECK_PTR(NULL, ode);
    return mech__opt_get_f64(&mech__ode_opts, ode->opt, (int)key, value,
                             (mech_err *)&ode->err);
}

MECH_API mech_status mech_ode_set_observer(mech_ode *ode, mech_ode_observer_fn fn,
                                           void *user_data)
{
    MECH_CHECK_PTR(NULL, ode);
    ode->obs = fn;
    ode->obs_ud = user_data;
    return MECH_OK;
}

MECH_API mech_status mech_ode_get_stat(const mech_ode *ode, mech_ode_stat key, double *value)
{
    MECH_CHECK_PTR(NULL, ode);
    mech_err *e = (mech_err *)&ode->err;
    MECH_CHECK_PTR(e, value);
    switch (key) {
    case MECH_ODE_STAT_ACCEPTED: *value = (double)ode->accepted; break;
    case MECH_ODE_STAT_REJECTED: *value = (double)ode->rejected; break;
    case MECH_ODE_STAT_RHS_EVALS: *value = (double)ode->nrhs; break;
    case MECH_ODE_STAT_EVENTS: *value = (double)ode->nevents; break;
    case MECH_ODE_STAT_OUTPUTS: *value = (double)ode->outputs; break;
    case MECH_ODE_STAT_STOP: *value = (double)ode->stop; break;
    case MECH_ODE_STAT_T_LAST: *value = ode->t_last; break;
    case MECH_ODE_STAT_H_LAST: *value = ode->h_last; break;
    case MECH_ODE_STAT_ERR_LAST: *value = ode->err_last; break;
    case MECH_ODE_STAT_T_EVENT: *value = ode->t_event; break;
    default:
        return mech__fail(e, MECH_EINVAL, "%s: unknown statistic %d", __func__, (int)key);
    }
    return MECH_OK;
}

int mech__ode_rhs(mech_ode *o, double t, const double *y, double *dydt)
{
    o->nrhs++;
    int rc = o->rhs(t, y, dydt, o->rhs_ud);
    if (rc < 0)
        return mech__fail(&o->err, MECH_ECALLBACK,
                          "ode: right-hand side returned %d at t = %.17g", rc, t);
    if (rc > 0) return 1;
    for (size_t i = 0; i < o->dim; i++)
        if (!isfinite(dydt[i])) return 1;
    return 0;
}

double mech__ode_norm(const mech_ode *o, const double *v, const double *a,
                      const double *b)
{
    double rtol = o->opt[MECH_ODE_RTOL].f, atol = o->opt[MECH_ODE_ATOL].f;
    double sum = 0;
    for (size_t i = 0; i < o->dim; i++) {
        double sc = atol + rtol * fmax(fabs(a[i]), fabs(b[i]));
        double r = v[i] / fmax(sc, DBL_MIN);
        sum += r * r;
    }
    return sqrt(sum / (double)o->dim);
}

void mech__ode_dense(const mech_ode *o, double t, double h, double s, double *out)
{
    /* y(t + th h) = y + th (r0 + (1 - th) (r1 + th (r2 + (1 - th) r3))),
     * with r3 = 0 for RK4, which then is the cubic Hermite interpolant */
    double th = (s - t) / h, th1 = 1.0 - th;
    const double *const *r = (const double *const *)o->rc;
    for (size_t i = 0; i < o->dim; i++) {
        double q = o->rc_quartic ? r[3][i] : 0.0;
        out[i] = o->y[i] + th * (r[0][i] + th1 * (r[1][i] + th * (r[2][i] + th1 * q)));
    }
}
