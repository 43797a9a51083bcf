/* Binary containers: see blob.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"


uint32_t mech__crc32(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void mech__blob_init(mech_blob *b, mech_err *e)
{
    memset(b, 0, sizeof *b);
    b->err = e;
}

void mech__blob_free(mech_blob *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

void mech__blob_put(mech_blob *b, const void *data, size_t n)
{
    if (b->st < 0 || n == 0) return;
    if (n > SIZE_MAX - b->len) {
        b->st = mech__fail(b->err, MECH_EOVERFLOW, "serialized data too large");
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        unsigned char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->st = mech__fail(b->err, MECH_ENOMEM, "cannot grow buffer to %zu bytes", cap);
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

static void le_bytes(uint64_t v, unsigned char *out, int n)
{
    for (int i = 0; i < n; i++) out[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t from_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void mech__blob_put_u64(mech_blob *b, uint64_t v)
{
    unsigned char tmp[8];
    le_bytes(v, tmp, 8);
    mech__blob_put(b, tmp, 8);
}

void mech__blob_put_f64(mech_blob *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    mech__blob_put_u64(b, u);
}

void mech__blob_put_f64s(mech_blob *b, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) mech__blob_put_f64(b, v[i]);
}

void mech__blob_put_f32s(mech_blob *b, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        unsigned char tmp[4];
        memcpy(&u, &v[i], 4);
        le_bytes(u, tmp, 4);
        mech__blob_put(b, tmp, 4);
    }
}

void mech__blob_put_str(mech_blob *b, const char *s)
{
    size_t n = strlen(s);
    mech__blob_put_u64(b, n);
    mech__blob_put(b, s, n);
}

static void write_header(unsigned char head[MECH_BLOB_HEADER_BYTES], const mech_blob *b,
                         const char magic[8], uint32_t version)
{
    memcpy(head, magic, 8);
    le_bytes(version, head + 8, 4);
    le_bytes(b->len, head + 12, 8);
    /* The checksum covers version and length too. */
    le_bytes(mech__crc32(mech__crc32(0, head + 8, 12), b->buf, b->len), head + 20, 4);
}

mech_status mech__blob_to_memory(const mech_blob *b, const char magic[8], uint32_t version,
                                 void *out, size_t cap)
{
    if (b->st < 0) return b->st;
    if (cap < MECH_BLOB_HEADER_BYTES || cap - MECH_BLOB_HEADER_BYTES < b->len)
        return mech__fail(b->err, MECH_ESHAPE, "buffer of %zu bytes, state needs %zu", cap,
                          b->len + MECH_BLOB_HEADER_BYTES);
    unsigned char *o = out;
    write_header(o, b, magic, version);
    if (b->len) memcpy(o + MECH_BLOB_HEADER_BYTES, b->buf, b->len);
    return MECH_OK;
}

mech_status mech__blob_save(mech_blob *b, const char *path, const char magic[8],
                            uint32_t version)
{
    if (b->st < 0) return b->st;
    MECH_CHECK_PTR(b->err, path);
    unsigned char head[MECH_BLOB_HEADER_BYTES];
    write_header(head, b, magic, version);
    return mech__write_file_atomic(path, head, sizeof head, b->buf, b->len, b->err);
}

mech_status mech__write_file_atomic(const char *path, const void *head, size_t head_len,
                                    const void *body, size_t body_len, mech_err *e)
{
    size_t plen = strlen(path);
    char *tmp = mech__calloc(plen + 8, 1, e);
    if (!tmp) return MECH_ENOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(tmp);
        return mech__fail(e, MECH_EIO, "cannot open '%s' for writing", path);
    }
    int ok = (head_len == 0 || fwrite(head, 1, head_len, f) == head_len) &&
             (body_len == 0 || fwrite(body, 1, body_len, f) == body_len);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        free(tmp);
        return mech__fail(e, MECH_EIO, "cannot write '%s'", path);
    }
    free(tmp);
    return MECH_OK;
}

/* Checks a header against the bytes that follow it; what names the source
 * in messages. */
static mech_status check_header(mech_reader *r, const unsigned char *head, size_t available,
                                const char magic[8], const char *what, uint32_t *crc)
{
    if (memcmp(head, magic, 8) != 0)
        return r->st = mech__fail(r->err, MECH_EFORMAT, "%s is not a %.8s container", what,
                                  magic);
    r->version = (uint32_t)from_le(head + 8, 4);
    uint64_t len = from_le(head + 12, 8);
    *crc = (uint32_t)from_le(head + 20, 4);
    if (len != available)
        return r->st = mech__fail(r->err, MECH_EFORMAT, "%s is %s than its header says", what,
                                  available < len ? "shorter" : "longer");
    return MECH_OK;
}

static mech_status check_crc(mech_reader *r, const unsigned char *head, const char *what,
                             uint32_t crc)
{
    if (mech__crc32(mech__crc32(0, head + 8, 12), r->data, r->len) != crc) {
        mech__reader_close(r);
        return r->st = mech__fail(r->err, MECH_EFORMAT, "%s is corrupted (checksum)", what);
    }
    return MECH_OK;
}

mech_status mech__reader_from_memory(mech_reader *r, const void *data, size_t n,
                                     const char magic[8], mech_err *e)
{
    memset(r, 0, sizeof *r);
    r->err = e;
    MECH_CHECK_PTR(e, data);
    const unsigned char *in = data;
    uint32_t crc = 0;
    if (n < MECH_BLOB_HEADER_BYTES)
        return r->st = mech__fail(e, MECH_EFORMAT, "saved state is truncated (no header)");
    MECH_TRY(check_header(r, in, n - MECH_BLOB_HEADER_BYTES, magic, "saved state", &crc));
    r->len = n - MECH_BLOB_HEADER_BYTES;
    r->data = mech__calloc(r->len ? r->len : 1, 1, e);
    if (!r->data) return r->st = MECH_ENOMEM;
    memcpy(r->data, in + MECH_BLOB_HEADER_BYTES, r->len);
    return check_crc(r, in, "saved state", crc);
}

mech_status mech__reader_open(mech_reader *r, const char *path, const char magic[8],
                              mech_err *e)
{
    memset(r, 0, sizeof *r);
    r->err = e;
    MECH_CHECK_PTR(e, path);
    FILE *f = fopen(path, "rb");
    if (!f) return r->st = mech__fail(e, MECH_EIO, "cannot open '%s'", path);
    unsigned char head[MECH_BLOB_HEADER_BYTES];
    if (fread(head, 1, sizeof head, f) != sizeof head) {
        fclose(f);
        return r->st = mech__fail(e, MECH_EFORMAT, "'%s' is truncated (no header)", path);
    }
    /* Compare the declared length with the file before allocating. */
    long end = -1;
    if (fseek(f, 0, SEEK_END) == 0) end = ftell(f);
    if (end < 0 || fseek(f, MECH_BLOB_HEADER_BYTES, SEEK_SET) != 0) {
        fclose(f);
        return r->st = mech__fail(e, MECH_EIO, "cannot seek in '%s'", path);
    }
    uint32_t crc = 0;
    size_t available = (size_t)end - MECH_BLOB_HEADER_BYTES;
    if (check_header(r, head, available, magic, path, &crc) < 0) {
        fclose(f);
        return r->st;
    }
    r->data = mech__calloc(available ? available : 1, 1, e);
    if (!r->data) {
        fclose(f);
        return r->st = MECH_ENOMEM;
    }
    size_t got = fread(r->data, 1, available, f);
    fclose(f);
    if (got != available) {
        mech__reader_close(r);
        return r->st = mech__fail(e, MECH_EIO, "cannot read '%s'", path);
    }
    r->len = available;
    return check_crc(r, head, path, crc);
}

void mech__reader_close(mech_reader *r)
{
    free(r->data);
    r->data = NULL;
    r->len = r->pos = 0;
}

void mech__reader_get(mech_reader *r, void *out, size_t n)
{
    if (r->st < 0) {
        memset(out, 0, n);
        return;
    }
    if (n > r->len - r->pos) {
        r->st = mech__fail(r->err, MECH_EFORMAT, "saved data ends early");
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

uint64_t mech__reader_u64(mech_reader *r)
{
    unsigned char tmp[8];
    mech__reader_get(r, tmp, 8);
    return from_le(tmp, 8);
}

double mech__reader_f64(mech_reader *r)
{
    uint64_t u = mech__reader_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void mech__reader_f64s(mech_reader *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = mech__reader_f64(r);
}

void mech__reader_f32s(mech_reader *r, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char tmp[4];
        mech__reader_get(r, tmp, 4);
        uint32_t u = (uint32_t)from_le(tmp, 4);
        memcpy(&out[i], &u, 4);
    }
}

char *mech__reader_str(mech_reader *r)
{
    uint64_t n = mech__reader_u64(r);
    if (r->st < 0) return NULL;
    if (n > r->len - r->pos) {
        r->st = mech__fail(r->err, MECH_EFORMAT, "saved string runs past the end");
        return NULL;
    }
    char *s = mech__calloc((size_t)n + 1, 1, r->err);
    if (!s) {
        r->st = MECH_ENOMEM;
        return NULL;
    }
    mech__reader_get(r, s, (size_t)n);
    return s;
}

mech_status mech__reader_finish(mech_reader *r)
{
    if (r->st < 0) return r->st;
    if (r->pos != r->len)
        return r->st = mech__fail(r->err, MECH_EFORMAT, "saved data has %zu unread bytes",
                                  r->len - r->pos);
    return MECH_OK;
}
