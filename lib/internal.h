/* Private declarations shared by the library's modules. Nothing here is
 * exported: the library is built with hidden visibility and only MECH_API
 * functions are visible. */
#ifndef MECHANICS_INTERNAL_H
#define MECHANICS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mechanics/core.h"

#define MECH_ERRMSG_CAP 512

/* Per-handle error slot: every handle struct embeds one. */
typedef struct mech_err {
    int status;
    char msg[MECH_ERRMSG_CAP];
} mech_err;

/* Records a failure in e (may be NULL) and in the thread's slot; returns st
 * so callers can write `return mech__fail(...)`. */
mech_status mech__fail(mech_err *e, mech_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
mech_status mech__vfail(mech_err *e, mech_status st, const char *fmt, va_list ap);

/* Copies the thread's last error into e (after a call into another module
 * that reported through the thread slot only); returns the status. */
mech_status mech__adopt(mech_err *e, mech_status st);

/* Overflow-checked size arithmetic: MECH_EOVERFLOW on overflow. */
mech_status mech__mul(size_t a, size_t b, size_t *out, mech_err *e);
mech_status mech__mul3(size_t a, size_t b, size_t c, size_t *out, mech_err *e);

/* calloc of n*size bytes with an overflow check; NULL after reporting. */
void *mech__calloc(size_t n, size_t size, mech_err *e);

/* strdup that reports failure. */
char *mech__strdup(const char *s, mech_err *e);

/* Argument checks that report the calling function and argument name. */
#define MECH_CHECK_PTR(e, p)                                                 \
    do {                                                                     \
        if (!(p))                                                            \
            return mech__fail((e), MECH_EINVAL, "%s: argument '%s' is NULL", \
                              __func__, #p);                                 \
    } while (0)

#define MECH_CHECK_NONZERO(e, n)                                             \
    do {                                                                     \
        if ((n) == 0)                                                        \
            return mech__fail((e), MECH_EINVAL, "%s: size '%s' is zero",     \
                              __func__, #n);                                 \
    } while (0)

#define MECH_TRY(expr)                        \
    do {                                      \
        mech_status mech__st = (expr);        \
        if (mech__st < 0) return mech__st;    \
    } while (0)

/* Returns MECH_ENONFINITE (reported) if any of x[0..n) is NaN or Inf. */
mech_status mech__check_finite(const double *x, size_t n, const char *what,
                               mech_err *e);

/* L2 norm of x[0..n) (lib/core/norm.c), or -1 if an entry is NaN or Inf.
 * Finite entries never overflow the computation: the result is +Inf only
 * when the norm itself exceeds DBL_MAX. */
double mech__norm2(const double *x, size_t n);
double mech__norm2_f32(const float *x, size_t n);

/* ---------------- fast paths of mech_run ----------------
 * The training loop updates the model's parameters without copying them
 * in and out of the model every step: the optimizer reads the model's
 * array and writes the run's spare array, which then trades places with
 * the model's (the run never owns the model's array for longer). */
struct mech_model;
struct mech_optimizer;

/* The model's parameter array (n_params elements of the model's precision:
 * float if it was set up with MECH_PREC_F32, else double), or NULL before
 * setup (lib/models/model.c). */
const void *mech__model_params(const struct mech_model *m);
/* Exchanges the model's parameter array with *buf, an array from malloc or
 * calloc of n_params elements of the model's precision whose entries must
 * be finite; *buf receives the old array. The model must be set up. */
void mech__model_swap_params(struct mech_model *m, void **buf);

/* One optimizer step in the precision f32 says (float or double arrays of
 * the optimizer's n_params), reading parameters from p_in and writing
 * p_out (may be equal to p_in), for a gradient whose L2 norm the caller
 * computed with mech__norm2 (finite, >= 0). Sets *bad (if bad is not
 * NULL) to whether some written parameter is not finite. Same errors and
 * same result as mech_optimizer_step(_f32) (lib/optim/rules.c). */
mech_status mech__optimizer_step_into(struct mech_optimizer *o, const void *p_in, void *p_out,
                                      const void *grad, bool f32, double grad_norm,
                                      bool *bad);

/* ---------------- options ---------------- */

typedef union mech_optval {
    int64_t i;
    double f;
    char *s;
} mech_optval;

typedef struct mech_optdesc {
    const char *name;
    mech_opt_type type;
    double lo, hi;       /* inclusive bounds of numeric options */
    double def;          /* default of numeric options */
    const char *def_str; /* default of string options (may be NULL) */
    const char *doc;
} mech_optdesc;

typedef struct mech_opttable {
    mech_kind kind;
    const mech_optdesc *desc; /* indexed by key */
    int count;
} mech_opttable;

/* The table of a kind, or NULL. Each module registers its table in
 * lib/core/options.c. */
const mech_opttable *mech__opt_table(mech_kind kind);

/* Fills vals[0..count) with defaults (strings duplicated). */
mech_status mech__opt_defaults(const mech_opttable *t, mech_optval *vals, mech_err *e);
/* Frees string values. */
void mech__opt_free(const mech_opttable *t, mech_optval *vals);
/* Validating typed setters/getters over a value array. */
mech_status mech__opt_set_i64(const mech_opttable *t, mech_optval *vals, int key,
                              int64_t v, mech_err *e);
mech_status mech__opt_set_f64(const mech_opttable *t, mech_optval *vals, int key,
                              double v, mech_err *e);
mech_status mech__opt_set_str(const mech_opttable *t, mech_optval *vals, int key,
                              const char *v, mech_err *e);
mech_status mech__opt_get_i64(const mech_opttable *t, const mech_optval *vals,
                              int key, int64_t *v, mech_err *e);
mech_status mech__opt_get_f64(const mech_opttable *t, const mech_optval *vals,
                              int key, double *v, mech_err *e);
mech_status mech__opt_get_str(const mech_opttable *t, const mech_optval *vals,
                              int key, const char **v, mech_err *e);

/* ---------------- context ---------------- */

struct mech_ctx {
    mech_err err;
    mech_optval opt[3];
    mech_log_fn log;
    void *log_ud;
    mech_progress_fn progress;
    void *progress_ud;
};

/* Accessors that accept ctx == NULL (defaults: 1 thread, seed 0, no log). */
int mech__ctx_threads(const mech_ctx *ctx);
uint64_t mech__ctx_seed(const mech_ctx *ctx);
void mech__log(const mech_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Calls the progress callback if any: 0 continue, > 0 stop, < 0 abort. */
int mech__progress(const mech_ctx *ctx, const char *task, double done, double total);

#endif /* MECHANICS_INTERNAL_H */
