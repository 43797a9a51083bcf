/* The Huber-LSE objective four runs at a time with AVX2 and FMA, chosen at
 * run time on CPUs that have them. libm's exp and log are scalar calls
 * that dominate the fit's time; here they are branch-free: exp by
 * Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, and its Taylor series
 * to r^13 (truncation < 4e-18); log by s = 2^k m, m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh z = 2 (z + z^3/3 + ...), z = (m-1)/(m+1), to z^23
 * (truncation < 1e-18). Measured against libm over the ranges the
 * objective uses: relative differences below 1 (exp) and 2 (log) machine
 * epsilons. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "laws_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4i __attribute__((vector_size(32)));
typedef uint64_t v4u __attribute__((vector_size(32)));

#define SIMD __attribute__((target("avx2,fma")))
#define SIGN_BIT UINT64_C(0x8000000000000000)
#define INT_SHIFTER 0x1.8p52 /* adding it leaves a small integer in the low bits */

SIMD static inline v4d splat(double x)
{
    return (v4d){x, x, x, x};
}

SIMD static inline v4d abs4(v4d x)
{
    return (v4d)((v4u)x & ~SIGN_BIT);
}

/* mask ? a : b, lane by lane (mask lanes all ones or all zeros) */
SIMD static inline v4d select4(v4i mask, v4d a, v4d b)
{
    return (v4d)(((v4u)mask & (v4u)a) | (~(v4u)mask & (v4u)b));
}

/* exp(x) for |x| < MECH__SAFE_EXP */
SIMD static inline v4d exp4(v4d x)
{
    v4d kd = x * 0x1.71547652b82fep0 + INT_SHIFTER; /* round(x / ln2) */
    v4u kbits = (v4u)kd;
    kd -= INT_SHIFTER;
    v4d r = (x - kd * 0x1.62e42fefa3800p-1) - kd * 0x1.ef35793c76730p-45;
    static const double inv_fact[14] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
        1.0 / 6227020800.0};
    v4d p = splat(inv_fact[13]);
    for (int k = 12; k >= 0; k--) p = p * r + inv_fact[k];
    return (v4d)((v4u)p + (kbits << 52)); /* times 2^k, in the exponent field */
}

/* log(s) for positive normal s */
SIMD static inline v4d log4(v4d s)
{
    v4i k = (v4i)((v4u)s - UINT64_C(0x3FE6A09E667F3BCD)) >> 52; /* s = 2^k m */
    v4d m = (v4d)((v4u)s - ((v4u)k << 52));
    v4d f = m - 1.0, z = f / (f + 2.0), z2 = z * z;
    v4d p = splat(1.0 / 23);
    for (int j = 21; j >= 1; j -= 2) p = p * z2 + 1.0 / j;
    v4d kd = (v4d)((v4u)k + (v4u)(v4d){INT_SHIFTER, INT_SHIFTER, INT_SHIFTER, INT_SHIFTER}) -
             INT_SHIFTER;
    return kd * 0x1.62e42fefa3800p-1 + (kd * 0x1.ef35793c76730p-45 + 2.0 * z * p);
}

SIMD static inline v4d load4(const double *x)
{
    v4d v;
    memcpy(&v, x, sizeof v);
    return v;
}

SIMD static inline double sum4(v4d v)
{
    return (v[0] + v[1]) + (v[2] + v[3]);
}

SIMD void mech__huber_lse_simd(const mech__chin_data *dat, const double *p, double acc[6])
{
    const double a = p[0], b = p[1], e = p[2], alpha = p[3], beta = p[4];
    const double delta = dat->delta;
    const size_t n4 = dat->count - dat->count % 4;
    if (!(fabs(e) < MECH__SAFE_EXP)) {
        mech__huber_lse_runs(dat, p, 0, dat->count, acc);
        return;
    }
    const double we = exp(e);
    v4d f = {0}, ga = {0}, gb = {0}, ge = {0}, galpha = {0}, gbeta = {0};
    for (size_t i = 0; i < n4; i += 4) {
        v4d ln = load4(dat->log_n + i), ld = load4(dat->log_d + i);
        v4d t1 = a - alpha * ln, t2 = b - beta * ld;
        v4i safe = (abs4(t1) < MECH__SAFE_EXP) & (abs4(t2) < MECH__SAFE_EXP);
        if (!(safe[0] & safe[1] & safe[2] & safe[3])) { /* rare: extreme parameters */
            mech__huber_lse_runs(dat, p, i, i + 4, acc);
            continue;
        }
        v4d w1 = exp4(t1), w2 = exp4(t2), s = w1 + w2 + we;
        v4d r = log4(s) - load4(dat->log_loss + i), ar = abs4(r);
        v4i inside = ar <= delta;
        f += select4(inside, 0.5 * r * r, delta * (ar - 0.5 * delta));
        v4d h = select4(inside, r, (v4d)(((v4u)r & SIGN_BIT) | (v4u)splat(delta)));
        v4d hs = h / s; /* Huber'(r) d LSE / d t_k = Huber'(r) w_k / s */
        ga += hs * w1;
        gb += hs * w2;
        ge += hs * we;
        galpha -= hs * w1 * ln;
        gbeta -= hs * w2 * ld;
    }
    acc[0] += sum4(f), acc[1] += sum4(ga), acc[2] += sum4(gb), acc[3] += sum4(ge);
    acc[4] += sum4(galpha), acc[5] += sum4(gbeta);
    mech__huber_lse_runs(dat, p, n4, dat->count, acc);
}

int mech__simd_available(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#else

void mech__huber_lse_simd(const mech__chin_data *dat, const double *p, double acc[6])
{
    mech__huber_lse_runs(dat, p, 0, dat->count, acc);
}

int mech__simd_available(void)
{
    return 0;
}

#endif
