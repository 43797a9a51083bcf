/* Probes attached to a run: their trace columns "<name>.<output>" and
 * their measurement at every probe row, after the built-in columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "probes/probe_internal.h"
#include "run_internal.h"

/* Adds a probe's columns to tr (an existing name is an error: two probes
 * of one kind need distinct MECH_PROBE_NAMEs), or with rebind finds them
 * in a loaded trace (adding those it lacks). */
static mech_status columns(mech_run *r, mech__run_probe *rp, mech_trace *tr, bool rebind)
{
    const char *prefix = NULL;
    MECH_TRY(mech__adopt(&r->err, mech_probe_get_str(rp->p, MECH_PROBE_NAME, &prefix)));
    for (size_t j = 0; j < rp->n; j++) {
        const char *out = NULL;
        char name[128];
        size_t idx = 0;
        MECH_TRY(mech__adopt(&r->err, mech_probe_output_name(rp->p, j, &out)));
        snprintf(name, sizeof name, "%s.%s", prefix, out);
        if (!rebind && mech_trace_column_index(tr, name, &idx) == MECH_OK)
            return mech__fail(&r->err, MECH_EINVAL,
                              "mech_run_add_probe: column '%s' exists (give the probe another "
                              "MECH_PROBE_NAME)", name);
        mech_clear_error();
        MECH_TRY(mech__adopt(&r->err, mech_trace_add_column(tr, name, &rp->col[j])));
    }
    return MECH_OK;
}

MECH_API mech_status mech_run_add_probe(mech_run *r, mech_probe *p)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(&r->err, p);
    if (p->model != r->model)
        return mech__fail(&r->err, MECH_ESTATE,
                          "mech_run_add_probe: attach the probe to the run's model first "
                          "(mech_probe_attach_model)");
    for (size_t i = 0; i < r->n_probes; i++)
        if (r->probes[i].p == p)
            return mech__fail(&r->err, MECH_EINVAL, "mech_run_add_probe: probe added twice");
    size_t n = 0;
    MECH_TRY(mech__adopt(&r->err, mech_probe_output_count(p, &n)));
    mech__run_probe *grown = realloc(r->probes, (r->n_probes + 1) * sizeof *grown);
    if (!grown) return mech__fail(&r->err, MECH_ENOMEM, "mech_run_add_probe: out of memory");
    r->probes = grown;
    mech__run_probe *rp = &r->probes[r->n_probes];
    rp->p = p;
    rp->n = n;
    rp->col = mech__calloc(n ? n : 1, sizeof *rp->col, &r->err);
    if (!rp->col) return MECH_ENOMEM;
    if (r->trace) {
        mech_status st = columns(r, rp, r->trace, false);
        if (st < 0) {
            free(rp->col);
            return st;
        }
    }
    r->n_probes++;
    return MECH_OK;
}

mech_status mech__run_probe_columns(mech_run *r, mech_trace *tr)
{
    for (size_t i = 0; i < r->n_probes; i++) MECH_TRY(columns(r, &r->probes[i], tr, false));
    return MECH_OK;
}

mech_status mech__run_probe_rebind(mech_run *r, mech_trace *tr)
{
    for (size_t i = 0; i < r->n_probes; i++) MECH_TRY(columns(r, &r->probes[i], tr, true));
    return MECH_OK;
}

mech_status mech__run_probe_record(mech_run *r)
{
    for (size_t i = 0; i < r->n_probes; i++) {
        mech__run_probe *rp = &r->probes[i];
        size_t n = 0;
        mech_probe_output_count(rp->p, &n);
        if (n != rp->n)
            return mech__fail(&r->err, MECH_ESTATE,
                              "mech_run_execute: probe %zu was re-attached with other outputs", i);
        /* a Lanczos that missed its tolerance still records its partial
         * pairs (the probe's "converged" column says so) */
        const mech_status st = mech_probe_measure(rp->p);
        if (st < 0 && st != MECH_ENOCONV)
            return mech__fail(&r->err, st, "mech_run_execute: probe '%s': %s",
                              mech_probe_kind_name(rp->p->kind), mech_probe_last_error(rp->p));
        for (size_t j = 0; j < rp->n; j++) {
            double v = 0;
            mech_probe_output(rp->p, j, &v);
            MECH_TRY(mech__adopt(&r->err, mech_trace_put(r->trace, rp->col[j],
                                                         isfinite(v) ? v : NAN)));
        }
    }
    return MECH_OK;
}

mech_status mech__run_probe_restart(mech_run *r)
{
    for (size_t i = 0; i < r->n_probes; i++)
        if (mech__probe_restart(r->probes[i].p) < 0)
            return mech__fail(&r->err, r->probes[i].p->err.status,
                              "mech_run_ensemble: probe '%s': %s",
                              mech_probe_kind_name(r->probes[i].p->kind),
                              mech_probe_last_error(r->probes[i].p));
    return MECH_OK;
}

void mech__run_probe_free(mech_run *r)
{
    for (size_t i = 0; i < r->n_probes; i++) free(r->probes[i].col);
    free(r->probes);
    r->probes = NULL;
    r->n_probes = 0;
}
