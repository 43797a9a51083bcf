/* NumPy .npy reader (format versions 1-3) for datasets: strict header
 * parsing, little-endian float64/float32/int64/int32, 1-D or 2-D, C or
 * Fortran order. Anything malformed is refused with MECH_EFORMAT. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

typedef struct npy_array {
    double *data;      /* rows x cols, row-major */
    size_t rows, cols;
} npy_array;

typedef struct npy_header {
    char descr[16];
    int fortran;       /* -1 = not seen */
    size_t shape[3];
    int ndim;          /* -1 = not seen; 3 means "more than 2" */
} npy_header;

static mech_status bad(const char *path, const char *what)
{
    return mech__fail(NULL, MECH_EFORMAT, "%s: not a valid .npy file: %s", path, what);
}

static mech_status read_all(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return mech__fail(NULL, MECH_EIO, "%s: cannot open: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return mech__fail(NULL, MECH_EIO, "%s: cannot determine the file size", path);
    }
    *len = (size_t)size;
    *buf = mech__calloc(*len ? *len : 1, 1, NULL);
    if (!*buf) {
        fclose(f);
        return MECH_ENOMEM;
    }
    size_t got = fread(*buf, 1, *len, f);
    fclose(f);
    if (got != *len) {
        free(*buf);
        return mech__fail(NULL, MECH_EIO, "%s: read %zu of %zu bytes", path, got, *len);
    }
    return MECH_OK;
}

static void skip_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) (*p)++;
}

/* A quoted Python string literal (no escapes) into out[cap]. */
static bool parse_str(const char **p, const char *end, char *out, size_t cap)
{
    if (*p >= end || (**p != '\'' && **p != '"')) return false;
    char q = *(*p)++;
    size_t n = 0;
    while (*p < end && **p != q) {
        if (**p == '\\' || n + 1 >= cap) return false;
        out[n++] = *(*p)++;
    }
    if (*p >= end) return false;
    (*p)++;
    out[n] = '\0';
    return true;
}

static bool parse_word(const char **p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0) return false;
    *p += n;
    return true;
}

static bool parse_shape(const char **p, const char *end, npy_header *h)
{
    if (*p >= end || **p != '(') return false;
    (*p)++;
    h->ndim = 0;
    for (;;) {
        skip_ws(p, end);
        if (*p < end && **p == ')') break;
        if (*p >= end || !isdigit((unsigned char)**p)) return false;
        size_t v = 0;
        while (*p < end && isdigit((unsigned char)**p)) {
            size_t digit = (size_t)(**p - '0');
            if (v > (SIZE_MAX - digit) / 10) return false;
            v = v * 10 + digit;
            (*p)++;
        }
        if (h->ndim < 3) h->shape[h->ndim] = v;
        if (h->ndim < 3) h->ndim++;
        skip_ws(p, end);
        if (*p < end && **p == ',') { (*p)++; continue; }
        if (*p < end && **p == ')') break;
        return false;
    }
    (*p)++;
    /* a 1-tuple needs its comma in Python: "(5)" is not a tuple */
    return true;
}

static mech_status parse_header(const char *path, const char *p, const char *end,
                                npy_header *h)
{
    h->descr[0] = '\0';
    h->fortran = -1;
    h->ndim = -1;
    skip_ws(&p, end);
    if (p >= end || *p++ != '{') return bad(path, "header is not a dict");
    for (;;) {
        char key[32];
        skip_ws(&p, end);
        if (p < end && *p == '}') break;
        if (!parse_str(&p, end, key, sizeof key)) return bad(path, "bad dict key");
        skip_ws(&p, end);
        if (p >= end || *p++ != ':') return bad(path, "missing ':' in header");
        skip_ws(&p, end);
        if (strcmp(key, "descr") == 0 && !h->descr[0]) {
            if (!parse_str(&p, end, h->descr, sizeof h->descr) || !h->descr[0])
                return bad(path, "bad 'descr'");
        } else if (strcmp(key, "fortran_order") == 0 && h->fortran < 0) {
            if (parse_word(&p, end, "True")) h->fortran = 1;
            else if (parse_word(&p, end, "False")) h->fortran = 0;
            else return bad(path, "bad 'fortran_order'");
        } else if (strcmp(key, "shape") == 0 && h->ndim < 0) {
            if (!parse_shape(&p, end, h)) return bad(path, "bad 'shape'");
        } else {
            return bad(path, "unknown or repeated header key");
        }
        skip_ws(&p, end);
        if (p < end && *p == ',') { p++; continue; }
        if (p < end && *p == '}') break;
        return bad(path, "expected ',' or '}' in header");
    }
    p++;
    skip_ws(&p, end);
    if (p != end) return bad(path, "trailing characters after the header dict");
    if (!h->descr[0] || h->fortran < 0 || h->ndim < 0)
        return bad(path, "header lacks 'descr', 'fortran_order' or 'shape'");
    return MECH_OK;
}

static uint64_t le_bytes(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static double convert(const unsigned char *b, char type, int size)
{
    uint64_t bits = le_bytes(b, size);
    if (type == 'f' && size == 8) {
        double v;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    if (type == 'f') {
        uint32_t w = (uint32_t)bits;
        float v;
        memcpy(&v, &w, sizeof v);
        return (double)v;
    }
    if (size == 8) return (double)(int64_t)bits;
    return (double)(int32_t)(uint32_t)bits;
}

static mech_status load_array(const char *path, npy_array *a)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    MECH_TRY(read_all(path, &buf, &len));
    mech_status st = MECH_OK;
    npy_header h;
    size_t hstart, hlen = 0, count = 1, bytes = 0;
    char type = 0;
    int size = 0;

    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        st = bad(path, "missing magic string");
        goto done;
    }
    if (buf[6] < 1 || buf[6] > 3) {
        st = bad(path, "unknown format version");
        goto done;
    }
    hstart = buf[6] == 1 ? 10 : 12;
    if (len < hstart) {
        st = bad(path, "truncated header");
        goto done;
    }
    hlen = (size_t)le_bytes(buf + 8, buf[6] == 1 ? 2 : 4);
    if (hlen > len - hstart || hlen == 0 || buf[hstart + hlen - 1] != '\n') {
        st = bad(path, "truncated header");
        goto done;
    }
    st = parse_header(path, (const char *)buf + hstart, (const char *)buf + hstart + hlen, &h);
    if (st < 0) goto done;

    if (strcmp(h.descr, "<f8") == 0 || strcmp(h.descr, "<f4") == 0 ||
        strcmp(h.descr, "<i8") == 0 || strcmp(h.descr, "<i4") == 0) {
        type = h.descr[1];
        size = h.descr[2] - '0';
    } else {
        st = mech__fail(NULL, MECH_EUNSUPPORTED, "%s: dtype '%s' is not supported "
                        "(little-endian <f8 <f4 <i8 <i4 only)", path, h.descr);
        goto done;
    }
    if (h.ndim == 0 || h.ndim > 2) {
        st = mech__fail(NULL, MECH_EUNSUPPORTED, "%s: %s arrays are not datasets (1-D or "
                        "2-D only)", path, h.ndim == 0 ? "0-D" : "higher-dimensional");
        goto done;
    }
    a->rows = h.shape[0];
    a->cols = h.ndim == 2 ? h.shape[1] : 1;
    if (mech__mul(a->rows, a->cols, &count, NULL) < 0 ||
        mech__mul(count, (size_t)size, &bytes, NULL) < 0) {
        st = bad(path, "shape too large");
        goto done;
    }
    if (bytes != len - hstart - hlen) {
        st = bad(path, bytes > len - hstart - hlen ? "data truncated"
                                                   : "trailing bytes after the data");
        goto done;
    }
    if (count == 0) {
        st = mech__fail(NULL, MECH_ESHAPE, "%s: empty array", path);
        goto done;
    }
    a->data = mech__calloc(count, sizeof *a->data, NULL);
    if (!a->data) {
        st = MECH_ENOMEM;
        goto done;
    }
    const unsigned char *src = buf + hstart + hlen;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            size_t at = h.fortran == 1 ? j * a->rows + i : i * a->cols + j;
            a->data[i * a->cols + j] = convert(src + at * (size_t)size, type, size);
        }
done:
    free(buf);
    return st;
}

MECH_API mech_status mech_data_load_npy(mech_data **out, const mech_ctx *ctx,
                                        const char *x_path, const char *y_path)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, x_path);
    npy_array x = {0}, y = {0};
    mech_status st = load_array(x_path, &x);
    if (st >= 0 && y_path) st = load_array(y_path, &y);
    if (st >= 0 && y_path && y.rows != x.rows)
        st = mech__fail(NULL, MECH_ESHAPE, "%s has %zu rows but %s has %zu", x_path, x.rows,
                        y_path, y.rows);
    if (st >= 0) st = mech__check_finite(x.data, x.rows * x.cols, "x", NULL);
    if (st >= 0 && y_path) st = mech__check_finite(y.data, y.rows * y.cols, "y", NULL);
    if (st < 0) {
        free(x.data);
        free(y.data);
        return st;
    }
    return mech__data_adopt(out, ctx, NULL, x.data, y.data, x.rows, x.cols,
                            y_path ? y.cols : 0, NULL);
}
