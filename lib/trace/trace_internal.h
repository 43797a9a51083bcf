/* Private layout of mech_trace and helpers shared by lib/trace files. */
#ifndef MECHANICS_TRACE_INTERNAL_H
#define MECHANICS_TRACE_INTERNAL_H

#include <stdbool.h>

#include "core/blob.h"
#include "internal.h"
#include "mechanics/trace.h"

struct mech_trace {
    mech_err err;
    mech_axis axis;
    size_t rows, cap; /* cap: rows every column array can hold */
    double *t;
    size_t ncols, colcap;
    struct mech_tcol { char *name; double *v; } *col;
    size_t nmeta, metacap;
    struct mech_tkv { char *key, *val; } *meta;
};

/* A trace without metadata (readers and ensembles fill it themselves). */
mech_status mech__trace_new(mech_trace **out, mech_axis axis, mech_err *e);
/* Sets library_version, blis_version, threads, seed and axis. */
mech_status mech__trace_default_meta(mech_trace *tr, const mech_ctx *ctx);

/* True if s is valid UTF-8 without control characters (and, unless
 * allow_eq, without '='). */
bool mech__trace_text_ok(const char *s, size_t n, bool allow_eq);

/* Index of the column named prefix+suffix (no allocation), or SIZE_MAX. */
size_t mech__trace_find(const mech_trace *tr, const char *prefix, const char *suffix);

/* Appends "%.17g" of a finite value (the caller runs in the C locale). */
void mech__put_num(mech_blob *b, double v);

/* Minimal JSON, enough for the trace header object and rows. */
void mech__json_put_str(mech_blob *b, const char *s);
/* The header object {"meta":{...},"axis":"...","columns":[...]} (no newline). */
void mech__json_put_header(mech_blob *b, const mech_trace *tr);

typedef struct mech_jcur {
    const char *p, *end;
    mech_status st; /* sticky */
} mech_jcur;

void mech__json_ws(mech_jcur *c);
/* Consumes ch after whitespace; false (and st set) if absent. */
bool mech__json_expect(mech_jcur *c, char ch);
/* True (consumed) if the next non-space character is ch. */
bool mech__json_accept(mech_jcur *c, char ch);
/* A string into a malloc'd, NUL-terminated buffer (NULL after failing). */
char *mech__json_string(mech_jcur *c);
/* A number or null (NaN). */
double mech__json_number(mech_jcur *c);
/* Parses the header object into a new trace (metadata from ctx, then
 * from the header). */
mech_status mech__json_read_header(mech_jcur *c, const mech_ctx *ctx, mech_trace **out);

/* Encoded file writers (into b) and readers (from buf[0..len)). Readers
 * report through the thread slot only. */
mech_status mech__csv_write(const mech_trace *tr, mech_blob *b);
mech_status mech__csv_read(const char *buf, size_t len, const mech_ctx *ctx,
                           mech_trace **out);
mech_status mech__jsonl_write(const mech_trace *tr, mech_blob *b);
mech_status mech__jsonl_read(const char *buf, size_t len, const mech_ctx *ctx,
                             mech_trace **out);
mech_status mech__npy_write(const mech_trace *tr, mech_blob *b);
mech_status mech__npy_read(const unsigned char *buf, size_t len, const mech_ctx *ctx,
                           mech_trace **out);
mech_status mech__npz_write(const mech_trace *tr, mech_blob *b);
mech_status mech__npz_read(const unsigned char *buf, size_t len, const mech_ctx *ctx,
                           mech_trace **out);

/* NPY pieces shared by npy.c and npz.c. */
typedef struct mech_npy {
    int ndim;          /* 0, 1 or 2 */
    size_t shape[2];
    bool fortran;
    char descr[16];    /* e.g. "<f8", "<U12" */
    const unsigned char *data;
    size_t data_len;
} mech_npy;

/* Writes an NPY header for descr and shape (ndim 0..2). */
void mech__npy_put_header(mech_blob *b, const char *descr, int ndim, const size_t *shape);
/* Parses an NPY file held in buf; MECH_EFORMAT if malformed. */
mech_status mech__npy_parse(const unsigned char *buf, size_t len, mech_npy *out);
/* Copies element i of a "<f8" array. */
double mech__npy_f64(const mech_npy *a, size_t i);

#endif
