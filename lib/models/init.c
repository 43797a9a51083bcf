/* Parameter initialization (MECH_MODEL_INIT), drawn in double from the
 * model's own generator (context seed, model stream, child
 * MECH_MODEL_INIT_STREAM, then one child per layer, so a layer's draw
 * does not depend on the sizes of the others) and rounded to the model's
 * precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mechanics/linalg.h"
#include "model_internal.h"

/* Stream of the model initializations under the context seed ("model"). */
#define MODEL_STREAM UINT64_C(0x6d6f64656c)

static double opt_f(const mech_model *m, mech_model_opt k) { return m->opt[k].f; }

/* Writes n doubles to the parameter store (theta or frozen) at off. */
static void store(mech_model *m, bool trainable, size_t off, const double *src, size_t n)
{
    void *base = trainable ? m->theta : m->frozen;
    if (m->f32)
        for (size_t i = 0; i < n; i++) ((float *)base)[off + i] = (float)src[i];
    else
        memcpy((double *)base + off, src, n * sizeof *src);
}

/* W = scale * polar factor of a Gaussian matrix: orthonormal rows or
 * columns, Haar distributed. buf holds rows*cols + min*(rows+cols+1). */
static mech_status orthogonal(mech_model *m, mech_rng *rng, size_t rows, size_t cols,
                              double scale, double *w, double *buf)
{
    const size_t k = rows < cols ? rows : cols;
    double *g = buf, *s = g + rows * cols, *u = s + k, *vt = u + rows * k;
    MECH_TRY(mech__adopt(&m->err, mech_rng_normal(rng, g, rows * cols, 0, 1)));
    MECH_TRY(mech__adopt(&m->err, mech_svd(m->ctx, rows, cols, g, cols, s, u, vt)));
    return mech__adopt(&m->err, mech_gemm(m->ctx, false, false, rows, cols, k, scale, u, k,
                                          vt, cols, 0, w, cols));
}

/* Balanced factorization of U diag(s) Vt (U out x r, Vt r x in) over the
 * layers, in effective weights (divided by each layer's multiplier). */
static void balanced(mech_model *m, const double *u, const double *s, const double *vt,
                     size_t r, double *all)
{
    const size_t L = m->n_layers;
    for (size_t l = 0; l < L; l++) {
        const mech__layer *Y = &m->layers[l];
        double *w = all + Y->w_off;
        memset(w, 0, Y->rows * Y->cols * sizeof *w);
        for (size_t i = 0; i < Y->rows; i++)
            for (size_t j = 0; j < Y->cols; j++) {
                double v = 0;
                if (L == 1) {
                    for (size_t a = 0; a < r; a++) v += u[i * r + a] * s[a] * vt[a * Y->cols + j];
                } else if (l == 0) {
                    v = i < r ? pow(s[i], 1.0 / (double)L) * vt[i * Y->cols + j] : 0;
                } else if (l + 1 == L) {
                    v = j < r ? u[i * r + j] * pow(s[j], 1.0 / (double)L) : 0;
                } else {
                    v = (i == j && i < r) ? pow(s[i], 1.0 / (double)L) : 0;
                }
                w[i * Y->cols + j] = Y->w_mult != 0 ? v / Y->w_mult : v;
            }
    }
}

/* BALANCED (Gaussian end-to-end matrix) or ALIGNED (set_alignment). */
static mech_status init_balanced(mech_model *m, mech_rng *rng, double *all)
{
    const size_t in = m->in_dim, out = m->out_dim, scale_r = in < out ? in : out;
    const double sc = opt_f(m, MECH_MODEL_INIT_SCALE);
    const bool aligned = m->opt[MECH_MODEL_INIT].i == MECH_INIT_ALIGNED;
    const size_t r = aligned ? m->align_rank : scale_r;
    double *buf = mech__calloc(in * out + r * (in + out + 1), sizeof *buf, &m->err);
    if (!buf) return MECH_ENOMEM;
    double *a = buf, *s = a + in * out, *u = s + r, *vt = u + out * r;
    mech_status st = MECH_OK;
    if (aligned) {
        memcpy(u, m->align_u, out * r * sizeof *u);
        for (size_t k = 0; k < r; k++) {
            s[k] = sc;
            for (size_t j = 0; j < in; j++) vt[k * in + j] = m->align_v[j * r + k];
        }
    } else {
        st = mech__adopt(&m->err, mech_rng_normal(rng, a, in * out, 0, sc / sqrt((double)in)));
        if (st == MECH_OK) st = mech__adopt(&m->err, mech_svd(m->ctx, out, in, a, in, s, u, vt));
    }
    if (st == MECH_OK) balanced(m, u, s, vt, r, all);
    free(buf);
    return st;
}

/* One layer of the Gaussian / small / orthogonal / committee inits. */
static mech_status init_layer(mech_model *m, mech_rng *rng, const mech__layer *L, double *w,
                              double *b, double *buf)
{
    const double sc = opt_f(m, MECH_MODEL_INIT_SCALE);
    const int64_t init = m->opt[MECH_MODEL_INIT].i;
    const size_t n = L->rows * L->cols;
    if (m->kind == MECH_MODEL_COMMITTEE && L->role == MECH_ROLE_OUTPUT && !L->trainable) {
        for (size_t i = 0; i < n; i++) w[i] = 1.0; /* fixed second layer v_k = 1 */
        return MECH_OK;
    }
    double wsd = sc * sqrt(L->w_var), bsd = sc * sqrt(L->b_var);
    if (init == MECH_INIT_SMALL || m->kind == MECH_MODEL_COMMITTEE) wsd = sc, bsd = 0;
    if (init == MECH_INIT_ORTHOGONAL) {
        const double big = (double)(L->rows > L->cols ? L->rows : L->cols);
        MECH_TRY(orthogonal(m, rng, L->rows, L->cols, wsd * sqrt(big), w, buf));
    } else {
        MECH_TRY(mech__adopt(&m->err, mech_rng_normal(rng, w, n, 0, wsd)));
    }
    if (b) MECH_TRY(mech__adopt(&m->err, mech_rng_normal(rng, b, L->rows, 0, bsd)));
    return MECH_OK;
}

mech_status mech__model_init_params(mech_model *m)
{
    const size_t total = m->n_params + m->n_frozen;
    if (m->kind == MECH_MODEL_DIAGONAL) {
        /* w+ = w- = alpha: beta(0) = 0 (Woodworth et al. 2020). */
        double *w = mech__calloc(total, sizeof *w, &m->err);
        if (!w) return MECH_ENOMEM;
        for (size_t i = 0; i < total; i++) w[i] = opt_f(m, MECH_MODEL_INIT_SCALE);
        store(m, true, 0, w, total);
        free(w);
        return MECH_OK;
    }
    mech_rng *base = NULL, *root = NULL;
    MECH_TRY(mech__adopt(&m->err, mech_rng_create(&base, m->ctx, MODEL_STREAM)));
    mech_status rs = mech__adopt(&m->err, mech_rng_split(base, (uint64_t)m->opt[MECH_MODEL_INIT_STREAM].i, &root));
    mech_rng_destroy(base);
    MECH_TRY(rs);
    size_t big = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        const mech__layer *L = &m->layers[l];
        size_t k = L->rows < L->cols ? L->rows : L->cols;
        size_t need = 2 * L->rows * L->cols + L->rows + k * (L->rows + L->cols + 1);
        if (need > big) big = need;
    }
    double *buf = mech__calloc(big, sizeof *buf, &m->err);
    double *all = m->opt[MECH_MODEL_INIT].i == MECH_INIT_BALANCED ||
                          m->opt[MECH_MODEL_INIT].i == MECH_INIT_ALIGNED
                      ? mech__calloc(total, sizeof *all, &m->err)
                      : NULL;
    mech_status st = buf ? MECH_OK : MECH_ENOMEM;
    if (st == MECH_OK && all) {
        st = init_balanced(m, root, all);
        for (size_t l = 0; st == MECH_OK && l < m->n_layers; l++) {
            const mech__layer *L = &m->layers[l];
            store(m, L->trainable, L->w_off, all + L->w_off, L->rows * L->cols);
        }
    }
    for (size_t l = 0; st == MECH_OK && !all && l < m->n_layers; l++) {
        const mech__layer *L = &m->layers[l];
        mech_rng *rng = NULL;
        st = mech__adopt(&m->err, mech_rng_split(root, l, &rng));
        double *w = buf, *b = L->b_off != SIZE_MAX ? buf + L->rows * L->cols : NULL;
        if (st == MECH_OK) st = init_layer(m, rng, L, w, b, b ? b + L->rows : w + L->rows * L->cols);
        if (st == MECH_OK) {
            store(m, L->trainable, L->w_off, w, L->rows * L->cols);
            if (b) store(m, L->trainable, L->b_off, b, L->rows);
        }
        mech_rng_destroy(rng);
    }
    free(all);
    free(buf);
    mech_rng_destroy(root);
    return st;
}
