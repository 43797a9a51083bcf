/* Performance kinds: loss, accuracy and the generalization gap; the
 * per-eigenmode error of the learned function (linear and kernel settings). */
#include <math.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "probe_internal.h"

static mech_status loss_acc(mech_probe *p, mech_loss loss, const double *f, const double *y,
                            size_t n, size_t out, double *l, double *acc)
{
    MECH_TRY(mech__adopt(&p->err, mech_loss_eval(loss, f, y, n, out, l, NULL, NULL)));
    return mech__adopt(&p->err, mech_loss_accuracy(loss, f, y, n, out, acc));
}

mech_status mech__probe_loss(mech_probe *p, const probe_in *in)
{
    double l = NAN, acc = NAN;
    if (in->way == PROBE_ARRAYS) {
        if (!in->b || in->rb != in->ra || in->cb != in->ca)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (loss): b must be the targets, %zu x %zu", in->ra, in->ca);
        MECH_TRY(loss_acc(p, (mech_loss)probe_i(p, MECH_PROBE_ARRAY_LOSS), in->a, in->b, in->ra, in->ca,
                          &l, &acc));
        MECH_TRY(probe_out(p, l, "loss"));
        return probe_out(p, acc, "accuracy");
    }
    if (in->way != PROBE_MODEL)
        return mech__fail(&p->err, MECH_EUNSUPPORTED, "mech_probe (loss): not an operator kind");
    double tl = NAN, ta = NAN, *tf = NULL;
    if (p->n_test) MECH_TRY(probe_buf(p, 0, p->n_test * p->out_dim, &tf));
    if (!in->dry) {
        MECH_TRY(probe_forward(p, p->x, p->n_eval, p->f));
        MECH_TRY(loss_acc(p, p->loss, p->f, p->y, p->n_eval, p->out_dim, &l, &acc));
        if (p->n_test) {
            MECH_TRY(probe_forward(p, p->tx, p->n_test, tf));
            MECH_TRY(loss_acc(p, p->loss, tf, p->ty, p->n_test, p->out_dim, &tl, &ta));
        }
    }
    MECH_TRY(probe_out(p, l, "loss"));
    MECH_TRY(probe_out(p, acc, "accuracy"));
    if (!p->n_test) return MECH_OK;
    MECH_TRY(probe_out(p, tl, "test_loss"));
    MECH_TRY(probe_out(p, ta, "test_acc"));
    return probe_out(p, tl - l, "gap");
}

/* ---------------- per-eigenmode error ---------------- */

/* Kernel setting: e_j = sum_o (u_j . r_o)^2 / n for the residual r = f - y. */
static void kernel_modes(const mech_probe *p, const double *f, const double *y, size_t n,
                         size_t out, double *e)
{
    for (size_t j = 0; j < p->basis_k; j++) {
        const double *u = p->basis + j * p->basis_n;
        double s = 0;
        for (size_t o = 0; o < out; o++) {
            double c = 0;
            for (size_t i = 0; i < n; i++) c += u[i] * (f[i * out + o] - y[i * out + o]);
            s += c * c;
        }
        e[j] = s / (double)n;
    }
}

/* Linear setting: eigenpairs of Sigma = X^T X / n, descending, into s and
 * v (columns of the d x d row-major v); cov and tmp are d x d scratch. */
static mech_status covariance_modes(mech_probe *p, const double *x, size_t n, size_t d,
                                    double *cov, double *tmp, double *s, double *v)
{
    MECH_TRY(mech__adopt(&p->err, mech_gemm(p->ctx, true, false, d, d, n, 1.0 / (double)n, x, d,
                                            x, d, 0, cov, d)));
    MECH_TRY(mech__adopt(&p->err, mech_syev(p->ctx, d, cov, d, tmp, cov)));
    for (size_t j = 0; j < d; j++) { /* reverse to descending order */
        s[j] = tmp[d - 1 - j];
        for (size_t i = 0; i < d; i++) v[i * d + j] = cov[i * d + (d - 1 - j)];
    }
    return MECH_OK;
}

/* e_j = s_j |(W - W*) v_j|^2 for an out x d learned matrix w. */
static void linear_modes(const mech_probe *p, const double *w, double mult, size_t out,
                         size_t d, const double *s, const double *v, double *e)
{
    for (size_t j = 0; j < d; j++) {
        double t = 0;
        for (size_t o = 0; o < out; o++) {
            double c = 0;
            for (size_t i = 0; i < d; i++)
                c += (mult * w[o * d + i] - p->target[o * d + i]) * v[i * d + j];
            t += c * c;
        }
        e[j] = s[j] * t;
    }
}

static mech_status mode_outputs(mech_probe *p, size_t k, const double *e, bool dry)
{
    double total = dry ? NAN : 0;
    for (size_t j = 0; j < k && !dry; j++) total += e[j];
    MECH_TRY(probe_out(p, total, "total"));
    return probe_out(p, (double)k, "modes");
}

static mech_status check_target(mech_probe *p, size_t out, size_t d)
{
    if (!p->target)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe (mode_error): set a basis (kernel setting) or target "
                          "weights (linear setting) first");
    if (p->target_rows != out || p->target_cols != d)
        return mech__fail(&p->err, MECH_ESHAPE,
                          "mech_probe (mode_error): target is %zu x %zu, learned weights %zu x %zu",
                          p->target_rows, p->target_cols, out, d);
    return MECH_OK;
}

static mech_status linear_setting(mech_probe *p, const probe_in *in)
{
    const double *x = p->x, *w = NULL;
    size_t n = p->n_eval, d = p->in_dim, out = p->out_dim;
    double mult = 1;
    if (in->way == PROBE_ARRAYS) { /* a = learned W (out x d), b = inputs (n x d) */
        if (!in->b || in->cb != in->ca)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (mode_error): b must be inputs with %zu columns", in->ca);
        x = in->b;
        n = in->rb;
        d = in->ca;
        out = in->ra;
        w = in->a;
    } else {
        mech_model_kind kind = MECH_MODEL_MLP;
        int64_t bias = 0;
        MECH_TRY(mech__adopt(&p->err, mech_model_info(p->model, &kind, NULL)));
        MECH_TRY(mech__adopt(&p->err, mech_model_get_i64(p->model, MECH_MODEL_BIAS, &bias)));
        if (kind != MECH_MODEL_LINEAR || bias)
            return mech__fail(&p->err, MECH_EUNSUPPORTED,
                              "mech_probe (mode_error): the linear setting needs a LINEAR model "
                              "without bias (or set a basis)");
        MECH_TRY(mech__adopt(&p->err, mech_model_layer_multipliers(p->model, 0, &mult, NULL)));
    }
    MECH_TRY(check_target(p, out, d));
    double *cov = NULL, *tmp = NULL, *s = NULL, *v = NULL, *e = NULL;
    MECH_TRY(probe_buf(p, 0, d * d, &cov));
    MECH_TRY(probe_buf(p, 1, d, &tmp));
    MECH_TRY(probe_vec(p, "mode_error", d, &e));
    MECH_TRY(probe_vec(p, "mode_eigenvalue", d, &s));
    MECH_TRY(probe_buf(p, 2, d * d, &v));
    /* The evaluation set is fixed: its modes are computed once, at attach
     * (s and v keep them between measurements). */
    if (in->way == PROBE_ARRAYS || in->dry)
        MECH_TRY(covariance_modes(p, x, n, d, cov, tmp, s, v));
    if (in->way == PROBE_MODEL && !in->dry) {
        MECH_TRY(mech__adopt(&p->err, mech_model_get_layer_weights(p->model, 0, p->t2, out * d)));
        w = p->t2;
    }
    if (!in->dry) linear_modes(p, w, mult, out, d, s, v, e);
    return mode_outputs(p, d, e, in->dry);
}

mech_status mech__probe_mode_error(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_OPERATOR)
        return mech__fail(&p->err, MECH_EUNSUPPORTED, "mech_probe (mode_error): not an operator kind");
    if (!p->basis) return linear_setting(p, in);
    const double *f = p->f, *y = p->y;
    size_t n = p->n_eval, out = p->out_dim;
    if (in->way == PROBE_ARRAYS) {
        if (!in->b || in->rb != in->ra || in->cb != in->ca)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (mode_error): b must be the targets, %zu x %zu", in->ra,
                              in->ca);
        f = in->a;
        y = in->b;
        n = in->ra;
        out = in->ca;
    }
    if (p->basis_n != n)
        return mech__fail(&p->err, MECH_ESHAPE,
                          "mech_probe (mode_error): basis vectors have %zu entries, data %zu",
                          p->basis_n, n);
    double *e = NULL, *s = NULL;
    MECH_TRY(probe_vec(p, "mode_error", p->basis_k, &e));
    MECH_TRY(probe_vec(p, "mode_eigenvalue", p->basis_k, &s));
    if (!in->dry) {
        if (in->way == PROBE_MODEL) MECH_TRY(probe_forward(p, p->x, p->n_eval, p->f));
        kernel_modes(p, f, y, n, out, e);
    }
    return mode_outputs(p, p->basis_k, e, in->dry);
}
