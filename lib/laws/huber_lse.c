/* The Chinchilla objective of Hoffmann et al. (2022): Huber loss of the
 * log-sum-exp prediction of log L, with its analytic gradient. */
#include <math.h>

#include "laws_internal.h"

/* Below this exponent exp() stays far from overflow, so the three terms
 * can be summed unshifted; the shifted form is the fallback. */
#define SAFE_EXP 700.0

int mech__huber_lse(const double *p, double *f, double *g, void *user)
{
    const mech__chin_data *dat = user;
    const double a = p[0], b = p[1], e = p[2], alpha = p[3], beta = p[4];
    const double delta = dat->delta;
    const int e_safe = fabs(e) < SAFE_EXP;
    const double we_plain = exp(e); /* the E term is the same for every run */
    double sum = 0.0, ga = 0.0, gb = 0.0, ge = 0.0, galpha = 0.0, gbeta = 0.0;
    for (size_t i = 0; i < dat->count; i++) {
        double t1 = a - alpha * dat->log_n[i], t2 = b - beta * dat->log_d[i];
        double w1, w2, we, lse;
        if (e_safe && fabs(t1) < SAFE_EXP && fabs(t2) < SAFE_EXP) {
            w1 = exp(t1), w2 = exp(t2), we = we_plain;
            lse = log(w1 + w2 + we);
        } else { /* shift by the largest term so nothing overflows */
            double top = fmax(fmax(t1, t2), e);
            w1 = exp(t1 - top), w2 = exp(t2 - top), we = exp(e - top);
            lse = top + log(w1 + w2 + we);
        }
        double s = w1 + w2 + we;
        double r = lse - dat->log_loss[i];
        double h; /* Huber'(r) */
        if (fabs(r) <= delta) {
            sum += 0.5 * r * r;
            h = r;
        } else {
            sum += delta * (fabs(r) - 0.5 * delta);
            h = copysign(delta, r);
        }
        /* d LSE / d t_k = w_k / s */
        double hs = h / s;
        ga += hs * w1;
        gb += hs * w2;
        ge += hs * we;
        galpha -= hs * w1 * dat->log_n[i];
        gbeta -= hs * w2 * dat->log_d[i];
    }
    *f = sum;
    g[0] = ga, g[1] = gb, g[2] = ge, g[3] = galpha, g[4] = gbeta;
    return isfinite(sum) && isfinite(ga + gb + ge + galpha + gbeta) ? 0 : 1;
}
