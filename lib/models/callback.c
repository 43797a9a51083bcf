/* Callback models: the caller's forward / VJP / JVP / second-order HVP
 * term on the model's parameter vector (double precision). */
#include "model_internal.h"

static mech_status cb_status(mech_model *m, int rc, const char *what)
{
    if (rc != 0)
        return mech__fail(&m->err, MECH_ECALLBACK, "callback model: %s callback returned %d",
                          what, rc);
    return MECH_OK;
}

mech_status mech__cb_forward(mech_model *m, const double *x, size_t batch, double *out)
{
    return cb_status(m, m->cb_forward(m->theta, m->n_params, x, batch, m->in_dim, out,
                                      m->out_dim, m->cb_ud),
                     "forward");
}

mech_status mech__cb_vjp(mech_model *m, const double *x, size_t batch, const double *u,
                         double *grad)
{
    return cb_status(m, m->cb_vjp(m->theta, m->n_params, x, batch, m->in_dim, u, m->out_dim,
                                  grad, m->cb_ud),
                     "vjp");
}

mech_status mech__cb_jvp(mech_model *m, const double *x, size_t batch, const double *v,
                         double *out)
{
    return cb_status(m, m->cb_jvp(m->theta, m->n_params, x, batch, m->in_dim, v, out,
                                  m->out_dim, m->cb_ud),
                     "jvp");
}

mech_status mech__cb_hvp2(mech_model *m, const double *x, size_t batch, const double *g,
                          const double *v, double *hv)
{
    return cb_status(m, m->cb_hvp2(m->theta, m->n_params, x, batch, m->in_dim, g, m->out_dim,
                                   v, hv, m->cb_ud),
                     "hvp2");
}
