/* Training-process kinds on gradients and parameters: gradient norm,
 * gradient noise scale, distance from init and relative updates, and the
 * conservation-law residuals of THEORY.md section 9. */
#include <math.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "optim/optim_internal.h"
#include "probe_internal.h"

static double norm2(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return s;
}

static double dist2(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

static mech_status model_only(mech_probe *p, const probe_in *in)
{
    if (in->way != PROBE_MODEL)
        return mech__fail(&p->err, MECH_EUNSUPPORTED, "mech_probe (%s): needs a model%s",
                          mech_probe_kind_name(p->kind),
                          in->way == PROBE_ARRAYS ? " (arrays are not enough)" : "");
    return MECH_OK;
}

/* ---------------- gradient norm ---------------- */

mech_status mech__probe_grad_norm(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_ARRAYS) /* a = a gradient */
        return probe_out(p, sqrt(norm2(in->a, in->ra * in->ca)), "grad_norm");
    MECH_TRY(model_only(p, in));
    double loss = NAN, g = NAN;
    if (!in->dry) {
        MECH_TRY(probe_gradient(p, p->x, p->y, p->n_eval, &loss, p->t2));
        g = sqrt(norm2(p->t2, p->n_params));
    }
    MECH_TRY(probe_out(p, g, "grad_norm"));
    return probe_out(p, loss, "loss");
}

/* ---------------- gradient noise scale ---------------- */

static mech_status noise_outputs(mech_probe *p, double g2, double tr)
{
    MECH_TRY(probe_out(p, g2, "g2"));
    MECH_TRY(probe_out(p, tr, "trace_sigma"));
    return probe_out(p, tr / g2, "b_simple");
}

/* Mean squared norm of the gradient of n_batches batches of b examples
 * drawn with replacement, and its standard error. */
static mech_status mean_g2(mech_probe *p, size_t b, double *bx, double *by, double *out,
                           double *se)
{
    const size_t nb = (size_t)probe_i(p, MECH_PROBE_N_BATCHES);
    double s = 0, s2 = 0;
    for (size_t k = 0; k < nb; k++) {
        for (size_t i = 0; i < b; i++) {
            uint64_t j = 0;
            MECH_TRY(mech__adopt(&p->err, mech_rng_below(p->rng, p->n_eval, &j)));
            memcpy(bx + i * p->in_dim, p->x + j * p->in_dim, p->in_dim * sizeof *bx);
            memcpy(by + i * p->out_dim, p->y + j * p->out_dim, p->out_dim * sizeof *by);
        }
        MECH_TRY(probe_gradient(p, bx, by, b, NULL, p->t2));
        const double g = norm2(p->t2, p->n_params);
        s += g;
        s2 += g * g;
    }
    *out = s / (double)nb;
    *se = nb > 1 ? sqrt(fmax(0, s2 / (double)nb - *out * *out) / (double)(nb - 1)) : NAN;
    return MECH_OK;
}

mech_status mech__probe_noise_scale(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_ARRAYS) { /* a = per-example gradients (n x P): exact */
        const size_t n = in->ra, d = in->ca;
        double g2 = 0, tr = 0;
        for (size_t j = 0; j < d; j++) {
            double m = 0, v = 0;
            for (size_t i = 0; i < n; i++) m += in->a[i * d + j];
            m /= (double)n;
            for (size_t i = 0; i < n; i++) v += (in->a[i * d + j] - m) * (in->a[i * d + j] - m);
            g2 += m * m;
            tr += v / (double)n;
        }
        return noise_outputs(p, g2, tr);
    }
    MECH_TRY(model_only(p, in));
    const int64_t bs = probe_i(p, MECH_PROBE_SMALL_BATCH), bb = probe_i(p, MECH_PROBE_BIG_BATCH);
    if (bs >= bb)
        return mech__fail(&p->err, MECH_ERANGE,
                          "mech_probe (noise_scale): small_batch %lld must be below big_batch %lld",
                          (long long)bs, (long long)bb);
    double *bx = NULL, *by = NULL;
    size_t cx = 0, cy = 0;
    MECH_TRY(mech__mul((size_t)bb, p->in_dim, &cx, &p->err));
    MECH_TRY(mech__mul((size_t)bb, p->out_dim, &cy, &p->err));
    MECH_TRY(probe_buf(p, 0, cx, &bx));
    MECH_TRY(probe_buf(p, 1, cy, &by));
    double gs = NAN, gb = NAN, g2 = NAN, tr = NAN, ses = NAN, seb = NAN, se = NAN;
    if (!in->dry) {
        MECH_TRY(mean_g2(p, (size_t)bs, bx, by, &gs, &ses));
        MECH_TRY(mean_g2(p, (size_t)bb, bx, by, &gb, &seb));
        const double s = (double)bs, b = (double)bb, c = s * b / (b - s);
        g2 = (b * gb - s * gs) / (b - s);
        tr = c * (gs - gb);
        /* delta method over the two independent means */
        const double ds = c / g2 + tr * s / ((b - s) * g2 * g2);
        const double db = -c / g2 - tr * b / ((b - s) * g2 * g2);
        se = sqrt(ds * ds * ses * ses + db * db * seb * seb);
    }
    MECH_TRY(probe_out(p, gs, "g2_small"));
    MECH_TRY(probe_out(p, ses, "g2_small_se"));
    MECH_TRY(probe_out(p, gb, "g2_big"));
    MECH_TRY(probe_out(p, seb, "g2_big_se"));
    MECH_TRY(noise_outputs(p, g2, tr));
    return probe_out(p, se, "b_simple_se");
}

/* ---------------- distance from init, relative updates ---------------- */

/* Squared distance and squared reference norm of layer l's block. */
static void layer_d2(const mech_probe *p, size_t off, size_t len, size_t boff, size_t blen,
                     const double *ref, double *d2, double *r2)
{
    *d2 = dist2(p->theta + off, ref + off, len);
    *r2 = norm2(ref + off, len);
    if (boff != SIZE_MAX) {
        *d2 += dist2(p->theta + boff, ref + boff, blen);
        *r2 += norm2(ref + boff, blen);
    }
}

mech_status mech__probe_distance(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_ARRAYS) {
        const size_t n = in->ra * in->ca;
        if (!in->b || in->rb * in->cb != n)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (distance): b must be the reference, %zu entries", n);
        const double d = sqrt(dist2(in->a, in->b, n));
        MECH_TRY(probe_out(p, d, "distance"));
        return probe_out(p, d / sqrt(norm2(in->b, n)), "relative_distance");
    }
    MECH_TRY(model_only(p, in));
    double *prev = NULL;
    MECH_TRY(probe_buf(p, 0, p->n_params, &prev));
    if (in->dry) memcpy(prev, p->theta0, p->n_params * sizeof *prev);
    else MECH_TRY(mech__adopt(&p->err, mech_model_get_params(p->model, p->theta, p->n_params)));
    const double nan_or = in->dry ? NAN : 0;
    const double d = sqrt(dist2(p->theta, p->theta0, p->n_params));
    MECH_TRY(probe_out(p, nan_or + d, "distance"));
    MECH_TRY(probe_out(p, nan_or + d / sqrt(norm2(p->theta0, p->n_params)), "relative_distance"));
    MECH_TRY(probe_out(p, nan_or + sqrt(dist2(p->theta, prev, p->n_params) /
                                        norm2(prev, p->n_params)), "update"));
    for (size_t l = 0; l < p->n_layers; l++) {
        size_t off = 0, rows = 0, cols = 0, boff = 0;
        MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, l, &off, &rows, &cols, &boff)));
        if (off == SIZE_MAX) continue; /* frozen */
        double d2 = 0, r2 = 0, u2 = 0, q2 = 0;
        layer_d2(p, off, rows * cols, boff, rows, p->theta0, &d2, &r2);
        layer_d2(p, off, rows * cols, boff, rows, prev, &u2, &q2);
        MECH_TRY(probe_out(p, nan_or + sqrt(d2 / r2), "dist%zu", l));
        MECH_TRY(probe_out(p, nan_or + sqrt(u2 / q2), "update%zu", l));
    }
    if (!in->dry) memcpy(prev, p->theta, p->n_params * sizeof *prev);
    return MECH_OK;
}

/* ---------------- conservation laws ---------------- */

/* Learning-rate factor of the parameter at offset off (1 without optimizer). */
static double lr_factor(const mech_probe *p, size_t off)
{
    if (!p->opt) return 1;
    for (size_t g = 0; g < p->opt->n_groups; g++)
        if (off >= p->opt->group_off[g] && off < p->opt->group_off[g + 1])
            return p->opt->group_mult[g];
    return 1;
}

typedef struct layer_view {
    const double *w, *b;
    size_t rows, cols;
    double eta, eta_b;
} layer_view;

static mech_status view(mech_probe *p, size_t l, layer_view *v)
{
    size_t off = 0, boff = 0;
    MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, l, &off, &v->rows, &v->cols,
                                                        &boff)));
    if (off == SIZE_MAX)
        return mech__fail(&p->err, MECH_EUNSUPPORTED,
                          "mech_probe (conservation): layer %zu is frozen", l);
    v->w = p->theta + off;
    v->b = boff == SIZE_MAX ? NULL : p->theta + boff;
    v->eta = lr_factor(p, off);
    v->eta_b = boff == SIZE_MAX ? 1 : lr_factor(p, boff);
    if (!(v->eta > 0) || !(v->eta_b > 0))
        return mech__fail(&p->err, MECH_ERANGE,
                          "mech_probe (conservation): layer %zu has learning-rate factor 0", l);
    return MECH_OK;
}

/* Matrix balance (linear networks: W_l -> G W_l, b_l -> G b_l, W_{l+1} ->
 * W_{l+1} G^{-1} leaves f unchanged) or per-neuron balance (ReLU: the same
 * with G a positive diagonal). */
static bool matrix_mode(mech_probe *p)
{
    mech_model_kind kind = MECH_MODEL_LINEAR;
    mech_model_info(p->model, &kind, NULL);
    if (kind == MECH_MODEL_DEEP_LINEAR) return true;
    int64_t act = 0;
    mech_model_get_i64(p->model, MECH_MODEL_ACTIVATION, &act);
    return act == MECH_ACT_IDENTITY;
}

static mech_status check_model(mech_probe *p)
{
    mech_model_kind kind = MECH_MODEL_LINEAR;
    int64_t act = 0;
    MECH_TRY(mech__adopt(&p->err, mech_model_info(p->model, &kind, NULL)));
    MECH_TRY(mech__adopt(&p->err, mech_model_get_i64(p->model, MECH_MODEL_ACTIVATION, &act)));
    const bool ok = (kind == MECH_MODEL_DEEP_LINEAR ||
                     (kind == MECH_MODEL_MLP && (act == MECH_ACT_IDENTITY || act == MECH_ACT_RELU))) &&
                    p->n_layers >= 2;
    if (!ok)
        return mech__fail(&p->err, MECH_EUNSUPPORTED,
                          "mech_probe (conservation): needs a deep linear network or an MLP "
                          "with identity or ReLU activation and a hidden layer");
    return MECH_OK;
}

/* Size of the conserved quantity of hidden layer l (between layers l and l+1). */
static size_t q_size(mech_probe *p, size_t h)
{
    return matrix_mode(p) ? h * h : h;
}

/* Conserved quantity of hidden layer l into q (matrix mode: 2 h^2 entries,
 * the second half scratch); the sum of the two terms' norms in s. */
static mech_status conserved(mech_probe *p, size_t l, double *q, double *s)
{
    layer_view a, b;
    MECH_TRY(view(p, l, &a));
    MECH_TRY(view(p, l + 1, &b));
    const size_t h = a.rows;
    if (matrix_mode(p)) { /* W_{l+1}^T W_{l+1} / eta_{l+1} - W_l W_l^T / eta_l */
        MECH_TRY(mech__adopt(&p->err, mech_gemm(p->ctx, true, false, h, h, b.rows, 1 / b.eta,
                                                b.w, h, b.w, h, 0, q, h)));
        double n1 = sqrt(norm2(q, h * h));
        MECH_TRY(mech__adopt(&p->err, mech_gemm(p->ctx, false, true, h, h, a.cols, -1 / a.eta,
                                                a.w, a.cols, a.w, a.cols, 1, q, h)));
        double *t = q + h * h; /* the second term alone, for its norm */
        MECH_TRY(mech__adopt(&p->err, mech_gemm(p->ctx, false, true, h, h, a.cols, 1 / a.eta,
                                                a.w, a.cols, a.w, a.cols, 0, t, h)));
        if (a.b) /* a bias moves with the rows of W_l: - b b^T / eta_b */
            for (size_t i = 0; i < h; i++)
                for (size_t j = 0; j < h; j++) {
                    q[i * h + j] -= a.b[i] * a.b[j] / a.eta_b;
                    t[i * h + j] += a.b[i] * a.b[j] / a.eta_b;
                }
        *s = n1 + sqrt(norm2(t, h * h));
        return MECH_OK;
    }
    double s_in = 0, s_out = 0;
    for (size_t j = 0; j < h; j++) { /* (|w_in|^2 + b^2) / eta_l - |w_out|^2 / eta_{l+1} */
        double in = norm2(a.w + j * a.cols, a.cols) / a.eta;
        if (a.b) in += a.b[j] * a.b[j] / a.eta_b;
        double out = 0;
        for (size_t r = 0; r < b.rows; r++) out += b.w[r * b.cols + j] * b.w[r * b.cols + j];
        out /= b.eta;
        q[j] = in - out;
        s_in += in * in;
        s_out += out * out;
    }
    *s = sqrt(s_in) + sqrt(s_out);
    return MECH_OK;
}

/* Total size of the quantities of all hidden layers. */
static mech_status total_size(mech_probe *p, size_t *total)
{
    *total = 0;
    for (size_t l = 0; l + 1 < p->n_layers; l++) {
        size_t h = 0;
        MECH_TRY(probe_layer_width(p, l, &h));
        *total += q_size(p, h);
    }
    return MECH_OK;
}

mech_status mech__probe_conservation_ref(mech_probe *p)
{
    size_t total = 0;
    double *q0 = NULL, *s0 = NULL, *q = p->buf[2];
    MECH_TRY(total_size(p, &total));
    MECH_TRY(probe_buf(p, 0, total, &q0));
    MECH_TRY(probe_buf(p, 1, p->n_layers, &s0));
    /* the reference is the state at attach: theta0, not the current one */
    memcpy(p->theta, p->theta0, p->n_params * sizeof *p->theta);
    for (size_t l = 0, at = 0; l + 1 < p->n_layers; l++) {
        size_t h = 0;
        MECH_TRY(probe_layer_width(p, l, &h));
        MECH_TRY(conserved(p, l, q, &s0[l]));
        memcpy(q0 + at, q, q_size(p, h) * sizeof *q);
        at += q_size(p, h);
    }
    return MECH_OK;
}

mech_status mech__probe_conservation(mech_probe *p, const probe_in *in)
{
    MECH_TRY(model_only(p, in));
    MECH_TRY(check_model(p));
    size_t total = 0, hmax = 0;
    MECH_TRY(total_size(p, &total));
    for (size_t l = 0; l + 1 < p->n_layers; l++) {
        size_t h = 0;
        MECH_TRY(probe_layer_width(p, l, &h));
        hmax = h > hmax ? h : hmax;
    }
    double *q = NULL;
    MECH_TRY(probe_buf(p, 2, 2 * q_size(p, hmax), &q));
    if (!in->dry)
        MECH_TRY(mech__adopt(&p->err, mech_model_get_params(p->model, p->theta, p->n_params)));
    double max_rel = in->dry ? NAN : 0;
    for (size_t l = 0, at = 0; l + 1 < p->n_layers; l++) {
        size_t h = 0;
        MECH_TRY(probe_layer_width(p, l, &h));
        const size_t m = q_size(p, h);
        double res = NAN, rel = NAN, s = 0;
        if (!in->dry) {
            MECH_TRY(conserved(p, l, q, &s));
            res = sqrt(dist2(q, p->buf[0] + at, m));
            rel = res / p->buf[1][l];
            max_rel = fmax(max_rel, rel);
        }
        MECH_TRY(probe_out(p, res, "residual%zu", l));
        MECH_TRY(probe_out(p, rel, "relative%zu", l));
        at += m;
    }
    return probe_out(p, max_rel, "max_relative");
}
