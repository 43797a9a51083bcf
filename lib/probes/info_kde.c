/* Kernel (KDE) information-plane estimate: the pairwise-distance upper
 * bound of Kolchinsky & Tracey (2017) for a layer with additive Gaussian
 * noise, as used by Saxe et al. (2018). */
#include <math.h>
#include <stdlib.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

MECH_API mech_status mech_information_plane_kde(const mech_ctx *ctx, const double *t,
                                                size_t n, size_t p, const int64_t *labels,
                                                size_t n_classes, double noise_var,
                                                mech_information_plane *out)
{
    const char *fn = __func__;
    MECH_TRY(mech__probe_result_size(out, fn));
    MECH_TRY(mech__probe_matrix(t, n, p, fn, "t", NULL));
    if (!isfinite(noise_var))
        return mech__fail(NULL, MECH_ENONFINITE, "%s: noise_var is not finite", fn);
    if (!(noise_var > 0.0))
        return mech__fail(NULL, MECH_ERANGE, "%s: noise_var = %g must be > 0", fn, noise_var);
    if (labels) MECH_TRY(mech__probe_labels(labels, n, n_classes, NULL, fn));
    size_t nn;
    MECH_TRY(mech__mul(n, n, &nn, NULL));
    if (nn > SIZE_MAX / sizeof(double) - n - n_classes)
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: n = %zu is too large", fn, n);
    double *g = mech__calloc(nn + n + (labels ? n_classes : 0), sizeof(double), NULL);
    if (!g) return MECH_ENOMEM;
    double *sq = g + nn, *cls = sq + n;
    mech_status st = mech_gemm(ctx, false, true, n, n, p, 1.0, t, p, t, p, 0.0, g, n);
    if (st == MECH_OK) {
        if (labels)
            for (size_t i = 0; i < n; i++) cls[labels[i]] += 1.0;
        for (size_t i = 0; i < n; i++) sq[i] = g[i * n + i];
        /* Every exponent is <= 0 and the j = i term is exactly 1, so the
         * sums need no max shift. */
        double all = 0.0, within = 0.0;
        for (size_t i = 0; i < n; i++) {
            double s = 0.0, sc = 0.0;
            for (size_t j = 0; j < n; j++) {
                double d2 = fmax(0.0, sq[i] + sq[j] - 2.0 * g[i * n + j]);
                double e = exp(-d2 / (2.0 * noise_var));
                s += e;
                if (labels && labels[j] == labels[i]) sc += e;
            }
            all += log(s / (double)n);
            if (labels) within += log(sc / cls[labels[i]]);
        }
        mech_information_plane res = {.size = sizeof res, .i_ty = NAN};
        res.i_xt = -all / (double)n;
        if (labels) res.i_ty = res.i_xt + within / (double)n;
        mech__probe_store(out, &res, sizeof res);
    }
    free(g);
    return st;
}
