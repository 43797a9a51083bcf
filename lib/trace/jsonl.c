/* JSON Lines: a header object, then {"<axis>":t,"<col>":v,...} per row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static void put_num_or_null(mech_blob *b, double v)
{
    if (isnan(v))
        mech__blob_put(b, "null", 4);
    else
        mech__put_num(b, v);
}

mech_status mech__jsonl_write(const mech_trace *tr, mech_blob *b)
{
    mech__json_put_header(b, tr);
    mech__blob_put(b, "\n", 1);
    for (size_t i = 0; i < tr->rows; i++) {
        mech__blob_put(b, "{", 1);
        mech__json_put_str(b, mech_axis_name(tr->axis));
        mech__blob_put(b, ":", 1);
        mech__put_num(b, tr->t[i]);
        for (size_t j = 0; j < tr->ncols; j++) {
            mech__blob_put(b, ",", 1);
            mech__json_put_str(b, tr->col[j].name);
            mech__blob_put(b, ":", 1);
            put_num_or_null(b, tr->col[j].v[i]);
        }
        mech__blob_put(b, "}\n", 2);
    }
    return b->st;
}

/* One row object into vals (NaN where absent); seen[] flags repeats. */
static void read_row(mech_jcur *c, const mech_trace *tr, double *t, double *vals,
                     unsigned char *seen)
{
    const char *axis = mech_axis_name(tr->axis);
    bool have_t = false;
    for (size_t j = 0; j < tr->ncols; j++) vals[j] = NAN, seen[j] = 0;
    mech__json_expect(c, '{');
    if (mech__json_accept(c, '}')) c->st = mech__fail(NULL, MECH_EFORMAT, "empty row");
    while (c->st >= 0) {
        char *key = mech__json_string(c);
        if (!key || !mech__json_expect(c, ':')) {
            free(key);
            return;
        }
        double v = mech__json_number(c);
        size_t j = strcmp(key, axis) == 0 ? SIZE_MAX - 1 : mech__trace_find(tr, key, "");
        if (j == SIZE_MAX || (j == SIZE_MAX - 1 ? have_t : seen[j]))
            c->st = mech__fail(NULL, MECH_EFORMAT, "unknown or repeated key '%s'", key);
        else if (j == SIZE_MAX - 1)
            have_t = true, *t = v;
        else
            seen[j] = 1, vals[j] = v;
        free(key);
        if (!mech__json_accept(c, ',')) break;
    }
    mech__json_expect(c, '}');
    if (c->st >= 0 && !have_t)
        c->st = mech__fail(NULL, MECH_EFORMAT, "row without '%s'", axis);
}

mech_status mech__jsonl_read(const char *buf, size_t len, const mech_ctx *ctx,
                             mech_trace **out)
{
    mech_jcur c = {buf, buf + len, MECH_OK};
    MECH_TRY(mech__json_read_header(&c, ctx, out));
    mech_trace *tr = *out;
    double *vals = mech__calloc(tr->ncols, sizeof *vals, NULL);
    unsigned char *seen = mech__calloc(tr->ncols, 1, NULL);
    if (!vals || !seen) c.st = MECH_ENOMEM;
    for (size_t row = 0; c.st >= 0; row++) {
        mech__json_ws(&c);
        if (c.p == c.end) break;
        double t = NAN;
        read_row(&c, tr, &t, vals, seen);
        if (c.st >= 0 && mech_trace_append(tr, t, vals, tr->ncols) < 0)
            c.st = mech__fail(NULL, MECH_EFORMAT, "row %zu: %s", row, tr->err.msg);
    }
    free(vals);
    free(seen);
    return c.st;
}
