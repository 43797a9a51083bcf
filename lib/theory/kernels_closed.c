/* Closed-form Gaussian moments E[phi(u) phi(v)], E[phi'(u) phi'(v)] for
 * (u, v) ~ N(0, [[k11, k12], [k12, k22]]) (THEORY.md section 4; Cho & Saul
 * 2009 for relu, Williams 1997 for erf). */
#include <math.h>

#include "kernels_internal.h"

static const double PI = 3.14159265358979323846;

/* k11 k22 - k12^2 >= 0 up to rounding. */
static double det(double k11, double k12, double k22)
{
    return fmax(0, k11 * k22 - k12 * k12);
}

static double clip1(double c)
{
    return fmin(1, fmax(-1, c));
}

bool mech__gauss_moments_closed(mech_activation act, double k11, double k12, double k22,
                                double *pp, double *dd)
{
    double p, d;
    switch (act) {
    case MECH_ACT_IDENTITY:
        p = k12;
        d = 1;
        break;
    case MECH_ACT_QUADRATIC: /* Isserlis: E[u^2 v^2], E[2u 2v] */
        p = k11 * k22 + 2 * k12 * k12;
        d = 4 * k12;
        break;
    case MECH_ACT_RELU: {
        /* A zero variance makes u = 0 almost surely: relu(0) = relu'(0) = 0. */
        if (k11 <= 0 || k22 <= 0) {
            p = d = 0;
            break;
        }
        const double s = sqrt(k11 * k22), c = clip1(k12 / s), th = acos(c);
        p = s * (sin(th) + (PI - th) * c) / (2 * PI);
        d = (PI - th) / (2 * PI);
        break;
    }
    case MECH_ACT_ERF:
        p = (2 / PI) * asin(clip1(2 * k12 / sqrt((1 + 2 * k11) * (1 + 2 * k22))));
        d = (4 / PI) / sqrt(1 + 2 * (k11 + k22) + 4 * det(k11, k12, k22));
        break;
    case MECH_ACT_SCALED_ERF: /* erf(z / sqrt 2): erf of variances halved */
        p = (2 / PI) * asin(clip1(k12 / sqrt((1 + k11) * (1 + k22))));
        d = (2 / PI) / sqrt(1 + k11 + k22 + det(k11, k12, k22));
        break;
    default:
        return false;
    }
    if (pp) *pp = p;
    if (dd) *dd = d;
    return true;
}

bool mech__activation_valid(mech_activation act)
{
    return (int)act >= (int)MECH_ACT_IDENTITY && (int)act <= (int)MECH_ACT_QUADRATIC;
}
