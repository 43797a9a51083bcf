/* The little JSON the trace formats need: escaped strings, numbers and
 * null, and the header object shared by JSONL and NPZ. The reader is a
 * flat cursor (no recursion), so hostile nesting cannot exhaust the stack. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

void mech__json_put_str(mech_blob *b, const char *s)
{
    mech__blob_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            mech__blob_put(b, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            mech__blob_put(b, esc, 6);
        } else {
            mech__blob_put(b, s, 1);
        }
    }
    mech__blob_put(b, "\"", 1);
}

void mech__json_put_header(mech_blob *b, const mech_trace *tr)
{
    mech__blob_put(b, "{\"meta\":{", 9);
    for (size_t k = 0; k < tr->nmeta; k++) {
        if (k) mech__blob_put(b, ",", 1);
        mech__json_put_str(b, tr->meta[k].key);
        mech__blob_put(b, ":", 1);
        mech__json_put_str(b, tr->meta[k].val);
    }
    mech__blob_put(b, "},\"axis\":", 9);
    mech__json_put_str(b, mech_axis_name(tr->axis));
    mech__blob_put(b, ",\"columns\":[", 12);
    for (size_t j = 0; j < tr->ncols; j++) {
        if (j) mech__blob_put(b, ",", 1);
        mech__json_put_str(b, tr->col[j].name);
    }
    mech__blob_put(b, "]}", 2);
}

static bool bad(mech_jcur *c, const char *what)
{
    if (c->st >= 0) c->st = mech__fail(NULL, MECH_EFORMAT, "JSON: %s", what);
    return false;
}

void mech__json_ws(mech_jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

bool mech__json_accept(mech_jcur *c, char ch)
{
    mech__json_ws(c);
    if (c->st < 0 || c->p >= c->end || *c->p != ch) return false;
    c->p++;
    return true;
}

bool mech__json_expect(mech_jcur *c, char ch)
{
    if (mech__json_accept(c, ch)) return true;
    char msg[32];
    snprintf(msg, sizeof msg, "expected '%c'", ch);
    return bad(c, msg);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes \uXXXX (and a following low surrogate) at c->p (after the 'u'). */
static bool unicode_escape(mech_jcur *c, unsigned long *cp)
{
    if (c->end - c->p < 4 || (*cp = (unsigned long)hex4(c->p)) > 0xFFFF)
        return bad(c, "bad \\u escape");
    c->p += 4;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return bad(c, "lone low surrogate");
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        int lo = c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u' ? hex4(c->p + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) return bad(c, "lone high surrogate");
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
        c->p += 6;
    }
    if (*cp == 0) return bad(c, "\\u0000 in a string");
    return true;
}

char *mech__json_string(mech_jcur *c)
{
    if (!mech__json_expect(c, '"')) return NULL;
    char *out = malloc((size_t)(c->end - c->p) + 1);
    if (!out) {
        c->st = mech__fail(NULL, MECH_ENOMEM, "cannot allocate a JSON string");
        return NULL;
    }
    size_t n = 0;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"') {
            out[n] = '\0';
            return out;
        }
        if (ch < 0x20) break;
        if (ch != '\\') {
            out[n++] = (char)ch;
            continue;
        }
        if (c->p >= c->end) break;
        char e = *c->p++;
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        unsigned long cp;
        if (hit)
            out[n++] = to[hit - from];
        else if (e == 'u' && unicode_escape(c, &cp))
            n += put_utf8(out + n, cp);
        else
            break;
    }
    free(out);
    bad(c, "unterminated or malformed string");
    return NULL;
}

double mech__json_number(mech_jcur *c)
{
    mech__json_ws(c);
    if (c->st < 0) return NAN;
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        return NAN;
    }
    const char *s = c->p;
    while (c->p < c->end && *c->p && strchr("0123456789+-.eE", *c->p)) c->p++;
    if (c->p == s || !(*s == '-' || (*s >= '0' && *s <= '9'))) {
        bad(c, "expected a number or null");
        return NAN;
    }
    char *stop = NULL;
    double v = strtod(s, &stop);
    if (stop != c->p) bad(c, "malformed number");
    return v;
}

mech_status mech__json_read_header(mech_jcur *c, const mech_ctx *ctx, mech_trace **out)
{
    mech_trace *tr = NULL;
    MECH_TRY(mech_trace_create(&tr, ctx, MECH_AXIS_STEP));
    *out = tr;
    char **cols = NULL;
    size_t ncols = 0;
    bool seen_meta = false, seen_axis = false, seen_cols = false;
    mech__json_expect(c, '{');
    do {
        char *key = mech__json_string(c);
        if (!key || !mech__json_expect(c, ':')) {
            free(key);
            break;
        }
        if (strcmp(key, "meta") == 0 && !seen_meta) {
            seen_meta = true;
            mech__json_expect(c, '{');
            if (!mech__json_accept(c, '}')) {
                do {
                    char *k = mech__json_string(c), *v = NULL;
                    if (k && mech__json_expect(c, ':')) v = mech__json_string(c);
                    if (v && mech_trace_set_meta(tr, k, v) < 0) c->st = MECH_EFORMAT;
                    free(k);
                    free(v);
                } while (c->st >= 0 && mech__json_accept(c, ','));
                mech__json_expect(c, '}');
            }
        } else if (strcmp(key, "axis") == 0 && !seen_axis) {
            seen_axis = true;
            char *a = mech__json_string(c);
            if (a && mech_axis_lookup(a, &tr->axis) < 0) c->st = MECH_EFORMAT;
            free(a);
        } else if (strcmp(key, "columns") == 0 && !seen_cols) {
            seen_cols = true;
            mech__json_expect(c, '[');
            if (!mech__json_accept(c, ']')) {
                do {
                    char *name = mech__json_string(c);
                    char **grown = name ? realloc(cols, (ncols + 1) * sizeof *cols) : NULL;
                    if (!grown) {
                        free(name);
                        if (name) c->st = mech__fail(NULL, MECH_ENOMEM, "out of memory");
                        break;
                    }
                    cols = grown;
                    cols[ncols++] = name;
                } while (mech__json_accept(c, ','));
                mech__json_expect(c, ']');
            }
        } else {
            bad(c, "unknown or repeated key in the header");
        }
        free(key);
    } while (c->st >= 0 && mech__json_accept(c, ','));
    mech__json_expect(c, '}');
    if (c->st >= 0 && !(seen_meta && seen_axis && seen_cols))
        bad(c, "header lacks meta, axis or columns");
    if (c->st >= 0) c->st = mech_trace_set_meta(tr, "axis", mech_axis_name(tr->axis));
    for (size_t j = 0; j < ncols && c->st >= 0; j++) {
        size_t idx = 0;
        c->st = mech_trace_add_column(tr, cols[j], &idx);
        if (c->st >= 0 && idx != j) bad(c, "repeated column name");
    }
    for (size_t j = 0; j < ncols; j++) free(cols[j]);
    free(cols);
    return c->st;
}
