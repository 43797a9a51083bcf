/* The probe handle: options, outputs, and the three ways in (model,
 * operator, arrays) dispatched to the kind functions of probe_*.c. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim/optim_internal.h"
#include "probe_internal.h"

/* The probe's own error slot (readers take a const handle). */
#define PROBE_ERR ((mech_err *)&p->err)

#define PROBE_STREAM UINT64_C(0x70726f6265) /* "probe" */
#define I64_MAX_D 9.2233720368547758e18

static const mech_optdesc PROBE_OPTS[MECH_PROBE_NOPTS] = {
    [MECH_PROBE_K] = {"k", MECH_OPT_I64, 1, I64_MAX_D, 1, NULL, "eigenpairs wanted"},
    [MECH_PROBE_TOL] = {"tol", MECH_OPT_F64, 1e-15, 1, 1e-10, NULL,
                        "Lanczos relative residual tolerance"},
    [MECH_PROBE_MAX_RESTARTS] = {"max_restarts", MECH_OPT_I64, 0, I64_MAX_D, 500, NULL,
                                 "Lanczos restarts per measurement"},
    [MECH_PROBE_N_PROBES] = {"n_probes", MECH_OPT_I64, 1, I64_MAX_D, 30, NULL,
                             "Hutchinson / SLQ random probes"},
    [MECH_PROBE_SKETCH] = {"sketch", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                           "Hutch++ sketch size (0: plain Hutchinson)"},
    [MECH_PROBE_SLQ_STEPS] = {"slq_steps", MECH_OPT_I64, 1, I64_MAX_D, 30, NULL,
                              "Lanczos steps per SLQ probe"},
    [MECH_PROBE_LAYER] = {"layer", MECH_OPT_I64, -1, I64_MAX_D, -1, NULL,
                          "representation layer (-1: last hidden)"},
    [MECH_PROBE_LAYER_B] = {"layer_b", MECH_OPT_I64, -1, I64_MAX_D, -1, NULL,
                            "second CKA layer (-1: the first layer at attach)"},
    [MECH_PROBE_N_BINS] = {"n_bins", MECH_OPT_I64, 1, I64_MAX_D, 30, NULL,
                           "information-plane bins"},
    [MECH_PROBE_KDE_VAR] = {"kde_var", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                            "information-plane KDE noise variance (0: off)"},
    [MECH_PROBE_MIN_TAIL] = {"min_tail", MECH_OPT_I64, 0, I64_MAX_D, 0, NULL,
                             "power-law tail size (0: 10)"},
    [MECH_PROBE_UNIT_COUNT] = {"unit_count", MECH_OPT_I64, 1, I64_MAX_D, 4, NULL,
                               "units viewed when none are set"},
    [MECH_PROBE_SMALL_BATCH] = {"small_batch", MECH_OPT_I64, 1, I64_MAX_D, 1, NULL,
                                "noise scale: small batch size"},
    [MECH_PROBE_BIG_BATCH] = {"big_batch", MECH_OPT_I64, 2, I64_MAX_D, 64, NULL,
                              "noise scale: big batch size"},
    [MECH_PROBE_N_BATCHES] = {"n_batches", MECH_OPT_I64, 1, I64_MAX_D, 100, NULL,
                              "noise scale: batches per size"},
    [MECH_PROBE_DENSITY_POINTS] = {"density_points", MECH_OPT_I64, 2, I64_MAX_D, 200, NULL,
                                   "spectral density grid points"},
    [MECH_PROBE_DENSITY_SIGMA] = {"density_sigma", MECH_OPT_F64, 0, DBL_MAX, 0, NULL,
                                  "spectral density kernel width (0: auto)"},
    [MECH_PROBE_NAME] = {"name", MECH_OPT_STR, NAN, NAN, 0, NULL,
                         "trace column prefix (default: the kind's name)"},
    [MECH_PROBE_WHICH] = {"which", MECH_OPT_I64, 0, MECH_LANCZOS_MAGNITUDE,
                          MECH_LANCZOS_LARGEST, NULL,
                          "spectrum end: largest, smallest, magnitude"},
    [MECH_PROBE_WARM_START] = {"warm_start", MECH_OPT_I64, 0, 1, 1, NULL,
                               "Lanczos warm start between measurements"},
    [MECH_PROBE_ARRAY_LOSS] = {"array_loss", MECH_OPT_I64, 0, MECH_LOSS_LOGISTIC, MECH_LOSS_MSE, NULL,
                         "loss of the arrays way of the loss probe (mech_loss)"},
};

const mech_opttable mech__probe_opts = {MECH_KIND_PROBE, PROBE_OPTS, MECH_PROBE_NOPTS};

typedef mech_status (*probe_fn)(mech_probe *p, const probe_in *in);

static const struct {
    const char *name;
    probe_fn fn;
} KINDS[] = {
    [MECH_PROBE_LOSS] = {"loss", mech__probe_loss},
    [MECH_PROBE_MODE_ERROR] = {"mode_error", mech__probe_mode_error},
    [MECH_PROBE_GRAD_NORM] = {"grad_norm", mech__probe_grad_norm},
    [MECH_PROBE_SHARPNESS] = {"sharpness", mech__probe_hessian},
    [MECH_PROBE_HESSIAN_TRACE] = {"hessian_trace", mech__probe_hessian},
    [MECH_PROBE_HESSIAN_DENSITY] = {"hessian_density", mech__probe_hessian},
    [MECH_PROBE_PRECOND_SHARPNESS] = {"precond_sharpness", mech__probe_hessian},
    [MECH_PROBE_GAUSS_NEWTON] = {"gauss_newton", mech__probe_hessian},
    [MECH_PROBE_DISTANCE] = {"distance", mech__probe_distance},
    [MECH_PROBE_NOISE_SCALE] = {"noise_scale", mech__probe_noise_scale},
    [MECH_PROBE_CONSERVATION] = {"conservation", mech__probe_conservation},
    [MECH_PROBE_ACTIVATIONS] = {"activations", mech__probe_activations},
    [MECH_PROBE_EFFECTIVE_RANK] = {"effective_rank", mech__probe_effective_rank},
    [MECH_PROBE_CKA] = {"cka", mech__probe_cka},
    [MECH_PROBE_NTK] = {"ntk", mech__probe_ntk},
    [MECH_PROBE_NEURAL_COLLAPSE] = {"neural_collapse", mech__probe_collapse},
    [MECH_PROBE_NFA] = {"nfa", mech__probe_nfa},
    [MECH_PROBE_WEIGHTS] = {"weights", mech__probe_weights},
    [MECH_PROBE_UNITS] = {"units", mech__probe_units},
    [MECH_PROBE_INFO_PLANE] = {"info_plane", mech__probe_info_plane},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

MECH_API const char *mech_probe_kind_name(mech_probe_kind kind)
{
    return (size_t)kind < N_KINDS ? KINDS[kind].name : "unknown";
}

/* ---------------- outputs ---------------- */

mech_status probe_out(mech_probe *p, double value, const char *fmt, ...)
{
    char name[PROBE_NAME_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    if (p->declaring) {
        if (p->n_out == p->cap_out) {
            const size_t cap = p->cap_out ? 2 * p->cap_out : 16;
            char(*nn)[PROBE_NAME_CAP] = realloc(p->names, cap * sizeof *nn);
            if (!nn) return mech__fail(&p->err, MECH_ENOMEM, "mech_probe: out of memory");
            p->names = nn;
            double *nv = realloc(p->vals, cap * sizeof *nv);
            if (!nv) return mech__fail(&p->err, MECH_ENOMEM, "mech_probe: out of memory");
            p->vals = nv;
            p->cap_out = cap;
        }
        memcpy(p->names[p->n_out], name, sizeof name);
        p->vals[p->n_out++] = value;
        return MECH_OK;
    }
    if (p->cursor >= p->n_out || strcmp(p->names[p->cursor], name) != 0)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe: output '%s' was not declared at attach (re-attach)", name);
    p->vals[p->cursor++] = value;
    return MECH_OK;
}

mech_status probe_vec(mech_probe *p, const char *name, size_t len, double **out)
{
    if (p->declaring) {
        if (p->n_vec == PROBE_MAX_VEC)
            return mech__fail(&p->err, MECH_ERANGE, "mech_probe: more than %d vector outputs",
                              PROBE_MAX_VEC);
        probe_vector *v = &p->vec[p->n_vec];
        if (len > v->cap || !v->v) {
            double *nv = mech__calloc(len ? len : 1, sizeof *nv, &p->err);
            if (!nv) return MECH_ENOMEM;
            free(v->v);
            v->v = nv;
            v->cap = len ? len : 1;
        }
        snprintf(v->name, sizeof v->name, "%s", name);
        v->len = len;
        for (size_t i = 0; i < len; i++) v->v[i] = NAN;
        p->n_vec++;
        *out = v->v;
        return MECH_OK;
    }
    if (p->vcursor >= p->n_vec || strcmp(p->vec[p->vcursor].name, name) != 0 ||
        p->vec[p->vcursor].len != len)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe: vector '%s' was not declared at attach (re-attach)", name);
    *out = p->vec[p->vcursor++].v;
    return MECH_OK;
}

mech_status probe_buf(mech_probe *p, int slot, size_t len, double **out)
{
    if (len > p->buf_len[slot] || !p->buf[slot]) {
        double *b = mech__calloc(len ? len : 1, sizeof *b, &p->err);
        if (!b) return MECH_ENOMEM;
        free(p->buf[slot]);
        p->buf[slot] = b;
        p->buf_len[slot] = len;
    }
    *out = p->buf[slot];
    return MECH_OK;
}

/* ---------------- life cycle and options ---------------- */

MECH_API mech_status mech_probe_create(mech_probe **out, const mech_ctx *ctx,
                                       mech_probe_kind kind)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    if ((size_t)kind >= N_KINDS)
        return mech__fail(NULL, MECH_EINVAL, "mech_probe_create: unknown kind %d", (int)kind);
    mech_probe *p = mech__calloc(1, sizeof *p, NULL);
    if (!p) return MECH_ENOMEM;
    p->ctx = ctx;
    p->kind = kind;
    mech_status st = mech__opt_defaults(&mech__probe_opts, p->o, NULL);
    if (st == MECH_OK) st = mech_rng_create(&p->rng, ctx, PROBE_STREAM);
    if (st < 0) {
        mech_probe_destroy(p);
        return st;
    }
    *out = p;
    return MECH_OK;
}

static void free_attachment(mech_probe *p)
{
    double **arrays[] = {&p->x, &p->y, &p->tx, &p->ty, &p->f, &p->theta, &p->theta0,
                         &p->t1, &p->t2, &p->t3, &p->ob1, &p->ob2, &p->ob3};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        free(*arrays[i]);
        *arrays[i] = NULL;
    }
    free(p->labels);
    p->labels = NULL;
    p->model = NULL;
    p->opt = NULL;
    p->n_eval = p->n_test = 0;
}

MECH_API void mech_probe_destroy(mech_probe *p)
{
    if (!p) return;
    free_attachment(p);
    mech__opt_free(&mech__probe_opts, p->o);
    mech_rng_destroy(p->rng);
    mech_lanczos_destroy(p->lz);
    mech_hutchinson_destroy(p->hu);
    mech_slq_destroy(p->slq);
    free(p->names);
    free(p->vals);
    for (size_t i = 0; i < PROBE_MAX_VEC; i++) free(p->vec[i].v);
    for (int i = 0; i < PROBE_NBUF; i++) free(p->buf[i]);
    free(p->basis);
    free(p->target);
    free(p->units);
    free(p);
}

MECH_API const char *mech_probe_last_error(const mech_probe *p)
{
    return p ? p->err.msg : "";
}

MECH_API mech_status mech_probe_kind_of(const mech_probe *p, mech_probe_kind *kind)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, kind);
    *kind = p->kind;
    return MECH_OK;
}

MECH_API mech_status mech_probe_set_i64(mech_probe *p, mech_probe_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, p);
    return mech__opt_set_i64(&mech__probe_opts, p->o, (int)key, value, &p->err);
}

MECH_API mech_status mech_probe_get_i64(const mech_probe *p, mech_probe_opt key,
                                        int64_t *value)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, value);
    return mech__opt_get_i64(&mech__probe_opts, p->o, (int)key, value, NULL);
}

MECH_API mech_status mech_probe_set_f64(mech_probe *p, mech_probe_opt key, double value)
{
    MECH_CHECK_PTR(NULL, p);
    return mech__opt_set_f64(&mech__probe_opts, p->o, (int)key, value, &p->err);
}

MECH_API mech_status mech_probe_get_f64(const mech_probe *p, mech_probe_opt key,
                                        double *value)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, value);
    return mech__opt_get_f64(&mech__probe_opts, p->o, (int)key, value, NULL);
}

MECH_API mech_status mech_probe_set_str(mech_probe *p, mech_probe_opt key, const char *value)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(&p->err, value);
    if (key == MECH_PROBE_NAME) {
        const size_t len = strlen(value);
        bool ok = len > 0 && len < 64;
        for (size_t i = 0; ok && i < len; i++) {
            const char c = value[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.';
        }
        if (!ok)
            return mech__fail(&p->err, MECH_ERANGE,
                              "mech_probe_set_str: name must be 1-63 letters, digits, '_' or '.'");
    }
    return mech__opt_set_str(&mech__probe_opts, p->o, (int)key, value, &p->err);
}

MECH_API mech_status mech_probe_get_str(const mech_probe *p, mech_probe_opt key,
                                        const char **value)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, value);
    MECH_TRY(mech__opt_get_str(&mech__probe_opts, p->o, (int)key, value, NULL));
    if (key == MECH_PROBE_NAME && (!*value || !**value)) *value = mech_probe_kind_name(p->kind);
    return MECH_OK;
}

/* ---------------- caller inputs ---------------- */

static mech_status copy_input(mech_probe *p, const double *src, size_t n, size_t k,
                              const char *fn, double **dst)
{
    MECH_CHECK_PTR(&p->err, src);
    if (n == 0 || k == 0) return mech__fail(&p->err, MECH_EINVAL, "%s: zero size", fn);
    size_t count = 0;
    MECH_TRY(mech__mul(n, k, &count, &p->err));
    MECH_TRY(mech__check_finite(src, count, fn, &p->err));
    double *c = mech__calloc(count, sizeof *c, &p->err);
    if (!c) return MECH_ENOMEM;
    memcpy(c, src, count * sizeof *c);
    free(*dst);
    *dst = c;
    return MECH_OK;
}

MECH_API mech_status mech_probe_set_basis(mech_probe *p, const double *vecs, size_t n,
                                          size_t k)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_TRY(copy_input(p, vecs, n, k, "mech_probe_set_basis", &p->basis));
    p->basis_n = n;
    p->basis_k = k;
    return MECH_OK;
}

MECH_API mech_status mech_probe_set_target(mech_probe *p, const double *w, size_t rows,
                                           size_t cols)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_TRY(copy_input(p, w, rows, cols, "mech_probe_set_target", &p->target));
    p->target_rows = rows;
    p->target_cols = cols;
    return MECH_OK;
}

MECH_API mech_status mech_probe_set_units(mech_probe *p, const size_t *units, size_t n)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(&p->err, units);
    MECH_CHECK_NONZERO(&p->err, n);
    size_t *c = mech__calloc(n, sizeof *c, &p->err);
    if (!c) return MECH_ENOMEM;
    memcpy(c, units, n * sizeof *c);
    free(p->units);
    p->units = c;
    p->n_units = n;
    return MECH_OK;
}

/* ---------------- measuring ---------------- */

mech_status mech__probe_restart(mech_probe *p)
{
    if (!p->model) return MECH_OK;
    MECH_TRY(mech__adopt(&p->err, mech_model_get_params(p->model, p->theta0, p->n_params)));
    if (p->kind == MECH_PROBE_DISTANCE && p->buf[0]) /* "previous" = the new init */
        memcpy(p->buf[0], p->theta0, p->n_params * sizeof *p->theta0);
    return mech__probe_reference(p);
}

mech_status mech__probe_reference(mech_probe *p)
{
    switch (p->kind) {
    case MECH_PROBE_CONSERVATION: return mech__probe_conservation_ref(p);
    case MECH_PROBE_ACTIVATIONS: return mech__probe_activations_ref(p);
    case MECH_PROBE_CKA: return mech__probe_cka_ref(p);
    case MECH_PROBE_NTK: return mech__probe_ntk_ref(p);
    default: return MECH_OK; /* DISTANCE: theta0, recorded at attach */
    }
}

/* Runs the kind function; declare resets the output lists first. */
static mech_status run_kind(mech_probe *p, const probe_in *in, bool declare)
{
    p->declaring = declare;
    p->measured = false;
    if (declare) {
        p->n_out = 0;
        p->n_vec = 0;
    }
    p->cursor = 0;
    p->vcursor = 0;
    mech_status st = KINDS[p->kind].fn(p, in);
    p->declaring = false;
    if (st == MECH_OK || st == MECH_ENOCONV || st == MECH_STOPPED) p->measured = !in->dry;
    if (declare && st < 0 && st != MECH_ENOCONV) p->n_out = p->n_vec = 0;
    return st;
}

static mech_status copy_set(mech_probe *p, mech_data *d, size_t max, double **x, double **y,
                            size_t *n_out)
{
    bool gen = false;
    size_t n = 0, in = 0, out = 0;
    MECH_TRY(mech__adopt(&p->err, mech_data_is_generator(d, &gen)));
    if (gen)
        return mech__fail(&p->err, MECH_EUNSUPPORTED,
                          "mech_probe: the evaluation set must be finite, not a generator");
    MECH_TRY(mech__adopt(&p->err, mech_data_n(d, &n)));
    MECH_TRY(mech__adopt(&p->err, mech_data_in_dim(d, &in)));
    MECH_TRY(mech__adopt(&p->err, mech_data_out_dim(d, &out)));
    if (in != p->in_dim || out != p->out_dim)
        return mech__fail(&p->err, MECH_ESHAPE,
                          "mech_probe: data is %zu -> %zu but the model is %zu -> %zu", in, out,
                          p->in_dim, p->out_dim);
    if (max > 0 && max < n) n = max;
    if (n == 0) return mech__fail(&p->err, MECH_EINVAL, "mech_probe: empty data set");
    size_t cx = 0, cy = 0;
    MECH_TRY(mech__mul(n, in, &cx, &p->err));
    MECH_TRY(mech__mul(n, out, &cy, &p->err));
    double *nx = mech__calloc(cx, sizeof *nx, &p->err);
    double *ny = nx ? mech__calloc(cy, sizeof *ny, &p->err) : NULL;
    mech_status st = ny ? mech__adopt(&p->err, mech_data_get(d, 0, n, nx, ny)) : MECH_ENOMEM;
    if (st < 0) {
        free(nx);
        free(ny);
        return st;
    }
    free(*x);
    free(*y);
    *x = nx;
    *y = ny;
    *n_out = n;
    return MECH_OK;
}

/* Class labels of the evaluation targets: argmax, or y > 1/2 for one output. */
static void make_labels(mech_probe *p)
{
    p->n_classes = p->out_dim > 1 ? p->out_dim : 2;
    for (size_t i = 0; i < p->n_eval; i++) {
        const double *y = p->y + i * p->out_dim;
        size_t best = 0;
        if (p->out_dim == 1) {
            best = y[0] > 0.5;
        } else {
            for (size_t o = 1; o < p->out_dim; o++)
                if (y[o] > y[best]) best = o;
        }
        p->labels[i] = (int64_t)best;
    }
}

static mech_status alloc_attachment(mech_probe *p)
{
    size_t nf = 0, nb = 0;
    MECH_TRY(mech__mul(p->n_eval, p->out_dim, &nf, &p->err));
    MECH_TRY(mech__mul(p->max_batch, p->out_dim, &nb, &p->err));
    double **vecs[] = {&p->theta, &p->theta0, &p->t1, &p->t2, &p->t3};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        if (!(*vecs[i] = mech__calloc(p->n_params, sizeof(double), &p->err))) return MECH_ENOMEM;
    double **outs[] = {&p->ob1, &p->ob2, &p->ob3};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        if (!(*outs[i] = mech__calloc(nb, sizeof(double), &p->err))) return MECH_ENOMEM;
    if (!(p->f = mech__calloc(nf, sizeof(double), &p->err))) return MECH_ENOMEM;
    if (!(p->labels = mech__calloc(p->n_eval, sizeof *p->labels, &p->err))) return MECH_ENOMEM;
    make_labels(p);
    return mech__adopt(&p->err, mech_model_get_params(p->model, p->theta0, p->n_params));
}

MECH_API mech_status mech_probe_attach_model(mech_probe *p, mech_model *model, mech_loss loss,
                                             mech_data *eval_data, size_t max_examples)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(&p->err, model);
    MECH_CHECK_PTR(&p->err, eval_data);
    if ((int)loss < 0 || loss > MECH_LOSS_LOGISTIC)
        return mech__fail(&p->err, MECH_EINVAL, "mech_probe_attach_model: unknown loss %d",
                          (int)loss);
    const size_t np = mech_model_num_params(model);
    if (np == 0)
        return mech__fail(&p->err, MECH_ESTATE, "mech_probe_attach_model: model not set up");
    free_attachment(p);
    p->n_out = p->n_vec = 0;
    p->measured = false;
    p->model = model;
    p->loss = loss;
    p->n_params = np;
    p->n_layers = mech_model_num_layers(model);
    int64_t mb = 0;
    mech_status st = mech__adopt(&p->err, mech_model_dims(model, &p->in_dim, &p->out_dim));
    if (st == MECH_OK) st = mech__adopt(&p->err, mech_model_get_i64(model, MECH_MODEL_MAX_BATCH, &mb));
    p->max_batch = (size_t)mb;
    if (st == MECH_OK) st = copy_set(p, eval_data, max_examples, &p->x, &p->y, &p->n_eval);
    if (st == MECH_OK) st = alloc_attachment(p);
    const probe_in in = {.way = PROBE_MODEL, .dry = true};
    if (st == MECH_OK) st = run_kind(p, &in, true);
    if (st == MECH_OK) st = mech__probe_reference(p);
    if (st < 0) {
        free_attachment(p);
        p->n_out = p->n_vec = 0;
    }
    return st;
}

MECH_API mech_status mech_probe_attach_test_data(mech_probe *p, mech_data *test,
                                                 size_t max_examples)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(&p->err, test);
    if (!p->model)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe_attach_test_data: attach a model first");
    MECH_TRY(copy_set(p, test, max_examples, &p->tx, &p->ty, &p->n_test));
    const probe_in in = {.way = PROBE_MODEL, .dry = true};
    return run_kind(p, &in, true); /* the test columns appear */
}

MECH_API mech_status mech_probe_attach_optimizer(mech_probe *p, const mech_optimizer *opt)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(&p->err, opt);
    if (!p->model)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe_attach_optimizer: attach a model first");
    if (!opt->ready)
        return mech__fail(&p->err, MECH_ESTATE, "mech_probe_attach_optimizer: optimizer not set up");
    if (opt->n != p->n_params)
        return mech__fail(&p->err, MECH_ESHAPE,
                          "mech_probe_attach_optimizer: optimizer has %zu parameters, model %zu",
                          opt->n, p->n_params);
    if (p->kind == MECH_PROBE_PRECOND_SHARPNESS) {
        mech_status st = mech_optimizer_preconditioner(opt, p->t3, p->n_params);
        if (st < 0) return mech__adopt(&p->err, st);
    }
    const mech_optimizer *prev = p->opt;
    p->opt = opt;
    mech_status st = mech__probe_reference(p);
    if (st < 0) p->opt = prev;
    return st;
}

MECH_API mech_status mech_probe_measure(mech_probe *p)
{
    MECH_CHECK_PTR(NULL, p);
    if (!p->model)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe_measure: no model attached (mech_probe_attach_model)");
    const probe_in in = {.way = PROBE_MODEL};
    return run_kind(p, &in, false);
}

MECH_API mech_status mech_probe_measure_operator(mech_probe *p, size_t n, mech_matvec_fn fn,
                                                 void *user_data)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(&p->err, fn);
    MECH_CHECK_NONZERO(&p->err, n);
    if (p->kind != MECH_PROBE_SHARPNESS && p->kind != MECH_PROBE_HESSIAN_TRACE &&
        p->kind != MECH_PROBE_HESSIAN_DENSITY)
        return mech__fail(&p->err, MECH_EUNSUPPORTED,
                          "mech_probe_measure_operator: probe kind '%s' needs a model or arrays",
                          mech_probe_kind_name(p->kind));
    if (p->model)
        return mech__fail(&p->err, MECH_ESTATE,
                          "mech_probe_measure_operator: the probe is attached to a model");
    const probe_in in = {.way = PROBE_OPERATOR, .n = n, .fn = fn, .ud = user_data};
    return run_kind(p, &in, true);
}

MECH_API mech_status mech_probe_measure_arrays(mech_probe *p, const double *a, size_t rows,
                                               size_t cols, const double *b, size_t rows_b,
                                               size_t cols_b, const int64_t *labels)
{
    MECH_CHECK_PTR(NULL, p);
    const char *fn = "mech_probe_measure_arrays";
    size_t count = 0;
    MECH_CHECK_PTR(&p->err, a);
    if (rows == 0 || cols == 0) return mech__fail(&p->err, MECH_EINVAL, "%s: a is empty", fn);
    MECH_TRY(mech__mul(rows, cols, &count, &p->err));
    MECH_TRY(mech__check_finite(a, count, "a", &p->err));
    if (b) {
        if (rows_b == 0 || cols_b == 0)
            return mech__fail(&p->err, MECH_EINVAL, "%s: b is empty", fn);
        MECH_TRY(mech__mul(rows_b, cols_b, &count, &p->err));
        MECH_TRY(mech__check_finite(b, count, "b", &p->err));
    } else if (rows_b || cols_b) {
        return mech__fail(&p->err, MECH_EINVAL, "%s: b is NULL with sizes %zu x %zu", fn,
                          rows_b, cols_b);
    }
    if (labels)
        for (size_t i = 0; i < rows; i++)
            if (labels[i] < 0)
                return mech__fail(&p->err, MECH_ERANGE, "%s: label %zu is negative", fn, i);
    const probe_in in = {.way = PROBE_ARRAYS, .a = a, .ra = rows, .ca = cols, .b = b,
                         .rb = rows_b, .cb = cols_b, .labels = labels};
    return run_kind(p, &in, true);
}

/* ---------------- reading outputs ---------------- */

MECH_API mech_status mech_probe_output_count(const mech_probe *p, size_t *count)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, count);
    *count = p->n_out;
    return MECH_OK;
}

MECH_API mech_status mech_probe_output_name(const mech_probe *p, size_t i, const char **name)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, name);
    if (i >= p->n_out)
        return mech__fail(PROBE_ERR, MECH_ERANGE, "mech_probe_output_name: index %zu >= %zu", i,
                          p->n_out);
    *name = p->names[i];
    return MECH_OK;
}

static mech_status check_measured(const mech_probe *p, const char *fn)
{
    if (!p->measured)
        return mech__fail(PROBE_ERR, MECH_ESTATE, "%s: no successful measurement yet", fn);
    return MECH_OK;
}

MECH_API mech_status mech_probe_output(const mech_probe *p, size_t i, double *value)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, value);
    if (i >= p->n_out)
        return mech__fail(PROBE_ERR, MECH_ERANGE, "mech_probe_output: index %zu >= %zu", i,
                          p->n_out);
    MECH_TRY(check_measured(p, "mech_probe_output"));
    *value = p->vals[i];
    return MECH_OK;
}

MECH_API mech_status mech_probe_value(const mech_probe *p, const char *name, double *value)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, name);
    MECH_CHECK_PTR(PROBE_ERR, value);
    for (size_t i = 0; i < p->n_out; i++)
        if (strcmp(p->names[i], name) == 0) {
            MECH_TRY(check_measured(p, "mech_probe_value"));
            *value = p->vals[i];
            return MECH_OK;
        }
    return mech__fail(PROBE_ERR, MECH_ENOTFOUND, "mech_probe_value: no output '%s'", name);
}

MECH_API mech_status mech_probe_vector_count(const mech_probe *p, size_t *count)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, count);
    *count = p->n_vec;
    return MECH_OK;
}

MECH_API mech_status mech_probe_vector_name(const mech_probe *p, size_t i, const char **name)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, name);
    if (i >= p->n_vec)
        return mech__fail(PROBE_ERR, MECH_ERANGE, "mech_probe_vector_name: index %zu >= %zu", i,
                          p->n_vec);
    *name = p->vec[i].name;
    return MECH_OK;
}

MECH_API mech_status mech_probe_vector(const mech_probe *p, const char *name, double *out,
                                       size_t n, size_t *len)
{
    MECH_CHECK_PTR(NULL, p);
    MECH_CHECK_PTR(PROBE_ERR, name);
    MECH_CHECK_PTR(PROBE_ERR, len);
    for (size_t i = 0; i < p->n_vec; i++) {
        const probe_vector *v = &p->vec[i];
        if (strcmp(v->name, name) != 0) continue;
        MECH_TRY(check_measured(p, "mech_probe_vector"));
        *len = v->len;
        if (!out && n == 0) return MECH_OK;
        MECH_CHECK_PTR(PROBE_ERR, out);
        if (n < v->len)
            return mech__fail(PROBE_ERR, MECH_ESHAPE, "mech_probe_vector: '%s' has %zu entries, buffer %zu",
                              name, v->len, n);
        memcpy(out, v->v, v->len * sizeof *out);
        return MECH_OK;
    }
    return mech__fail(PROBE_ERR, MECH_ENOTFOUND, "mech_probe_vector: no vector '%s'", name);
}
