/* Loss, accuracy and gradient of a whole finite dataset, in chunks of at
 * most the model's MAX_BATCH rows. Chunk results are weighted by
 * chunk / n; a single chunk has weight exactly 1, so the full-batch
 * gradient is then bitwise the model's batch gradient. */
#include <math.h>

#include "run_internal.h"

static void to_f32(const double *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (float)in[i];
}

/* Gradient of one chunk (held in ex, ey) into the run's gradient buffer
 * (first chunk) or added to it with weight w. */
static mech_status chunk_gradient(mech_run *r, size_t c, double w, bool first, double *lc)
{
    const size_t np = r->n_params;
    if (r->f32) {
        to_f32(r->ex, r->bx_f, c * r->in_dim);
        to_f32(r->ey, r->by_f, c * r->out_dim);
        float *g = first && w == 1.0 ? r->grad_f : r->gtmp_f;
        MECH_TRY(mech__adopt(&r->err, mech_model_gradient_f32(r->model, r->loss, r->bx_f,
                                                              r->by_f, c, lc, g)));
        if (g == r->grad_f) return MECH_OK;
        for (size_t i = 0; i < np; i++)
            r->grad_f[i] = first ? (float)(w * g[i]) : (float)(r->grad_f[i] + w * g[i]);
        return MECH_OK;
    }
    double *g = first && w == 1.0 ? r->grad : r->gtmp;
    MECH_TRY(mech__adopt(&r->err, mech_model_gradient(r->model, r->loss, r->ex, r->ey, c, lc,
                                                      g)));
    if (g == r->grad) return MECH_OK;
    for (size_t i = 0; i < np; i++) r->grad[i] = first ? w * g[i] : r->grad[i] + w * g[i];
    return MECH_OK;
}

mech_status mech__run_eval(mech_run *r, mech_data *d, size_t n, double *loss, double *acc,
                           bool want_grad)
{
    double l = 0, a = 0;
    for (size_t first = 0; first < n; first += r->chunk) {
        const size_t c = n - first < r->chunk ? n - first : r->chunk;
        const double w = c == n ? 1.0 : (double)c / (double)n;
        double lc = 0, ac = 0;
        MECH_TRY(mech__adopt(&r->err, mech_data_get(d, first, c, r->ex, r->ey)));
        if (want_grad) {
            MECH_TRY(chunk_gradient(r, c, w, first == 0, &lc));
        } else {
            MECH_TRY(mech__adopt(&r->err, mech_model_forward(r->model, r->ex, c, r->ef)));
            MECH_TRY(mech__adopt(&r->err, mech_loss_eval(r->loss, r->ef, r->ey, c, r->out_dim,
                                                         &lc, NULL, NULL)));
            if (acc)
                MECH_TRY(mech__adopt(&r->err, mech_loss_accuracy(r->loss, r->ef, r->ey, c,
                                                                 r->out_dim, &ac)));
        }
        l += w * lc;
        a += w * ac;
    }
    if (loss) *loss = l;
    if (acc) *acc = a;
    return MECH_OK;
}
