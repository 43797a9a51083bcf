/* Ensembles over seeds: per-point mean and standard error of the mean. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static mech_status check_members(const mech_trace *const *m, size_t n)
{
    const mech_trace *a = m[0];
    for (size_t k = 0; k < n; k++) {
        const mech_trace *b = m[k];
        if (!b) return mech__fail(NULL, MECH_EINVAL, "ensemble member %zu is NULL", k);
        if (b->axis != a->axis || b->ncols != a->ncols || b->rows != a->rows)
            return mech__fail(NULL, MECH_ESHAPE,
                              "ensemble member %zu differs in axis, columns or rows", k);
        for (size_t j = 0; j < a->ncols; j++) {
            if (strcmp(a->col[j].name, b->col[j].name) != 0)
                return mech__fail(NULL, MECH_ESHAPE, "member %zu: column %zu is '%s', not '%s'",
                                  k, j, b->col[j].name, a->col[j].name);
            if (mech__trace_find(a, a->col[j].name, "_se") != SIZE_MAX)
                return mech__fail(NULL, MECH_EINVAL,
                                  "column '%s_se' would be ambiguous in the ensemble",
                                  a->col[j].name);
        }
        for (size_t i = 0; i < a->rows; i++)
            if (fabs(a->t[i] - b->t[i]) > 1e-12 * fmax(fabs(a->t[i]), fabs(b->t[i])))
                return mech__fail(NULL, MECH_ESHAPE,
                                  "member %zu: time %.17g at row %zu, member 0 has %.17g", k,
                                  b->t[i], i, a->t[i]);
    }
    return MECH_OK;
}

static const char *seed_of(const mech_trace *tr)
{
    for (size_t k = 0; k < tr->nmeta; k++)
        if (strcmp(tr->meta[k].key, "seed") == 0) return tr->meta[k].val;
    return NULL;
}

/* Member 0's metadata without "seed", plus ensemble_size and seeds. */
static mech_status ensemble_meta(mech_trace *out, const mech_trace *const *m, size_t n)
{
    const mech_trace *a = m[0];
    for (size_t k = 0; k < a->nmeta; k++)
        if (strcmp(a->meta[k].key, "seed") != 0)
            MECH_TRY(mech_trace_set_meta(out, a->meta[k].key, a->meta[k].val));
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    MECH_TRY(mech_trace_set_meta(out, "ensemble_size", num));
    mech_blob seeds;
    mech__blob_init(&seeds, &out->err);
    bool all = true;
    for (size_t k = 0; k < n && all; k++) {
        const char *s = seed_of(m[k]);
        all = s != NULL;
        if (all) {
            if (k) mech__blob_put(&seeds, ",", 1);
            mech__blob_put(&seeds, s, strlen(s));
        }
    }
    mech__blob_put(&seeds, "", 1);
    mech_status st = seeds.st;
    if (all && st >= 0) st = mech_trace_set_meta(out, "seeds", (const char *)seeds.buf);
    mech__blob_free(&seeds);
    return st;
}

/* Mean and standard error of member values at one point, skipping NaN. */
static void mean_se(const mech_trace *const *m, size_t n, size_t j, size_t i, double *mean,
                    double *se)
{
    double sum = 0.0;
    size_t cnt = 0;
    for (size_t k = 0; k < n; k++) {
        double v = m[k]->col[j].v[i];
        if (!isnan(v)) sum += v, cnt++;
    }
    *mean = cnt ? sum / (double)cnt : NAN;
    *se = NAN;
    if (cnt < 2) return;
    double ss = 0.0; /* two-pass: no cancellation */
    for (size_t k = 0; k < n; k++) {
        double v = m[k]->col[j].v[i];
        if (!isnan(v)) ss += (v - *mean) * (v - *mean);
    }
    *se = sqrt(ss / (double)(cnt - 1) / (double)cnt);
}

MECH_API mech_status mech_trace_ensemble(mech_trace **out,
                                         const mech_trace *const *members, size_t n)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, members);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_TRY(check_members(members, n));
    const mech_trace *a = members[0];
    mech_trace *tr = NULL;
    MECH_TRY(mech__trace_new(&tr, a->axis, NULL));
    mech_status st = ensemble_meta(tr, members, n);
    for (size_t j = 0; j < a->ncols && st >= 0; j++) {
        size_t len = strlen(a->col[j].name);
        char *se_name = mech__calloc(len + 4, 1, NULL);
        if (!se_name) {
            st = MECH_ENOMEM;
            break;
        }
        memcpy(se_name, a->col[j].name, len);
        memcpy(se_name + len, "_se", 4);
        st = mech_trace_add_column(tr, a->col[j].name, NULL);
        if (st >= 0) st = mech_trace_add_column(tr, se_name, NULL);
        free(se_name);
    }
    if (st >= 0) st = mech_trace_reserve(tr, a->rows);
    for (size_t i = 0; i < a->rows && st >= 0; i++) {
        st = mech_trace_begin_row(tr, a->t[i]);
        for (size_t j = 0; j < a->ncols && st >= 0; j++)
            mean_se(members, n, j, i, &tr->col[2 * j].v[i], &tr->col[2 * j + 1].v[i]);
    }
    if (st < 0) {
        mech_trace_destroy(tr);
        return st;
    }
    *out = tr;
    return MECH_OK;
}
