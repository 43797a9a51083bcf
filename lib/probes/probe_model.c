/* The evaluation set through the attached model: chunked forward passes,
 * gradients and activations, and the Hessian, Gauss-Newton and
 * preconditioned matrix-vector products the Lanczos-type kinds use. Chunks
 * are the model's MAX_BATCH rows; a chunk's mean-loss quantities are
 * weighted by chunk size / n, so the result is that of the mean loss. */
#include <math.h>
#include <string.h>

#include "probe_internal.h"

static size_t chunk_of(const mech_probe *p, size_t n, size_t i)
{
    return n - i < p->max_batch ? n - i : p->max_batch;
}

mech_status probe_forward(mech_probe *p, const double *x, size_t n, double *f)
{
    for (size_t i = 0; i < n; i += p->max_batch) {
        const size_t b = chunk_of(p, n, i);
        MECH_TRY(mech__adopt(&p->err, mech_model_forward(p->model, x + i * p->in_dim, b,
                                                          f + i * p->out_dim)));
    }
    return MECH_OK;
}

mech_status probe_gradient(mech_probe *p, const double *x, const double *y, size_t n,
                           double *loss, double *grad)
{
    double total = 0;
    if (grad) memset(grad, 0, p->n_params * sizeof *grad);
    for (size_t i = 0; i < n; i += p->max_batch) {
        const size_t b = chunk_of(p, n, i);
        const double w = (double)b / (double)n;
        double l = 0;
        if (grad) {
            MECH_TRY(mech__adopt(&p->err,
                                 mech_model_gradient(p->model, p->loss, x + i * p->in_dim,
                                                     y + i * p->out_dim, b, &l, p->t1)));
            for (size_t j = 0; j < p->n_params; j++) grad[j] += w * p->t1[j];
        } else {
            MECH_TRY(probe_forward(p, x + i * p->in_dim, b, p->ob1));
            MECH_TRY(mech__adopt(&p->err, mech_loss_eval(p->loss, p->ob1, y + i * p->out_dim, b,
                                                         p->out_dim, &l, NULL, NULL)));
        }
        total += w * l;
    }
    if (loss) *loss = total;
    return MECH_OK;
}

mech_status probe_layer_width(mech_probe *p, size_t layer, size_t *width)
{
    return mech__adopt(&p->err,
                       mech_model_layer_info(p->model, layer, NULL, width, NULL, NULL));
}

mech_status probe_hidden_layer(mech_probe *p, int64_t opt, size_t *layer)
{
    const size_t nh = probe_n_hidden(p);
    if (nh == 0)
        return mech__fail(&p->err, MECH_EUNSUPPORTED,
                          "mech_probe: the model has no hidden representation");
    if (opt < 0) {
        *layer = nh - 1;
        return MECH_OK;
    }
    if ((uint64_t)opt >= nh)
        return mech__fail(&p->err, MECH_ERANGE,
                          "mech_probe: layer %lld is not hidden (hidden layers 0..%zu)",
                          (long long)opt, nh - 1);
    *layer = (size_t)opt;
    return MECH_OK;
}

mech_status probe_activations(mech_probe *p, size_t layer, double *h)
{
    size_t width = 0;
    MECH_TRY(probe_layer_width(p, layer, &width));
    for (size_t i = 0; i < p->n_eval; i += p->max_batch) {
        const size_t b = chunk_of(p, p->n_eval, i);
        MECH_TRY(mech__adopt(&p->err, mech_model_activations(p->model, p->x + i * p->in_dim, b,
                                                              layer, h + i * width)));
    }
    return MECH_OK;
}

/* A model error inside a callback: kept for probe_solver_status. */
static int cb_fail(mech_probe *p, mech_status st)
{
    p->cb_status = st;
    return -1;
}

int probe_hessian_mv(const double *v, double *out, size_t n, void *ud)
{
    mech_probe *p = ud;
    if (p->hvp_prepared) {
        mech_status st = mech_model_hvp_apply(p->model, v, out);
        return st < 0 ? cb_fail(p, st) : 0;
    }
    memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < p->n_eval; i += p->max_batch) {
        const size_t b = chunk_of(p, p->n_eval, i);
        const double w = (double)b / (double)p->n_eval;
        mech_status st = mech_model_hvp(p->model, p->loss, p->x + i * p->in_dim,
                                        p->y + i * p->out_dim, b, v, p->t1);
        if (st < 0) return cb_fail(p, st);
        for (size_t j = 0; j < n; j++) out[j] += w * p->t1[j];
    }
    return 0;
}

/* G v = J^T H_out J v over the evaluation set; p->f holds the outputs. */
int probe_gn_mv(const double *v, double *out, size_t n, void *ud)
{
    mech_probe *p = ud;
    memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < p->n_eval; i += p->max_batch) {
        const size_t b = chunk_of(p, p->n_eval, i);
        const double w = (double)b / (double)p->n_eval;
        const double *x = p->x + i * p->in_dim;
        mech_status st = mech_model_jvp(p->model, x, b, v, p->ob1);
        if (st == MECH_OK)
            st = mech_loss_hvp_output(p->loss, p->f + i * p->out_dim, p->y + i * p->out_dim, b,
                                      p->out_dim, p->ob1, p->ob2);
        if (st == MECH_OK) st = mech_model_vjp(p->model, x, b, p->ob2, p->t1);
        if (st < 0) return cb_fail(p, st);
        for (size_t j = 0; j < n; j++) out[j] += w * p->t1[j];
    }
    return 0;
}

/* S H S v with S = P^{-1/2} in p->t3. */
int probe_precond_mv(const double *v, double *out, size_t n, void *ud)
{
    mech_probe *p = ud;
    for (size_t j = 0; j < n; j++) p->t2[j] = p->t3[j] * v[j];
    const int rc = probe_hessian_mv(p->t2, out, n, ud);
    if (rc != 0) return rc;
    for (size_t j = 0; j < n; j++) out[j] *= p->t3[j];
    return 0;
}

mech_status probe_solver_status(mech_probe *p, mech_status st)
{
    if (st == MECH_ECALLBACK && p->cb_status < 0) {
        const mech_status inner = p->cb_status;
        p->cb_status = MECH_OK;
        return mech__fail(&p->err, inner, "mech_probe_measure: model error: %s",
                          mech_model_last_error(p->model));
    }
    return st;
}

size_t probe_n_hidden(mech_probe *p)
{
    mech_model_kind kind = MECH_MODEL_LINEAR;
    if (mech_model_info(p->model, &kind, NULL) < 0) return 0;
    if (kind == MECH_MODEL_DIAGONAL || kind == MECH_MODEL_CALLBACK) return 0;
    return p->n_layers - 1;
}
