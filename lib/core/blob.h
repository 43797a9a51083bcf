/* Binary containers for saved models, optimizer states and checkpoints:
 * a header (8-byte magic, format version, payload length, CRC-32) and a
 * little-endian payload built and read field by field. Truncated or
 * corrupted files are refused with MECH_EFORMAT. */
#ifndef MECHANICS_BLOB_H
#define MECHANICS_BLOB_H

#include "internal.h"

/* magic (8), version (4), payload length (8), CRC-32 (4) */
#define MECH_BLOB_HEADER_BYTES 24

/* CRC-32 (IEEE, as in zip/npz); start with crc = 0. */
uint32_t mech__crc32(uint32_t crc, const void *data, size_t n);

/* Growable writer. Errors are sticky: check st once at the end. */
typedef struct mech_blob {
    unsigned char *buf;
    size_t len, cap;
    mech_status st;
    mech_err *err;
} mech_blob;

void mech__blob_init(mech_blob *b, mech_err *e);
void mech__blob_free(mech_blob *b);
void mech__blob_put(mech_blob *b, const void *data, size_t n);
void mech__blob_put_u64(mech_blob *b, uint64_t v);
void mech__blob_put_f64(mech_blob *b, double v);
void mech__blob_put_f64s(mech_blob *b, const double *v, size_t n);
void mech__blob_put_f32s(mech_blob *b, const float *v, size_t n);
/* Length-prefixed string. */
void mech__blob_put_str(mech_blob *b, const char *s);
/* Writes header + payload to path (atomically: temp file, then rename). */
mech_status mech__blob_save(mech_blob *b, const char *path, const char magic[8],
                            uint32_t version);
/* Writes head (may be empty) then body to path atomically: "<path>.tmp",
 * then rename, so a failed write leaves any old file intact. */
mech_status mech__write_file_atomic(const char *path, const void *head, size_t head_len,
                                    const void *body, size_t body_len, mech_err *e);

/* Writes header + payload into a caller buffer of cap bytes (the same
 * bytes mech__blob_save writes); MECH_ESHAPE if it is too small. */
mech_status mech__blob_to_memory(const mech_blob *b, const char magic[8], uint32_t version,
                                 void *out, size_t cap);

/* Reader over a loaded payload. Errors are sticky: check st at the end. */
typedef struct mech_reader {
    unsigned char *data; /* owned */
    size_t len, pos;
    uint32_t version;
    mech_status st;
    mech_err *err;
} mech_reader;

/* Loads and verifies a file written by mech__blob_save with this magic. */
mech_status mech__reader_open(mech_reader *r, const char *path, const char magic[8],
                              mech_err *e);
/* The same checks over n bytes in memory (copied; close frees them). */
mech_status mech__reader_from_memory(mech_reader *r, const void *data, size_t n,
                                     const char magic[8], mech_err *e);
void mech__reader_close(mech_reader *r);
void mech__reader_get(mech_reader *r, void *out, size_t n);
uint64_t mech__reader_u64(mech_reader *r);
double mech__reader_f64(mech_reader *r);
void mech__reader_f64s(mech_reader *r, double *out, size_t n);
void mech__reader_f32s(mech_reader *r, float *out, size_t n);
/* Returns a malloc'd string (caller frees) or NULL after failing. */
char *mech__reader_str(mech_reader *r);
/* MECH_OK if everything read so far was present and the payload is used up. */
mech_status mech__reader_finish(mech_reader *r);

#endif
