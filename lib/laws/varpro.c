/* Variable projection for the Chinchilla law with squared loss on L:
 * E, A, B by linear least squares for each (alpha, beta); L-BFGS over
 * (alpha, beta) on the projected objective. */
#include <math.h>
#include <stdlib.h>

#include "laws_internal.h"
#include "lbfgs.h"

typedef struct vp_data {
    size_t count;
    const double *log_n, *log_d, *loss;
    double coef[3]; /* E, A, B at the last evaluation */
} vp_data;

/* f = (1/2) |Phi c - L|^2 at the best c; since the residual is orthogonal
 * to Phi's columns, df/dalpha = r^T (dPhi/dalpha) c exactly. */
static int projected(const double *x, double *f, double *g, void *user)
{
    vp_data *v = user;
    const double alpha = x[0], beta = x[1];
    double G[9] = {0}, h[3] = {0};
    for (size_t i = 0; i < v->count; i++) {
        double col[3] = {1.0, exp(-alpha * v->log_n[i]), exp(-beta * v->log_d[i])};
        for (int j = 0; j < 3; j++) {
            h[j] += col[j] * v->loss[i];
            for (int k = 0; k < 3; k++) G[j * 3 + k] += col[j] * col[k];
        }
    }
    if (mech__small_lsq(3, G, h, v->coef) != 0) return 1;
    const double E = v->coef[0], A = v->coef[1], B = v->coef[2];
    double rss = 0.0, ga = 0.0, gb = 0.0;
    for (size_t i = 0; i < v->count; i++) {
        double u = exp(-alpha * v->log_n[i]), w = exp(-beta * v->log_d[i]);
        double r = E + A * u + B * w - v->loss[i];
        rss += r * r;
        ga -= r * A * v->log_n[i] * u;
        gb -= r * B * v->log_d[i] * w;
    }
    *f = 0.5 * rss;
    g[0] = ga, g[1] = gb;
    return isfinite(*f) && isfinite(ga) && isfinite(gb) ? 0 : 1;
}

MECH_API mech_status mech_varpro_chinchilla(const mech_ctx *ctx, const double *n,
                                            const double *d, const double *loss,
                                            size_t count, mech_chinchilla_fit *out)
{
    static const char fn[] = "mech_varpro_chinchilla";
    static const double starts[] = {0.1, 0.3, 0.6, 1.2};
    (void)ctx; /* deterministic, single-threaded */
    MECH_TRY(mech__check_runs(fn, n, d, loss, count));
    MECH_CHECK_PTR(NULL, out);
    if (out->size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL, "%s: out->size must be set to sizeof(*out)", fn);
    /* the projected problem is 2-D and cheap: converge tighter than the
     * scipy-like defaults so the estimator, not the optimizer, sets it */
    mech__lbfgs_opts o = mech__lbfgs_defaults();
    o.gtol = 1e-10, o.ftol = 1e-14;
    size_t work = mech__lbfgs_work_size(2, o.memory);
    double *buf = mech__calloc(2 * count + work, sizeof(double), NULL);
    if (!buf) return MECH_ENOMEM;
    vp_data v = {count, buf, buf + count, loss, {0}};
    for (size_t i = 0; i < count; i++) buf[i] = log(n[i]), buf[count + i] = log(d[i]);

    double best[2] = {NAN, NAN}, fbest = INFINITY, gbest = NAN;
    int converged = 0, iterations = 0;
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double x[2] = {starts[i], starts[j]};
            mech__lbfgs_result res;
            converged += mech__lbfgs(2, x, projected, &v, &o, buf + 2 * count, &res);
            if (isfinite(res.f) && res.f < fbest)
                best[0] = x[0], best[1] = x[1], fbest = res.f, gbest = res.gnorm,
                iterations = res.iterations;
        }
    }
    double f, g[2];
    int bad = !isfinite(fbest) || projected(best, &f, g, &v) != 0;
    free(buf);
    if (bad) return mech__fail(NULL, MECH_ENOCONV, "%s: no start gave a finite fit", fn);
    mech_chinchilla_fit r = {
        .size = sizeof r, .E = v.coef[0], .A = v.coef[1], .B = v.coef[2], .alpha = best[0],
        .beta = best[1], .objective = f, .grad_norm = gbest, .n_starts = 16,
        .n_converged = converged, .iterations = iterations, .n_used = count};
    mech__clear_intervals(&r);
    return mech__write_fit(fn, &r, sizeof r, out);
}
