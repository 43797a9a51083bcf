/* Kernel-target alignment (Cristianini et al. 2002; centered: Cortes,
 * Mohri & Rostamizadeh 2012) and the kernel distance used to measure how
 * far a network's tangent kernel moves during training. */
#include <math.h>
#include <stdlib.h>

#include "mechanics/linalg.h"
#include "probes_internal.h"

/* ||H K H||_F^2 from the row and column means of K (rows, cols: n). */
static double centered_fro2(const double *k, size_t n, double *rows, double *cols)
{
    double g = 0.0;
    for (size_t j = 0; j < n; j++) cols[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        rows[i] = 0.0;
        for (size_t j = 0; j < n; j++) rows[i] += k[i * n + j], cols[j] += k[i * n + j];
    }
    for (size_t i = 0; i < n; i++) {
        rows[i] /= (double)n, cols[i] /= (double)n;
        g += rows[i];
    }
    g /= (double)n;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = k[i * n + j] - rows[i] - cols[j] + g;
            s += v * v;
        }
    return s;
}

MECH_API mech_status mech_kernel_target_alignment(const mech_ctx *ctx, const double *k,
                                                  size_t n, const double *y, size_t c,
                                                  bool centered, double *out)
{
    MECH_CHECK_PTR(NULL, out);
    size_t nn, nc;
    MECH_TRY(mech__probe_matrix(k, n, n, __func__, "k", &nn));
    MECH_TRY(mech__probe_matrix(y, n, c, __func__, "y", &nc));
    size_t cc;
    MECH_TRY(mech__mul(c, c, &cc, NULL));
    if (cc > SIZE_MAX / 16)
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: c = %zu outputs is too many", __func__, c);
    /* nc <= SIZE_MAX / 8 and c, n <= nc: the sum stays below SIZE_MAX */
    size_t total = 2 * nc + cc + c + (centered ? 2 * n : 0);
    double *buf = mech__calloc(total, sizeof(double), NULL);
    if (!buf) return MECH_ENOMEM;
    double *yc = buf, *ky = yc + nc, *yty = ky + nc, *mean = yty + cc, *rows = mean + c;
    const double *yy = y;
    if (centered) {
        mech__probe_center_columns(y, n, c, yc, mean);
        yy = yc;
    }
    mech_status st = mech_gemm(ctx, false, false, n, c, n, 1.0, k, n, yy, c, 0.0, ky, c);
    if (st == MECH_OK) st = mech_gemm(ctx, true, false, c, c, n, 1.0, yy, c, yy, c, 0.0, yty, c);
    if (st == MECH_OK) {
        double inner = 0.0, fy = 0.0, fk = 0.0;
        for (size_t i = 0; i < nc; i++) inner += yy[i] * ky[i];
        for (size_t i = 0; i < cc; i++) fy += yty[i] * yty[i];
        if (centered) fk = centered_fro2(k, n, rows, rows + n);
        else
            for (size_t i = 0; i < nn; i++) fk += k[i] * k[i];
        if (!(fk > 0.0) || !(fy > 0.0))
            st = mech__fail(NULL, MECH_ERANGE, "%s: the %s is zero%s", __func__,
                            fk > 0.0 ? "target's outer product" : "kernel",
                            centered ? " after centering" : "");
        else *out = inner / sqrt(fk * fy);
    }
    free(buf);
    return st;
}

MECH_API mech_status mech_kernel_distance(const double *k1, const double *k2, size_t n,
                                          double *out)
{
    MECH_CHECK_PTR(NULL, out);
    size_t nn;
    MECH_TRY(mech__probe_matrix(k1, n, n, __func__, "k1", &nn));
    MECH_TRY(mech__probe_matrix(k2, n, n, __func__, "k2", NULL));
    double s12 = 0.0, s11 = 0.0, s22 = 0.0;
    for (size_t i = 0; i < nn; i++)
        s12 += k1[i] * k2[i], s11 += k1[i] * k1[i], s22 += k2[i] * k2[i];
    if (!(s11 > 0.0) || !(s22 > 0.0))
        return mech__fail(NULL, MECH_ERANGE, "%s: a kernel is zero", __func__);
    *out = 1.0 - s12 / sqrt(s11 * s22);
    return MECH_OK;
}
