/* NumPy .npy: header writer/parser (shared with npz.c) and the 2-D trace
 * array (rows x (1 + columns), time first). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static const char NPY_MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

void mech__npy_put_header(mech_blob *b, const char *descr, int ndim, const size_t *shape)
{
    char dict[256];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    for (int d = 0; d < ndim; d++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%zu", d ? ", " : "", shape[d]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    /* numpy pads the header with spaces and a newline to a multiple of 64 */
    size_t hlen = (size_t)n + 1;
    hlen += (64 - (10 + hlen) % 64) % 64;
    unsigned char pre[10];
    memcpy(pre, NPY_MAGIC, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(hlen & 0xFF);
    pre[9] = (unsigned char)(hlen >> 8);
    mech__blob_put(b, pre, 10);
    mech__blob_put(b, dict, (size_t)n);
    for (size_t i = (size_t)n; i + 1 < hlen; i++) mech__blob_put(b, " ", 1);
    mech__blob_put(b, "\n", 1);
}

/* ---- parsing the header dict (a Python literal) ---- */

typedef struct hcur {
    const char *p, *end;
} hcur;

static bool h_accept(hcur *h, char ch)
{
    while (h->p < h->end && *h->p == ' ') h->p++;
    if (h->p < h->end && *h->p == ch) {
        h->p++;
        return true;
    }
    return false;
}

/* A quoted string into out (cap bytes); false if malformed or too long. */
static bool h_string(hcur *h, char *out, size_t cap)
{
    char q = h_accept(h, '\'') ? '\'' : h_accept(h, '"') ? '"' : 0;
    if (!q) return false;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (n + 1 >= cap) return false;
        out[n++] = *h->p++;
    }
    if (h->p >= h->end) return false;
    h->p++;
    out[n] = '\0';
    return true;
}

static bool h_size(hcur *h, size_t *v)
{
    while (h->p < h->end && *h->p == ' ') h->p++;
    if (h->p >= h->end || *h->p < '0' || *h->p > '9') return false;
    *v = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        size_t d = (size_t)(*h->p++ - '0');
        if (*v > (SIZE_MAX - d) / 10) return false;
        *v = *v * 10 + d;
    }
    return true;
}

static bool h_shape(hcur *h, mech_npy *a)
{
    if (!h_accept(h, '(')) return false;
    a->ndim = 0;
    while (!h_accept(h, ')')) {
        if (a->ndim == 2 || !h_size(h, &a->shape[a->ndim++])) return false;
        if (!h_accept(h, ',') && !(h->p < h->end && *h->p == ')')) return false;
    }
    return true;
}

static bool h_bool(hcur *h, bool *v)
{
    while (h->p < h->end && *h->p == ' ') h->p++;
    size_t left = (size_t)(h->end - h->p);
    if (left >= 4 && memcmp(h->p, "True", 4) == 0) *v = true, h->p += 4;
    else if (left >= 5 && memcmp(h->p, "False", 5) == 0) *v = false, h->p += 5;
    else return false;
    return true;
}

static mech_status parse_dict(hcur *h, mech_npy *a)
{
    bool seen[3] = {false, false, false}, ok = h_accept(h, '{');
    while (ok && !h_accept(h, '}')) {
        char key[16];
        ok = h_string(h, key, sizeof key) && h_accept(h, ':');
        int k = !ok ? -1 : strcmp(key, "descr") == 0 ? 0
              : strcmp(key, "fortran_order") == 0 ? 1 : strcmp(key, "shape") == 0 ? 2 : -1;
        ok = k >= 0 && !seen[k];
        if (ok) seen[k] = true;
        if (ok && k == 0) ok = h_string(h, a->descr, sizeof a->descr);
        if (ok && k == 1) ok = h_bool(h, &a->fortran);
        if (ok && k == 2) ok = h_shape(h, a);
        if (ok && !h_accept(h, ',') && !(h->p < h->end && *h->p == '}')) ok = false;
    }
    if (!ok || !seen[0] || !seen[1] || !seen[2])
        return mech__fail(NULL, MECH_EFORMAT, "malformed .npy header");
    return MECH_OK;
}

static size_t item_size(const char *descr)
{
    if (strcmp(descr, "<f8") == 0) return 8;
    if (strncmp(descr, "<U", 2) == 0) {
        hcur h = {descr + 2, descr + strlen(descr)};
        size_t n = 0;
        if (h_size(&h, &n) && h.p == h.end && n > 0 && n <= SIZE_MAX / 4) return 4 * n;
    }
    return 0;
}

mech_status mech__npy_parse(const unsigned char *buf, size_t len, mech_npy *a)
{
    memset(a, 0, sizeof *a);
    if (len < 10 || memcmp(buf, NPY_MAGIC, 6) != 0)
        return mech__fail(NULL, MECH_EFORMAT, "not a .npy array (bad magic)");
    size_t start = 10, hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    if (buf[6] == 2 || buf[6] == 3) {
        if (len < 12) return mech__fail(NULL, MECH_EFORMAT, "truncated .npy header");
        start = 12;
        hlen = hlen | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    } else if (buf[6] != 1) {
        return mech__fail(NULL, MECH_EFORMAT, ".npy version %d unknown", buf[6]);
    }
    if (hlen > len - start) return mech__fail(NULL, MECH_EFORMAT, "truncated .npy header");
    hcur h = {(const char *)buf + start, (const char *)buf + start + hlen};
    MECH_TRY(parse_dict(&h, a));
    size_t item = item_size(a->descr), count = 1, bytes = 0;
    if (!item)
        return mech__fail(NULL, MECH_EUNSUPPORTED, ".npy dtype '%s' not supported", a->descr);
    for (int d = 0; d < a->ndim; d++)
        if (mech__mul(count, a->shape[d], &count, NULL) < 0) return MECH_EFORMAT;
    if (mech__mul(count, item, &bytes, NULL) < 0) return MECH_EFORMAT;
    a->data = buf + start + hlen;
    a->data_len = len - start - hlen;
    if (a->data_len != bytes)
        return mech__fail(NULL, MECH_EFORMAT, ".npy data has %zu bytes, shape needs %zu",
                          a->data_len, bytes);
    return MECH_OK;
}

double mech__npy_f64(const mech_npy *a, size_t i)
{
    uint64_t u = 0;
    for (int k = 0; k < 8; k++) u |= (uint64_t)a->data[8 * i + (size_t)k] << (8 * k);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

mech_status mech__npy_write(const mech_trace *tr, mech_blob *b)
{
    size_t shape[2] = {tr->rows, tr->ncols + 1};
    mech__npy_put_header(b, "<f8", 2, shape);
    for (size_t i = 0; i < tr->rows; i++) {
        mech__blob_put_f64(b, tr->t[i]);
        for (size_t j = 0; j < tr->ncols; j++) mech__blob_put_f64(b, tr->col[j].v[i]);
    }
    return b->st;
}

mech_status mech__npy_read(const unsigned char *buf, size_t len, const mech_ctx *ctx,
                           mech_trace **out)
{
    mech_npy a;
    MECH_TRY(mech__npy_parse(buf, len, &a));
    if (strcmp(a.descr, "<f8") != 0 || a.ndim != 2 || a.shape[1] == 0)
        return mech__fail(NULL, MECH_EFORMAT, "a trace .npy is a 2-D float64 array");
    size_t rows = a.shape[0], ncols = a.shape[1] - 1;
    MECH_TRY(mech_trace_create(out, ctx, MECH_AXIS_STEP));
    mech_trace *tr = *out;
    for (size_t j = 0; j < ncols; j++) {
        char name[32];
        snprintf(name, sizeof name, "c%zu", j);
        MECH_TRY(mech_trace_add_column(tr, name, NULL));
    }
    MECH_TRY(mech_trace_reserve(tr, rows));
    for (size_t i = 0; i < rows; i++) {
        MECH_TRY(mech_trace_begin_row(tr, mech__npy_f64(&a, a.fortran ? i : i * (ncols + 1))));
        for (size_t j = 0; j < ncols; j++)
            MECH_TRY(mech_trace_put(tr, j, mech__npy_f64(&a, a.fortran ? (j + 1) * rows + i
                                                                         : i * (ncols + 1) + j + 1)));
    }
    return MECH_OK;
}
