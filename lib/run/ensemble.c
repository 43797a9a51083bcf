/* Ensembles: the same run restarted for each seed (model initialization,
 * optimizer state, data streams), aggregated with mech_trace_ensemble. */
#include <stdlib.h>

#include "run_internal.h"

#define MAX_STREAM ((uint64_t)1 << 40)

/* Restarts the run from scratch for one seed. */
static mech_status restart_for(mech_run *r, uint64_t seed)
{
    MECH_TRY(mech__adopt(&r->err, mech_model_reinit(r->model, seed)));
    MECH_TRY(mech__run_probe_restart(r));
    if (r->opt) MECH_TRY(mech__adopt(&r->err, mech_optimizer_reset(r->opt)));
    MECH_TRY(mech__adopt(&r->err, mech_data_set_i64(r->train, MECH_DATA_STREAM, (int64_t)seed)));
    MECH_TRY(mech__run_config_sampler(r));
    MECH_TRY(mech__run_restart(r));
    return mech__adopt(&r->err, mech_trace_set_meta_f64(r->trace, "seed", (double)seed));
}

MECH_API mech_status mech_run_ensemble(mech_run *r, const uint64_t *seeds, size_t n,
                                       mech_trace **out)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(&r->err, seeds);
    MECH_CHECK_PTR(&r->err, out);
    MECH_CHECK_NONZERO(&r->err, n);
    *out = NULL;
    if (!r->ready) return mech__fail(&r->err, MECH_ESTATE, "mech_run_ensemble: not set up");
    for (size_t i = 0; i < n; i++)
        if (seeds[i] > MAX_STREAM)
            return mech__fail(&r->err, MECH_ERANGE, "mech_run_ensemble: seed %zu above 2^40", i);
    mech_trace **members = mech__calloc(n, sizeof *members, &r->err);
    if (!members) return MECH_ENOMEM;
    mech_status st = MECH_OK;
    for (size_t i = 0; i < n && st == MECH_OK; i++) {
        st = restart_for(r, seeds[i]);
        if (st == MECH_OK) st = mech_run_execute(r);
        if (st == MECH_STOPPED) st = MECH_OK; /* a callback's stop ends that member */
        members[i] = r->trace;
        r->trace = NULL;
    }
    if (st == MECH_OK)
        st = mech__adopt(&r->err, mech_trace_ensemble(out, (const mech_trace *const *)members, n));
    /* the run keeps the last member's trace */
    for (size_t i = n; i-- > 0;) {
        if (!r->trace && members[i]) r->trace = members[i];
        else mech_trace_destroy(members[i]);
    }
    free(members);
    return st;
}
