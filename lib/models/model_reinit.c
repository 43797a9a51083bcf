/* Re-initialization of a set-up model from another initialization stream
 * (ensembles over seeds reuse one model handle). */
#include "model_internal.h"

MECH_API mech_status mech_model_reinit(mech_model *m, uint64_t stream)
{
    MECH_CHECK_PTR(NULL, m);
    if (!m->ready)
        return mech__fail(&m->err, MECH_ESTATE, "mech_model_reinit: model is not set up");
    if (m->kind == MECH_MODEL_CALLBACK)
        return mech__fail(&m->err, MECH_EUNSUPPORTED,
                          "mech_model_reinit: callback models have no initialization");
    if (stream > (uint64_t)INT64_MAX)
        return mech__fail(&m->err, MECH_ERANGE, "mech_model_reinit: stream above 2^63 - 1");
    const int64_t old = m->opt[MECH_MODEL_INIT_STREAM].i;
    m->opt[MECH_MODEL_INIT_STREAM].i = (int64_t)stream;
    mech__model_changed(m);
    mech_status st = mech__model_init_params(m);
    if (st < 0) m->opt[MECH_MODEL_INIT_STREAM].i = old;
    return st;
}
