/* The model handle: options, widths, setup (layer table, workspaces) and
 * the parameter view. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static const mech_optdesc MODEL_OPTS[MECH_MODEL_NOPTS] = {
    [MECH_MODEL_ACTIVATION] = {"activation", MECH_OPT_I64, 0, MECH_ACT_QUADRATIC,
                               MECH_ACT_RELU, NULL,
                               "hidden activation (mech_activation; MLP, random features)"},
    [MECH_MODEL_BIAS] = {"bias", MECH_OPT_I64, 0, 1, 0, NULL,
                         "1: layers have biases (linear, MLP, random features)"},
    [MECH_MODEL_PARAMETRIZATION] = {"parametrization", MECH_OPT_I64, 0, MECH_PARAM_MEANFIELD,
                                    MECH_PARAM_SP, NULL,
                                    "mech_parametrization: sp, ntk, mup, meanfield"},
    [MECH_MODEL_BASE_WIDTH] = {"base_width", MECH_OPT_I64, 0, 1e12, 0, NULL,
                               "base hidden width of muP/mean-field multipliers (0: actual)"},
    [MECH_MODEL_OUTPUT_MULT] = {"output_mult", MECH_OPT_F64, 1e-300, 1e300, 1, NULL,
                                "extra readout multiplier (1/gamma richness)"},
    [MECH_MODEL_INIT_SCALE] = {"init_scale", MECH_OPT_F64, 0, 1e300, 1, NULL,
                               "init standard deviation multiplier (alpha for diagonal)"},
    [MECH_MODEL_INIT] = {"init", MECH_OPT_I64, 0, MECH_INIT_SMALL, MECH_INIT_GAUSSIAN, NULL,
                         "mech_init: gaussian, balanced, aligned, orthogonal, small"},
    [MECH_MODEL_MAX_BATCH] = {"max_batch", MECH_OPT_I64, 1, 1 << 30, 256, NULL,
                              "largest batch an execution call accepts"},
    [MECH_MODEL_PRECISION] = {"precision", MECH_OPT_I64, 0, 1, MECH_PREC_F64, NULL,
                              "parameter and kernel precision (0 f64, 1 f32)"},
    [MECH_MODEL_TRAIN_SECOND_LAYER] = {"train_second_layer", MECH_OPT_I64, 0, 1, 0, NULL,
                                       "1: committee second layer is trained"},
    [MECH_MODEL_SIGMA_W] = {"sigma_w", MECH_OPT_F64, 0, 1e300, 1, NULL,
                            "NTK parametrization weight multiplier"},
    [MECH_MODEL_SIGMA_B] = {"sigma_b", MECH_OPT_F64, 0, 1e300, 1, NULL,
                            "NTK parametrization bias multiplier"},
    [MECH_MODEL_INIT_STREAM] = {"init_stream", MECH_OPT_I64, 0, 9.2233720368547748e18, 0, NULL,
                                "initialization stream under the context seed"},
    [MECH_MODEL_LINEAR_LAYERS] = {"linear_layers", MECH_OPT_I64, 0, 1 << 30, 0, NULL,
                                  "leading hidden layers without activation (MLP embedding)"},
};

const mech_opttable mech__model_opts = {MECH_KIND_MODEL, MODEL_OPTS, MECH_MODEL_NOPTS};

MECH_API const char *mech_model_kind_name(mech_model_kind k)
{
    switch (k) {
    case MECH_MODEL_LINEAR: return "linear";
    case MECH_MODEL_DEEP_LINEAR: return "deep_linear";
    case MECH_MODEL_MLP: return "mlp";
    case MECH_MODEL_COMMITTEE: return "committee";
    case MECH_MODEL_RANDOM_FEATURES: return "random_features";
    case MECH_MODEL_DIAGONAL: return "diagonal";
    case MECH_MODEL_CALLBACK: return "callback";
    }
    return "unknown";
}

MECH_API mech_status mech_model_create(mech_model **out, const mech_ctx *ctx,
                                       mech_model_kind kind)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    if ((unsigned)kind > MECH_MODEL_CALLBACK)
        return mech__fail(NULL, MECH_EINVAL, "%s: unknown model kind %d", __func__, (int)kind);
    mech_model *m = mech__calloc(1, sizeof *m, NULL);
    if (!m) return MECH_ENOMEM;
    m->ctx = ctx;
    m->kind = kind;
    mech_status st = mech__opt_defaults(&mech__model_opts, m->opt, NULL);
    if (st < 0) {
        free(m);
        return st;
    }
    *out = m;
    return MECH_OK;
}

static void free_setup(mech_model *m)
{
    free(m->layers);
    free(m->theta);
    free(m->frozen);
    free(m->ws);
    free(m->cx);
    free(m->cd);
    free(m->crd);
    free(m->cv);
    free(m->cg);
    free(m->fd);
    free(m->yd);
    free(m->gd);
    free(m->rfd);
    free(m->rgd);
    free(m->pv);
    free(m->hx);
    free(m->hy);
    m->layers = NULL;
    m->hx = NULL;
    m->hy = NULL;
    m->hvp_ready = false;
    m->theta = m->frozen = m->ws = m->cx = m->cv = m->cg = m->cd = m->crd = NULL;
    m->fd = m->yd = m->gd = m->rfd = m->rgd = m->pv = NULL;
    m->ready = false;
}

MECH_API void mech_model_destroy(mech_model *m)
{
    if (!m) return;
    free_setup(m);
    mech__opt_free(&mech__model_opts, m->opt);
    free(m->widths);
    free(m->align_u);
    free(m->align_v);
    free(m);
}

MECH_API const char *mech_model_last_error(const mech_model *m)
{
    return m ? m->err.msg : "";
}

static mech_status not_ready(mech_model *m, const char *fn)
{
    if (m->ready)
        return mech__fail(&m->err, MECH_ESTATE, "%s: the model is already set up", fn);
    return MECH_OK;
}

MECH_API mech_status mech_model_set_widths(mech_model *m, const size_t *widths, size_t n)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, widths);
    MECH_TRY(not_ready(m, __func__));
    if (n < 2)
        return mech__fail(&m->err, MECH_ESHAPE, "%s: need at least 2 widths, got %zu",
                          __func__, n);
    for (size_t i = 0; i < n; i++)
        if (widths[i] == 0)
            return mech__fail(&m->err, MECH_EINVAL, "%s: widths[%zu] is zero", __func__, i);
    size_t *copy = mech__calloc(n, sizeof *copy, &m->err);
    if (!copy) return MECH_ENOMEM;
    memcpy(copy, widths, n * sizeof *copy);
    free(m->widths);
    m->widths = copy;
    m->n_widths = n;
    return MECH_OK;
}

MECH_API mech_status mech_model_set_i64(mech_model *m, mech_model_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_TRY(not_ready(m, __func__));
    return mech__opt_set_i64(&mech__model_opts, m->opt, (int)key, value, &m->err);
}

MECH_API mech_status mech_model_get_i64(const mech_model *m, mech_model_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, m);
    return mech__opt_get_i64(&mech__model_opts, m->opt, (int)key, value, (mech_err *)&m->err);
}

MECH_API mech_status mech_model_set_f64(mech_model *m, mech_model_opt key, double value)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_TRY(not_ready(m, __func__));
    return mech__opt_set_f64(&mech__model_opts, m->opt, (int)key, value, &m->err);
}

MECH_API mech_status mech_model_get_f64(const mech_model *m, mech_model_opt key, double *value)
{
    MECH_CHECK_PTR(NULL, m);
    return mech__opt_get_f64(&mech__model_opts, m->opt, (int)key, value, (mech_err *)&m->err);
}

MECH_API mech_status mech_model_set_alignment(mech_model *m, const double *u, const double *v,
                                              size_t rank)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, u);
    MECH_CHECK_PTR(&m->err, v);
    MECH_TRY(not_ready(m, __func__));
    if (!m->widths)
        return mech__fail(&m->err, MECH_ESTATE, "%s: set the widths first", __func__);
    const size_t in = m->widths[0], out = m->widths[m->n_widths - 1];
    if (rank == 0 || rank > in || rank > out)
        return mech__fail(&m->err, MECH_ESHAPE, "%s: rank %zu not in [1, min(%zu, %zu)]",
                          __func__, rank, in, out);
    MECH_TRY(mech__check_finite(u, out * rank, "u", &m->err));
    MECH_TRY(mech__check_finite(v, in * rank, "v", &m->err));
    /* Orthonormal columns: the aligned factorization is balanced only then. */
    const double *mats[2] = {u, v};
    const size_t rows[2] = {out, in};
    for (int k = 0; k < 2; k++)
        for (size_t a = 0; a < rank; a++)
            for (size_t b = 0; b <= a; b++) {
                double s = 0;
                for (size_t i = 0; i < rows[k]; i++)
                    s += mats[k][i * rank + a] * mats[k][i * rank + b];
                if (fabs(s - (a == b)) > 1e-8)
                    return mech__fail(&m->err, MECH_ERANGE,
                                      "%s: columns of %s are not orthonormal", __func__,
                                      k ? "v" : "u");
            }
    double *cu = mech__calloc(out * rank, sizeof *cu, &m->err);
    double *cv = mech__calloc(in * rank, sizeof *cv, &m->err);
    if (!cu || !cv) {
        free(cu);
        free(cv);
        return MECH_ENOMEM;
    }
    memcpy(cu, u, out * rank * sizeof *cu);
    memcpy(cv, v, in * rank * sizeof *cv);
    free(m->align_u);
    free(m->align_v);
    m->align_u = cu;
    m->align_v = cv;
    m->align_rank = rank;
    return MECH_OK;
}

MECH_API mech_status mech_model_set_callbacks(mech_model *m, size_t n_params,
                                              mech_model_forward_fn forward,
                                              mech_model_vjp_fn vjp, mech_model_jvp_fn jvp,
                                              mech_model_hvp2_fn hvp2, void *user_data)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_TRY(not_ready(m, __func__));
    if (m->kind != MECH_MODEL_CALLBACK)
        return mech__fail(&m->err, MECH_EINVAL, "%s: model kind is not callback", __func__);
    MECH_CHECK_NONZERO(&m->err, n_params);
    MECH_CHECK_PTR(&m->err, forward);
    MECH_CHECK_PTR(&m->err, vjp);
    MECH_CHECK_PTR(&m->err, jvp);
    m->cb_n_params = n_params;
    m->cb_forward = forward;
    m->cb_vjp = vjp;
    m->cb_jvp = jvp;
    m->cb_hvp2 = hvp2;
    m->cb_ud = user_data;
    return MECH_OK;
}

/* ---------------- setup ---------------- */

static int64_t opt_i(const mech_model *m, mech_model_opt k) { return m->opt[k].i; }
static double opt_f(const mech_model *m, mech_model_opt k) { return m->opt[k].f; }

/* Widths allowed for the kind and options that make sense for it. */
static mech_status check_config(mech_model *m)
{
    const size_t n = m->n_widths, *w = m->widths;
    const mech_model_kind k = m->kind;
    if (!w) return mech__fail(&m->err, MECH_ESTATE, "setup: widths are not set");
    if ((k == MECH_MODEL_LINEAR || k == MECH_MODEL_CALLBACK || k == MECH_MODEL_DIAGONAL) &&
        n != 2)
        return mech__fail(&m->err, MECH_ESHAPE, "setup: a %s model needs 2 widths, got %zu",
                          mech_model_kind_name(k), n);
    if ((k == MECH_MODEL_COMMITTEE || k == MECH_MODEL_RANDOM_FEATURES) && n != 3)
        return mech__fail(&m->err, MECH_ESHAPE, "setup: a %s model needs 3 widths, got %zu",
                          mech_model_kind_name(k), n);
    if ((k == MECH_MODEL_COMMITTEE || k == MECH_MODEL_DIAGONAL) && w[n - 1] != 1)
        return mech__fail(&m->err, MECH_ESHAPE, "setup: a %s model has one output",
                          mech_model_kind_name(k));
    const bool bias = opt_i(m, MECH_MODEL_BIAS);
    if (bias && (k == MECH_MODEL_DEEP_LINEAR || k == MECH_MODEL_COMMITTEE ||
                 k == MECH_MODEL_DIAGONAL || k == MECH_MODEL_CALLBACK))
        return mech__fail(&m->err, MECH_EUNSUPPORTED, "setup: a %s model has no biases",
                          mech_model_kind_name(k));
    if (k == MECH_MODEL_CALLBACK) {
        if (!m->cb_forward)
            return mech__fail(&m->err, MECH_ESTATE, "setup: callbacks are not set");
        if (opt_i(m, MECH_MODEL_PRECISION) != MECH_PREC_F64)
            return mech__fail(&m->err, MECH_EUNSUPPORTED,
                              "setup: callback models are double precision only");
    }
    const int64_t linear = opt_i(m, MECH_MODEL_LINEAR_LAYERS);
    if (linear && k != MECH_MODEL_MLP)
        return mech__fail(&m->err, MECH_EUNSUPPORTED,
                          "setup: linear_layers applies to MLP models, not %s",
                          mech_model_kind_name(k));
    if (linear && (size_t)linear + 2 >= n)
        return mech__fail(&m->err, MECH_EINVAL,
                          "setup: linear_layers %lld leaves no nonlinear hidden layer "
                          "(%zu hidden layers; use a deep linear model for none)",
                          (long long)linear, n - 2);
    const int64_t init = opt_i(m, MECH_MODEL_INIT);
    if (init == MECH_INIT_BALANCED || init == MECH_INIT_ALIGNED) {
        if ((k != MECH_MODEL_LINEAR && k != MECH_MODEL_DEEP_LINEAR) || bias)
            return mech__fail(&m->err, MECH_EUNSUPPORTED,
                              "setup: balanced/aligned init needs a (deep) linear model "
                              "without biases");
        size_t r = w[0] < w[n - 1] ? w[0] : w[n - 1];
        if (init == MECH_INIT_ALIGNED) {
            if (!m->align_u)
                return mech__fail(&m->err, MECH_ESTATE,
                                  "setup: aligned init needs mech_model_set_alignment");
            r = m->align_rank;
        }
        for (size_t i = 1; i + 1 < n; i++)
            if (w[i] < r)
                return mech__fail(&m->err, MECH_ESHAPE,
                                  "setup: hidden width %zu is below the rank %zu", w[i], r);
    }
    return MECH_OK;
}

/* Actual and base fans of a layer for mech_param_rule: hidden dimensions
 * have base MECH_MODEL_BASE_WIDTH (0: the actual width); the input and
 * output dimensions are their own base. */
static void layer_fans(const mech_model *m, const mech__layer *L, double fans[4])
{
    const double base = (double)opt_i(m, MECH_MODEL_BASE_WIDTH);
    const double fi = (double)L->cols, fo = (double)L->rows;
    const bool first = L->role == MECH_ROLE_INPUT || m->n_layers == 1;
    const bool last = L->role == MECH_ROLE_OUTPUT;
    fans[0] = fi;
    fans[1] = fo;
    fans[2] = (first || base == 0) ? fi : base;
    fans[3] = (last || base == 0) ? fo : base;
}

/* Forward multipliers and init variances from the rule table (or the
 * kind's fixed ones). */
static mech_status layer_multipliers(mech_model *m, size_t l, mech__layer *L)
{
    const mech_parametrization p = (mech_parametrization)opt_i(m, MECH_MODEL_PARAMETRIZATION);
    if (m->kind == MECH_MODEL_COMMITTEE) {
        L->w_mult = l == 0 ? 1.0 / sqrt((double)L->cols) : 1.0;
        L->b_mult = 1.0;
        L->w_var = 1.0;
        L->b_var = 0.0;
        return MECH_OK;
    }
    double f[4], wm, bm;
    layer_fans(m, L, f);
    MECH_TRY(mech_param_rule(p, MECH_OPTFAM_SGD, L->role, f[0], f[1], f[2], f[3], &L->w_var,
                             &wm, NULL));
    MECH_TRY(mech_param_rule(p, MECH_OPTFAM_SGD, MECH_ROLE_BIAS, 1, f[1], 1, f[3], &L->b_var,
                             &bm, NULL));
    if (p == MECH_PARAM_NTK) {
        wm *= opt_f(m, MECH_MODEL_SIGMA_W);
        bm *= opt_f(m, MECH_MODEL_SIGMA_B);
    }
    if (l + 1 == m->n_layers) wm *= opt_f(m, MECH_MODEL_OUTPUT_MULT);
    L->w_mult = wm;
    L->b_mult = bm;
    return MECH_OK;
}

/* The activation after layer l (not applied after the output layer). */
static mech_activation layer_activation(const mech_model *m, size_t l)
{
    switch (m->kind) {
    case MECH_MODEL_MLP:
        return l < (size_t)opt_i(m, MECH_MODEL_LINEAR_LAYERS)
                   ? MECH_ACT_IDENTITY
                   : (mech_activation)opt_i(m, MECH_MODEL_ACTIVATION);
    case MECH_MODEL_RANDOM_FEATURES: return (mech_activation)opt_i(m, MECH_MODEL_ACTIVATION);
    case MECH_MODEL_COMMITTEE: return MECH_ACT_SCALED_ERF;
    default: return MECH_ACT_IDENTITY;
    }
}

/* Spare elements after every model-precision buffer that reaches BLIS:
 * its small-matrix single-precision kernels may load a few elements past
 * an operand's end (valgrind: 4 bytes past a 1 x 3 committee readout in
 * an f32 HVP); the padding keeps those loads inside the allocation. */
#define GEMM_PAD 16

/* Lays out layers, parameter vector and workspace offsets. */
static mech_status build_layers(mech_model *m)
{
    const size_t B = m->max_batch;
    const bool bias = opt_i(m, MECH_MODEL_BIAS);
    const bool diag = m->kind == MECH_MODEL_DIAGONAL;
    m->n_layers = diag ? 2 : m->n_widths - 1;
    m->layers = mech__calloc(m->n_layers, sizeof *m->layers, &m->err);
    if (!m->layers) return MECH_ENOMEM;
    size_t np = 0, nf = 0, ws = 0, mw = m->out_dim;
    m->first_trainable = SIZE_MAX;
    for (size_t l = 0; l < m->n_layers; l++) {
        mech__layer *L = &m->layers[l];
        L->rows = diag ? 1 : m->widths[l + 1];
        L->cols = diag ? m->in_dim : m->widths[l];
        L->role = l + 1 == m->n_layers ? MECH_ROLE_OUTPUT
                  : l == 0             ? MECH_ROLE_INPUT
                                       : MECH_ROLE_HIDDEN;
        L->act = layer_activation(m, l);
        L->trainable = !((m->kind == MECH_MODEL_RANDOM_FEATURES && l == 0) ||
                         (m->kind == MECH_MODEL_COMMITTEE && l == 1 &&
                          !opt_i(m, MECH_MODEL_TRAIN_SECOND_LAYER)));
        if (L->trainable && m->first_trainable == SIZE_MAX) m->first_trainable = l;
        size_t nw;
        MECH_TRY(mech__mul(L->rows, L->cols, &nw, &m->err));
        size_t *count = L->trainable ? &np : &nf;
        L->w_off = *count;
        *count += nw;
        L->b_off = SIZE_MAX;
        if (bias) {
            L->b_off = *count;
            *count += L->rows;
        }
        if (diag) {
            L->w_mult = L->b_mult = 1;
        } else {
            MECH_TRY(layer_multipliers(m, l, L));
        }
        size_t blk;
        MECH_TRY(mech__mul(B, L->rows, &blk, &m->err));
        L->z_off = ws;
        L->h_off = ws + blk;
        L->rz_off = ws + 2 * blk;
        L->rh_off = ws + 3 * blk;
        ws += 4 * blk;
        if (L->rows > mw) mw = L->rows;
        if (L->cols > mw) mw = L->cols;
        if (ws > SIZE_MAX / 16 || np > SIZE_MAX / 16)
            return mech__fail(&m->err, MECH_EOVERFLOW, "setup: model too large");
    }
    m->f_off = m->layers[diag ? 0 : m->n_layers - 1].z_off;
    m->rf_off = m->layers[diag ? 0 : m->n_layers - 1].rz_off;
    if (diag) m->first_trainable = 0;
    size_t blk;
    MECH_TRY(mech__mul(B, mw, &blk, &m->err));
    m->d_off = ws;
    m->dh_off = ws + blk;
    m->rd_off = ws + 2 * blk;
    m->rdh_off = ws + 3 * blk;
    ws += 4 * blk;
    m->n_params = np;
    m->n_frozen = nf;
    m->max_width = mw;
    m->ws = mech__calloc(ws + GEMM_PAD, mech__esize(m), &m->err);
    return m->ws ? MECH_OK : MECH_ENOMEM;
}

static mech_status alloc_buffers(mech_model *m)
{
    const size_t B = m->max_batch, es = mech__esize(m), P = GEMM_PAD;
    size_t nx, ny;
    MECH_TRY(mech__mul(B, m->in_dim, &nx, &m->err));
    MECH_TRY(mech__mul(B, m->out_dim, &ny, &m->err));
    const size_t np = m->n_params;
    m->theta = mech__calloc(np + P, es, &m->err);
    m->frozen = m->n_frozen ? mech__calloc(m->n_frozen + P, es, &m->err) : NULL;
    m->cx = mech__calloc(nx + P, es, &m->err);
    m->cd = mech__calloc(ny + P, es, &m->err);
    m->crd = mech__calloc(ny + P, es, &m->err);
    m->cv = mech__calloc(np + P, es, &m->err);
    m->cg = mech__calloc(np + P, es, &m->err);
    m->fd = mech__calloc(ny, sizeof(double), &m->err);
    m->yd = mech__calloc(ny, sizeof(double), &m->err);
    m->gd = mech__calloc(ny, sizeof(double), &m->err);
    m->rfd = mech__calloc(ny, sizeof(double), &m->err);
    m->rgd = mech__calloc(ny, sizeof(double), &m->err);
    m->pv = mech__calloc(np, sizeof(double), &m->err);
    m->hx = mech__calloc(nx + P, es, &m->err);
    m->hy = mech__calloc(ny, sizeof(double), &m->err);
    if (!m->theta || (m->n_frozen && !m->frozen) || !m->cx || !m->cd || !m->crd || !m->cv || !m->cg ||
        !m->fd || !m->yd || !m->gd || !m->rfd || !m->rgd || !m->pv || !m->hx || !m->hy)
        return MECH_ENOMEM;
    return MECH_OK;
}

MECH_API mech_status mech_model_setup(mech_model *m)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_TRY(not_ready(m, __func__));
    MECH_TRY(check_config(m));
    m->in_dim = m->widths[0];
    m->out_dim = m->widths[m->n_widths - 1];
    m->max_batch = (size_t)opt_i(m, MECH_MODEL_MAX_BATCH);
    m->f32 = opt_i(m, MECH_MODEL_PRECISION) == MECH_PREC_F32;
    mech_status st;
    if (m->kind == MECH_MODEL_CALLBACK) {
        m->n_layers = 1;
        m->n_params = m->cb_n_params;
        m->first_trainable = 0;
        st = alloc_buffers(m);
    } else {
        st = build_layers(m);
        if (st == MECH_OK) st = alloc_buffers(m);
        if (st == MECH_OK) st = mech__model_init_params(m);
    }
    if (st < 0) {
        free_setup(m);
        return st;
    }
    m->ready = true;
    return MECH_OK;
}

/* ---------------- parameter view ---------------- */

static mech_status need_ready(const mech_model *m, const char *fn)
{
    if (!m->ready)
        return mech__fail((mech_err *)&m->err, MECH_ESTATE, "%s: call mech_model_setup first",
                          fn);
    return MECH_OK;
}

static mech_status check_n(const mech_model *m, size_t n, size_t want, const char *fn)
{
    if (n != want)
        return mech__fail((mech_err *)&m->err, MECH_ESHAPE, "%s: length %zu, want %zu", fn, n,
                          want);
    return MECH_OK;
}

MECH_API size_t mech_model_num_params(const mech_model *m)
{
    return m && m->ready ? m->n_params : 0;
}

MECH_API size_t mech_model_num_layers(const mech_model *m)
{
    return m && m->ready ? m->n_layers : 0;
}

MECH_API mech_status mech_model_dims(const mech_model *m, size_t *in_dim, size_t *out_dim)
{
    MECH_CHECK_PTR(NULL, m);
    if (!m->widths)
        return mech__fail((mech_err *)&m->err, MECH_ESTATE, "%s: widths are not set", __func__);
    if (in_dim) *in_dim = m->widths[0];
    if (out_dim) *out_dim = m->widths[m->n_widths - 1];
    return MECH_OK;
}

MECH_API mech_status mech_model_info(const mech_model *m, mech_model_kind *kind,
                                     mech_parametrization *param)
{
    MECH_CHECK_PTR(NULL, m);
    if (kind) *kind = m->kind;
    if (param) *param = (mech_parametrization)opt_i(m, MECH_MODEL_PARAMETRIZATION);
    return MECH_OK;
}

/* Copies n entries between precisions. */
static void copy_out(const mech_model *m, const void *src, double *dst, size_t n)
{
    if (m->f32)
        for (size_t i = 0; i < n; i++) dst[i] = ((const float *)src)[i];
    else
        memcpy(dst, src, n * sizeof *dst);
}

MECH_API mech_status mech_model_get_params(const mech_model *m, double *out, size_t n)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR((mech_err *)&m->err, out);
    MECH_TRY(need_ready(m, __func__));
    MECH_TRY(check_n(m, n, m->n_params, __func__));
    copy_out(m, m->theta, out, n);
    return MECH_OK;
}

MECH_API mech_status mech_model_set_params(mech_model *m, const double *in, size_t n)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, in);
    MECH_TRY(need_ready(m, __func__));
    MECH_TRY(check_n(m, n, m->n_params, __func__));
    MECH_TRY(mech__check_finite(in, n, "params", &m->err));
    if (m->f32)
        for (size_t i = 0; i < n; i++)
            if (!isfinite((float)in[i]))
                return mech__fail(&m->err, MECH_ENONFINITE,
                                  "%s: params[%zu] overflows float", __func__, i);
    mech__model_changed(m);
    if (m->f32)
        for (size_t i = 0; i < n; i++) ((float *)m->theta)[i] = (float)in[i];
    else
        memcpy(m->theta, in, n * sizeof *in);
    return MECH_OK;
}

const void *mech__model_params(const mech_model *m)
{
    return m->theta;
}

void mech__model_swap_params(mech_model *m, void **buf)
{
    void *old = m->theta;
    mech__model_changed(m);
    m->theta = *buf;
    *buf = old;
}

static mech_status need_f32(const mech_model *m, const char *fn)
{
    MECH_TRY(need_ready(m, fn));
    if (!m->f32)
        return mech__fail((mech_err *)&m->err, MECH_ESTATE,
                          "%s: the model is not single precision (MECH_MODEL_PRECISION)", fn);
    return MECH_OK;
}

MECH_API mech_status mech_model_get_params_f32(const mech_model *m, float *out, size_t n)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR((mech_err *)&m->err, out);
    MECH_TRY(need_f32(m, __func__));
    MECH_TRY(check_n(m, n, m->n_params, __func__));
    memcpy(out, m->theta, n * sizeof *out);
    return MECH_OK;
}

MECH_API mech_status mech_model_set_params_f32(mech_model *m, const float *in, size_t n)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, in);
    MECH_TRY(need_f32(m, __func__));
    MECH_TRY(check_n(m, n, m->n_params, __func__));
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return mech__fail(&m->err, MECH_ENONFINITE, "%s: params[%zu] is not finite",
                              __func__, i);
    mech__model_changed(m);
    memcpy(m->theta, in, n * sizeof *in);
    return MECH_OK;
}

static mech_status check_layer(const mech_model *m, size_t layer, const char *fn)
{
    MECH_TRY(need_ready(m, fn));
    if (layer >= m->n_layers)
        return mech__fail((mech_err *)&m->err, MECH_ERANGE, "%s: layer %zu >= %zu", fn, layer,
                          m->n_layers);
    return MECH_OK;
}

MECH_API mech_status mech_model_layer_info(const mech_model *m, size_t layer, size_t *offset,
                                           size_t *rows, size_t *cols, size_t *bias_offset)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_TRY(check_layer(m, layer, __func__));
    if (m->kind == MECH_MODEL_CALLBACK) {
        if (offset) *offset = 0;
        if (rows) *rows = 1;
        if (cols) *cols = m->n_params;
        if (bias_offset) *bias_offset = SIZE_MAX;
        return MECH_OK;
    }
    const mech__layer *L = &m->layers[layer];
    if (m->kind == MECH_MODEL_DIAGONAL) {
        /* w+ and w- are the two "layers" of the diagonal network. */
        if (offset) *offset = layer * m->in_dim;
        if (rows) *rows = 1;
        if (cols) *cols = m->in_dim;
        if (bias_offset) *bias_offset = SIZE_MAX;
        return MECH_OK;
    }
    if (offset) *offset = L->trainable ? L->w_off : SIZE_MAX;
    if (rows) *rows = L->rows;
    if (cols) *cols = L->cols;
    if (bias_offset) *bias_offset = L->trainable ? L->b_off : SIZE_MAX;
    return MECH_OK;
}

MECH_API mech_status mech_model_layer_multipliers(const mech_model *m, size_t layer,
                                                  double *weight_mult, double *bias_mult)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_TRY(check_layer(m, layer, __func__));
    const bool plain = m->kind == MECH_MODEL_CALLBACK || m->kind == MECH_MODEL_DIAGONAL;
    if (weight_mult) *weight_mult = plain ? 1.0 : m->layers[layer].w_mult;
    if (bias_mult) *bias_mult = plain ? 1.0 : m->layers[layer].b_mult;
    return MECH_OK;
}

MECH_API mech_status mech_model_get_layer_weights(const mech_model *m, size_t layer,
                                                  double *out, size_t n)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR((mech_err *)&m->err, out);
    MECH_TRY(check_layer(m, layer, __func__));
    size_t off, rows, cols;
    MECH_TRY(mech_model_layer_info(m, layer, &off, &rows, &cols, NULL));
    MECH_TRY(check_n(m, n, rows * cols, __func__));
    const void *base = m->theta;
    if (off == SIZE_MAX) {
        base = m->frozen;
        off = m->layers[layer].w_off;
    }
    copy_out(m, (const char *)base + off * mech__esize(m), out, n);
    return MECH_OK;
}

/* ---------------- per-tensor learning rates ---------------- */

MECH_API size_t mech_model_num_lr_groups(const mech_model *m)
{
    if (!m || !m->ready) return 0;
    if (m->kind == MECH_MODEL_CALLBACK || m->kind == MECH_MODEL_DIAGONAL) return 1;
    size_t g = 0;
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].trainable) g += m->layers[l].b_off == SIZE_MAX ? 1 : 2;
    return g;
}

MECH_API mech_status mech_model_lr_multipliers(const mech_model *m, mech_optimizer_family fam,
                                               size_t *group_offsets, double *mult,
                                               size_t n_groups)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR((mech_err *)&m->err, group_offsets);
    MECH_CHECK_PTR((mech_err *)&m->err, mult);
    MECH_TRY(need_ready(m, __func__));
    if ((unsigned)fam > MECH_OPTFAM_ADAM)
        return mech__fail((mech_err *)&m->err, MECH_EINVAL, "%s: unknown optimizer family %d",
                          __func__, (int)fam);
    MECH_TRY(check_n(m, n_groups, mech_model_num_lr_groups(m), __func__));
    if (m->kind == MECH_MODEL_CALLBACK || m->kind == MECH_MODEL_DIAGONAL) {
        group_offsets[0] = 0;
        group_offsets[1] = m->n_params;
        mult[0] = 1.0;
        return MECH_OK;
    }
    /* The committee's multipliers are fixed by its definition: factor 1. */
    const bool fixed = m->kind == MECH_MODEL_COMMITTEE;
    const mech_parametrization p = (mech_parametrization)opt_i(m, MECH_MODEL_PARAMETRIZATION);
    size_t g = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        const mech__layer *L = &m->layers[l];
        if (!L->trainable) continue;
        double f[4];
        layer_fans(m, L, f);
        group_offsets[g] = L->w_off;
        mult[g] = 1.0;
        if (!fixed)
            MECH_TRY(mech_param_rule(p, fam, L->role, f[0], f[1], f[2], f[3], NULL, NULL,
                                     &mult[g]));
        g++;
        if (L->b_off != SIZE_MAX) {
            group_offsets[g] = L->b_off;
            mult[g] = 1.0;
            if (!fixed)
                MECH_TRY(mech_param_rule(p, fam, MECH_ROLE_BIAS, 1, f[1], 1, f[3], NULL, NULL,
                                         &mult[g]));
            g++;
        }
    }
    group_offsets[g] = m->n_params;
    return MECH_OK;
}
