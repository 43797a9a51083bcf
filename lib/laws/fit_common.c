/* Input checks, result writing and the small least-squares solve shared by
 * the fits in lib/laws. */
#include <math.h>
#include <string.h>

#include "laws_internal.h"

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

int mech__small_lsq(size_t p, const double *G, const double *h, double *c)
{
    double scale[3], l[9] = {0};
    for (size_t i = 0; i < p; i++) {
        if (!(G[i * p + i] > 0.0) || !isfinite(G[i * p + i])) return 1;
        scale[i] = 1.0 / sqrt(G[i * p + i]);
    }
    /* Cholesky of the unit-diagonal Gram, inline: at p <= 3 a LAPACK call
     * costs far more than the arithmetic. A pivot below 1e-13 means the
     * normal equations have lost every digit: report dependent columns. */
    for (size_t j = 0; j < p; j++) {
        for (size_t i = j; i < p; i++) {
            double v = G[i * p + j] * scale[i] * scale[j];
            for (size_t k = 0; k < j; k++) v -= l[i * 3 + k] * l[j * 3 + k];
            if (i == j) {
                if (!(v > 1e-13)) return 1;
                l[j * 3 + j] = sqrt(v);
            } else {
                l[i * 3 + j] = v / l[j * 3 + j];
            }
        }
    }
    for (size_t i = 0; i < p; i++) { /* L z = D h, then L^T c' = z */
        double v = h[i] * scale[i];
        for (size_t k = 0; k < i; k++) v -= l[i * 3 + k] * c[k];
        c[i] = v / l[i * 3 + i];
    }
    for (size_t i = p; i-- > 0;) {
        double v = c[i];
        for (size_t k = i + 1; k < p; k++) v -= l[k * 3 + i] * c[k];
        c[i] = v / l[i * 3 + i];
    }
    for (size_t i = 0; i < p; i++) c[i] *= scale[i];
    return 0;
}
