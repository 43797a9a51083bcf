/* Golden-section search: the derivative-free 1-D minimizer behind the
 * exponent and break searches of the power-law fits. */
#include <math.h>

#include "laws_internal.h"

static double value(double (*f)(double, void *), void *user, double x, int *evals)
{
    double v = f(x, user);
    (*evals)++;
    return isnan(v) ? INFINITY : v;
}

double mech__golden(double lo, double hi, double (*f)(double, void *), void *user,
                    double rtol, double *fbest, int *evals)
{
    const double r = 0.5 * (sqrt(5.0) - 1.0); /* 1/phi */
    double best = lo, fb = value(f, user, lo, evals);
    double fh = value(f, user, hi, evals);
    if (fh < fb) best = hi, fb = fh;
    double a = lo, b = hi;
    double x1 = b - r * (b - a), x2 = a + r * (b - a);
    double f1 = value(f, user, x1, evals), f2 = value(f, user, x2, evals);
    for (int it = 0; it < 400 && fabs(b - a) > rtol * fmax(fmax(fabs(a), fabs(b)), 1e-300); it++) {
        if (f1 <= f2) {
            b = x2, x2 = x1, f2 = f1;
            x1 = b - r * (b - a);
            f1 = value(f, user, x1, evals);
        } else {
            a = x1, x1 = x2, f1 = f2;
            x2 = a + r * (b - a);
            f2 = value(f, user, x2, evals);
        }
        if (x1 >= x2) break; /* the bracket reached rounding */
    }
    if (f1 < fb) best = x1, fb = f1;
    if (f2 < fb) best = x2, fb = f2;
    *fbest = fb;
    return best;
}
