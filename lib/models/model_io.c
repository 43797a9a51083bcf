/* Saving and loading models in the CRC-checked container of
 * lib/core/blob.h. Payload (little endian): kind, widths, the number of
 * options and every option in key order (as stored: i64 bits or f64), the
 * alignment (rank, u, v), then the parameter counts and the trainable and
 * frozen parameters in the model's precision. Format 1 (0.1.0) had no
 * option count and its 13 options; later options keep their defaults. */
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "model_internal.h"

static const char MAGIC[8] = {'M', 'E', 'C', 'H', 'M', 'O', 'D', 'L'};
#define MODEL_FORMAT 2u
#define FORMAT1_NOPTS 13

static void put_values(mech_blob *b, const mech_model *m, const void *v, size_t n)
{
    if (m->f32)
        mech__blob_put_f32s(b, v, n);
    else
        mech__blob_put_f64s(b, v, n);
}

static void get_values(mech_reader *r, const mech_model *m, void *v, size_t n)
{
    if (m->f32)
        mech__reader_f32s(r, v, n);
    else
        mech__reader_f64s(r, v, n);
}

MECH_API mech_status mech_model_save(const mech_model *m, const char *path)
{
    MECH_CHECK_PTR(NULL, m);
    mech_err *e = (mech_err *)&m->err;
    MECH_CHECK_PTR(e, path);
    if (!m->ready) return mech__fail(e, MECH_ESTATE, "%s: call mech_model_setup first", __func__);
    if (m->kind == MECH_MODEL_CALLBACK)
        return mech__fail(e, MECH_EUNSUPPORTED, "%s: callback models cannot be saved", __func__);
    mech_blob b;
    mech__blob_init(&b, e);
    mech__blob_put_u64(&b, (uint64_t)m->kind);
    mech__blob_put_u64(&b, m->n_widths);
    for (size_t i = 0; i < m->n_widths; i++) mech__blob_put_u64(&b, m->widths[i]);
    mech__blob_put_u64(&b, MECH_MODEL_NOPTS);
    for (int k = 0; k < MECH_MODEL_NOPTS; k++) {
        if (mech__model_opts.desc[k].type == MECH_OPT_F64)
            mech__blob_put_f64(&b, m->opt[k].f);
        else
            mech__blob_put_u64(&b, (uint64_t)m->opt[k].i);
    }
    mech__blob_put_u64(&b, m->align_rank);
    if (m->align_rank) {
        mech__blob_put_f64s(&b, m->align_u, m->out_dim * m->align_rank);
        mech__blob_put_f64s(&b, m->align_v, m->in_dim * m->align_rank);
    }
    mech__blob_put_u64(&b, m->n_params);
    mech__blob_put_u64(&b, m->n_frozen);
    put_values(&b, m, m->theta, m->n_params);
    put_values(&b, m, m->frozen, m->n_frozen);
    mech_status st = mech__blob_save(&b, path, MAGIC, MODEL_FORMAT);
    mech__blob_free(&b);
    return st;
}

/* A setter's range error on loaded data means the file is malformed. */
static mech_status as_format(mech_status st)
{
    if (st == MECH_ERANGE || st == MECH_EINVAL || st == MECH_ESHAPE || st == MECH_ENONFINITE ||
        st == MECH_EUNSUPPORTED || st == MECH_ESTATE)
        return mech__fail(NULL, MECH_EFORMAT, "saved model is malformed: %s", mech_last_error());
    return st;
}

/* Reads the structure and options into a new (not yet set up) model. */
static mech_status read_config(mech_reader *r, const mech_ctx *ctx, mech_model **out)
{
    uint64_t nopts = FORMAT1_NOPTS;
    uint64_t kind = mech__reader_u64(r), nw = mech__reader_u64(r);
    if (r->st < 0) return r->st;
    if (kind > MECH_MODEL_DIAGONAL || nw < 2 || nw > (r->len - r->pos) / 8)
        return mech__fail(NULL, MECH_EFORMAT, "saved model header is malformed");
    size_t *w = mech__calloc((size_t)nw, sizeof *w, NULL);
    if (!w) return MECH_ENOMEM;
    for (size_t i = 0; i < nw; i++) w[i] = (size_t)mech__reader_u64(r);
    if (r->version > 1) nopts = mech__reader_u64(r);
    mech_model *m = NULL;
    mech_status st = r->st;
    if (st == MECH_OK && nopts > MECH_MODEL_NOPTS)
        st = mech__fail(NULL, MECH_EVERSION, "saved model has %llu options, this library knows %d",
                        (unsigned long long)nopts, MECH_MODEL_NOPTS);
    if (st == MECH_OK) st = mech_model_create(&m, ctx, (mech_model_kind)kind);
    if (st == MECH_OK) st = as_format(mech_model_set_widths(m, w, (size_t)nw));
    free(w);
    for (int k = 0; st == MECH_OK && k < (int)nopts; k++) {
        if (mech__model_opts.desc[k].type == MECH_OPT_F64)
            st = mech_model_set_f64(m, (mech_model_opt)k, mech__reader_f64(r));
        else
            st = mech_model_set_i64(m, (mech_model_opt)k, (int64_t)mech__reader_u64(r));
        st = r->st < 0 ? r->st : as_format(st);
    }
    uint64_t rank = st == MECH_OK ? mech__reader_u64(r) : 0;
    if (st == MECH_OK && r->st < 0) st = r->st;
    if (st == MECH_OK && rank) {
        size_t in = m->widths[0], outd = m->widths[nw - 1];
        if (rank > in || rank > outd) {
            st = mech__fail(NULL, MECH_EFORMAT, "saved alignment rank is malformed");
        } else {
            double *u = mech__calloc(outd * rank, sizeof *u, NULL);
            double *v = mech__calloc(in * rank, sizeof *v, NULL);
            st = u && v ? MECH_OK : MECH_ENOMEM;
            if (st == MECH_OK) {
                mech__reader_f64s(r, u, outd * rank);
                mech__reader_f64s(r, v, in * rank);
                st = r->st < 0 ? r->st : as_format(mech_model_set_alignment(m, u, v, rank));
            }
            free(u);
            free(v);
        }
    }
    if (st < 0) {
        mech_model_destroy(m);
        return st;
    }
    *out = m;
    return MECH_OK;
}

MECH_API mech_status mech_model_load(mech_model **out, const mech_ctx *ctx, const char *path)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, path);
    mech_reader r;
    MECH_TRY(mech__reader_open(&r, path, MAGIC, NULL));
    if (r.version < 1 || r.version > MODEL_FORMAT) {
        mech__reader_close(&r);
        return mech__fail(NULL, MECH_EVERSION,
                          "'%s': model format %u, this library reads 1 to %u", path, r.version,
                          MODEL_FORMAT);
    }
    mech_model *m = NULL;
    mech_status st = read_config(&r, ctx, &m);
    if (st == MECH_OK) st = as_format(mech_model_setup(m));
    if (st == MECH_OK) {
        uint64_t np = mech__reader_u64(&r), nf = mech__reader_u64(&r);
        if (r.st == MECH_OK && (np != m->n_params || nf != m->n_frozen))
            st = mech__fail(NULL, MECH_EFORMAT, "'%s': parameter counts do not match", path);
    }
    if (st == MECH_OK) {
        get_values(&r, m, m->theta, m->n_params);
        get_values(&r, m, m->frozen, m->n_frozen);
        st = mech__reader_finish(&r);
    }
    mech__reader_close(&r);
    if (st < 0) {
        mech_model_destroy(m);
        return st;
    }
    *out = m;
    return MECH_OK;
}
