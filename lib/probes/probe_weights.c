/* Final-weight kinds: per-layer norms, stable rank, singular values and
 * the heavy-tail power-law fit of the eigenvalues of W^T W (metrics.h). */
#include <math.h>
#include <stdio.h>

#include "probe_internal.h"

/* Outputs of one matrix (suffix "" or the layer index); sv receives its
 * min(rows, cols) singular values; sq is scratch of the same size. */
static mech_status one_matrix(mech_probe *p, const double *w, size_t rows, size_t cols,
                              double *sv, double *sq, bool dry, const char *suffix)
{
    const size_t r = rows < cols ? rows : cols;
    mech_spectrum_result s = {.size = sizeof s, .frobenius_norm = NAN, .spectral_norm = NAN,
                              .stable_rank = NAN};
    mech_power_law_result pl = {.size = sizeof pl, .alpha = NAN, .alpha_se = NAN,
                                .ks_distance = NAN};
    double n_tail = NAN;
    if (!dry) {
        MECH_TRY(mech__adopt(&p->err, mech_matrix_spectrum(p->ctx, w, rows, cols, false, sv, &s)));
        for (size_t i = 0; i < r; i++) sq[i] = sv[i] * sv[i];
        /* too few eigenvalues for a tail is a NaN result, not an error */
        if (mech_power_law_tail_fit(sq, r, (size_t)probe_i(p, MECH_PROBE_MIN_TAIL), &pl) == MECH_OK)
            n_tail = (double)pl.n_tail;
        else
            pl.alpha = pl.alpha_se = pl.ks_distance = NAN;
    }
    MECH_TRY(probe_out(p, s.frobenius_norm, "frob%s", suffix));
    MECH_TRY(probe_out(p, s.spectral_norm, "spectral%s", suffix));
    MECH_TRY(probe_out(p, s.stable_rank, "stable_rank%s", suffix));
    MECH_TRY(probe_out(p, pl.alpha, "alpha%s", suffix));
    MECH_TRY(probe_out(p, pl.alpha_se, "alpha_se%s", suffix));
    MECH_TRY(probe_out(p, pl.ks_distance, "ks%s", suffix));
    return probe_out(p, n_tail, "n_tail%s", suffix);
}

mech_status mech__probe_weights(mech_probe *p, const probe_in *in)
{
    if (in->way == PROBE_OPERATOR)
        return mech__fail(&p->err, MECH_EUNSUPPORTED, "mech_probe (weights): not an operator kind");
    double *sv = NULL, *sq = NULL, *w = NULL;
    if (in->way == PROBE_ARRAYS) {
        const size_t r = in->ra < in->ca ? in->ra : in->ca;
        MECH_TRY(probe_vec(p, "sv", r, &sv));
        MECH_TRY(probe_buf(p, 1, r, &sq));
        return one_matrix(p, in->a, in->ra, in->ca, sv, sq, false, "");
    }
    size_t maxw = 0;
    for (size_t l = 0; l < p->n_layers; l++) {
        size_t rows = 0, cols = 0;
        MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, l, NULL, &rows, &cols, NULL)));
        maxw = rows * cols > maxw ? rows * cols : maxw;
    }
    MECH_TRY(probe_buf(p, 0, maxw, &w));
    MECH_TRY(probe_buf(p, 1, maxw, &sq));
    for (size_t l = 0; l < p->n_layers; l++) {
        size_t rows = 0, cols = 0;
        char suffix[24];
        snprintf(suffix, sizeof suffix, "%zu", l);
        MECH_TRY(mech__adopt(&p->err, mech_model_layer_info(p->model, l, NULL, &rows, &cols, NULL)));
        char name[PROBE_NAME_CAP];
        snprintf(name, sizeof name, "sv%zu", l);
        MECH_TRY(probe_vec(p, name, rows < cols ? rows : cols, &sv));
        if (!in->dry)
            MECH_TRY(mech__adopt(&p->err, mech_model_get_layer_weights(p->model, l, w, rows * cols)));
        MECH_TRY(one_matrix(p, w, rows, cols, sv, sq, in->dry, suffix));
    }
    return MECH_OK;
}
