/* Input checks, result writing and the small least-squares solve shared by
 * the fits in lib/laws. */
#include <math.h>
#include <string.h>

#include "laws_internal.h"
#include "mechanics/linalg.h"

static mech_status check_positive(const char *fn, const char *what, const double *v,
                                  size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(v[i]))
            return mech__fail(NULL, MECH_ENONFINITE, "%s: %s[%zu] is not finite", fn, what, i);
        if (v[i] <= 0.0)
            return mech__fail(NULL, MECH_ERANGE, "%s: %s[%zu] = %g must be > 0", fn, what, i,
                              v[i]);
    }
    return MECH_OK;
}

mech_status mech__check_runs(const char *fn, const double *n, const double *d,
                             const double *loss, size_t count)
{
    if (!n || !d || !loss)
        return mech__fail(NULL, MECH_EINVAL, "%s: n, d and loss must not be NULL", fn);
    if (count < 5)
        return mech__fail(NULL, MECH_EINVAL, "%s: %zu runs, need at least 5 for 5 parameters",
                          fn, count);
    MECH_TRY(check_positive(fn, "n", n, count));
    MECH_TRY(check_positive(fn, "d", d, count));
    return check_positive(fn, "loss", loss, count);
}

mech_status mech__write_fit(const char *fn, const void *r, size_t full, void *out)
{
    size_t size;
    memcpy(&size, out, sizeof size);
    if (size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL, "%s: out->size must be set to sizeof(*out)", fn);
    memcpy((char *)out + sizeof size, (const char *)r + sizeof size,
           (size < full ? size : full) - sizeof size);
    return MECH_OK;
}

void mech__clear_intervals(mech_chinchilla_fit *r)
{
    double *fields[] = {&r->se_E, &r->se_A, &r->se_B, &r->se_alpha, &r->se_beta,
                        &r->lo_E, &r->hi_E, &r->lo_A, &r->hi_A, &r->lo_B, &r->hi_B,
                        &r->lo_alpha, &r->hi_alpha, &r->lo_beta, &r->hi_beta};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) *fields[i] = NAN;
    r->bootstrap = 0;
}

/* Determinant of a p x p (p <= 3) row-major matrix. */
static double det_small(size_t p, const double *a)
{
    if (p == 1) return a[0];
    if (p == 2) return a[0] * a[3] - a[1] * a[2];
    return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
           a[2] * (a[3] * a[7] - a[4] * a[6]);
}

int mech__small_lsq(size_t p, const double *G, const double *h, double *c)
{
    double scale[3], gs[9];
    for (size_t i = 0; i < p; i++) {
        if (!(G[i * p + i] > 0.0) || !isfinite(G[i * p + i])) return 1;
        scale[i] = 1.0 / sqrt(G[i * p + i]);
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++) gs[i * p + j] = G[i * p + j] * scale[i] * scale[j];
        c[i] = h[i] * scale[i];
    }
    /* With a unit diagonal the determinant measures how far the columns
     * are from dependent; below ~1e-13 the normal equations lose every
     * digit, so report dependence instead of letting the solve fail. */
    if (!(det_small(p, gs) > 1e-13)) return 1;
    if (mech_cholesky_solve(NULL, p, 1, gs, p, c, 1) != MECH_OK) return 1;
    for (size_t i = 0; i < p; i++) c[i] *= scale[i];
    return 0;
}
