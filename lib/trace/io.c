/* Saving and loading traces: format choice, whole-file I/O and the C
 * numeric locale (a host's setlocale must not change "1.5" into "1,5"). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

void mech__put_num(mech_blob *b, double v)
{
    char num[40];
    int n = snprintf(num, sizeof num, "%.17g", v);
    mech__blob_put(b, num, (size_t)n);
}

static mech_status pick_format(const char *path, mech_trace_format fmt,
                               mech_trace_format *out, mech_err *e)
{
    if (fmt != MECH_TRACE_AUTO) {
        if ((unsigned)fmt > MECH_TRACE_NPZ)
            return mech__fail(e, MECH_EINVAL, "unknown trace format %d", (int)fmt);
        *out = fmt;
        return MECH_OK;
    }
    static const struct { const char *ext; mech_trace_format fmt; } EXT[] = {
        {".csv", MECH_TRACE_CSV}, {".jsonl", MECH_TRACE_JSONL},
        {".npy", MECH_TRACE_NPY}, {".npz", MECH_TRACE_NPZ}};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof EXT / sizeof EXT[0]; i++) {
        size_t k = strlen(EXT[i].ext);
        if (n >= k && strcmp(path + n - k, EXT[i].ext) == 0) {
            *out = EXT[i].fmt;
            return MECH_OK;
        }
    }
    return mech__fail(e, MECH_EINVAL,
                      "cannot tell the format of '%s' (use .csv, .jsonl, .npy or .npz)", path);
}

/* Runs in the "C" numeric locale for this thread; restores the old one. */
typedef struct c_locale {
    locale_t c, old;
} c_locale;

static mech_status enter_c_locale(c_locale *l, mech_err *e)
{
    l->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (l->c == (locale_t)0) return mech__fail(e, MECH_ENOMEM, "cannot create the C locale");
    l->old = uselocale(l->c);
    return MECH_OK;
}

static void leave_c_locale(c_locale *l)
{
    uselocale(l->old);
    freelocale(l->c);
}

MECH_API mech_status mech_trace_save(const mech_trace *tr, const char *path,
                                     mech_trace_format fmt)
{
    MECH_CHECK_PTR(NULL, tr);
    mech_err *e = (mech_err *)&tr->err;
    MECH_CHECK_PTR(e, path);
    MECH_TRY(pick_format(path, fmt, &fmt, e));
    mech_blob b;
    mech__blob_init(&b, e);
    c_locale loc = {(locale_t)0, (locale_t)0};
    MECH_TRY(enter_c_locale(&loc, e));
    mech_status st = fmt == MECH_TRACE_CSV     ? mech__csv_write(tr, &b)
                     : fmt == MECH_TRACE_JSONL ? mech__jsonl_write(tr, &b)
                     : fmt == MECH_TRACE_NPY   ? mech__npy_write(tr, &b)
                                               : mech__npz_write(tr, &b);
    leave_c_locale(&loc);
    if (st >= 0) st = b.st;
    if (st >= 0) st = mech__write_file_atomic(path, NULL, 0, b.buf, b.len, e);
    mech__blob_free(&b);
    return st;
}

/* Reads a whole file into a NUL-terminated buffer. */
static mech_status read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return mech__fail(NULL, MECH_EIO, "cannot open '%s'", path);
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    while (p) {
        n += fread(p + n, 1, cap - 1 - n, f);
        if (n < cap - 1) break;
        if (cap > SIZE_MAX / 2) {
            free(p);
            p = NULL;
            break;
        }
        char *q = realloc(p, cap * 2);
        if (!q) free(p);
        p = q;
        cap *= 2;
    }
    int err = p ? ferror(f) : 0;
    fclose(f);
    if (!p) return mech__fail(NULL, MECH_ENOMEM, "cannot read '%s' into memory", path);
    if (err) {
        free(p);
        return mech__fail(NULL, MECH_EIO, "cannot read '%s'", path);
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return MECH_OK;
}

MECH_API mech_status mech_trace_load(mech_trace **out, const mech_ctx *ctx,
                                     const char *path, mech_trace_format fmt)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, path);
    MECH_TRY(pick_format(path, fmt, &fmt, NULL));
    char *buf = NULL;
    size_t len = 0;
    MECH_TRY(read_file(path, &buf, &len));
    c_locale loc = {(locale_t)0, (locale_t)0};
    mech_status st = enter_c_locale(&loc, NULL);
    if (st >= 0) {
        const unsigned char *u = (const unsigned char *)buf;
        st = fmt == MECH_TRACE_CSV     ? mech__csv_read(buf, len, ctx, out)
             : fmt == MECH_TRACE_JSONL ? mech__jsonl_read(buf, len, ctx, out)
             : fmt == MECH_TRACE_NPY   ? mech__npy_read(u, len, ctx, out)
                                       : mech__npz_read(u, len, ctx, out);
        leave_c_locale(&loc);
    }
    free(buf);
    if (st < 0 && *out) {
        mech_trace_destroy(*out);
        *out = NULL;
    }
    if (st < 0) { /* every reader failure names the file; bad content is EFORMAT */
        char why[MECH_ERRMSG_CAP];
        snprintf(why, sizeof why, "%s", mech_last_error());
        if (st != MECH_ENOMEM && st != MECH_EUNSUPPORTED) st = MECH_EFORMAT;
        mech__fail(NULL, st, "'%s': %s", path, why);
    }
    return st;
}
