/* The Chinchilla objective of Hoffmann et al. (2022): Huber loss of the
 * log-sum-exp prediction of log L, with its analytic gradient. */
#include <math.h>

#include "laws_internal.h"

void mech__huber_lse_runs(const mech__chin_data *dat, const double *p, size_t from,
                          size_t to, double acc[6])
{
    const double a = p[0], b = p[1], e = p[2], alpha = p[3], beta = p[4];
    const double delta = dat->delta;
    const int e_safe = fabs(e) < MECH__SAFE_EXP;
    const double we_plain = exp(e); /* the E term is the same for every run */
    for (size_t i = from; i < to; i++) {
        double t1 = a - alpha * dat->log_n[i], t2 = b - beta * dat->log_d[i];
        double w1, w2, we, lse;
        if (e_safe && fabs(t1) < MECH__SAFE_EXP && fabs(t2) < MECH__SAFE_EXP) {
            w1 = exp(t1), w2 = exp(t2), we = we_plain;
            lse = log(w1 + w2 + we);
        } else { /* shift by the largest term so nothing overflows */
            double top = fmax(fmax(t1, t2), e);
            w1 = exp(t1 - top), w2 = exp(t2 - top), we = exp(e - top);
            lse = top + log(w1 + w2 + we);
        }
        double r = lse - dat->log_loss[i];
        double h; /* Huber'(r) */
        if (fabs(r) <= delta) {
            acc[0] += 0.5 * r * r;
            h = r;
        } else {
            acc[0] += delta * (fabs(r) - 0.5 * delta);
            h = copysign(delta, r);
        }
        double hs = h / (w1 + w2 + we); /* d LSE / d t_k = w_k / s */
        acc[1] += hs * w1;
        acc[2] += hs * w2;
        acc[3] += hs * we;
        acc[4] -= hs * w1 * dat->log_n[i];
        acc[5] -= hs * w2 * dat->log_d[i];
    }
}

int mech__huber_lse(const double *p, double *f, double *g, void *user)
{
    const mech__chin_data *dat = user;
    double acc[6] = {0};
    if (dat->simd)
        mech__huber_lse_simd(dat, p, acc);
    else
        mech__huber_lse_runs(dat, p, 0, dat->count, acc);
    *f = acc[0];
    for (int k = 0; k < 5; k++) g[k] = acc[k + 1];
    return isfinite(acc[0]) && isfinite(acc[1] + acc[2] + acc[3] + acc[4] + acc[5]) ? 0 : 1;
}
