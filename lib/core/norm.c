/* Gradient norms for the training loop and the optimizer: one vectorisable
 * pass in the common case, an overflow-safe second pass only when the sum
 * of squares overflows. */
#include <float.h>
#include <math.h>

#include "internal.h"

#define LANES 4 /* independent partial sums: lets the compiler vectorise
                 * without reassociating one running sum */

/* x[i] as a double, from whichever array is given. */
#define AT(i) (xf ? (double)xf[i] : xd[i])

static double sum_squares(const double *xd, const float *xf, size_t n, double scale)
{
    double s[LANES] = {0};
    size_t i = 0;
    if (xf) {
        for (; i + LANES <= n; i += LANES)
            for (size_t j = 0; j < LANES; j++) {
                const double v = (double)xf[i + j] * scale;
                s[j] += v * v;
            }
    } else {
        for (; i + LANES <= n; i += LANES)
            for (size_t j = 0; j < LANES; j++) {
                const double v = xd[i + j] * scale;
                s[j] += v * v;
            }
    }
    for (; i < n; i++) s[0] += AT(i) * scale * (AT(i) * scale);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

static double norm_any(const double *xd, const float *xf, size_t n)
{
    const double s = sum_squares(xd, xf, n, 1.0);
    if (s <= DBL_MAX) return sqrt(s); /* finite sum: every entry is finite */
    double amax = 0;
    for (size_t i = 0; i < n; i++) {
        const double a = fabs(AT(i));
        if (!(a <= DBL_MAX)) return -1;
        if (a > amax) amax = a;
    }
    /* all finite but the squares overflow: sum (x / amax)^2 instead; the
     * scale is a power of two so the scaling is exact */
    int ex;
    frexp(amax, &ex);
    const double scale = ldexp(1.0, -ex);
    return sqrt(sum_squares(xd, xf, n, scale)) / scale;
}

double mech__norm2(const double *x, size_t n) { return norm_any(x, NULL, n); }

double mech__norm2_f32(const float *x, size_t n) { return norm_any(NULL, x, n); }
