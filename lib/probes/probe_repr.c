/* Hidden-representation kinds: coordinate check, effective rank, CKA,
 * empirical NTK and its alignment, neural collapse, the neural feature
 * ansatz, per-unit views and the information plane. The formulas live in
 * metrics.h; this file gathers the model's activations (or takes the
 * caller's arrays) and names the results. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "probe_internal.h"

/* Slot usage: 0 = current activations / scratch, 1 = reference at attach,
 * 2, 3 = kind scratch. */

static mech_status not_operator(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_OPERATOR)
        return mech__fail(&p->err, MECH_EUNSUPPORTED, "mech_probe (%s): not an operator kind",
                          mech_probe_kind_name(p->kind));
    return MECH_OK;
}

/* Activations of hidden layer l (l == n_hidden: the outputs) into h. */
static mech_status layer_or_output(mech_probe *p, size_t l, double *h, size_t *width)
{
    if (l == probe_n_hidden(p)) {
        *width = p->out_dim;
        return probe_forward(p, p->x, p->n_eval, h);
    }
    MECH_TRY(probe_layer_width(p, l, width));
    return probe_activations(p, l, h);
}

/* The largest n_eval x width over hidden layers and outputs. */
static mech_status max_rep(mech_probe *p, size_t *count, size_t *total)
{
    size_t m = p->out_dim, t = p->out_dim;
    for (size_t l = 0; l < probe_n_hidden(p); l++) {
        size_t w = 0;
        MECH_TRY(probe_layer_width(p, l, &w));
        m = w > m ? w : m;
        t += w;
    }
    MECH_TRY(mech__mul(m, p->n_eval, count, &p->err));
    return mech__mul(t, p->n_eval, total, &p->err);
}

static double rms(const double *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * a[i];
    return sqrt(s / (double)n);
}

static double rms_diff(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s / (double)n);
}

/* ---------------- coordinate check ---------------- */

mech_status mech__probe_activations_ref(mech_probe *p)
{
    size_t count = 0, total = 0, w = 0;
    double *ref = NULL;
    MECH_TRY(max_rep(p, &count, &total));
    MECH_TRY(probe_buf(p, 1, total, &ref));
    for (size_t l = 0, at = 0; l <= probe_n_hidden(p); l++, at += w * p->n_eval)
        MECH_TRY(layer_or_output(p, l, ref + at, &w));
    return MECH_OK;
}

mech_status mech__probe_activations(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    if (in->way == PROBE_ARRAYS) {
        const size_t n = in->ra * in->ca;
        if (in->b && in->rb * in->cb != n)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (activations): reference has %zu entries, a %zu",
                              in->rb * in->cb, n);
        MECH_TRY(probe_out(p, rms(in->a, n), "rms"));
        return probe_out(p, in->b ? rms_diff(in->a, in->b, n) : NAN, "delta_rms");
    }
    size_t count = 0, total = 0, w = 0;
    double *h = NULL;
    MECH_TRY(max_rep(p, &count, &total));
    MECH_TRY(probe_buf(p, 0, count, &h));
    const size_t nh = probe_n_hidden(p);
    for (size_t l = 0, at = 0; l <= nh; l++, at += w * p->n_eval) {
        double r = NAN, d = NAN;
        if (in->dry && l == nh) {
            w = p->out_dim;
        } else if (in->dry) {
            MECH_TRY(probe_layer_width(p, l, &w));
        } else {
            MECH_TRY(layer_or_output(p, l, h, &w));
            r = rms(h, w * p->n_eval);
            d = rms_diff(h, p->buf[1] + at, w * p->n_eval);
        }
        if (l == nh) {
            MECH_TRY(probe_out(p, r, "rms_out"));
            MECH_TRY(probe_out(p, d, "delta_rms_out"));
        } else {
            MECH_TRY(probe_out(p, r, "rms%zu", l));
            MECH_TRY(probe_out(p, d, "delta_rms%zu", l));
        }
    }
    return MECH_OK;
}

/* The representation at option `opt` (LAYER) into slot `slot`. */
static mech_status rep(mech_probe *p, const probe_in *in, int64_t opt, int slot, double **h,
                       size_t *width)
{
    size_t l = 0, c = 0;
    MECH_TRY(probe_hidden_layer(p, opt, &l));
    MECH_TRY(probe_layer_width(p, l, width));
    MECH_TRY(mech__mul(*width, p->n_eval, &c, &p->err));
    MECH_TRY(probe_buf(p, slot, c, h));
    return in->dry ? MECH_OK : probe_activations(p, l, *h);
}

/* ---------------- effective rank ---------------- */

mech_status mech__probe_effective_rank(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    const double *a = in->a;
    size_t n = in->ra, w = in->ca;
    mech_spectrum_result r = {.size = sizeof r, .participation_ratio = NAN,
                              .entropy_rank = NAN, .stable_rank = NAN};
    bool compute = true;
    if (in->way == PROBE_MODEL) {
        double *h = NULL;
        MECH_TRY(rep(p, in, probe_i(p, MECH_PROBE_LAYER), 0, &h, &w));
        a = h;
        n = p->n_eval;
        compute = !in->dry;
    }
    if (compute)
        MECH_TRY(mech__adopt(&p->err, mech_matrix_spectrum(p->ctx, a, n, w, true, NULL, &r)));
    MECH_TRY(probe_out(p, r.participation_ratio, "participation_ratio"));
    MECH_TRY(probe_out(p, r.entropy_rank, "entropy_rank"));
    return probe_out(p, r.stable_rank, "stable_rank");
}

/* ---------------- CKA ---------------- */

mech_status mech__probe_cka_ref(mech_probe *p)
{
    double *h = NULL;
    size_t w = 0;
    const probe_in in = {.way = PROBE_MODEL};
    return rep(p, &in, probe_i(p, MECH_PROBE_LAYER), 1, &h, &w);
}

mech_status mech__probe_cka(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    double v = NAN;
    if (in->way == PROBE_ARRAYS) {
        if (!in->b || in->rb != in->ra)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (cka): b must have the %zu rows of a", in->ra);
        MECH_TRY(mech__adopt(&p->err, mech_cka(p->ctx, in->a, in->ra, in->ca, in->b, in->cb,
                                               MECH_HSIC_BIASED, &v)));
        return probe_out(p, v, "cka");
    }
    double *a = NULL, *b = NULL;
    size_t wa = 0, wb = 0;
    MECH_TRY(rep(p, in, probe_i(p, MECH_PROBE_LAYER), 0, &a, &wa));
    if (probe_i(p, MECH_PROBE_LAYER_B) >= 0) {
        MECH_TRY(rep(p, in, probe_i(p, MECH_PROBE_LAYER_B), 2, &b, &wb));
    } else {
        b = p->buf[1];
        wb = wa;
    }
    if (!in->dry)
        MECH_TRY(mech__adopt(&p->err, mech_cka(p->ctx, a, p->n_eval, wa, b, wb,
                                               MECH_HSIC_BIASED, &v)));
    return probe_out(p, v, "cka");
}

/* ---------------- empirical NTK ---------------- */

static mech_status ntk_size(mech_probe *p, size_t *m, size_t *mm)
{
    MECH_TRY(mech__mul(p->n_eval, p->out_dim, m, &p->err));
    return mech__mul(*m, *m, mm, &p->err);
}

mech_status mech__probe_ntk_ref(mech_probe *p)
{
    size_t m = 0, mm = 0;
    double *k0 = NULL;
    MECH_TRY(ntk_size(p, &m, &mm));
    MECH_TRY(probe_buf(p, 1, mm, &k0));
    return mech__adopt(&p->err, mech_model_ntk(p->model, p->x, p->n_eval, p->x, p->n_eval, k0));
}

mech_status mech__probe_ntk(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    double align = NAN;
    if (in->way == PROBE_ARRAYS) {
        if (in->ra != in->ca || !in->b || in->rb != in->ra)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (ntk): a must be an n x n kernel and b n x c targets");
        MECH_TRY(mech__adopt(&p->err, mech_kernel_target_alignment(p->ctx, in->a, in->ra, in->b,
                                                                   in->cb, true, &align)));
        return probe_out(p, align, "alignment");
    }
    size_t m = 0, mm = 0;
    double *k = NULL, dist = NAN, tr = NAN;
    MECH_TRY(ntk_size(p, &m, &mm));
    MECH_TRY(probe_vec(p, "ntk", mm, &k));
    if (!in->dry) {
        MECH_TRY(mech__adopt(&p->err, mech_model_ntk(p->model, p->x, p->n_eval, p->x, p->n_eval, k)));
        /* y flattened example-major matches K's (example, output) index */
        MECH_TRY(mech__adopt(&p->err, mech_kernel_target_alignment(p->ctx, k, m, p->y, 1, true,
                                                                   &align)));
        MECH_TRY(mech__adopt(&p->err, mech_kernel_distance(k, p->buf[1], m, &dist)));
        tr = 0;
        for (size_t i = 0; i < m; i++) tr += k[i * m + i];
        tr /= (double)p->n_eval;
    }
    MECH_TRY(probe_out(p, align, "alignment"));
    MECH_TRY(probe_out(p, dist, "distance"));
    return probe_out(p, tr, "trace");
}

/* ---------------- neural collapse ---------------- */

static size_t n_classes_of(const int64_t *labels, size_t n)
{
    int64_t m = 0;
    for (size_t i = 0; i < n; i++) m = labels[i] > m ? labels[i] : m;
    return (size_t)m + 1;
}

static mech_status nc_outputs(mech_probe *p, const mech_neural_collapse_result *r)
{
    MECH_TRY(probe_out(p, r->nc1, "nc1"));
    MECH_TRY(probe_out(p, r->equinorm, "equinorm"));
    MECH_TRY(probe_out(p, r->cos_mean, "cos_mean"));
    MECH_TRY(probe_out(p, r->equiangular_mean, "equiangular_mean"));
    MECH_TRY(probe_out(p, r->equiangular_max, "equiangular_max"));
    MECH_TRY(probe_out(p, r->nc3, "nc3"));
    return probe_out(p, r->nc4, "nc4");
}

mech_status mech__probe_collapse(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    mech_neural_collapse_result r = {.size = sizeof r, .nc1 = NAN, .equinorm = NAN,
                                     .cos_mean = NAN, .equiangular_mean = NAN,
                                     .equiangular_max = NAN, .nc3 = NAN, .nc4 = NAN};
    if (in->way == PROBE_ARRAYS) {
        if (!in->labels)
            return mech__fail(&p->err, MECH_EINVAL, "mech_probe (neural_collapse): needs labels");
        size_t c = n_classes_of(in->labels, in->ra);
        if (in->b && (in->cb != in->ca || in->rb < c))
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (neural_collapse): classifier must be C x %zu, C >= %zu",
                              in->ca, c);
        if (in->b) c = in->rb;
        MECH_TRY(mech__adopt(&p->err, mech_neural_collapse(p->ctx, in->a, in->ra, in->ca,
                                                           in->labels, c, in->b, NULL, &r)));
        return nc_outputs(p, &r);
    }
    double *h = NULL, *w = NULL, *bias = NULL;
    size_t width = 0;
    MECH_TRY(rep(p, in, -1, 0, &h, &width));
    const size_t last = p->n_layers - 1;
    const bool classifier = p->out_dim == p->n_classes;
    size_t boff = SIZE_MAX;
    MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, last, NULL, NULL, NULL, &boff)));
    MECH_TRY(probe_buf(p, 2, p->out_dim * width, &w));
    MECH_TRY(probe_buf(p, 3, p->out_dim, &bias));
    if (in->dry) return nc_outputs(p, &r);
    if (classifier) {
        double wm = 1, bm = 1;
        MECH_TRY(mech__adopt(&p->err, mech_model_layer_multipliers(p->model, last, &wm, &bm)));
        MECH_TRY(mech__adopt(&p->err, mech_model_get_layer_weights(p->model, last, w,
                                                                  p->out_dim * width)));
        for (size_t i = 0; i < p->out_dim * width; i++) w[i] *= wm;
        if (boff != SIZE_MAX) {
            MECH_TRY(mech__adopt(&p->err, mech_model_get_params(p->model, p->theta, p->n_params)));
            for (size_t o = 0; o < p->out_dim; o++) bias[o] = bm * p->theta[boff + o];
        }
    }
    MECH_TRY(mech__adopt(&p->err, mech_neural_collapse(
                                      p->ctx, h, p->n_eval, width, p->labels, p->n_classes,
                                      classifier ? w : NULL,
                                      classifier && boff != SIZE_MAX ? bias : NULL, &r)));
    return nc_outputs(p, &r);
}

/* ---------------- neural feature ansatz ---------------- */

/* Input gradients of every (example, output) as rows of g (n out x d):
 * dF/dx = W_0^T (G x) / |x|^2 with G the gradient of F w.r.t. W_0. */
static mech_status input_gradients(mech_probe *p, size_t off, const double *w0, size_t k,
                                   size_t d, double *g)
{
    for (size_t i = 0; i < p->n_eval; i++) {
        const double *x = p->x + i * d;
        double xx = 0;
        for (size_t j = 0; j < d; j++) xx += x[j] * x[j];
        if (!(xx > 0))
            return mech__fail(&p->err, MECH_ERANGE,
                              "mech_probe (nfa): evaluation input %zu is zero", i);
        for (size_t o = 0; o < p->out_dim; o++) {
            memset(p->ob1, 0, p->out_dim * sizeof *p->ob1);
            p->ob1[o] = 1;
            MECH_TRY(mech__adopt(&p->err, mech_model_vjp(p->model, x, 1, p->ob1, p->t2)));
            const double *gw = p->t2 + off;
            double *row = g + (i * p->out_dim + o) * d;
            memset(row, 0, d * sizeof *row);
            for (size_t r = 0; r < k; r++) {
                double gx = 0;
                for (size_t j = 0; j < d; j++) gx += gw[r * d + j] * x[j];
                for (size_t j = 0; j < d; j++) row[j] += w0[r * d + j] * gx / xx;
            }
        }
    }
    return MECH_OK;
}

mech_status mech__probe_nfa(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    double pearson = NAN, cosine = NAN;
    const double *w0 = in->a, *g = in->b;
    size_t k = in->ra, d = in->ca, n = in->rb;
    double *agop = NULL;
    if (in->way == PROBE_ARRAYS) {
        if (!in->b || in->cb != in->ca)
            return mech__fail(&p->err, MECH_ESHAPE,
                              "mech_probe (nfa): b must be input gradients with %zu columns", d);
    } else {
        size_t off = 0;
        MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, 0, &off, &k, &d, NULL)));
        if (off == SIZE_MAX || probe_n_hidden(p) == 0)
            return mech__fail(&p->err, MECH_EUNSUPPORTED,
                              "mech_probe (nfa): needs a trainable first layer and a hidden layer");
        double *wb = NULL, *gb = NULL;
        n = p->n_eval * p->out_dim;
        MECH_TRY(probe_buf(p, 0, k * d, &wb));
        MECH_TRY(probe_buf(p, 2, n * d, &gb));
        if (!in->dry) {
            MECH_TRY(mech__adopt(&p->err, mech_model_get_layer_weights(p->model, 0, wb, k * d)));
            MECH_TRY(input_gradients(p, off, wb, k, d, gb));
        }
        w0 = wb;
        g = gb;
    }
    MECH_TRY(probe_buf(p, 3, d * d, &agop));
    if (in->way == PROBE_ARRAYS || !in->dry) {
        MECH_TRY(mech__adopt(&p->err, mech_agop(p->ctx, g, n, d, agop)));
        MECH_TRY(mech__adopt(&p->err, mech_nfa_correlation(p->ctx, w0, k, d, agop, &pearson,
                                                           &cosine)));
    }
    MECH_TRY(probe_out(p, pearson, "pearson"));
    return probe_out(p, cosine, "cosine");
}

/* ---------------- per-unit views ---------------- */

/* Unit u of the list (the set units, or the first UNIT_COUNT). */
static size_t unit_count(const mech_probe *p, size_t width)
{
    if (p->units) return p->n_units;
    const size_t c = (size_t)probe_i(p, MECH_PROBE_UNIT_COUNT);
    return c < width ? c : width;
}

static size_t unit_at(const mech_probe *p, size_t i) { return p->units ? p->units[i] : i; }

static mech_status unit_stats(mech_probe *p, const double *h, size_t n, size_t width, size_t u,
                              bool dry)
{
    double m = NAN, sd = NAN, act = NAN;
    if (!dry) {
        m = 0;
        act = 0;
        for (size_t i = 0; i < n; i++) {
            m += h[i * width + u];
            act += h[i * width + u] > 0;
        }
        m /= (double)n;
        double v = 0;
        for (size_t i = 0; i < n; i++) v += (h[i * width + u] - m) * (h[i * width + u] - m);
        sd = sqrt(v / (double)n);
        act /= (double)n;
    }
    MECH_TRY(probe_out(p, m, "u%zu.mean", u));
    MECH_TRY(probe_out(p, sd, "u%zu.std", u));
    return probe_out(p, act, "u%zu.active", u);
}

static mech_status check_units(mech_probe *p, size_t width)
{
    for (size_t i = 0; i < unit_count(p, width); i++)
        if (unit_at(p, i) >= width)
            return mech__fail(&p->err, MECH_ERANGE, "mech_probe (units): unit %zu >= width %zu",
                              unit_at(p, i), width);
    return MECH_OK;
}

mech_status mech__probe_units(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    if (in->way == PROBE_ARRAYS) {
        MECH_TRY(check_units(p, in->ca));
        for (size_t i = 0; i < unit_count(p, in->ca); i++)
            MECH_TRY(unit_stats(p, in->a, in->ra, in->ca, unit_at(p, i), false));
        return MECH_OK;
    }
    size_t l = 0, width = 0, r1 = 0, c1 = 0, r2 = 0, c2 = 0;
    double *h = NULL, *win = NULL, *wout = NULL;
    MECH_TRY(probe_hidden_layer(p, probe_i(p, MECH_PROBE_LAYER), &l));
    MECH_TRY(rep(p, in, (int64_t)l, 0, &h, &width));
    MECH_TRY(check_units(p, width));
    MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, l, NULL, &r1, &c1, NULL)));
    MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, l + 1, NULL, &r2, &c2, NULL)));
    MECH_TRY(probe_buf(p, 2, r1 * c1, &win));
    MECH_TRY(probe_buf(p, 3, r2 * c2, &wout));
    if (!in->dry) {
        MECH_TRY(mech__adopt(&p->err, mech_model_get_layer_weights(p->model, l, win, r1 * c1)));
        MECH_TRY(mech__adopt(&p->err, mech_model_get_layer_weights(p->model, l + 1, wout, r2 * c2)));
    }
    for (size_t i = 0; i < unit_count(p, width); i++) {
        const size_t u = unit_at(p, i);
        MECH_TRY(unit_stats(p, h, p->n_eval, width, u, in->dry));
        double a = 0, b = 0;
        for (size_t j = 0; j < c1; j++) a += win[u * c1 + j] * win[u * c1 + j];
        for (size_t r = 0; r < r2; r++) b += wout[r * c2 + u] * wout[r * c2 + u];
        const double nan_or = in->dry ? NAN : 0;
        MECH_TRY(probe_out(p, nan_or + sqrt(a), "u%zu.w_in", u));
        MECH_TRY(probe_out(p, nan_or + sqrt(b), "u%zu.w_out", u));
        MECH_TRY(probe_out(p, nan_or + win[u * c1], "u%zu.w0", u));
    }
    return MECH_OK;
}

/* ---------------- information plane ---------------- */

static mech_status info(mech_probe *p, const double *t, size_t n, size_t w,
                        const int64_t *labels, size_t c, bool dry, const char *suffix)
{
    mech_information_plane b = {.size = sizeof b, .i_xt = NAN, .i_ty = NAN};
    mech_information_plane k = b;
    const double var = probe_f(p, MECH_PROBE_KDE_VAR);
    if (!dry) {
        MECH_TRY(mech__adopt(&p->err, mech_information_plane_binned(
                                          t, n, w, labels, c,
                                          (size_t)probe_i(p, MECH_PROBE_N_BINS), &b)));
        if (var > 0)
            MECH_TRY(mech__adopt(&p->err,
                                 mech_information_plane_kde(p->ctx, t, n, w, labels, c, var, &k)));
    }
    MECH_TRY(probe_out(p, b.i_xt, "i_xt%s", suffix));
    MECH_TRY(probe_out(p, b.i_ty, "i_ty%s", suffix));
    MECH_TRY(probe_out(p, k.i_xt, "kde_i_xt%s", suffix));
    return probe_out(p, k.i_ty, "kde_i_ty%s", suffix);
}

mech_status mech__probe_info_plane(mech_probe *p, const probe_in *in)
{
    MECH_TRY(not_operator(p, in));
    if (in->way == PROBE_ARRAYS)
        return info(p, in->a, in->ra, in->ca, in->labels,
                    in->labels ? n_classes_of(in->labels, in->ra) : 0, false, "");
    size_t count = 0, total = 0, w = 0;
    double *h = NULL;
    MECH_TRY(max_rep(p, &count, &total));
    MECH_TRY(probe_buf(p, 0, count, &h));
    const size_t nh = probe_n_hidden(p);
    for (size_t l = 0; l <= nh; l++) {
        char suffix[24] = "_out";
        if (l < nh) snprintf(suffix, sizeof suffix, "%zu", l);
        if (!in->dry) MECH_TRY(layer_or_output(p, l, h, &w));
        else if (l < nh) MECH_TRY(probe_layer_width(p, l, &w));
        else w = p->out_dim;
        MECH_TRY(info(p, h, p->n_eval, w, p->labels, p->n_classes, in->dry, suffix));
    }
    return MECH_OK;
}
