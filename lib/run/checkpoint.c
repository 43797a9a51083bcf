/* Checkpoints: parameters, optimizer state, sampler state, run state and
 * the trace in one CRC-checked container (lib/core/blob.h). Loading reads
 * and checks everything before it changes anything. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "run_internal.h"

static const char MAGIC[8] = {'M', 'E', 'C', 'H', 'R', 'U', 'N', 'C'};
#define VERSION 1u

/* The configuration a checkpoint must match. */
static void config_words(const mech_run *r, uint64_t w[5])
{
    w[0] = (uint64_t)r->mode;
    w[1] = r->n_params;
    w[2] = r->f32;
    w[3] = r->opt ? (uint64_t)mech__run_opt_kind(r) : UINT64_MAX;
    w[4] = r->batch;
}

static bool has_sampler(const mech_run *r)
{
    return r->mode == MECH_RUN_MINIBATCH || r->mode == MECH_RUN_ONLINE;
}

static void put_state(mech_blob *b, const mech__run_state *s)
{
    mech__blob_put_u64(b, s->step);
    mech__blob_put_f64(b, s->time);
    mech__blob_put_u64(b, s->samples);
    mech__blob_put_f64(b, s->batch_loss);
    mech__blob_put_f64(b, s->grad_norm);
    mech__blob_put_f64(b, s->lr);
    mech__blob_put_f64(b, s->loss_sum);
    mech__blob_put_u64(b, s->loss_count);
    mech__blob_put_u64(b, s->next_explicit);
    mech__blob_put_u64(b, s->next_log);
    mech__blob_put_u64(b, s->next_dt);
    mech__blob_put_u64(b, s->started);
    mech__blob_put_u64(b, s->diverged);
}

static void get_state(mech_reader *rd, mech__run_state *s)
{
    s->step = mech__reader_u64(rd);
    s->time = mech__reader_f64(rd);
    s->samples = mech__reader_u64(rd);
    s->batch_loss = mech__reader_f64(rd);
    s->grad_norm = mech__reader_f64(rd);
    s->lr = mech__reader_f64(rd);
    s->loss_sum = mech__reader_f64(rd);
    s->loss_count = mech__reader_u64(rd);
    s->next_explicit = mech__reader_u64(rd);
    s->next_log = mech__reader_u64(rd);
    s->next_dt = mech__reader_u64(rd);
    s->started = mech__reader_u64(rd);
    s->diverged = mech__reader_u64(rd);
}

/* The trace through its public interface: axis, columns, rows, metadata. */
static mech_status put_trace(mech_blob *b, const mech_trace *tr, double *tmp)
{
    mech_axis axis = MECH_AXIS_STEP;
    MECH_TRY(mech_trace_axis(tr, &axis));
    const size_t nc = mech_trace_n_columns(tr), nr = mech_trace_n_rows(tr);
    mech__blob_put_u64(b, (uint64_t)axis);
    mech__blob_put_u64(b, nc);
    mech__blob_put_u64(b, nr);
    for (size_t c = 0; c < nc; c++) {
        const char *name = NULL;
        MECH_TRY(mech_trace_column_name(tr, c, &name));
        mech__blob_put_str(b, name);
    }
    if (nr > 0) {
        MECH_TRY(mech_trace_time(tr, tmp, nr));
        mech__blob_put_f64s(b, tmp, nr);
        for (size_t c = 0; c < nc; c++) {
            MECH_TRY(mech_trace_column(tr, c, tmp, nr));
            mech__blob_put_f64s(b, tmp, nr);
        }
    }
    const size_t nm = mech_trace_meta_count(tr);
    mech__blob_put_u64(b, nm);
    for (size_t i = 0; i < nm; i++) {
        const char *key = NULL, *val = NULL;
        MECH_TRY(mech_trace_meta_key(tr, i, &key));
        MECH_TRY(mech_trace_get_meta(tr, key, &val));
        mech__blob_put_str(b, key);
        mech__blob_put_str(b, val);
    }
    return MECH_OK;
}

MECH_API mech_status mech_run_save_checkpoint(const mech_run *r, const char *path)
{
    MECH_CHECK_PTR(NULL, r);
    mech_err *e = (mech_err *)&r->err;
    MECH_CHECK_PTR(e, path);
    if (!r->ready || !r->trace)
        return mech__fail(e, MECH_ESTATE, "mech_run_save_checkpoint: not set up, or trace taken");
    const size_t nr = mech_trace_n_rows(r->trace);
    double *tmp = mech__calloc(nr ? nr : 1, sizeof *tmp, e);
    if (!tmp) return MECH_ENOMEM;
    size_t osize = 0;
    unsigned char *ostate = NULL;
    mech_status st = MECH_OK;
    if (r->opt) {
        st = mech__adopt(e, mech_optimizer_state_size(r->opt, &osize));
        if (st == MECH_OK && !(ostate = mech__calloc(osize, 1, e))) st = MECH_ENOMEM;
        if (st == MECH_OK) st = mech__adopt(e, mech_optimizer_get_state(r->opt, ostate, osize));
    }
    uint64_t dw[MECH_DATA_STATE_WORDS] = {0};
    if (st == MECH_OK && has_sampler(r))
        st = mech__adopt(e, mech_data_get_state(r->train, dw, MECH_DATA_STATE_WORDS));
    mech_blob b;
    mech__blob_init(&b, e);
    uint64_t cfg[5];
    config_words(r, cfg);
    for (int i = 0; i < 5; i++) mech__blob_put_u64(&b, cfg[i]);
    if (st == MECH_OK && r->f32) {
        st = mech__adopt(e, mech_model_get_params_f32(r->model, r->params_f, r->n_params));
        mech__blob_put_f32s(&b, r->params_f, r->n_params);
    } else if (st == MECH_OK) {
        st = mech__adopt(e, mech_model_get_params(r->model, r->params, r->n_params));
        mech__blob_put_f64s(&b, r->params, r->n_params);
    }
    mech__blob_put_u64(&b, osize);
    if (osize) mech__blob_put(&b, ostate, osize);
    for (int i = 0; i < MECH_DATA_STATE_WORDS; i++) mech__blob_put_u64(&b, dw[i]);
    put_state(&b, &r->s);
    if (st == MECH_OK) st = mech__adopt(e, put_trace(&b, r->trace, tmp));
    if (st == MECH_OK) st = mech__blob_save(&b, path, MAGIC, VERSION);
    mech__blob_free(&b);
    free(ostate);
    free(tmp);
    return st;
}

/* Rebuilds a trace from the reader into *out. */
static mech_status read_trace(mech_run *r, mech_reader *rd, mech_trace **out)
{
    const uint64_t axis = mech__reader_u64(rd);
    const uint64_t nc = mech__reader_u64(rd), nr = mech__reader_u64(rd);
    if (rd->st < 0) return rd->st;
    if (axis != (uint64_t)r->axis || nc > rd->len || nr > rd->len / 8)
        return mech__fail(&r->err, MECH_EFORMAT, "mech_run_load_checkpoint: inconsistent trace");
    mech_trace *tr = NULL;
    MECH_TRY(mech__adopt(&r->err, mech_trace_create(&tr, r->ctx, r->axis)));
    mech_status st = MECH_OK;
    for (uint64_t c = 0; c < nc && st == MECH_OK; c++) {
        char *name = mech__reader_str(rd);
        st = name ? mech__adopt(&r->err, mech_trace_add_column(tr, name, NULL)) : rd->st;
        free(name);
    }
    size_t cells = 0;
    if (st == MECH_OK) st = mech__mul((size_t)nr, (size_t)nc + 1, &cells, &r->err);
    double *all = st == MECH_OK ? mech__calloc(cells ? cells : 1, sizeof *all, &r->err) : NULL;
    if (st == MECH_OK && !all) st = MECH_ENOMEM;
    if (st == MECH_OK) {
        mech__reader_f64s(rd, all, cells); /* times, then each column */
        if (rd->st < 0) st = rd->st;
    }
    double *row = st == MECH_OK ? mech__calloc((size_t)nc + 1, sizeof *row, &r->err) : NULL;
    if (st == MECH_OK && !row) st = MECH_ENOMEM;
    for (uint64_t i = 0; i < nr && st == MECH_OK; i++) {
        for (uint64_t c = 0; c < nc; c++) row[c] = all[(c + 1) * nr + i];
        st = mech__adopt(&r->err, mech_trace_append(tr, all[i], row, (size_t)nc));
    }
    free(row);
    free(all);
    const uint64_t nm = st == MECH_OK ? mech__reader_u64(rd) : 0;
    for (uint64_t i = 0; i < nm && st == MECH_OK && rd->st == MECH_OK; i++) {
        char *k = mech__reader_str(rd), *v = k ? mech__reader_str(rd) : NULL;
        st = v ? mech__adopt(&r->err, mech_trace_set_meta(tr, k, v)) : rd->st;
        free(k);
        free(v);
    }
    if (st == MECH_OK) st = rd->st;
    if (st < 0) {
        mech_trace_destroy(tr);
        return st;
    }
    *out = tr;
    return MECH_OK;
}

/* Column indices of the built-in columns in a loaded trace. */
static mech_status find_columns(mech_run *r, const mech_trace *tr, size_t col[RC_COUNT])
{
    for (int c = 0; c < RC_COUNT; c++) {
        col[c] = SIZE_MAX;
        if (r->col[c] != SIZE_MAX &&
            mech_trace_column_index(tr, mech__run_col_name(c), &col[c]) < 0)
            return mech__fail(&r->err, MECH_EFORMAT,
                              "mech_run_load_checkpoint: the trace lacks column %s",
                              mech__run_col_name(c));
    }
    return MECH_OK;
}

typedef struct loaded {
    void *params;
    unsigned char *ostate;
    size_t osize;
    uint64_t dw[MECH_DATA_STATE_WORDS];
    mech__run_state s;
    mech_trace *trace;
} loaded;

static mech_status read_all(mech_run *r, mech_reader *rd, loaded *L)
{
    uint64_t want[5], got[5];
    config_words(r, want);
    for (int i = 0; i < 5; i++) got[i] = mech__reader_u64(rd);
    if (rd->st < 0) return rd->st;
    if (memcmp(want, got, sizeof want) != 0)
        return mech__fail(&r->err, MECH_EFORMAT,
                          "mech_run_load_checkpoint: saved by a differently configured run");
    const size_t es = r->f32 ? sizeof(float) : sizeof(double);
    if (!(L->params = mech__calloc(r->n_params, es, &r->err))) return MECH_ENOMEM;
    if (r->f32)
        mech__reader_f32s(rd, L->params, r->n_params);
    else
        mech__reader_f64s(rd, L->params, r->n_params);
    L->osize = (size_t)mech__reader_u64(rd);
    if (rd->st < 0) return rd->st;
    if (L->osize > rd->len - rd->pos || (L->osize > 0) != (r->opt != NULL))
        return mech__fail(&r->err, MECH_EFORMAT, "mech_run_load_checkpoint: bad optimizer state");
    if (L->osize) {
        if (!(L->ostate = mech__calloc(L->osize, 1, &r->err))) return MECH_ENOMEM;
        mech__reader_get(rd, L->ostate, L->osize);
    }
    for (int i = 0; i < MECH_DATA_STATE_WORDS; i++) L->dw[i] = mech__reader_u64(rd);
    get_state(rd, &L->s);
    if (rd->st < 0) return rd->st;
    MECH_TRY(read_trace(r, rd, &L->trace));
    MECH_TRY(mech__reader_finish(rd));
    if (r->f32) {
        const float *p = L->params;
        for (size_t i = 0; i < r->n_params; i++)
            if (!isfinite(p[i]))
                return mech__fail(&r->err, MECH_EFORMAT, "mech_run_load_checkpoint: bad params");
        return MECH_OK;
    }
    return mech__check_finite(L->params, r->n_params, "checkpoint params", &r->err) < 0
               ? mech__fail(&r->err, MECH_EFORMAT, "mech_run_load_checkpoint: bad params")
               : MECH_OK;
}

/* Applies the optimizer and sampler states; restores the old ones if the
 * second fails, so a refused checkpoint changes nothing. */
static mech_status apply_handles(mech_run *r, const loaded *L)
{
    unsigned char *old = NULL;
    size_t osz = 0;
    if (r->opt) {
        MECH_TRY(mech__adopt(&r->err, mech_optimizer_state_size(r->opt, &osz)));
        if (!(old = mech__calloc(osz, 1, &r->err))) return MECH_ENOMEM;
        mech_status st = mech__adopt(&r->err, mech_optimizer_get_state(r->opt, old, osz));
        if (st == MECH_OK)
            st = mech__adopt(&r->err, mech_optimizer_set_state(r->opt, L->ostate, L->osize));
        if (st < 0) {
            free(old);
            return st;
        }
    }
    mech_status st = MECH_OK;
    if (has_sampler(r))
        st = mech__adopt(&r->err, mech_data_set_state(r->train, L->dw, MECH_DATA_STATE_WORDS));
    if (st < 0 && old) mech_optimizer_set_state(r->opt, old, osz);
    free(old);
    return st;
}

MECH_API mech_status mech_run_load_checkpoint(mech_run *r, const char *path)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(&r->err, path);
    if (!r->ready || !r->trace)
        return mech__fail(&r->err, MECH_ESTATE, "mech_run_load_checkpoint: not set up, or trace taken");
    mech_reader rd;
    MECH_TRY(mech__reader_open(&rd, path, MAGIC, &r->err));
    loaded L;
    memset(&L, 0, sizeof L);
    size_t col[RC_COUNT];
    mech_status st = read_all(r, &rd, &L);
    mech__reader_close(&rd);
    if (st == MECH_OK) st = find_columns(r, L.trace, col);
    if (st == MECH_OK) st = apply_handles(r, &L);
    if (st == MECH_OK) {
        st = r->f32 ? mech_model_set_params_f32(r->model, L.params, r->n_params)
                    : mech_model_set_params(r->model, L.params, r->n_params);
        mech__adopt(&r->err, st); /* cannot fail: checked finite, right size */
        mech_trace_destroy(r->trace);
        r->trace = L.trace;
        L.trace = NULL;
        memcpy(r->col, col, sizeof col);
        r->s = L.s;
        r->stop = MECH_RUN_STOP_NONE;
        st = mech__run_probe_rebind(r, r->trace);
    }
    mech_trace_destroy(L.trace);
    free(L.params);
    free(L.ostate);
    return st;
}
