/* NumPy .npz: a zip of 'stored' .npy entries ("<axis>.npy", "<col>.npy",
 * "__meta__.npy" holding the JSON header as a 0-d unicode array). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static void put_le(mech_blob *b, uint64_t v, int n)
{
    unsigned char tmp[8];
    for (int i = 0; i < n; i++) tmp[i] = (unsigned char)(v >> (8 * i));
    mech__blob_put(b, tmp, (size_t)n);
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

typedef struct zentry {
    const char *name; /* without ".npy" */
    size_t offset;
    uint32_t crc, size;
} zentry;

#define ZIP_UTF8 0x0800u  /* names are UTF-8 */
#define ZIP_DATE 0x0021u  /* 1980-01-01, the zip epoch */

static void put_local_header(mech_blob *b, const char *name, uint32_t crc, uint32_t size)
{
    put_le(b, 0x04034b50u, 4);
    put_le(b, 20, 2);
    put_le(b, ZIP_UTF8, 2);
    put_le(b, 0, 2); /* stored */
    put_le(b, 0, 2);
    put_le(b, ZIP_DATE, 2);
    put_le(b, crc, 4);
    put_le(b, size, 4);
    put_le(b, size, 4);
    put_le(b, strlen(name) + 4, 2);
    put_le(b, 0, 2);
    mech__blob_put(b, name, strlen(name));
    mech__blob_put(b, ".npy", 4);
}

/* Starts an entry: local header with placeholders patched by end_entry. */
static void begin_entry(mech_blob *b, zentry *z, const char *name)
{
    z->name = name;
    z->offset = b->len;
    put_local_header(b, name, 0, 0);
}

static mech_status end_entry(mech_blob *b, zentry *z)
{
    if (b->st < 0) return b->st;
    size_t data = z->offset + 30 + strlen(z->name) + 4, n = b->len - data;
    if (n > UINT32_MAX || b->len > UINT32_MAX)
        return b->st = mech__fail(b->err, MECH_EUNSUPPORTED, ".npz over 4 GiB (zip64)");
    z->size = (uint32_t)n;
    z->crc = mech__crc32(0, b->buf + data, n);
    for (int i = 0; i < 4; i++) {
        b->buf[z->offset + 14 + (size_t)i] = (unsigned char)(z->crc >> (8 * i));
        b->buf[z->offset + 18 + (size_t)i] = (unsigned char)(z->size >> (8 * i));
        b->buf[z->offset + 22 + (size_t)i] = (unsigned char)(z->size >> (8 * i));
    }
    return MECH_OK;
}

static void put_column(mech_blob *b, const double *v, size_t n)
{
    mech__npy_put_header(b, "<f8", 1, &n);
    mech__blob_put_f64s(b, v, n);
}

/* The header JSON as a 0-d "<U n" array (UTF-32LE code points). */
static void put_meta(mech_blob *b, const mech_trace *tr, mech_err *e)
{
    mech_blob js;
    mech__blob_init(&js, e);
    mech__json_put_header(&js, tr);
    size_t n = 0;
    for (size_t i = 0; i < js.len; i++) n += (js.buf[i] & 0xC0) != 0x80;
    char descr[32];
    snprintf(descr, sizeof descr, "<U%zu", n);
    mech__npy_put_header(b, descr, 0, NULL);
    for (size_t i = 0; i < js.len;) { /* text_ok validated the UTF-8 */
        unsigned c = js.buf[i], extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        uint32_t cp = extra ? c & (0x3Fu >> extra) : c;
        for (unsigned k = 1; k <= extra; k++) cp = cp << 6 | (js.buf[i + k] & 0x3Fu);
        put_le(b, cp, 4);
        i += extra + 1;
    }
    if (js.st < 0) b->st = js.st;
    mech__blob_free(&js);
}

mech_status mech__npz_write(const mech_trace *tr, mech_blob *b)
{
    size_t n = tr->ncols + 2;
    zentry *z = mech__calloc(n, sizeof *z, b->err);
    if (!z) return MECH_ENOMEM;
    mech_status st = MECH_OK;
    for (size_t k = 0; k < n && st >= 0; k++) {
        begin_entry(b, &z[k], k == 0 ? mech_axis_name(tr->axis)
                              : k <= tr->ncols ? tr->col[k - 1].name : "__meta__");
        if (k == 0) put_column(b, tr->t, tr->rows);
        else if (k <= tr->ncols) put_column(b, tr->col[k - 1].v, tr->rows);
        else put_meta(b, tr, b->err);
        st = end_entry(b, &z[k]);
    }
    size_t cd = b->len;
    for (size_t k = 0; k < n && st >= 0; k++) {
        put_le(b, 0x02014b50u, 4);
        put_le(b, 20, 2); /* made by */
        put_le(b, 20, 2); /* needed */
        put_le(b, ZIP_UTF8, 2);
        put_le(b, 0, 2);
        put_le(b, 0, 2);
        put_le(b, ZIP_DATE, 2);
        put_le(b, z[k].crc, 4);
        put_le(b, z[k].size, 4);
        put_le(b, z[k].size, 4);
        put_le(b, strlen(z[k].name) + 4, 2);
        put_le(b, 0, 2);  /* extra */
        put_le(b, 0, 2);  /* comment */
        put_le(b, 0, 2);  /* disk */
        put_le(b, 0, 2);  /* internal attributes */
        put_le(b, 0, 4);  /* external attributes */
        put_le(b, z[k].offset, 4);
        mech__blob_put(b, z[k].name, strlen(z[k].name));
        mech__blob_put(b, ".npy", 4);
    }
    if (st >= 0 && (n > 0xFFFF || b->len > UINT32_MAX))
        st = mech__fail(b->err, MECH_EUNSUPPORTED, ".npz too large for a plain zip");
    if (st >= 0) {
        size_t cd_size = b->len - cd;
        put_le(b, 0x06054b50u, 4);
        put_le(b, 0, 4);
        put_le(b, n, 2);
        put_le(b, n, 2);
        put_le(b, cd_size, 4);
        put_le(b, cd, 4);
        put_le(b, 0, 2);
    }
    free(z);
    return st < 0 ? st : b->st;
}

/* ---------------- reading ---------------- */

typedef struct zitem {
    char *key; /* entry name without ".npy" (owned) */
    mech_npy arr;
} zitem;

static mech_status zbad(const char *what)
{
    return mech__fail(NULL, MECH_EFORMAT, ".npz: %s", what);
}

/* Reads zip64 sizes/offset from a central extra field where needed. */
static mech_status zip64_fields(const unsigned char *x, size_t xlen, uint64_t *usize,
                                uint64_t *csize, uint64_t *off)
{
    uint64_t *want[3] = {usize, csize, off};
    while (xlen >= 4) {
        size_t id = (size_t)get_le(x, 2), n = (size_t)get_le(x + 2, 2);
        if (n > xlen - 4) return zbad("bad extra field");
        if (id == 1) {
            size_t pos = 0;
            for (int k = 0; k < 3; k++) {
                if (*want[k] != 0xFFFFFFFFu) continue;
                if (pos + 8 > n) return zbad("short zip64 field");
                *want[k] = get_le(x + 4 + pos, 8);
                pos += 8;
            }
        }
        x += 4 + n;
        xlen -= 4 + n;
    }
    return MECH_OK;
}

/* One central-directory entry at *pos: its name and its parsed array. */
static mech_status read_entry(const unsigned char *buf, size_t len, size_t cd_end,
                              size_t *pos, zitem *it)
{
    const unsigned char *c = buf + *pos;
    if (cd_end - *pos < 46 || get_le(c, 4) != 0x02014b50u) return zbad("bad central directory");
    size_t method = (size_t)get_le(c + 10, 2), nlen = (size_t)get_le(c + 28, 2);
    size_t xlen = (size_t)get_le(c + 30, 2), clen = (size_t)get_le(c + 32, 2);
    uint32_t crc = (uint32_t)get_le(c + 16, 4);
    uint64_t csize = get_le(c + 20, 4), usize = get_le(c + 24, 4), off = get_le(c + 42, 4);
    if (nlen + xlen + clen > cd_end - *pos - 46) return zbad("bad central directory");
    MECH_TRY(zip64_fields(c + 46 + nlen, xlen, &usize, &csize, &off));
    *pos += 46 + nlen + xlen + clen;
    if (method != 0)
        return mech__fail(NULL, MECH_EUNSUPPORTED,
                          ".npz entries must be stored (numpy.savez, not savez_compressed)");
    if (csize != usize) return zbad("stored entry with two sizes");
    if (nlen < 5 || memcmp(c + 46 + nlen - 4, ".npy", 4) != 0 ||
        memchr(c + 46, '\0', nlen))
        return zbad("entry is not a .npy file");
    if (off > len || len - off < 30 || get_le(buf + off, 4) != 0x04034b50u)
        return zbad("bad local header");
    size_t data = (size_t)off + 30, skip = (size_t)get_le(buf + off + 26, 2) +
                                           (size_t)get_le(buf + off + 28, 2);
    if (skip > len - data || usize > len - data - skip) return zbad("entry runs past the end");
    data += skip;
    if (mech__crc32(0, buf + data, (size_t)usize) != crc) return zbad("CRC mismatch");
    it->key = mech__calloc(nlen - 3, 1, NULL);
    if (!it->key) return MECH_ENOMEM;
    memcpy(it->key, c + 46, nlen - 4);
    return mech__npy_parse(buf + data, (size_t)usize, &it->arr);
}

/* UTF-32LE of a 0-d "<U n" array to a NUL-terminated UTF-8 string. */
static mech_status meta_text(const mech_npy *a, char **out)
{
    if (a->ndim != 0 || a->descr[1] != 'U') return zbad("__meta__ is not a 0-d string");
    size_t n = a->data_len / 4;
    char *s = mech__calloc(4 * n + 1, 1, NULL); /* <= 4 UTF-8 bytes per code point */
    if (!s) return MECH_ENOMEM;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = (uint32_t)get_le(a->data + 4 * i, 4);
        if (cp == 0) break; /* numpy pads with NULs */
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            free(s);
            return zbad("__meta__ holds an invalid code point");
        }
        unsigned char *o = (unsigned char *)s + w;
        if (cp < 0x80) o[0] = (unsigned char)cp, w += 1;
        else if (cp < 0x800) o[0] = (unsigned char)(0xC0 | cp >> 6), o[1] = (unsigned char)(0x80 | (cp & 0x3F)), w += 2;
        else if (cp < 0x10000) o[0] = (unsigned char)(0xE0 | cp >> 12), o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), o[2] = (unsigned char)(0x80 | (cp & 0x3F)), w += 3;
        else o[0] = (unsigned char)(0xF0 | cp >> 18), o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F)), o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), o[3] = (unsigned char)(0x80 | (cp & 0x3F)), w += 4;
    }
    s[w] = '\0';
    *out = s;
    return MECH_OK;
}

static size_t find_item(const zitem *it, size_t n, const char *key)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(it[k].key, key) == 0) return k;
    return SIZE_MAX;
}

/* Builds the trace from parsed entries. */
static mech_status assemble(zitem *it, size_t n, const mech_ctx *ctx, mech_trace **out)
{
    size_t meta = find_item(it, n, "__meta__");
    if (meta != SIZE_MAX) {
        char *text = NULL;
        MECH_TRY(meta_text(&it[meta].arr, &text));
        mech_jcur c = {text, text + strlen(text), MECH_OK};
        mech_status st = mech__json_read_header(&c, ctx, out);
        mech__json_ws(&c);
        if (st >= 0 && c.p != c.end) st = zbad("trailing text in __meta__");
        free(text);
        MECH_TRY(st);
        if ((*out)->ncols + 2 != n) return zbad("entries differ from the header's columns");
    } else {
        size_t found = 0;
        mech_axis ax = MECH_AXIS_STEP;
        for (int a = MECH_AXIS_ALPHA; a >= MECH_AXIS_STEP; a--)
            if (find_item(it, n, mech_axis_name((mech_axis)a)) != SIZE_MAX)
                found++, ax = (mech_axis)a;
        if (found != 1) return zbad("need exactly one array named step, time, samples or alpha");
        MECH_TRY(mech_trace_create(out, ctx, ax));
        for (size_t k = 0; k < n; k++) {
            if (strcmp(it[k].key, mech_axis_name(ax)) == 0) continue;
            size_t idx = 0;
            MECH_TRY(mech_trace_add_column(*out, it[k].key, &idx));
            if (idx + 1 != (*out)->ncols) return zbad("repeated entry name");
        }
    }
    mech_trace *tr = *out;
    size_t tk = find_item(it, n, mech_axis_name(tr->axis));
    if (tk == SIZE_MAX) return zbad("no time array");
    size_t rows = it[tk].arr.shape[0];
    size_t *src = mech__calloc(tr->ncols + 1, sizeof *src, NULL);
    if (!src) return MECH_ENOMEM;
    src[0] = tk;
    mech_status st = MECH_OK;
    for (size_t j = 0; j <= tr->ncols && st >= 0; j++) {
        if (j) src[j] = find_item(it, n, tr->col[j - 1].name);
        if (src[j] == SIZE_MAX) st = zbad("a column's array is missing");
        else if (strcmp(it[src[j]].arr.descr, "<f8") != 0 || it[src[j]].arr.ndim != 1 ||
                 it[src[j]].arr.shape[0] != rows)
            st = zbad("arrays must be float64, 1-D and of equal length");
    }
    if (st >= 0) st = mech_trace_reserve(tr, rows);
    for (size_t i = 0; i < rows && st >= 0; i++) {
        st = mech_trace_begin_row(tr, mech__npy_f64(&it[src[0]].arr, i));
        for (size_t j = 0; j < tr->ncols && st >= 0; j++)
            st = mech_trace_put(tr, j, mech__npy_f64(&it[src[j + 1]].arr, i));
    }
    free(src);
    return st;
}

mech_status mech__npz_read(const unsigned char *buf, size_t len, const mech_ctx *ctx,
                           mech_trace **out)
{
    if (len < 22) return zbad("too short for a zip");
    size_t eocd = len - 22, stop = len > 22 + 0xFFFF ? len - 22 - 0xFFFF : 0;
    while (get_le(buf + eocd, 4) != 0x06054b50u || eocd + 22 + get_le(buf + eocd + 20, 2) != len) {
        if (eocd == stop) return zbad("no end of central directory");
        eocd--;
    }
    size_t n = (size_t)get_le(buf + eocd + 10, 2);
    size_t cd_size = (size_t)get_le(buf + eocd + 12, 4), cd = (size_t)get_le(buf + eocd + 16, 4);
    if (cd > eocd || cd_size > eocd - cd || n == 0 || n == 0xFFFF)
        return zbad("bad end of central directory (zip64 is not supported)");
    zitem *it = mech__calloc(n, sizeof *it, NULL);
    if (!it) return MECH_ENOMEM;
    mech_status st = MECH_OK;
    size_t pos = cd;
    for (size_t k = 0; k < n && st >= 0; k++)
        st = read_entry(buf, len, cd + cd_size, &pos, &it[k]);
    for (size_t k = 0; k < n && st >= 0; k++)
        if (find_item(it, k, it[k].key) != SIZE_MAX) st = zbad("repeated entry name");
    if (st >= 0) st = assemble(it, n, ctx, out);
    for (size_t k = 0; k < n; k++) free(it[k].key);
    free(it);
    return st;
}
