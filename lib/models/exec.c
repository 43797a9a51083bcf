/* Execution: forward, gradient, HVP, JVP, VJP and hidden activations, in
 * double and float. The operations run in the model's precision on
 * model-precision buffers (op_*); the public functions validate and
 * convert. Losses are evaluated in double. Nothing here allocates. */
#include <math.h>
#include <string.h>

#include "model_internal.h"

/* ---------------- precision plumbing ---------------- */

static const mech__kernels *kernels(const mech_model *m)
{
    if (m->kind == MECH_MODEL_DIAGONAL) return m->f32 ? &mech__diag_f32 : &mech__diag_f64;
    return m->f32 ? &mech__mlp_f32 : &mech__mlp_f64;
}

/* A double array in model precision: itself, or converted into buf. */
static const void *to_model(const mech_model *m, const double *src, size_t n, void *buf)
{
    if (!m->f32) return src;
    for (size_t i = 0; i < n; i++) ((float *)buf)[i] = (float)src[i];
    return buf;
}

/* A model-precision array as double: itself, or converted into buf. */
static const double *to_double(const mech_model *m, const void *src, size_t n, double *buf)
{
    if (!m->f32) return src;
    for (size_t i = 0; i < n; i++) buf[i] = ((const float *)src)[i];
    return buf;
}

static void widen(const mech_model *m, const void *src, size_t n, double *dst)
{
    const double *d = to_double(m, src, n, dst);
    if (d != dst) memcpy(dst, d, n * sizeof *dst);
}

static mech_status check_finite_f32(mech_model *m, const float *x, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return mech__fail(&m->err, MECH_ENONFINITE, "%s[%zu] is not finite", what, i);
    return MECH_OK;
}

mech_status mech__model_check_batch(mech_model *m, const void *x, size_t batch, const char *fn)
{
    if (!m->ready)
        return mech__fail(&m->err, MECH_ESTATE, "%s: call mech_model_setup first", fn);
    if (!x) return mech__fail(&m->err, MECH_EINVAL, "%s: argument 'x' is NULL", fn);
    if (batch == 0) return mech__fail(&m->err, MECH_EINVAL, "%s: batch is zero", fn);
    if (batch > m->max_batch)
        return mech__fail(&m->err, MECH_ERANGE, "%s: batch %zu exceeds MAX_BATCH %zu", fn,
                          batch, m->max_batch);
    return MECH_OK;
}

/* ---------------- operations in model precision ---------------- */

/* Runs the forward pass; *f points at the output (model precision). */
static mech_status op_forward(mech_model *m, const void *x, size_t batch, const void **f)
{
    if (m->kind == MECH_MODEL_CALLBACK) {
        MECH_TRY(mech__cb_forward(m, x, batch, m->fd));
        *f = m->fd;
        return MECH_OK;
    }
    MECH_TRY(mech__adopt(&m->err, kernels(m)->forward(m, x, batch)));
    *f = (const char *)m->ws + m->f_off * mech__esize(m);
    return MECH_OK;
}

/* Forward pass and loss: *lv (may be NULL), m->fd = f, m->gd = dL/df,
 * *dout = dL/df in model precision. */
static mech_status op_loss(mech_model *m, mech_loss loss, const void *x, const double *y,
                           size_t batch, double *lv, const void **dout)
{
    const void *f;
    const size_t n = batch * m->out_dim;
    double value;
    MECH_TRY(op_forward(m, x, batch, &f));
    const double *fd = to_double(m, f, n, m->fd);
    if (fd != m->fd) memcpy(m->fd, fd, n * sizeof *fd);
    MECH_TRY(mech__adopt(&m->err, mech_loss_eval(loss, m->fd, y, batch, m->out_dim, &value,
                                                 NULL, m->gd)));
    if (lv) *lv = value;
    *dout = to_model(m, m->gd, n, m->cd);
    return MECH_OK;
}

static mech_status op_gradient(mech_model *m, mech_loss loss, const void *x, const double *y,
                               size_t batch, double *lv, void *grad)
{
    const void *dout;
    MECH_TRY(op_loss(m, loss, x, y, batch, lv, &dout));
    if (m->kind == MECH_MODEL_CALLBACK) return mech__cb_vjp(m, x, batch, m->gd, grad);
    return mech__adopt(&m->err, kernels(m)->backward(m, x, batch, dout, grad));
}

/* J v after a forward pass on x; *jv points at it (model precision). */
static mech_status op_rforward(mech_model *m, const void *x, size_t batch, const void *v,
                               const void **jv)
{
    if (m->kind == MECH_MODEL_CALLBACK) {
        MECH_TRY(mech__cb_jvp(m, x, batch, v, m->rfd));
        *jv = m->rfd;
        return MECH_OK;
    }
    MECH_TRY(mech__adopt(&m->err, kernels(m)->rforward(m, x, batch, v)));
    *jv = (const char *)m->ws + m->rf_off * mech__esize(m);
    return MECH_OK;
}

/* H v after op_loss on the same x and y (which left f in m->fd, dL/df in
 * m->gd and dout); reads but does not change what op_loss left. */
static mech_status op_hvp_after_loss(mech_model *m, mech_loss loss, const void *x,
                                     const double *y, size_t batch, const void *dout,
                                     const void *v, void *hv)
{
    const void *jv;
    const size_t n = batch * m->out_dim;
    MECH_TRY(op_rforward(m, x, batch, v, &jv));
    const double *jvd = to_double(m, jv, n, m->rfd);
    MECH_TRY(mech__adopt(&m->err, mech_loss_hvp_output(loss, m->fd, y, batch, m->out_dim, jvd,
                                                       m->rgd)));
    if (m->kind != MECH_MODEL_CALLBACK)
        return mech__adopt(&m->err, kernels(m)->rbackward(m, x, batch, dout,
                                                          to_model(m, m->rgd, n, m->crd), v,
                                                          hv));
    /* Callback: Gauss-Newton part J^T H_out J v, plus the second-order
     * term sum g (d^2 f) v when the caller provides it. */
    double *h = hv;
    MECH_TRY(mech__cb_vjp(m, x, batch, m->rgd, h));
    if (m->cb_hvp2) {
        MECH_TRY(mech__cb_hvp2(m, x, batch, m->gd, v, m->pv));
        for (size_t i = 0; i < m->n_params; i++) h[i] += m->pv[i];
    }
    return MECH_OK;
}

static mech_status op_hvp(mech_model *m, mech_loss loss, const void *x, const double *y,
                          size_t batch, const void *v, void *hv)
{
    const void *dout;
    MECH_TRY(op_loss(m, loss, x, y, batch, NULL, &dout));
    return op_hvp_after_loss(m, loss, x, y, batch, dout, v, hv);
}

static mech_status op_vjp(mech_model *m, const void *x, size_t batch, const void *u,
                          void *grad)
{
    const void *f;
    if (m->kind == MECH_MODEL_CALLBACK) return mech__cb_vjp(m, x, batch, u, grad);
    MECH_TRY(op_forward(m, x, batch, &f));
    return mech__adopt(&m->err, kernels(m)->backward(m, x, batch, u, grad));
}

/* ---------------- public double API ---------------- */

/* Validates a double batch call and converts x to model precision. */
static mech_status prep_x(mech_model *m, const double *x, size_t batch, const char *fn,
                          const void **xm)
{
    mech__model_changed(m); /* every execution call rewrites the workspace */
    MECH_TRY(mech__model_check_batch(m, x, batch, fn));
    MECH_TRY(mech__check_finite(x, batch * m->in_dim, "x", &m->err));
    *xm = to_model(m, x, batch * m->in_dim, m->cx);
    return MECH_OK;
}

MECH_API mech_status mech_model_forward(mech_model *m, const double *x, size_t batch,
                                        double *out)
{
    const void *xm, *f;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, out);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    MECH_TRY(op_forward(m, xm, batch, &f));
    widen(m, f, batch * m->out_dim, out);
    return MECH_OK;
}

MECH_API mech_status mech_model_gradient(mech_model *m, mech_loss loss, const double *x,
                                         const double *y, size_t batch, double *loss_value,
                                         double *grad)
{
    const void *xm;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, y);
    MECH_CHECK_PTR(&m->err, grad);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    void *g = m->f32 ? m->cg : grad;
    MECH_TRY(op_gradient(m, loss, xm, y, batch, loss_value, g));
    widen(m, g, m->n_params, grad);
    return MECH_OK;
}

MECH_API mech_status mech_model_hvp(mech_model *m, mech_loss loss, const double *x,
                                    const double *y, size_t batch, const double *v,
                                    double *hv)
{
    const void *xm;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, y);
    MECH_CHECK_PTR(&m->err, v);
    MECH_CHECK_PTR(&m->err, hv);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    MECH_TRY(mech__check_finite(v, m->n_params, "v", &m->err));
    void *h = m->f32 ? m->cg : hv;
    MECH_TRY(op_hvp(m, loss, xm, y, batch, to_model(m, v, m->n_params, m->cv), h));
    widen(m, h, m->n_params, hv);
    return MECH_OK;
}

MECH_API mech_status mech_model_hvp_prepare(mech_model *m, mech_loss loss, const double *x,
                                            const double *y, size_t batch)
{
    const void *xm, *dout;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, y);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    memcpy(m->hx, xm, batch * m->in_dim * mech__esize(m));
    memcpy(m->hy, y, batch * m->out_dim * sizeof *y);
    MECH_TRY(op_loss(m, loss, m->hx, m->hy, batch, NULL, &dout));
    m->hvp_loss = loss;
    m->hvp_batch = batch;
    m->hvp_ready = true;
    return MECH_OK;
}

MECH_API mech_status mech_model_hvp_apply(mech_model *m, const double *v, double *hv)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, v);
    MECH_CHECK_PTR(&m->err, hv);
    if (!m->hvp_ready)
        return mech__fail(&m->err, MECH_ESTATE,
                          "%s: call mech_model_hvp_prepare first (execution calls and parameter "
                          "changes end a preparation)",
                          __func__);
    MECH_TRY(mech__check_finite(v, m->n_params, "v", &m->err));
    /* where op_loss left dL/df in model precision */
    const void *dout = m->f32 ? (const void *)m->cd : (const void *)m->gd;
    void *h = m->f32 ? m->cg : hv;
    MECH_TRY(op_hvp_after_loss(m, m->hvp_loss, m->hx, m->hy, m->hvp_batch, dout,
                               to_model(m, v, m->n_params, m->cv), h));
    widen(m, h, m->n_params, hv);
    return MECH_OK;
}

MECH_API mech_status mech_model_jvp(mech_model *m, const double *x, size_t batch,
                                    const double *v, double *out)
{
    const void *xm, *f, *jv;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, v);
    MECH_CHECK_PTR(&m->err, out);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    MECH_TRY(mech__check_finite(v, m->n_params, "v", &m->err));
    const void *vm = to_model(m, v, m->n_params, m->cv);
    if (m->kind != MECH_MODEL_CALLBACK) MECH_TRY(op_forward(m, xm, batch, &f));
    MECH_TRY(op_rforward(m, xm, batch, vm, &jv));
    widen(m, jv, batch * m->out_dim, out);
    return MECH_OK;
}

MECH_API mech_status mech_model_vjp(mech_model *m, const double *x, size_t batch,
                                    const double *u, double *grad)
{
    const void *xm;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, u);
    MECH_CHECK_PTR(&m->err, grad);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    MECH_TRY(mech__check_finite(u, batch * m->out_dim, "u", &m->err));
    void *g = m->f32 ? m->cg : grad;
    MECH_TRY(op_vjp(m, xm, batch, to_model(m, u, batch * m->out_dim, m->cd), g));
    widen(m, g, m->n_params, grad);
    return MECH_OK;
}

MECH_API mech_status mech_model_activations(mech_model *m, const double *x, size_t batch,
                                            size_t layer, double *out)
{
    const void *xm, *f;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, out);
    MECH_TRY(prep_x(m, x, batch, __func__, &xm));
    if (m->kind == MECH_MODEL_DIAGONAL || m->kind == MECH_MODEL_CALLBACK)
        return mech__fail(&m->err, MECH_EUNSUPPORTED, "%s: a %s model has no hidden layers",
                          __func__, mech_model_kind_name(m->kind));
    if (layer + 1 >= m->n_layers)
        return mech__fail(&m->err, MECH_ERANGE, "%s: layer %zu is not hidden (%zu hidden)",
                          __func__, layer, m->n_layers - 1);
    MECH_TRY(op_forward(m, xm, batch, &f));
    const mech__layer *L = &m->layers[layer];
    widen(m, (const char *)m->ws + L->h_off * mech__esize(m), batch * L->rows, out);
    return MECH_OK;
}

/* ---------------- public float API (F32 models) ---------------- */

/* Validates a float batch call; *xm: x copied into the padded m->cx
 * (GEMM_PAD in model.c: BLIS's float kernels may read past an operand). */
static mech_status prep_f32(mech_model *m, const float *x, size_t batch, const char *fn,
                            const float **xm)
{
    mech__model_changed(m);
    MECH_TRY(mech__model_check_batch(m, x, batch, fn));
    if (!m->f32)
        return mech__fail(&m->err, MECH_ESTATE,
                          "%s: the model is not single precision (MECH_MODEL_PRECISION)", fn);
    MECH_TRY(check_finite_f32(m, x, batch * m->in_dim, "x"));
    memcpy(m->cx, x, batch * m->in_dim * sizeof *x);
    *xm = m->cx;
    return MECH_OK;
}

/* y (float) as double in m->yd. */
static mech_status prep_y_f32(mech_model *m, const float *y, size_t batch)
{
    MECH_TRY(check_finite_f32(m, y, batch * m->out_dim, "y"));
    for (size_t i = 0; i < batch * m->out_dim; i++) m->yd[i] = y[i];
    return MECH_OK;
}

MECH_API mech_status mech_model_forward_f32(mech_model *m, const float *x, size_t batch,
                                            float *out)
{
    const void *f;
    const float *xm = NULL;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, out);
    MECH_TRY(prep_f32(m, x, batch, __func__, &xm));
    MECH_TRY(op_forward(m, xm, batch, &f));
    memcpy(out, f, batch * m->out_dim * sizeof *out);
    return MECH_OK;
}

MECH_API mech_status mech_model_gradient_f32(mech_model *m, mech_loss loss, const float *x,
                                             const float *y, size_t batch, double *loss_value,
                                             float *grad)
{
    const float *xm = NULL;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, y);
    MECH_CHECK_PTR(&m->err, grad);
    MECH_TRY(prep_f32(m, x, batch, __func__, &xm));
    MECH_TRY(prep_y_f32(m, y, batch));
    return op_gradient(m, loss, xm, m->yd, batch, loss_value, grad);
}

MECH_API mech_status mech_model_hvp_f32(mech_model *m, mech_loss loss, const float *x,
                                        const float *y, size_t batch, const float *v,
                                        float *hv)
{
    const float *xm = NULL;
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, y);
    MECH_CHECK_PTR(&m->err, v);
    MECH_CHECK_PTR(&m->err, hv);
    MECH_TRY(prep_f32(m, x, batch, __func__, &xm));
    MECH_TRY(prep_y_f32(m, y, batch));
    MECH_TRY(check_finite_f32(m, v, m->n_params, "v"));
    memcpy(m->cv, v, m->n_params * sizeof *v); /* padded, as x */
    return op_hvp(m, loss, xm, m->yd, batch, m->cv, hv);
}
