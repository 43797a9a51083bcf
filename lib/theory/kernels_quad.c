/* Gaussian moments E[g(u) g(v)] of an activation by piecewise
 * Gauss-Legendre quadrature. Gauss-Hermite over the whole line converges
 * slowly for saturating activations at large variance (erf at variance 4:
 * ~1e-5 with 64 nodes), so each standard-normal variable is truncated to
 * [-TRUNC, TRUNC] and split where g's argument crosses 0 (relu's kink,
 * erf's and tanh's steep centre); each piece then has a smooth integrand. */
#include <math.h>

#include "kernels_internal.h"
#include "models/activation.h"

/* Standard normal tail beyond 10 is 7.6e-24: negligible at double precision
 * for activations of at most polynomial growth. */
static const double TRUNC = 10.0;
static const double INV_SQRT_2PI = 0.39894228040143267794;

void mech__gauss_legendre(size_t n, double *x, double *w)
{
    /* Newton on P_n from the asymptotic guesses; the nodes are symmetric, so
     * compute the positive half and mirror it. */
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < (n + 1) / 2; i++) {
        double z = cos(pi * ((double)i + 0.75) / ((double)n + 0.5)), dp = 1;
        for (int it = 0; it < 100; it++) {
            double p0 = 1, p1 = z;
            for (size_t k = 1; k < n; k++) {
                double p2 = ((2.0 * (double)k + 1) * z * p1 - (double)k * p0) / ((double)k + 1);
                p0 = p1;
                p1 = p2;
            }
            dp = (double)n * (z * p1 - p0) / (z * z - 1);
            double dz = p1 / dp;
            z -= dz;
            if (fabs(dz) < 1e-16) break;
        }
        double wi = 2 / ((1 - z * z) * dp * dp);
        x[i] = -z;
        x[n - 1 - i] = z;
        w[i] = w[n - 1 - i] = wi;
    }
    if (n % 2) x[n / 2] = 0;
}

/* E_z[phi(a + b z)] and E_z[phi'(a + b z)] over z ~ N(0, 1), b >= 0. */
static void inner(mech_activation act, double a, double b, size_t n, const double *x,
                  const double *w, double *ip, double *id)
{
    if (b == 0) {
        *ip = mech__act(act, a);
        *id = mech__act_d1(act, a);
        return;
    }
    /* Split at the kink and at the Gaussian's centre: one Legendre rule
     * over all of [-TRUNC, TRUNC] would miss the narrow weight. */
    const double cut = fmin(TRUNC, fmax(-TRUNC, -a / b));
    const double edge[4] = {-TRUNC, fmin(0, cut), fmax(0, cut), TRUNC};
    double sp = 0, sd = 0;
    for (int piece = 0; piece < 3; piece++) {
        const double half = 0.5 * (edge[piece + 1] - edge[piece]);
        const double mid = 0.5 * (edge[piece + 1] + edge[piece]);
        if (half <= 0) continue;
        for (size_t i = 0; i < n; i++) {
            const double z = mid + half * x[i];
            const double wt = half * w[i] * INV_SQRT_2PI * exp(-0.5 * z * z);
            sp += wt * mech__act(act, a + b * z);
            sd += wt * mech__act_d1(act, a + b * z);
        }
    }
    *ip = sp;
    *id = sd;
}

void mech__gauss_moments_quad(mech_activation act, double k11, double k12, double k22,
                              size_t n, const double *x, const double *w, double *pp,
                              double *dd)
{
    /* u = s1 z1, v = s2 (rho z1 + sqrt(1 - rho^2) z2): the outer integrand
     * bends at z1 = 0, where both u and the inner mean cross 0, and the
     * inner expectation of a kinked activation (relu's phi' is a step)
     * changes on the scale sqrt(1 - rho^2)/|rho| around it, steep when
     * |rho| -> 1: extra pieces within `near` of 0. Smooth activations keep
     * their own scale there. */
    const double s1 = sqrt(k11), s2 = sqrt(k22);
    double rho = (s1 > 0 && s2 > 0) ? k12 / sqrt(k11 * k22) : 0;
    rho = fmin(1, fmax(-1, rho));
    const double c = sqrt(fmax(0, (1 - rho) * (1 + rho)));
    const double b = s2 * c;
    const bool kinked = act == MECH_ACT_RELU;
    const double near = kinked && fabs(rho) * TRUNC > 8 * c ? 8 * c / fabs(rho) : TRUNC;
    const double edge[5] = {-TRUNC, -near, 0, near, TRUNC};
    double sp = 0, sd = 0;
    for (int piece = 0; piece < 4; piece++) {
        const double half = 0.5 * (edge[piece + 1] - edge[piece]);
        const double mid = 0.5 * (edge[piece + 1] + edge[piece]);
        if (half <= 0) continue;
        for (size_t i = 0; i < n; i++) {
            const double z = mid + half * x[i];
            const double wt = half * w[i] * INV_SQRT_2PI * exp(-0.5 * z * z);
            const double fu = mech__act(act, s1 * z), du = mech__act_d1(act, s1 * z);
            if (fu == 0 && du == 0) continue;
            double ip, id;
            inner(act, s2 * rho * z, b, n, x, w, &ip, &id);
            sp += wt * fu * ip;
            sd += wt * du * id;
        }
    }
    if (pp) *pp = sp;
    if (dd) *dd = sd;
}
