/* CSV: "# key=value" metadata lines, a header "<axis>,col,..." (RFC 4180
 * quoting), then one line per row; numbers %.17g, NaN as "nan". */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace_internal.h"

static void put_field(mech_blob *b, const char *s)
{
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"") || n == 0 || s[0] == ' ' || s[n - 1] == ' ';
    if (!quote) {
        mech__blob_put(b, s, n);
        return;
    }
    mech__blob_put(b, "\"", 1);
    for (; *s; s++) mech__blob_put(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    mech__blob_put(b, "\"", 1);
}

mech_status mech__csv_write(const mech_trace *tr, mech_blob *b)
{
    for (size_t k = 0; k < tr->nmeta; k++) {
        mech__blob_put(b, "# ", 2);
        mech__blob_put(b, tr->meta[k].key, strlen(tr->meta[k].key));
        mech__blob_put(b, "=", 1);
        mech__blob_put(b, tr->meta[k].val, strlen(tr->meta[k].val));
        mech__blob_put(b, "\n", 1);
    }
    put_field(b, mech_axis_name(tr->axis));
    for (size_t j = 0; j < tr->ncols; j++) {
        mech__blob_put(b, ",", 1);
        put_field(b, tr->col[j].name);
    }
    mech__blob_put(b, "\n", 1);
    for (size_t i = 0; i < tr->rows; i++) {
        mech__put_num(b, tr->t[i]);
        for (size_t j = 0; j < tr->ncols; j++) {
            mech__blob_put(b, ",", 1);
            if (isnan(tr->col[j].v[i]))
                mech__blob_put(b, "nan", 3);
            else
                mech__put_num(b, tr->col[j].v[i]);
        }
        mech__blob_put(b, "\n", 1);
    }
    return b->st;
}

/* Next field of a NUL-terminated line at *pp, unquoted in place; NULL if a
 * quoted field is malformed. *pp is left after the delimiter or at the end
 * (and set to NULL after the last field). */
static char *next_field(char **pp)
{
    char *p = *pp, *field = p;
    if (*p == '"') {
        char *w = field = ++p;
        for (;;) {
            if (*p == '\0') return NULL;
            if (*p == '"' && p[1] == '"') {
                *w++ = '"';
                p += 2;
            } else if (*p == '"') {
                p++;
                break;
            } else {
                *w++ = *p++;
            }
        }
        if (*p != ',' && *p != '\0') return NULL;
        *w = '\0';
    } else {
        while (*p && *p != ',') p++;
    }
    if (*p == ',') {
        *p = '\0';
        *pp = p + 1;
    } else {
        *pp = NULL;
    }
    return field;
}

static bool parse_value(const char *s, double *v)
{
    if (*s == '\0' || strcasecmp(s, "nan") == 0) {
        *v = NAN;
        return true;
    }
    char *stop = NULL;
    *v = strtod(s, &stop);
    return stop != s && *stop == '\0';
}

/* Copies the next line of buf into line (NUL-terminated, no "\r\n"). */
static bool next_line(const char **p, const char *end, char *line)
{
    if (*p >= end) return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    memcpy(line, *p, n);
    if (n && line[n - 1] == '\r') n--;
    line[n] = '\0';
    *p = nl ? nl + 1 : end;
    return true;
}

static mech_status parse_lines(const char *buf, const char *end, char *line,
                               const mech_ctx *ctx, mech_trace **out)
{
    const char *p = buf;
    mech_trace *tr = NULL;
    MECH_TRY(mech_trace_create(&tr, ctx, MECH_AXIS_STEP));
    *out = tr;
    bool have_line;
    while ((have_line = next_line(&p, end, line)) && line[0] == '#') {
        char *kv = line + 1 + (line[1] == ' ');
        char *eq = strchr(kv, '=');
        if (!eq) return mech__fail(NULL, MECH_EFORMAT, "metadata line without '='");
        *eq = '\0';
        MECH_TRY(mech_trace_set_meta(tr, kv, eq + 1));
    }
    if (!have_line) return mech__fail(NULL, MECH_EFORMAT, "no header line");
    char *cur = line, *f = next_field(&cur);
    if (!f || mech_axis_lookup(f, &tr->axis) < 0)
        return mech__fail(NULL, MECH_EFORMAT, "header must start with an axis name");
    MECH_TRY(mech_trace_set_meta(tr, "axis", f));
    while (cur) {
        size_t idx = 0;
        if (!(f = next_field(&cur)))
            return mech__fail(NULL, MECH_EFORMAT, "malformed quoted column name");
        MECH_TRY(mech_trace_add_column(tr, f, &idx));
        if (idx + 1 != tr->ncols)
            return mech__fail(NULL, MECH_EFORMAT, "repeated column name '%s'", f);
    }
    double *vals = mech__calloc(tr->ncols, sizeof *vals, NULL);
    if (!vals) return MECH_ENOMEM;
    mech_status st = MECH_OK;
    for (size_t row = 0; st >= 0 && next_line(&p, end, line); row++) {
        double t = NAN;
        size_t n = 0;
        cur = line;
        while (cur && n <= tr->ncols) {
            f = next_field(&cur);
            if (!f || !parse_value(f, n ? &vals[n - 1] : &t)) break;
            n++;
        }
        if (cur || n != tr->ncols + 1)
            st = mech__fail(NULL, MECH_EFORMAT, "row %zu: bad number or field count", row);
        else if (mech_trace_append(tr, t, vals, tr->ncols) < 0)
            st = mech__fail(NULL, MECH_EFORMAT, "row %zu: %s", row, tr->err.msg);
    }
    free(vals);
    return st;
}

mech_status mech__csv_read(const char *buf, size_t len, const mech_ctx *ctx,
                           mech_trace **out)
{
    if (memchr(buf, '\0', len))
        return mech__fail(NULL, MECH_EFORMAT, "NUL byte in a CSV file");
    char *line = mech__calloc(len + 1, 1, NULL);
    if (!line) return MECH_ENOMEM;
    mech_status st = parse_lines(buf, buf + len, line, ctx, out);
    free(line);
    return st;
}
