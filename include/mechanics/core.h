/*
 * libmechanics core: status codes, error messages, version, the context and
 * the enum-keyed option pattern shared by every handle.
 *
 * Conventions (docs/abi.md):
 *  - Every fallible function returns mech_status: 0 = OK, negative = error.
 *    Values are never renumbered.
 *  - Constructors hand the new handle out through their first argument;
 *    destructors accept NULL.
 *  - A failing call leaves a message in the handle it acted on (read it with
 *    that handle's *_last_error function) and always also in the calling
 *    thread's slot, read with mech_last_error().
 *  - The library never prints, exits or aborts.
 */
#ifndef MECHANICS_CORE_H
#define MECHANICS_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mechanics/version.h"

#if defined(_WIN32)
#define MECH_API
#elif defined(__GNUC__) && (__GNUC__ >= 4)
#define MECH_API __attribute__((visibility("default")))
#else
#define MECH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes                                                       */
/* ------------------------------------------------------------------ */

typedef enum mech_status {
    MECH_OK = 0,
    /* A callback asked to stop early; the call finished cleanly. */
    MECH_STOPPED = 1,
    MECH_EINVAL = -1,       /* invalid argument (NULL, zero size, bad enum) */
    MECH_ENOMEM = -2,       /* allocation failed */
    MECH_ESHAPE = -3,       /* array shapes do not agree */
    MECH_ERANGE = -4,       /* value outside its documented bounds */
    MECH_ENONFINITE = -5,   /* NaN or Inf where a finite number is needed */
    MECH_EOVERFLOW = -6,    /* a size computation would overflow */
    MECH_EIO = -7,          /* reading or writing a file failed */
    MECH_EFORMAT = -8,      /* a file or string is malformed or truncated */
    MECH_ENOTFOUND = -9,    /* a name or key was not found */
    MECH_ESTATE = -10,      /* call not valid in the handle's current state */
    MECH_ENOCONV = -11,     /* an iterative method did not converge */
    MECH_EDIVERGED = -12,   /* training produced NaN/Inf */
    MECH_ECALLBACK = -13,   /* a user callback returned < 0 */
    MECH_ELINALG = -14,     /* a factorization failed (singular, not SPD) */
    MECH_EUNSUPPORTED = -15,/* combination not supported */
    MECH_EVERSION = -16     /* file or library version mismatch */
} mech_status;

/* Static text describing a status code; never NULL. */
MECH_API const char *mech_status_str(int status);

/* Symbolic name of a status code ("MECH_EINVAL"); never NULL. */
MECH_API const char *mech_status_name(int status);

/* The calling thread's most recent error message ("" if none). The pointer
 * stays valid until the next failing call on this thread. */
MECH_API const char *mech_last_error(void);

/* Status of the calling thread's most recent failure (MECH_OK if none). */
MECH_API int mech_last_status(void);

/* Clears the calling thread's error slot. */
MECH_API void mech_clear_error(void);

/* ------------------------------------------------------------------ */
/* Version                                                            */
/* ------------------------------------------------------------------ */

/* MECH_VERSION_NUMBER of the library actually loaded. */
MECH_API int mech_version(void);
/* "MAJOR.MINOR.PATCH" of the library actually loaded. */
MECH_API const char *mech_version_string(void);
/* Version string of the BLIS the library runs on. */
MECH_API const char *mech_blis_version(void);

/* ------------------------------------------------------------------ */
/* Options: the enum-keyed pattern every handle uses                  */
/* ------------------------------------------------------------------ */

/* Which handle kind an option key belongs to. */
typedef enum mech_kind {
    MECH_KIND_CTX = 0,
    MECH_KIND_TRACE = 1,
    MECH_KIND_MODEL = 2,
    MECH_KIND_DATA = 3,
    MECH_KIND_OPTIMIZER = 4,
    MECH_KIND_ODE = 5,
    MECH_KIND_RUN = 6,
    MECH_KIND_PROBE = 7,
    MECH_KIND_LANCZOS = 8,
    MECH_KIND_SLQ = 9,
    MECH_KIND_CENTRAL_FLOW = 10
} mech_kind;

typedef enum mech_opt_type {
    MECH_OPT_I64 = 0,
    MECH_OPT_F64 = 1,
    MECH_OPT_STR = 2
} mech_opt_type;

/* Number of option keys of a handle kind; keys run 0 .. count-1 (0 for a
 * kind that has no options). */
MECH_API mech_status mech_option_count(mech_kind kind, int *count);
/* Key for an option name (e.g. "threads"); MECH_ENOTFOUND if unknown. */
MECH_API mech_status mech_option_lookup(mech_kind kind, const char *name, int *key);
/* Name of an option key (static storage). */
MECH_API mech_status mech_option_name(mech_kind kind, int key, const char **name);
/* Value type of an option key. */
MECH_API mech_status mech_option_type(mech_kind kind, int key, mech_opt_type *type);
/* Inclusive bounds of a numeric option (for MECH_OPT_STR both are NaN). */
MECH_API mech_status mech_option_bounds(mech_kind kind, int key, double *lo, double *hi);
/* One-line description of the option (static storage). */
MECH_API mech_status mech_option_doc(mech_kind kind, int key, const char **doc);

/* ------------------------------------------------------------------ */
/* Context                                                            */
/* ------------------------------------------------------------------ */

typedef struct mech_ctx mech_ctx;

/* Context options. Configure a context before creating handles from it:
 * handles copy what they need at creation (the context is read-only to
 * them afterwards). */
typedef enum mech_ctx_opt {
    /* Threads BLIS may use per call (>= 1, default 1). Passed to BLIS per
     * call; the global BLIS setting is never touched. */
    MECH_CTX_THREADS = 0,
    /* Master seed of the counter-based RNG (default 0). */
    MECH_CTX_SEED = 1,
    /* Messages at or below this level reach the log callback
     * (0 = errors, 1 = warnings, 2 = info, 3 = debug; default 1). */
    MECH_CTX_LOG_LEVEL = 2
} mech_ctx_opt;

typedef enum mech_log_level {
    MECH_LOG_ERROR = 0,
    MECH_LOG_WARN = 1,
    MECH_LOG_INFO = 2,
    MECH_LOG_DEBUG = 3
} mech_log_level;

/* Log callback: return value is ignored. */
typedef int (*mech_log_fn)(int level, const char *message, void *user_data);
/* Progress callback: done of total units of the named task. Return 0 to
 * continue, > 0 to stop early and cleanly, < 0 to abort (MECH_ECALLBACK). */
typedef int (*mech_progress_fn)(const char *task, double done, double total,
                                void *user_data);

/* Creates a context with default options. The caller owns *out and frees it
 * with mech_ctx_destroy after every handle made from it. */
MECH_API mech_status mech_ctx_create(mech_ctx **out);
/* Frees a context; NULL is accepted. */
MECH_API void mech_ctx_destroy(mech_ctx *ctx);
/* The context's most recent error message ("" if none). */
MECH_API const char *mech_ctx_last_error(const mech_ctx *ctx);

MECH_API mech_status mech_ctx_set_i64(mech_ctx *ctx, mech_ctx_opt key, int64_t value);
MECH_API mech_status mech_ctx_get_i64(const mech_ctx *ctx, mech_ctx_opt key, int64_t *value);
MECH_API mech_status mech_ctx_set_f64(mech_ctx *ctx, mech_ctx_opt key, double value);
MECH_API mech_status mech_ctx_get_f64(const mech_ctx *ctx, mech_ctx_opt key, double *value);

/* Installs (or with fn = NULL removes) the log callback. user_data is
 * borrowed and passed back unchanged. */
MECH_API mech_status mech_ctx_set_log(mech_ctx *ctx, mech_log_fn fn, void *user_data);
/* Installs (or removes) the progress callback. */
MECH_API mech_status mech_ctx_set_progress(mech_ctx *ctx, mech_progress_fn fn,
                                           void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_CORE_H */
