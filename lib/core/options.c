/* The enum-keyed option pattern: tables describe each handle kind's keys,
 * and these helpers validate and store typed values for any of them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

extern const mech_opttable mech__ctx_opts;
extern const mech_opttable mech__lanczos_opts;
extern const mech_opttable mech__slq_opts;
extern const mech_opttable mech__model_opts;
extern const mech_opttable mech__data_opts;
extern const mech_opttable mech__optimizer_opts;
extern const mech_opttable mech__ode_opts;
extern const mech_opttable mech__run_opts;
extern const mech_opttable mech__central_flow_opts;
extern const mech_opttable mech__probe_opts;

/* A kind without options of its own. */
static const mech_opttable NO_OPTS = {MECH_KIND_CTX, NULL, 0};

/* Registry: each module adds its table here at its kind's index. */
static const mech_opttable *const TABLES[] = {
    [MECH_KIND_CTX] = &mech__ctx_opts,
    [MECH_KIND_MODEL] = &mech__model_opts,
    [MECH_KIND_DATA] = &mech__data_opts,
    [MECH_KIND_OPTIMIZER] = &mech__optimizer_opts,
    [MECH_KIND_ODE] = &mech__ode_opts,
    [MECH_KIND_RUN] = &mech__run_opts,
    [MECH_KIND_PROBE] = &mech__probe_opts,

    [MECH_KIND_LANCZOS] = &mech__lanczos_opts,
    [MECH_KIND_SLQ] = &mech__slq_opts,
    [MECH_KIND_CENTRAL_FLOW] = &mech__central_flow_opts, /* last kind: sizes the table */
};

const mech_opttable *mech__opt_table(mech_kind kind)
{
    size_t k = (size_t)kind;
    if (k >= sizeof TABLES / sizeof TABLES[0]) return NULL;
    return TABLES[k] ? TABLES[k] : &NO_OPTS;
}

static mech_status table_for(mech_kind kind, const mech_opttable **t)
{
    *t = mech__opt_table(kind);
    if (!*t) return mech__fail(NULL, MECH_EINVAL, "unknown handle kind %d", (int)kind);
    return MECH_OK;
}

static mech_status desc_for(const mech_opttable *t, int key, const mech_optdesc **d,
                            mech_err *e)
{
    if (key < 0 || key >= t->count)
        return mech__fail(e, MECH_EINVAL, "option key %d is not valid here (0..%d)",
                          key, t->count - 1);
    *d = &t->desc[key];
    return MECH_OK;
}

static const char *type_name(mech_opt_type ty)
{
    switch (ty) {
    case MECH_OPT_I64: return "integer";
    case MECH_OPT_F64: return "real";
    case MECH_OPT_STR: return "string";
    }
    return "unknown";
}

static mech_status want_type(const mech_optdesc *d, mech_opt_type ty, mech_err *e)
{
    if (d->type != ty)
        return mech__fail(e, MECH_EINVAL, "option '%s' is a%s %s option, not %s",
                          d->name, d->type == MECH_OPT_I64 ? "n" : "",
                          type_name(d->type), type_name(ty));
    return MECH_OK;
}

mech_status mech__opt_defaults(const mech_opttable *t, mech_optval *vals, mech_err *e)
{
    for (int k = 0; k < t->count; k++) {
        const mech_optdesc *d = &t->desc[k];
        switch (d->type) {
        case MECH_OPT_I64: vals[k].i = (int64_t)d->def; break;
        case MECH_OPT_F64: vals[k].f = d->def; break;
        case MECH_OPT_STR:
            vals[k].s = NULL;
            if (d->def_str && !(vals[k].s = mech__strdup(d->def_str, e))) {
                mech__opt_free(t, vals);
                return MECH_ENOMEM;
            }
            break;
        }
    }
    return MECH_OK;
}

void mech__opt_free(const mech_opttable *t, mech_optval *vals)
{
    for (int k = 0; k < t->count; k++)
        if (t->desc[k].type == MECH_OPT_STR) {
            free(vals[k].s);
            vals[k].s = NULL;
        }
}

mech_status mech__opt_set_i64(const mech_opttable *t, mech_optval *vals, int key,
                              int64_t v, mech_err *e)
{
    const mech_optdesc *d = NULL;
    MECH_TRY(desc_for(t, key, &d, e));
    MECH_TRY(want_type(d, MECH_OPT_I64, e));
    if ((double)v < d->lo || (double)v > d->hi)
        return mech__fail(e, MECH_ERANGE, "option '%s' = %lld is outside [%.17g, %.17g]",
                          d->name, (long long)v, d->lo, d->hi);
    vals[key].i = v;
    return MECH_OK;
}

mech_status mech__opt_set_f64(const mech_opttable *t, mech_optval *vals, int key,
                              double v, mech_err *e)
{
    const mech_optdesc *d = NULL;
    MECH_TRY(desc_for(t, key, &d, e));
    MECH_TRY(want_type(d, MECH_OPT_F64, e));
    if (isnan(v))
        return mech__fail(e, MECH_ENONFINITE, "option '%s' cannot be NaN", d->name);
    if (v < d->lo || v > d->hi)
        return mech__fail(e, MECH_ERANGE, "option '%s' = %.17g is outside [%.17g, %.17g]",
                          d->name, v, d->lo, d->hi);
    vals[key].f = v;
    return MECH_OK;
}

mech_status mech__opt_set_str(const mech_opttable *t, mech_optval *vals, int key,
                              const char *v, mech_err *e)
{
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(e, v);
    MECH_TRY(desc_for(t, key, &d, e));
    MECH_TRY(want_type(d, MECH_OPT_STR, e));
    char *copy = mech__strdup(v, e);
    if (!copy) return MECH_ENOMEM;
    free(vals[key].s);
    vals[key].s = copy;
    return MECH_OK;
}

mech_status mech__opt_get_i64(const mech_opttable *t, const mech_optval *vals,
                              int key, int64_t *v, mech_err *e)
{
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(e, v);
    MECH_TRY(desc_for(t, key, &d, e));
    MECH_TRY(want_type(d, MECH_OPT_I64, e));
    *v = vals[key].i;
    return MECH_OK;
}

mech_status mech__opt_get_f64(const mech_opttable *t, const mech_optval *vals,
                              int key, double *v, mech_err *e)
{
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(e, v);
    MECH_TRY(desc_for(t, key, &d, e));
    MECH_TRY(want_type(d, MECH_OPT_F64, e));
    *v = vals[key].f;
    return MECH_OK;
}

mech_status mech__opt_get_str(const mech_opttable *t, const mech_optval *vals,
                              int key, const char **v, mech_err *e)
{
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(e, v);
    MECH_TRY(desc_for(t, key, &d, e));
    MECH_TRY(want_type(d, MECH_OPT_STR, e));
    *v = vals[key].s ? vals[key].s : "";
    return MECH_OK;
}

/* ---------------- public introspection ---------------- */

MECH_API mech_status mech_option_count(mech_kind kind, int *count)
{
    const mech_opttable *t;
    MECH_CHECK_PTR(NULL, count);
    MECH_TRY(table_for(kind, &t));
    *count = t->count;
    return MECH_OK;
}

MECH_API mech_status mech_option_lookup(mech_kind kind, const char *name, int *key)
{
    const mech_opttable *t;
    MECH_CHECK_PTR(NULL, name);
    MECH_CHECK_PTR(NULL, key);
    MECH_TRY(table_for(kind, &t));
    for (int k = 0; k < t->count; k++)
        if (strcmp(t->desc[k].name, name) == 0) {
            *key = k;
            return MECH_OK;
        }
    return mech__fail(NULL, MECH_ENOTFOUND, "no option named '%s'", name);
}

MECH_API mech_status mech_option_name(mech_kind kind, int key, const char **name)
{
    const mech_opttable *t;
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(NULL, name);
    MECH_TRY(table_for(kind, &t));
    MECH_TRY(desc_for(t, key, &d, NULL));
    *name = d->name;
    return MECH_OK;
}

MECH_API mech_status mech_option_type(mech_kind kind, int key, mech_opt_type *type)
{
    const mech_opttable *t;
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(NULL, type);
    MECH_TRY(table_for(kind, &t));
    MECH_TRY(desc_for(t, key, &d, NULL));
    *type = d->type;
    return MECH_OK;
}

MECH_API mech_status mech_option_bounds(mech_kind kind, int key, double *lo, double *hi)
{
    const mech_opttable *t;
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(NULL, lo);
    MECH_CHECK_PTR(NULL, hi);
    MECH_TRY(table_for(kind, &t));
    MECH_TRY(desc_for(t, key, &d, NULL));
    *lo = d->type == MECH_OPT_STR ? NAN : d->lo;
    *hi = d->type == MECH_OPT_STR ? NAN : d->hi;
    return MECH_OK;
}

MECH_API mech_status mech_option_doc(mech_kind kind, int key, const char **doc)
{
    const mech_opttable *t;
    const mech_optdesc *d = NULL;
    MECH_CHECK_PTR(NULL, doc);
    MECH_TRY(table_for(kind, &t));
    MECH_TRY(desc_for(t, key, &d, NULL));
    *doc = d->doc;
    return MECH_OK;
}
