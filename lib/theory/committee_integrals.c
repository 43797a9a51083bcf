/* Gaussian integrals of the soft committee machine (THEORY.md section 5).
 * Closed forms for g = erf(z / sqrt 2); for linear g they reduce to
 * covariances. */
#include <math.h>

#include "committee_internal.h"

static const double TWO_OVER_PI = 0.63661977236758134308;
static const double FOUR_OVER_PI2 = 0.40528473456935108578;

double mech__committee_i2(mech_committee_act act, double c11, double c12, double c22)
{
    if (act == MECH_COMMITTEE_LINEAR) return c12;
    return TWO_OVER_PI * asin(c12 / sqrt((1.0 + c11) * (1.0 + c22)));
}

double mech__committee_j2(mech_committee_act act, double c11, double c12, double c22)
{
    if (act == MECH_COMMITTEE_LINEAR) return 1.0;
    return TWO_OVER_PI / sqrt((1.0 + c11) * (1.0 + c22) - c12 * c12);
}

/* E[g'(a) b g(c)] with c_ij the covariances of (a, b, c). */
double mech__committee_i3(mech_committee_act act, double c[3][3])
{
    if (act == MECH_COMMITTEE_LINEAR) return c[1][2];
    double l3 = (1.0 + c[0][0]) * (1.0 + c[2][2]) - c[0][2] * c[0][2];
    return TWO_OVER_PI * (c[1][2] * (1.0 + c[0][0]) - c[0][1] * c[0][2]) /
           ((1.0 + c[0][0]) * sqrt(l3));
}

/* E[g'(a) g'(b) g(c) g(d)]. */
double mech__committee_i4(mech_committee_act act, double c[4][4])
{
    if (act == MECH_COMMITTEE_LINEAR) return c[2][3];
    double l4 = (1.0 + c[0][0]) * (1.0 + c[1][1]) - c[0][1] * c[0][1];
    double l0 = l4 * c[2][3] - c[1][2] * c[1][3] * (1.0 + c[0][0]) -
                c[0][2] * c[0][3] * (1.0 + c[1][1]) + c[0][1] * c[0][2] * c[1][3] +
                c[0][1] * c[0][3] * c[1][2];
    double l1 = l4 * (1.0 + c[2][2]) - c[1][2] * c[1][2] * (1.0 + c[0][0]) -
                c[0][2] * c[0][2] * (1.0 + c[1][1]) + 2.0 * c[0][1] * c[0][2] * c[1][2];
    double l2 = l4 * (1.0 + c[3][3]) - c[1][3] * c[1][3] * (1.0 + c[0][0]) -
                c[0][3] * c[0][3] * (1.0 + c[1][1]) + 2.0 * c[0][1] * c[0][3] * c[1][3];
    double ratio = l0 / sqrt(l1 * l2);
    /* roundoff can push a perfectly correlated pair just past 1 */
    ratio = fmax(-1.0, fmin(1.0, ratio));
    return FOUR_OVER_PI2 * asin(ratio) / sqrt(l4);
}

static mech_status check_cov(const double *cov, size_t k)
{
    MECH_TRY(mech__check_finite(cov, k * k, "cov", NULL));
    for (size_t i = 0; i < k; i++) {
        if (cov[i * k + i] < 0.0)
            return mech__fail(NULL, MECH_ERANGE, "cov[%zu][%zu] = %g is a negative variance",
                              i, i, cov[i * k + i]);
        for (size_t j = 0; j < k; j++) {
            if (fabs(cov[i * k + j] - cov[j * k + i]) > 1e-12 * (1.0 + fabs(cov[i * k + j])))
                return mech__fail(NULL, MECH_ERANGE, "cov is not symmetric at (%zu, %zu)", i, j);
            double bound = sqrt(cov[i * k + i] * cov[j * k + j]);
            if (fabs(cov[i * k + j]) > bound * (1.0 + 1e-12))
                return mech__fail(NULL, MECH_ERANGE,
                                  "cov[%zu][%zu] = %g exceeds sqrt(C_ii C_jj) = %g", i, j,
                                  cov[i * k + j], bound);
        }
    }
    return MECH_OK;
}

mech_status mech__committee_check_act(mech_committee_act act)
{
    if (act != MECH_COMMITTEE_SCALED_ERF && act != MECH_COMMITTEE_LINEAR)
        return mech__fail(NULL, MECH_EINVAL, "unknown committee activation %d", (int)act);
    return MECH_OK;
}

MECH_API mech_status mech_committee_gaussian(mech_committee_act act,
                                             mech_committee_integral which,
                                             const double *cov, double *out)
{
    static const size_t dims[] = {2, 2, 3, 4};
    MECH_CHECK_PTR(NULL, cov);
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(mech__committee_check_act(act));
    if ((int)which < 0 || (int)which > 3)
        return mech__fail(NULL, MECH_EINVAL, "unknown committee integral %d", (int)which);
    size_t k = dims[which];
    MECH_TRY(check_cov(cov, k));
    double c[4][4] = {{0}};
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) c[i][j] = cov[i * k + j];
    switch (which) {
    case MECH_COMMITTEE_I2: *out = mech__committee_i2(act, c[0][0], c[0][1], c[1][1]); break;
    case MECH_COMMITTEE_J2: *out = mech__committee_j2(act, c[0][0], c[0][1], c[1][1]); break;
    case MECH_COMMITTEE_I3: {
        double c3[3][3];
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++) c3[i][j] = c[i][j];
        *out = mech__committee_i3(act, c3);
        break;
    }
    case MECH_COMMITTEE_I4: *out = mech__committee_i4(act, c); break;
    }
    return MECH_OK;
}
