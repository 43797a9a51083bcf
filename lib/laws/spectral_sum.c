/* Sums over the power-law spectrum lambda_k = k^-alpha, k = 1, 2, ...:
 * the first MECH__SPEC_EXPLICIT terms exactly, the rest by the midpoint
 * Euler-Maclaurin integral, int_{K + 1/2}^inf f(k) dk, whose error
 * (-f'(K + 1/2)/24 + ...) is ~1e-10 of the tail for these slowly varying
 * terms. The integral runs in u = ln k by Simpson's rule. */
#include <math.h>

#include "spectral_sum.h"

/* Term k (given ln k) of the sum `what`. */
static double term(const mech__spec *s, mech__spec_what what, double lk)
{
    const double lam = exp(-s->alpha * lk);
    const double v2 = exp(-s->p * lk); /* lambda_k w*_k^2 */
    /* r = lambda / kappa in logs: kappa may be far below lambda's range */
    const double r = exp(-s->alpha * lk - s->log_kappa);
    const double learn = r / (1.0 + r), miss = 1.0 / (1.0 + r);
    switch (what) {
    case MECH__SPEC_TIME: return v2 * exp(-2.0 * lam * s->t);
    case MECH__SPEC_LEARN: return learn;
    case MECH__SPEC_LEARN_DLOG: return learn * miss; /* -d learn / d ln kappa */
    case MECH__SPEC_LEARN2: return learn * learn;
    case MECH__SPEC_BIAS2: return v2 * miss * miss;
    case MECH__SPEC_BIAS1: return v2 * miss;
    case MECH__SPEC_FLOW: return v2 * (miss + learn * exp(-2.0 * lam * s->t));
    }
    return NAN;
}

/* Slowest decay rate in u = ln k of k f(k) as k -> inf, for the tail length. */
static double decay(const mech__spec *s, mech__spec_what what)
{
    switch (what) {
    case MECH__SPEC_LEARN:
    case MECH__SPEC_LEARN_DLOG: return s->alpha - 1.0;
    case MECH__SPEC_LEARN2: return 2.0 * s->alpha - 1.0;
    default: return s->p - 1.0;
    }
}

double mech__spec_sum(const mech__spec *s, mech__spec_what what)
{
    double sum = 0.0;
    for (size_t k = 1; k <= MECH__SPEC_EXPLICIT; k++) sum += term(s, what, log((double)k));
    /* tail: int_0^U e^(la + u) f(e^(la + u)) du, U where the integrand is
     * e^-40 of its start; steps fine enough for the fastest power p_max */
    const double la = log((double)MECH__SPEC_EXPLICIT + 0.5);
    const double pmax = fmax(fmax(s->alpha, s->p), 2.0 * s->alpha);
    const double umax = 40.0 / decay(s, what);
    const double h0 = fmin(0.02, 0.2 / pmax);
    size_t n = 2 * (size_t)ceil(umax / (2.0 * h0));
    const double h = umax / (double)n;
    double tail = 0.0;
    for (size_t i = 0; i <= n; i++) {
        double u = la + h * (double)i;
        double w = (i == 0 || i == n) ? 1.0 : (i % 2) ? 4.0 : 2.0;
        tail += w * exp(u) * term(s, what, u);
    }
    return sum + tail * h / 3.0;
}

int mech__spec_solve_kappa(mech__spec *s, double n)
{
    /* Solves sum_k lambda/(lambda + kappa) = n for ln kappa by Newton steps
     * on ln(sum) - ln n, safeguarded by bisection; the sum decreases in
     * kappa from +inf (kappa -> 0) to 0. Start near the power-law estimate
     * kappa ~ n^-alpha. */
    double lo = -INFINITY, hi = INFINITY; /* bracket in ln kappa: sum > n at lo */
    double x = -s->alpha * log(n);
    const double target = log(n);
    for (int it = 0; it < 200; it++) {
        s->log_kappa = x;
        double f = log(mech__spec_sum(s, MECH__SPEC_LEARN)) - target;
        if (!isfinite(f)) return -1;
        if (fabs(f) < 1e-14) return 0;
        if (f > 0.0) lo = x; else hi = x;
        double d = -mech__spec_sum(s, MECH__SPEC_LEARN_DLOG) * exp(-(f + target));
        double next = x - f / d;
        if (!(d < 0.0) || !isfinite(next) || next <= lo || next >= hi) {
            if (isfinite(lo) && isfinite(hi)) next = 0.5 * (lo + hi);
            else next = isfinite(lo) ? x + 4.0 : x - 4.0;
        }
        if (fabs(next - x) < 1e-15 * fmax(1.0, fabs(x))) return 0;
        x = next;
    }
    return -1;
}
