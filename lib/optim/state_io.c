/* Optimizer state to and from files and memory buffers. Both hold the same
 * bytes: the container of lib/core/blob.h (magic, format version, payload
 * length, CRC-32, payload). Payload, little-endian u64/f64:
 *   kind, n_params, step count, has_m, has_s, m[n_params]?, s[n_params]? */
#include <string.h>

#include "core/blob.h"
#include "optim_internal.h"

static const char MAGIC[8] = {'M', 'E', 'C', 'H', 'O', 'P', 'T', '1'};
#define FORMAT_VERSION 1u
#define FIXED_FIELDS 5u

static size_t payload_bytes(const mech_optimizer *o)
{
    size_t arrays = (size_t)mech__optim_has_m(o->kind) + (size_t)mech__optim_has_s(o->kind);
    return 8 * FIXED_FIELDS + arrays * 8 * o->n; /* n < SIZE_MAX/8 checked at create */
}

static mech_status require_ready(const mech_optimizer *o, const char *fn)
{
    if (!o->ready)
        return mech__fail((mech_err *)&o->err, MECH_ESTATE, "%s: optimizer is not set up", fn);
    return MECH_OK;
}

static void write_payload(const mech_optimizer *o, mech_blob *b)
{
    mech__blob_put_u64(b, (uint64_t)o->kind);
    mech__blob_put_u64(b, o->n);
    mech__blob_put_u64(b, o->t);
    mech__blob_put_u64(b, o->m != NULL);
    mech__blob_put_u64(b, o->s != NULL);
    if (o->m) mech__blob_put_f64s(b, o->m, o->n);
    if (o->s) mech__blob_put_f64s(b, o->s, o->n);
}

/* Validates everything before touching the state, so a refused payload
 * leaves the optimizer as it was. */
static mech_status read_payload(mech_optimizer *o, mech_reader *r)
{
    if (r->version > FORMAT_VERSION)
        return mech__fail(&o->err, MECH_EVERSION,
                          "optimizer state has format version %u, this library reads %u",
                          r->version, FORMAT_VERSION);
    uint64_t kind = mech__reader_u64(r);
    uint64_t n = mech__reader_u64(r);
    uint64_t t = mech__reader_u64(r);
    uint64_t has_m = mech__reader_u64(r);
    uint64_t has_s = mech__reader_u64(r);
    MECH_TRY(r->st);
    if (kind != (uint64_t)o->kind)
        return mech__fail(&o->err, MECH_EFORMAT,
                          "optimizer state is for kind %s, this optimizer is %s",
                          mech_optimizer_kind_name((mech_optimizer_kind)(kind & 0xff)),
                          mech_optimizer_kind_name(o->kind));
    if (n != o->n)
        return mech__fail(&o->err, MECH_ESHAPE,
                          "optimizer state has %llu parameters, this optimizer %zu",
                          (unsigned long long)n, o->n);
    if (has_m != (o->m != NULL) || has_s != (o->s != NULL) || r->len != payload_bytes(o))
        return mech__fail(&o->err, MECH_EFORMAT, "optimizer state has an inconsistent layout");
    if (o->m) mech__reader_f64s(r, o->m, o->n);
    if (o->s) mech__reader_f64s(r, o->s, o->n);
    o->t = t;
    return mech__reader_finish(r);
}

MECH_API mech_status mech_optimizer_save(const mech_optimizer *o, const char *path)
{
    MECH_CHECK_PTR(NULL, o);
    mech_err *e = (mech_err *)&o->err;
    MECH_CHECK_PTR(e, path);
    MECH_TRY(require_ready(o, __func__));
    mech_blob b;
    mech__blob_init(&b, e);
    write_payload(o, &b);
    mech_status st = mech__blob_save(&b, path, MAGIC, FORMAT_VERSION);
    mech__blob_free(&b);
    return st;
}

MECH_API mech_status mech_optimizer_load(mech_optimizer *o, const char *path)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, path);
    MECH_TRY(require_ready(o, __func__));
    mech_reader r;
    mech_status st = mech__reader_open(&r, path, MAGIC, &o->err);
    if (st == MECH_OK) st = read_payload(o, &r);
    mech__reader_close(&r);
    return st;
}

MECH_API mech_status mech_optimizer_state_size(const mech_optimizer *o, size_t *size)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR((mech_err *)&o->err, size);
    MECH_TRY(require_ready(o, __func__));
    *size = MECH_BLOB_HEADER_BYTES + payload_bytes(o);
    return MECH_OK;
}

MECH_API mech_status mech_optimizer_get_state(const mech_optimizer *o, void *buf, size_t n)
{
    MECH_CHECK_PTR(NULL, o);
    mech_err *e = (mech_err *)&o->err;
    MECH_CHECK_PTR(e, buf);
    MECH_TRY(require_ready(o, __func__));
    mech_blob b;
    mech__blob_init(&b, e);
    write_payload(o, &b);
    mech_status st = mech__blob_to_memory(&b, MAGIC, FORMAT_VERSION, buf, n);
    mech__blob_free(&b);
    return st;
}

MECH_API mech_status mech_optimizer_set_state(mech_optimizer *o, const void *buf, size_t n)
{
    MECH_CHECK_PTR(NULL, o);
    MECH_CHECK_PTR(&o->err, buf);
    MECH_TRY(require_ready(o, __func__));
    mech_reader r;
    mech_status st = mech__reader_from_memory(&r, buf, n, MAGIC, &o->err);
    if (st == MECH_OK) st = read_payload(o, &r);
    mech__reader_close(&r);
    return st;
}
