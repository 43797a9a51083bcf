/* The context: thread count, seed, log and progress callbacks. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static const mech_optdesc CTX_OPTS[] = {
    [MECH_CTX_THREADS] = {"threads", MECH_OPT_I64, 1, 1024, 1, NULL,
                          "threads BLIS may use per call"},
    [MECH_CTX_SEED] = {"seed", MECH_OPT_I64, 0, 9.2233720368547748e18, 0, NULL,
                       "master seed of the counter-based RNG"},
    [MECH_CTX_LOG_LEVEL] = {"log_level", MECH_OPT_I64, 0, 3, 1, NULL,
                            "highest message level passed to the log callback"},
};

const mech_opttable mech__ctx_opts = {MECH_KIND_CTX, CTX_OPTS,
                                      (int)(sizeof CTX_OPTS / sizeof CTX_OPTS[0])};

MECH_API mech_status mech_ctx_create(mech_ctx **out)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    mech_ctx *c = mech__calloc(1, sizeof *c, NULL);
    if (!c) return MECH_ENOMEM;
    if (mech__opt_defaults(&mech__ctx_opts, c->opt, NULL) < 0) {
        free(c);
        return MECH_ENOMEM;
    }
    *out = c;
    return MECH_OK;
}

MECH_API void mech_ctx_destroy(mech_ctx *ctx)
{
    if (!ctx) return;
    mech__opt_free(&mech__ctx_opts, ctx->opt);
    free(ctx);
}

MECH_API const char *mech_ctx_last_error(const mech_ctx *ctx)
{
    return ctx ? ctx->err.msg : "";
}

MECH_API mech_status mech_ctx_set_i64(mech_ctx *ctx, mech_ctx_opt key, int64_t value)
{
    MECH_CHECK_PTR(NULL, ctx);
    return mech__opt_set_i64(&mech__ctx_opts, ctx->opt, (int)key, value, &ctx->err);
}

MECH_API mech_status mech_ctx_get_i64(const mech_ctx *ctx, mech_ctx_opt key, int64_t *value)
{
    MECH_CHECK_PTR(NULL, ctx);
    return mech__opt_get_i64(&mech__ctx_opts, ctx->opt, (int)key, value,
                             (mech_err *)&ctx->err);
}

MECH_API mech_status mech_ctx_set_f64(mech_ctx *ctx, mech_ctx_opt key, double value)
{
    MECH_CHECK_PTR(NULL, ctx);
    return mech__opt_set_f64(&mech__ctx_opts, ctx->opt, (int)key, value, &ctx->err);
}

MECH_API mech_status mech_ctx_get_f64(const mech_ctx *ctx, mech_ctx_opt key, double *value)
{
    MECH_CHECK_PTR(NULL, ctx);
    return mech__opt_get_f64(&mech__ctx_opts, ctx->opt, (int)key, value,
                             (mech_err *)&ctx->err);
}

MECH_API mech_status mech_ctx_set_log(mech_ctx *ctx, mech_log_fn fn, void *user_data)
{
    MECH_CHECK_PTR(NULL, ctx);
    ctx->log = fn;
    ctx->log_ud = user_data;
    return MECH_OK;
}

MECH_API mech_status mech_ctx_set_progress(mech_ctx *ctx, mech_progress_fn fn,
                                           void *user_data)
{
    MECH_CHECK_PTR(NULL, ctx);
    ctx->progress = fn;
    ctx->progress_ud = user_data;
    return MECH_OK;
}

int mech__ctx_threads(const mech_ctx *ctx)
{
    return ctx ? (int)ctx->opt[MECH_CTX_THREADS].i : 1;
}

uint64_t mech__ctx_seed(const mech_ctx *ctx)
{
    return ctx ? (uint64_t)ctx->opt[MECH_CTX_SEED].i : 0;
}

void mech__log(const mech_ctx *ctx, int level, const char *fmt, ...)
{
    if (!ctx || !ctx->log || level > ctx->opt[MECH_CTX_LOG_LEVEL].i) return;
    char buf[MECH_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log(level, buf, ctx->log_ud);
}

int mech__progress(const mech_ctx *ctx, const char *task, double done, double total)
{
    if (!ctx || !ctx->progress) return 0;
    return ctx->progress(task, done, total, ctx->progress_ud);
}
