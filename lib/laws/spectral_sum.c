/* Sums over the power-law spectrum lambda_k = k^-alpha, k = 1, 2, ...:
 * the first K = MECH__SPEC_EXPLICIT terms exactly, the rest by the
 * midpoint Euler-Maclaurin formula
 *   sum_{k > K} f(k) = int_a^inf f(k) dk + f'(a)/24 + O(f'''(a)),
 * a = K + 1/2, with f' by a central difference. The terms are smooth in
 * ln k (the j-th derivative is ~p^j f / k^j), so the remainder is
 * ~p^3 f(a) / K^3, below 1e-7 of the first omitted term. The integral
 * runs in u = ln k by Simpson's rule.
 */
#include <math.h>

#include "spectral_sum.h"

/* Learnability L = r/(1 + r) and 1 - L from ln r, r = lambda / kappa
 * (kappa may lie far outside lambda's range, hence logs). */
static void learn(double log_r, double *l, double *miss)
{
    const double r = exp(log_r);
    *l = r / (1.0 + r);
    *miss = 1.0 / (1.0 + r);
}

/* Term k (given ln k) of the sum `what`; only the exponentials it needs. */
static double term(const mech__spec *s, mech__spec_what what, double lk)
{
    const double log_lam = -s->alpha * lk;
    double l, miss;
    switch (what) {
    case MECH__SPEC_TIME: return exp(-s->p * lk - 2.0 * exp(log_lam) * s->t);
    case MECH__SPEC_LEARN: learn(log_lam - s->log_kappa, &l, &miss); return l;
    case MECH__SPEC_LEARN_DLOG: /* -d L / d ln kappa */
        learn(log_lam - s->log_kappa, &l, &miss);
        return l * miss;
    case MECH__SPEC_LEARN2: learn(log_lam - s->log_kappa, &l, &miss); return l * l;
    case MECH__SPEC_BIAS2:
        learn(log_lam - s->log_kappa, &l, &miss);
        return exp(-s->p * lk) * miss * miss;
    case MECH__SPEC_BIAS1:
        learn(log_lam - s->log_kappa, &l, &miss);
        return exp(-s->p * lk) * miss;
    case MECH__SPEC_FLOW:
        learn(log_lam - s->log_kappa, &l, &miss);
        return exp(-s->p * lk) * (miss + l * exp(-2.0 * exp(log_lam) * s->t));
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
    const double a = (double)MECH__SPEC_EXPLICIT + 0.5;
    const double df = (term(s, what, log(a + 0.25)) - term(s, what, log(a - 0.25))) / 0.5;
    return sum + tail * h / 3.0 + df / 24.0;
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
