/* Empirical neural tangent kernel K = J(x1) J(x2)^T from the model's own
 * VJP and JVP: each row (i, o) is the gradient g of f_o(x1_i) (one
 * single-example VJP) pushed through a batched JVP over x2. */
#include "model_internal.h"

MECH_API mech_status mech_model_ntk(mech_model *m, const double *x1, size_t n1,
                                    const double *x2, size_t n2, double *k)
{
    MECH_CHECK_PTR(NULL, m);
    MECH_CHECK_PTR(&m->err, x1);
    MECH_CHECK_PTR(&m->err, x2);
    MECH_CHECK_PTR(&m->err, k);
    MECH_CHECK_NONZERO(&m->err, n1);
    MECH_CHECK_NONZERO(&m->err, n2);
    MECH_TRY(mech__model_check_batch(m, x1, 1, __func__));
    const size_t out = m->out_dim, cols = n2 * out;
    size_t tmp;
    MECH_TRY(mech__mul3(n1, out, cols, &tmp, &m->err));
    MECH_TRY(mech__check_finite(x1, n1 * m->in_dim, "x1", &m->err));
    MECH_TRY(mech__check_finite(x2, n2 * m->in_dim, "x2", &m->err));
    /* m->rgd holds the one-hot output direction, m->pv the gradient, and
     * m->rfd the JVP chunk: none of them is used by mech_model_vjp/jvp. */
    for (size_t i = 0; i < n1; i++)
        for (size_t o = 0; o < out; o++) {
            for (size_t p = 0; p < out; p++) m->rgd[p] = p == o;
            MECH_TRY(mech_model_vjp(m, x1 + i * m->in_dim, 1, m->rgd, m->pv));
            double *row = k + (i * out + o) * cols;
            for (size_t j0 = 0; j0 < n2; j0 += m->max_batch) {
                size_t nb = n2 - j0 < m->max_batch ? n2 - j0 : m->max_batch;
                MECH_TRY(mech_model_jvp(m, x2 + j0 * m->in_dim, nb, m->pv, m->rfd));
                for (size_t q = 0; q < nb * out; q++) row[j0 * out + q] = m->rfd[q];
            }
        }
    return MECH_OK;
}
