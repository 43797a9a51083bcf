/* Error reporting: per-handle slots plus the calling thread's slot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Thread_local mech_err thread_err;

mech_status mech__vfail(mech_err *e, mech_status st, const char *fmt, va_list ap)
{
    vsnprintf(thread_err.msg, sizeof thread_err.msg, fmt, ap);
    thread_err.status = st;
    if (e && e != &thread_err) {
        memcpy(e->msg, thread_err.msg, sizeof e->msg);
        e->status = st;
    }
    return st;
}

mech_status mech__fail(mech_err *e, mech_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mech__vfail(e, st, fmt, ap);
    va_end(ap);
    return st;
}

mech_status mech__adopt(mech_err *e, mech_status st)
{
    if (e && st < 0) {
        memcpy(e->msg, thread_err.msg, sizeof e->msg);
        e->status = st;
    }
    return st;
}

MECH_API const char *mech_last_error(void) { return thread_err.msg; }

MECH_API int mech_last_status(void) { return thread_err.status; }

MECH_API void mech_clear_error(void)
{
    thread_err.msg[0] = '\0';
    thread_err.status = MECH_OK;
}

mech_status mech__mul(size_t a, size_t b, size_t *out, mech_err *e)
{
    if (a != 0 && b > SIZE_MAX / a)
        return mech__fail(e, MECH_EOVERFLOW, "size %zu x %zu overflows", a, b);
    *out = a * b;
    return MECH_OK;
}

mech_status mech__mul3(size_t a, size_t b, size_t c, size_t *out, mech_err *e)
{
    size_t ab = 0;
    MECH_TRY(mech__mul(a, b, &ab, e));
    return mech__mul(ab, c, out, e);
}

void *mech__calloc(size_t n, size_t size, mech_err *e)
{
    size_t bytes = 0;
    if (mech__mul(n, size, &bytes, e) < 0) return NULL;
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p) mech__fail(e, MECH_ENOMEM, "cannot allocate %zu bytes", bytes);
    return p;
}

char *mech__strdup(const char *s, mech_err *e)
{
    size_t n = strlen(s) + 1;
    char *p = mech__calloc(n, 1, e);
    if (p) memcpy(p, s, n);
    return p;
}

mech_status mech__check_finite(const double *x, size_t n, const char *what,
                               mech_err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return mech__fail(e, MECH_ENONFINITE, "%s[%zu] is not finite", what, i);
    return MECH_OK;
}
