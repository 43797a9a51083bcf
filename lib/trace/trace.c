/* Trace core: columns, rows, metadata (column-major storage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static const char *const AXIS_NAMES[] = {"step", "time", "samples", "alpha"};
#define N_AXES (sizeof AXIS_NAMES / sizeof AXIS_NAMES[0])

MECH_API const char *mech_axis_name(mech_axis axis)
{
    return (unsigned)axis < N_AXES ? AXIS_NAMES[axis] : NULL;
}

MECH_API mech_status mech_axis_lookup(const char *name, mech_axis *axis)
{
    MECH_CHECK_PTR(NULL, name);
    MECH_CHECK_PTR(NULL, axis);
    for (size_t i = 0; i < N_AXES; i++)
        if (strcmp(name, AXIS_NAMES[i]) == 0) {
            *axis = (mech_axis)i;
            return MECH_OK;
        }
    return mech__fail(NULL, MECH_ENOTFOUND, "unknown axis '%s'", name);
}

bool mech__trace_text_ok(const char *s, size_t n, bool allow_eq)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x20 || c == 0x7f || (!allow_eq && c == '=')) return false;
        size_t extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
                     : (c & 0xF8) == 0xF0 ? 3 : 4;
        if (extra == 4 || c == 0xC0 || c == 0xC1 || c > 0xF4 || extra > n - i - 1)
            return false;
        for (size_t k = 1; k <= extra; k++)
            if ((p[i + k] & 0xC0) != 0x80) return false;
        i += extra + 1;
    }
    return true;
}

mech_status mech__trace_new(mech_trace **out, mech_axis axis, mech_err *e)
{
    if ((unsigned)axis >= N_AXES)
        return mech__fail(e, MECH_EINVAL, "unknown axis %d", (int)axis);
    mech_trace *tr = mech__calloc(1, sizeof *tr, e);
    if (!tr) return MECH_ENOMEM;
    tr->axis = axis;
    *out = tr;
    return MECH_OK;
}

mech_status mech__trace_default_meta(mech_trace *tr, const mech_ctx *ctx)
{
    MECH_TRY(mech_trace_set_meta(tr, "library_version", mech_version_string()));
    MECH_TRY(mech_trace_set_meta(tr, "blis_version", mech_blis_version()));
    char num[32];
    snprintf(num, sizeof num, "%d", mech__ctx_threads(ctx));
    MECH_TRY(mech_trace_set_meta(tr, "threads", num));
    snprintf(num, sizeof num, "%llu", (unsigned long long)mech__ctx_seed(ctx));
    MECH_TRY(mech_trace_set_meta(tr, "seed", num));
    return mech_trace_set_meta(tr, "axis", AXIS_NAMES[tr->axis]);
}

MECH_API mech_status mech_trace_create(mech_trace **out, const mech_ctx *ctx,
                                       mech_axis axis)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    mech_trace *tr = NULL;
    MECH_TRY(mech__trace_new(&tr, axis, NULL));
    mech_status st = mech__trace_default_meta(tr, ctx);
    if (st < 0) {
        mech_trace_destroy(tr);
        return st;
    }
    *out = tr;
    return MECH_OK;
}

MECH_API void mech_trace_destroy(mech_trace *tr)
{
    if (!tr) return;
    for (size_t j = 0; j < tr->ncols; j++) {
        free(tr->col[j].name);
        free(tr->col[j].v);
    }
    for (size_t k = 0; k < tr->nmeta; k++) {
        free(tr->meta[k].key);
        free(tr->meta[k].val);
    }
    free(tr->col);
    free(tr->meta);
    free(tr->t);
    free(tr);
}

MECH_API const char *mech_trace_last_error(const mech_trace *tr)
{
    return tr ? tr->err.msg : "";
}

MECH_API mech_status mech_trace_axis(const mech_trace *tr, mech_axis *axis)
{
    MECH_CHECK_PTR(NULL, tr);
    MECH_CHECK_PTR((mech_err *)&tr->err, axis);
    *axis = tr->axis;
    return MECH_OK;
}

/* ---------------- columns ---------------- */

size_t mech__trace_find(const mech_trace *tr, const char *prefix, const char *suffix)
{
    size_t np = strlen(prefix);
    for (size_t j = 0; j < tr->ncols; j++) {
        const char *n = tr->col[j].name;
        if (strncmp(n, prefix, np) == 0 && strcmp(n + np, suffix) == 0) return j;
    }
    return SIZE_MAX;
}

/* Array p of *cap entries of elem bytes, grown to hold n + 1: the new
 * pointer (or p when it is big enough), NULL after reporting. */
static void *grow(void *p, size_t n, size_t *cap, size_t elem, mech_err *e)
{
    if (n < *cap) return p;
    size_t nc = *cap ? *cap * 2 : 8, bytes = 0;
    if (mech__mul(nc, elem, &bytes, e) < 0) return NULL;
    void *q = realloc(p, bytes);
    if (!q) {
        mech__fail(e, MECH_ENOMEM, "cannot grow to %zu entries", nc);
        return NULL;
    }
    *cap = nc;
    return q;
}

MECH_API mech_status mech_trace_add_column(mech_trace *tr, const char *name,
                                           size_t *index)
{
    MECH_CHECK_PTR(NULL, tr);
    MECH_CHECK_PTR(&tr->err, name);
    size_t j = mech__trace_find(tr, name, "");
    if (j != SIZE_MAX) {
        if (index) *index = j;
        return MECH_OK;
    }
    size_t len = strlen(name);
    if (len == 0 || !mech__trace_text_ok(name, len, true))
        return mech__fail(&tr->err, MECH_EINVAL,
                          "column name must be non-empty UTF-8 without control characters");
    if (strcmp(name, AXIS_NAMES[tr->axis]) == 0 || strcmp(name, "__meta__") == 0)
        return mech__fail(&tr->err, MECH_EINVAL, "column name '%s' is reserved", name);
    struct mech_tcol *cols = grow(tr->col, tr->ncols, &tr->colcap, sizeof *cols, &tr->err);
    if (!cols) return tr->err.status;
    tr->col = cols;
    char *nm = mech__strdup(name, &tr->err);
    double *col = nm ? mech__calloc(tr->cap, sizeof(double), &tr->err) : NULL;
    if (!col) {
        free(nm);
        return tr->err.status;
    }
    for (size_t i = 0; i < tr->rows; i++) col[i] = NAN;
    tr->col[tr->ncols].name = nm;
    tr->col[tr->ncols].v = col;
    if (index) *index = tr->ncols;
    tr->ncols++;
    return MECH_OK;
}

MECH_API mech_status mech_trace_column_index(const mech_trace *tr, const char *name,
                                             size_t *index)
{
    MECH_CHECK_PTR(NULL, tr);
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, name);
    MECH_CHECK_PTR(e, index);
    size_t j = mech__trace_find(tr, name, "");
    if (j == SIZE_MAX) return mech__fail(e, MECH_ENOTFOUND, "no column '%s'", name);
    *index = j;
    return MECH_OK;
}

MECH_API mech_status mech_trace_column_name(const mech_trace *tr, size_t index,
                                            const char **name)
{
    MECH_CHECK_PTR(NULL, tr);
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, name);
    if (index >= tr->ncols)
        return mech__fail(e, MECH_ERANGE, "column %zu of %zu", index, tr->ncols);
    *name = tr->col[index].name;
    return MECH_OK;
}

MECH_API size_t mech_trace_n_columns(const mech_trace *tr) { return tr ? tr->ncols : 0; }

MECH_API size_t mech_trace_n_rows(const mech_trace *tr) { return tr ? tr->rows : 0; }

/* ---------------- rows ---------------- */

/* Makes every array hold at least need rows. */
static mech_status ensure_rows(mech_trace *tr, size_t need)
{
    if (need <= tr->cap) return MECH_OK;
    size_t nc = tr->cap > need / 2 ? tr->cap * 2 : need;
    if (nc < 16) nc = 16;
    size_t bytes = 0;
    MECH_TRY(mech__mul(nc, sizeof(double), &bytes, &tr->err));
    double *t = realloc(tr->t, bytes);
    if (!t) return mech__fail(&tr->err, MECH_ENOMEM, "cannot grow trace to %zu rows", nc);
    tr->t = t;
    for (size_t j = 0; j < tr->ncols; j++) {
        double *c = realloc(tr->col[j].v, bytes);
        if (!c) return mech__fail(&tr->err, MECH_ENOMEM, "cannot grow trace to %zu rows", nc);
        tr->col[j].v = c;
    }
    tr->cap = nc;
    return MECH_OK;
}

MECH_API mech_status mech_trace_reserve(mech_trace *tr, size_t rows)
{
    MECH_CHECK_PTR(NULL, tr);
    if (rows > SIZE_MAX - tr->rows)
        return mech__fail(&tr->err, MECH_EOVERFLOW, "reserve of %zu rows overflows", rows);
    return ensure_rows(tr, tr->rows + rows);
}

static mech_status check_value(mech_trace *tr, double v, size_t col)
{
    if (isinf(v))
        return mech__fail(&tr->err, MECH_ENONFINITE,
                          "value for column %zu is infinite (NaN = not measured is allowed)",
                          col);
    return MECH_OK;
}

MECH_API mech_status mech_trace_append(mech_trace *tr, double t, const double *values,
                                       size_t n_values)
{
    MECH_CHECK_PTR(NULL, tr);
    if (n_values > tr->ncols)
        return mech__fail(&tr->err, MECH_ESHAPE, "%zu values for %zu columns", n_values,
                          tr->ncols);
    if (n_values) MECH_CHECK_PTR(&tr->err, values);
    for (size_t j = 0; j < n_values; j++) MECH_TRY(check_value(tr, values[j], j));
    MECH_TRY(mech_trace_begin_row(tr, t));
    for (size_t j = 0; j < n_values; j++) tr->col[j].v[tr->rows - 1] = values[j];
    return MECH_OK;
}

MECH_API mech_status mech_trace_begin_row(mech_trace *tr, double t)
{
    MECH_CHECK_PTR(NULL, tr);
    if (!isfinite(t)) return mech__fail(&tr->err, MECH_ENONFINITE, "time %g is not finite", t);
    if (tr->rows == SIZE_MAX)
        return mech__fail(&tr->err, MECH_EOVERFLOW, "too many rows");
    MECH_TRY(ensure_rows(tr, tr->rows + 1));
    tr->t[tr->rows] = t;
    for (size_t j = 0; j < tr->ncols; j++) tr->col[j].v[tr->rows] = NAN;
    tr->rows++;
    return MECH_OK;
}

MECH_API mech_status mech_trace_put(mech_trace *tr, size_t col, double value)
{
    MECH_CHECK_PTR(NULL, tr);
    if (tr->rows == 0)
        return mech__fail(&tr->err, MECH_ESTATE, "mech_trace_put before any row");
    if (col >= tr->ncols)
        return mech__fail(&tr->err, MECH_ERANGE, "column %zu of %zu", col, tr->ncols);
    MECH_TRY(check_value(tr, value, col));
    tr->col[col].v[tr->rows - 1] = value;
    return MECH_OK;
}

static mech_status copy_out(const mech_trace *tr, const double *src, double *out, size_t n)
{
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, out);
    if (n != tr->rows)
        return mech__fail(e, MECH_ESHAPE, "buffer of %zu for %zu rows", n, tr->rows);
    if (n) memcpy(out, src, n * sizeof *out);
    return MECH_OK;
}

MECH_API mech_status mech_trace_time(const mech_trace *tr, double *out, size_t n)
{
    MECH_CHECK_PTR(NULL, tr);
    return copy_out(tr, tr->t, out, n);
}

MECH_API mech_status mech_trace_column(const mech_trace *tr, size_t index, double *out,
                                       size_t n)
{
    MECH_CHECK_PTR(NULL, tr);
    if (index >= tr->ncols)
        return mech__fail((mech_err *)&tr->err, MECH_ERANGE, "column %zu of %zu", index,
                          tr->ncols);
    return copy_out(tr, tr->col[index].v, out, n);
}

MECH_API mech_status mech_trace_value(const mech_trace *tr, size_t row, size_t col,
                                      double *value)
{
    MECH_CHECK_PTR(NULL, tr);
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, value);
    if (row >= tr->rows || col >= tr->ncols)
        return mech__fail(e, MECH_ERANGE, "cell (%zu, %zu) outside %zu x %zu", row, col,
                          tr->rows, tr->ncols);
    *value = tr->col[col].v[row];
    return MECH_OK;
}

/* ---------------- metadata ---------------- */

static size_t meta_find(const mech_trace *tr, const char *key)
{
    for (size_t k = 0; k < tr->nmeta; k++)
        if (strcmp(tr->meta[k].key, key) == 0) return k;
    return SIZE_MAX;
}

MECH_API mech_status mech_trace_set_meta(mech_trace *tr, const char *key,
                                         const char *value)
{
    MECH_CHECK_PTR(NULL, tr);
    MECH_CHECK_PTR(&tr->err, key);
    MECH_CHECK_PTR(&tr->err, value);
    size_t kl = strlen(key);
    if (kl == 0 || !mech__trace_text_ok(key, kl, false))
        return mech__fail(&tr->err, MECH_EINVAL,
                          "metadata key must be non-empty UTF-8 without control "
                          "characters or '='");
    if (!mech__trace_text_ok(value, strlen(value), true))
        return mech__fail(&tr->err, MECH_EINVAL,
                          "metadata value for '%s' must be UTF-8 without control characters",
                          key);
    char *v = mech__strdup(value, &tr->err);
    if (!v) return MECH_ENOMEM;
    size_t k = meta_find(tr, key);
    if (k != SIZE_MAX) {
        free(tr->meta[k].val);
        tr->meta[k].val = v;
        return MECH_OK;
    }
    char *kd = mech__strdup(key, &tr->err);
    struct mech_tkv *m = kd ? grow(tr->meta, tr->nmeta, &tr->metacap, sizeof *m, &tr->err)
                            : NULL;
    if (!m) {
        free(kd);
        free(v);
        return tr->err.status;
    }
    tr->meta = m;
    tr->meta[tr->nmeta].key = kd;
    tr->meta[tr->nmeta].val = v;
    tr->nmeta++;
    return MECH_OK;
}

MECH_API mech_status mech_trace_set_meta_f64(mech_trace *tr, const char *key,
                                             double value)
{
    MECH_CHECK_PTR(NULL, tr);
    char num[40];
    snprintf(num, sizeof num, "%.17g", value);
    return mech_trace_set_meta(tr, key, num);
}

MECH_API mech_status mech_trace_get_meta(const mech_trace *tr, const char *key,
                                         const char **value)
{
    MECH_CHECK_PTR(NULL, tr);
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, key);
    MECH_CHECK_PTR(e, value);
    size_t k = meta_find(tr, key);
    if (k == SIZE_MAX) return mech__fail(e, MECH_ENOTFOUND, "no metadata key '%s'", key);
    *value = tr->meta[k].val;
    return MECH_OK;
}

MECH_API size_t mech_trace_meta_count(const mech_trace *tr) { return tr ? tr->nmeta : 0; }

MECH_API mech_status mech_trace_meta_key(const mech_trace *tr, size_t index,
                                         const char **key)
{
    MECH_CHECK_PTR(NULL, tr);
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, key);
    if (index >= tr->nmeta)
        return mech__fail(e, MECH_ERANGE, "metadata entry %zu of %zu", index, tr->nmeta);
    *key = tr->meta[index].key;
    return MECH_OK;
}
