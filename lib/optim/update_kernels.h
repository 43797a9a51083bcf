/* The update rules of optim.h as one loop per kind, written once over a
 * REAL parameter type. Included by update_f64.c and update_f32.c, which
 * define REAL and SFX(name). Arithmetic is in double whatever REAL is;
 * the loops carry no branch on the kind, so the simple rules vectorise.
 * p_out may equal p_in (in-place step). */

/* Gradient element i after clipping and L2 weight decay. */
#define GRAD(i) ((double)g[i] * c->clip + c->l2 * (double)p_in[i])

void SFX(mech__optim_update)(mech_optimizer_kind kind, const mech__optim_coef *c, double lr,
                             size_t lo, size_t hi, const REAL *p_in, REAL *p_out,
                             const REAL *g, double *m, double *s)
{
    const double beta = c->beta, b1 = c->b1, b2 = c->b2;
    switch (kind) {
    case MECH_OPTIMIZER_GD:
    case MECH_OPTIMIZER_SGD:
        for (size_t i = lo; i < hi; i++) p_out[i] = (REAL)((double)p_in[i] - lr * GRAD(i));
        break;
    case MECH_OPTIMIZER_HEAVY_BALL:
        for (size_t i = lo; i < hi; i++) {
            const double v = beta * m[i] + GRAD(i);
            m[i] = v;
            p_out[i] = (REAL)((double)p_in[i] - lr * v);
        }
        break;
    case MECH_OPTIMIZER_NESTEROV:
        for (size_t i = lo; i < hi; i++) {
            const double gi = GRAD(i), v = beta * m[i] + gi;
            m[i] = v;
            p_out[i] = (REAL)((double)p_in[i] - lr * (gi + beta * v));
        }
        break;
    case MECH_OPTIMIZER_ADAM:
    case MECH_OPTIMIZER_ADAMW:
        for (size_t i = lo; i < hi; i++) {
            const double gi = GRAD(i);
            const double mi = b1 * m[i] + (1 - b1) * gi;
            const double si = b2 * s[i] + (1 - b2) * gi * gi;
            m[i] = mi;
            s[i] = si;
            const double den = sqrt(si / c->bc2) + c->eps;
            double theta = (double)p_in[i];
            theta -= lr * c->decay * theta;
            /* a zero denominator (eps = 0, no gradient yet): no move */
            p_out[i] = (REAL)(theta - lr * (den > 0 ? mi / c->bc1 / den : 0));
        }
        break;
    case MECH_OPTIMIZER_RMSPROP:
        for (size_t i = lo; i < hi; i++) {
            const double gi = GRAD(i);
            const double si = b2 * s[i] + (1 - b2) * gi * gi;
            s[i] = si;
            const double den = sqrt(si) + c->eps;
            p_out[i] = (REAL)((double)p_in[i] - lr * (den > 0 ? gi / den : 0));
        }
        break;
    case MECH_OPTIMIZER_SIGN:
        for (size_t i = lo; i < hi; i++) {
            const double gi = GRAD(i);
            p_out[i] = (REAL)((double)p_in[i] - lr * (double)((gi > 0) - (gi < 0)));
        }
        break;
    }
}

#undef GRAD
