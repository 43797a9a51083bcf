/* Hessian-type kinds: top-k eigenpairs (sharpness, preconditioned
 * sharpness, Gauss-Newton) by Lanczos, the trace by Hutchinson / Hutch++,
 * the spectral density by SLQ; on the attached model or a caller's
 * operator. The solvers of operator.h do the work; this file picks the
 * operator, keeps the solver handles (so Lanczos warm-starts from the
 * previous measurement) and names the results. */
#include <math.h>

#include "optim/optim_internal.h"
#include "probe_internal.h"

static bool is_eigen(mech_probe_kind k)
{
    return k == MECH_PROBE_SHARPNESS || k == MECH_PROBE_PRECOND_SHARPNESS ||
           k == MECH_PROBE_GAUSS_NEWTON;
}

static mech_status too_big(mech_probe *p, const char *what, int64_t v, size_t n)
{
    return mech__fail(&p->err, MECH_ERANGE, "mech_probe (%s): %s = %lld exceeds the dimension %zu",
                      mech_probe_kind_name(p->kind), what, (long long)v, n);
}

/* (Re)creates the solver for dimension n when n or its sizes changed. */
static mech_status ensure_solver(mech_probe *p, size_t n)
{
    const mech_probe_kind k = p->kind;
    size_t a = 0, b = 0;
    if (is_eigen(k)) {
        if ((uint64_t)probe_i(p, MECH_PROBE_K) > n) return too_big(p, "k", probe_i(p, MECH_PROBE_K), n);
        a = (size_t)probe_i(p, MECH_PROBE_K);
    } else if (k == MECH_PROBE_HESSIAN_TRACE) {
        if ((uint64_t)probe_i(p, MECH_PROBE_SKETCH) > n)
            return too_big(p, "sketch", probe_i(p, MECH_PROBE_SKETCH), n);
        a = (size_t)probe_i(p, MECH_PROBE_N_PROBES);
        b = (size_t)probe_i(p, MECH_PROBE_SKETCH);
    } else {
        if ((uint64_t)probe_i(p, MECH_PROBE_SLQ_STEPS) > n)
            return too_big(p, "slq_steps", probe_i(p, MECH_PROBE_SLQ_STEPS), n);
        a = (size_t)probe_i(p, MECH_PROBE_N_PROBES);
        b = (size_t)probe_i(p, MECH_PROBE_SLQ_STEPS);
    }
    const bool have = p->lz || p->hu || p->slq;
    if (have && p->op_n == n && p->op_k == a && p->op_s == b) return MECH_OK;
    mech_lanczos_destroy(p->lz);
    mech_hutchinson_destroy(p->hu);
    mech_slq_destroy(p->slq);
    p->lz = NULL;
    p->hu = NULL;
    p->slq = NULL;
    mech_status st;
    if (is_eigen(k))
        st = mech_lanczos_create(&p->lz, p->ctx, n, a, 0);
    else if (k == MECH_PROBE_HESSIAN_TRACE)
        st = mech_hutchinson_create(&p->hu, p->ctx, n, a, b);
    else
        st = mech_slq_create(&p->slq, p->ctx, n, a, b);
    if (st < 0) return mech__adopt(&p->err, st);
    p->op_n = n;
    p->op_k = a;
    p->op_s = b;
    return MECH_OK;
}

/* P^{-1/2} of the attached optimizer into p->t3. */
static mech_status load_preconditioner(mech_probe *p)
{
    if (!p->opt)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe (precond_sharpness): no optimizer attached");
    MECH_TRY(mech__adopt(&p->err, mech_optimizer_preconditioner(p->opt, p->t3, p->n_params)));
    for (size_t i = 0; i < p->n_params; i++) {
        if (!(p->t3[i] > 0) || !isfinite(p->t3[i]))
            return mech__fail(&p->err, MECH_ERANGE,
                              "mech_probe (precond_sharpness): preconditioner entry %zu is %g "
                              "(Adam before its first step with eps = 0?)",
                              i, p->t3[i]);
        p->t3[i] = 1.0 / sqrt(p->t3[i]);
    }
    return MECH_OK;
}

static mech_status eigen(mech_probe *p, const probe_in *in, size_t n, mech_matvec_fn fn,
                         void *ud)
{
    const size_t k = p->op_k;
    double *val = NULL, *vec = NULL, *res = NULL;
    MECH_TRY(probe_vec(p, "eigenvalues", k, &val));
    MECH_TRY(probe_vec(p, "residuals", k, &res));
    MECH_TRY(probe_vec(p, "eigenvectors", k * n, &vec));
    mech_status st = MECH_OK;
    int64_t steps = 0, restarts = 0, matvecs = 0, conv = 0;
    if (!in->dry) {
        mech_lanczos *lz = p->lz;
        MECH_TRY(mech__adopt(&p->err, mech_lanczos_set_f64(lz, MECH_LANCZOS_TOL,
                                                           probe_f(p, MECH_PROBE_TOL))));
        MECH_TRY(mech__adopt(&p->err, mech_lanczos_set_i64(lz, MECH_LANCZOS_MAX_RESTARTS,
                                                           probe_i(p, MECH_PROBE_MAX_RESTARTS))));
        MECH_TRY(mech__adopt(&p->err, mech_lanczos_set_i64(lz, MECH_LANCZOS_WHICH,
                                                           probe_i(p, MECH_PROBE_WHICH))));
        MECH_TRY(mech__adopt(&p->err, mech_lanczos_set_i64(lz, MECH_LANCZOS_WARM_START,
                                                           probe_i(p, MECH_PROBE_WARM_START))));
        p->cb_status = MECH_OK;
        st = mech_lanczos_solve(lz, fn, ud, val, vec, res, NULL);
        if (st < 0) st = probe_solver_status(p, mech__adopt(&p->err, st));
        if (st < 0 && st != MECH_ENOCONV) return st;
        mech_lanczos_get_stat(lz, MECH_LANCZOS_STAT_STEPS, &steps);
        mech_lanczos_get_stat(lz, MECH_LANCZOS_STAT_RESTARTS, &restarts);
        mech_lanczos_get_stat(lz, MECH_LANCZOS_STAT_MATVECS, &matvecs);
        mech_lanczos_get_stat(lz, MECH_LANCZOS_STAT_CONVERGED, &conv);
    }
    double max_res = in->dry ? NAN : 0;
    for (size_t i = 0; i < k && !in->dry; i++) max_res = fmax(max_res, res[i]);
    MECH_TRY(probe_out(p, val[0], "sharpness"));
    for (size_t i = 0; i < k; i++) MECH_TRY(probe_out(p, val[i], "eig%zu", i));
    for (size_t i = 0; i < k; i++) MECH_TRY(probe_out(p, res[i], "residual%zu", i));
    const double nan_or = in->dry ? NAN : 0;
    MECH_TRY(probe_out(p, max_res, "max_residual"));
    MECH_TRY(probe_out(p, nan_or + (double)conv, "converged"));
    MECH_TRY(probe_out(p, nan_or + (double)steps, "iterations"));
    MECH_TRY(probe_out(p, nan_or + (double)restarts, "restarts"));
    MECH_TRY(probe_out(p, nan_or + (double)matvecs, "matvecs"));
    return st;
}

static mech_status trace(mech_probe *p, const probe_in *in, mech_matvec_fn fn, void *ud)
{
    double tr = NAN, se = NAN;
    int64_t matvecs = 0, rank = 0;
    mech_status st = MECH_OK;
    if (!in->dry) {
        p->cb_status = MECH_OK;
        st = mech_hutchinson_estimate(p->hu, fn, ud, &tr, &se);
        if (st < 0) return probe_solver_status(p, mech__adopt(&p->err, st));
        mech_hutchinson_get_stat(p->hu, MECH_HUTCHINSON_STAT_MATVECS, &matvecs);
        mech_hutchinson_get_stat(p->hu, MECH_HUTCHINSON_STAT_RANK, &rank);
    }
    const double nan_or = in->dry ? NAN : 0;
    MECH_TRY(probe_out(p, tr, "trace"));
    MECH_TRY(probe_out(p, se, "std_error"));
    MECH_TRY(probe_out(p, nan_or + (double)matvecs, "matvecs"));
    MECH_TRY(probe_out(p, nan_or + (double)rank, "rank"));
    return st;
}

static mech_status density(mech_probe *p, const probe_in *in, mech_matvec_fn fn, void *ud)
{
    const size_t np = p->op_k, steps = p->op_s;
    const size_t pts = (size_t)probe_i(p, MECH_PROBE_DENSITY_POINTS);
    double *nodes = NULL, *weights = NULL, *grid = NULL, *dens = NULL;
    MECH_TRY(probe_vec(p, "nodes", np * steps, &nodes));
    MECH_TRY(probe_vec(p, "weights", np * steps, &weights));
    MECH_TRY(probe_vec(p, "grid", pts, &grid));
    MECH_TRY(probe_vec(p, "density", pts, &dens));
    double tr = NAN, se = NAN, lo = NAN, hi = NAN, sigma = NAN;
    int64_t matvecs = 0;
    mech_status st = MECH_OK;
    if (!in->dry) {
        p->cb_status = MECH_OK;
        st = mech_slq_run(p->slq, fn, ud);
        if (st < 0) return probe_solver_status(p, mech__adopt(&p->err, st));
        MECH_TRY(mech__adopt(&p->err, mech_slq_trace(p->slq, &tr, &se)));
        MECH_TRY(mech__adopt(&p->err, mech_slq_get_nodes(p->slq, nodes, weights)));
        mech_slq_get_stat(p->slq, MECH_SLQ_STAT_MATVECS, &matvecs);
        lo = INFINITY;
        hi = -INFINITY;
        for (size_t i = 0; i < np * steps; i++)
            if (weights[i] > 0 && isfinite(nodes[i])) {
                lo = fmin(lo, nodes[i]);
                hi = fmax(hi, nodes[i]);
            }
        sigma = probe_f(p, MECH_PROBE_DENSITY_SIGMA);
        if (sigma == 0) sigma = hi > lo ? (hi - lo) / 100 : 1e-3 * fmax(1, fabs(hi));
        const double a = lo - 6 * sigma, b = hi + 6 * sigma;
        for (size_t i = 0; i < pts; i++) grid[i] = a + (b - a) * (double)i / (double)(pts - 1);
        MECH_TRY(mech__adopt(&p->err, mech_slq_density(p->slq, grid, pts, sigma, dens)));
    }
    MECH_TRY(probe_out(p, tr, "trace"));
    MECH_TRY(probe_out(p, se, "std_error"));
    MECH_TRY(probe_out(p, lo, "node_min"));
    MECH_TRY(probe_out(p, hi, "node_max"));
    MECH_TRY(probe_out(p, sigma, "sigma"));
    MECH_TRY(probe_out(p, (in->dry ? NAN : 0) + (double)matvecs, "matvecs"));
    return st;
}

mech_status mech__probe_hessian(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_ARRAYS)
        return mech__fail(&p->err, MECH_EUNSUPPORTED,
                          "mech_probe (%s): measure a Hessian kind on a model or an operator",
                          mech_probe_kind_name(p->kind));
    mech_matvec_fn fn = in->fn;
    void *ud = in->ud;
    size_t n = in->n;
    p->hvp_prepared = false;
    if (in->way == PROBE_MODEL) {
        mech_precision prec = MECH_PREC_F64;
        int64_t pv = 0;
        MECH_TRY(mech__adopt(&p->err, mech_model_get_i64(p->model, MECH_MODEL_PRECISION, &pv)));
        prec = (mech_precision)pv;
        if (prec != MECH_PREC_F64)
            return mech__fail(&p->err, MECH_EUNSUPPORTED,
                              "mech_probe (%s): needs a double-precision model",
                              mech_probe_kind_name(p->kind));
        n = p->n_params;
        ud = p;
        fn = p->kind == MECH_PROBE_GAUSS_NEWTON      ? probe_gn_mv
             : p->kind == MECH_PROBE_PRECOND_SHARPNESS ? probe_precond_mv
                                                       : probe_hessian_mv;
        if (!in->dry && p->kind == MECH_PROBE_GAUSS_NEWTON)
            MECH_TRY(probe_forward(p, p->x, p->n_eval, p->f));
        if (!in->dry && p->kind == MECH_PROBE_PRECOND_SHARPNESS) MECH_TRY(load_preconditioner(p));
        /* One batch: the forward pass once per measurement, not per product. */
        if (!in->dry && fn != probe_gn_mv && p->n_eval <= p->max_batch) {
            MECH_TRY(mech__adopt(&p->err, mech_model_hvp_prepare(p->model, p->loss, p->x, p->y,
                                                                  p->n_eval)));
            p->hvp_prepared = true;
        }
    }
    if (in->dry || in->way == PROBE_OPERATOR) MECH_TRY(ensure_solver(p, n));
    if (is_eigen(p->kind)) return eigen(p, in, n, fn, ud);
    if (p->kind == MECH_PROBE_HESSIAN_TRACE) return trace(p, in, fn, ud);
    return density(p, in, fn, ud);
}
