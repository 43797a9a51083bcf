/* L-BFGS (Nocedal & Wright 2006, algorithm 7.5) with the strong-Wolfe line
 * search of their algorithms 3.5-3.6 (bracketing, then zoom by safeguarded
 * cubic interpolation). */
#include "lbfgs.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#define WOLFE_C1 1e-4   /* sufficient decrease */
#define WOLFE_C2 0.9    /* curvature: the usual choice for quasi-Newton */
#define SEARCH_STEPS 40 /* evaluations per bracketing or zoom phase */
#define EXPAND 4.0      /* step growth while bracketing */

mech__lbfgs_opts mech__lbfgs_defaults(void)
{
    return (mech__lbfgs_opts){.memory = 10, .max_iter = 15000, .max_eval = 15000,
                              .gtol = 1e-5, .ftol = 1e7 * DBL_EPSILON};
}

size_t mech__lbfgs_work_size(size_t n, int memory)
{
    size_t m = memory > 0 ? (size_t)memory : 1;
    size_t per = 2 * m + 4;
    if (n == 0 || n > (SIZE_MAX / sizeof(double) - 2 * m) / per) return 0;
    return per * n + 2 * m;
}

static double dot(size_t n, const double *a, const double *b)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double max_abs(size_t n, const double *a)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s = fmax(s, fabs(a[i]));
    return s;
}

/* The objective along x + t d; trial points land in xt, gt. */
typedef struct search {
    size_t n;
    const double *x, *d;
    double *xt, *gt;
    mech__objective_fn fn;
    void *user;
    int evals, max_evals;
    double f0, slope0;
} search;

/* phi(t) and phi'(t); non-zero when either is not finite. */
static int phi_at(search *s, double t, double *f, double *slope)
{
    for (size_t i = 0; i < s->n; i++) s->xt[i] = s->x[i] + t * s->d[i];
    s->evals++;
    if (s->fn(s->xt, f, s->gt, s->user) != 0 || !isfinite(*f)) return 1;
    *slope = dot(s->n, s->gt, s->d);
    return isfinite(*slope) ? 0 : 1;
}

static int armijo_fails(const search *s, double t, double f)
{
    return f > s->f0 + WOLFE_C1 * t * s->slope0;
}

/* Minimizer of the cubic through (a, fa, ga) and (b, fb, gb); NaN if none. */
static double cubic_min(double a, double fa, double ga, double b, double fb, double gb)
{
    double d1 = ga + gb - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - ga * gb;
    if (!(disc >= 0.0)) return NAN;
    double d2 = copysign(sqrt(disc), b - a);
    double den = gb - ga + 2.0 * d2;
    return den != 0.0 ? b - (b - a) * (gb + d2 - d1) / den : NAN;
}

/* Zoom between lo (lowest Armijo point so far, or 0) and hi. hi_ok: f and
 * slope at hi are finite (else bisect). On success the accepted point is
 * the last one evaluated (in xt, gt). */
static int zoom(search *s, double lo, double flo, double glo, double hi, double fhi,
                double ghi, int hi_ok, double *t_out, double *f_out)
{
    for (int j = 0; j < SEARCH_STEPS && s->evals < s->max_evals; j++) {
        double w = hi - lo;
        double t = hi_ok ? cubic_min(lo, flo, glo, hi, fhi, ghi) : NAN;
        /* keep the trial in the middle 80% so the bracket shrinks */
        if (!isfinite(t) || (t - (lo + 0.1 * w)) * (t - (hi - 0.1 * w)) > 0.0)
            t = lo + 0.5 * w;
        if (t == lo || t == hi) break;
        double f, g = 0.0;
        int bad = phi_at(s, t, &f, &g);
        if (bad || armijo_fails(s, t, f) || f >= flo) {
            hi = t, fhi = f, ghi = g, hi_ok = !bad;
            continue;
        }
        if (fabs(g) <= -WOLFE_C2 * s->slope0) {
            *t_out = t, *f_out = f;
            return 1;
        }
        if (g * (hi - lo) >= 0.0) hi = lo, fhi = flo, ghi = glo, hi_ok = 1;
        lo = t, flo = f, glo = g;
    }
    /* No Wolfe point: settle for the best Armijo point, if any. */
    if (lo > 0.0 && s->evals < s->max_evals) {
        double f, g;
        if (phi_at(s, lo, &f, &g) == 0) {
            *t_out = lo, *f_out = f;
            return 1;
        }
    }
    return 0;
}

static int line_search(search *s, double t, double *t_out, double *f_out)
{
    double tp = 0.0, fp = s->f0, gp = s->slope0;
    for (int i = 0; i < SEARCH_STEPS && s->evals < s->max_evals; i++) {
        double f, g = 0.0;
        int bad = phi_at(s, t, &f, &g);
        if (bad || armijo_fails(s, t, f) || (i > 0 && f >= fp))
            return zoom(s, tp, fp, gp, t, f, g, !bad, t_out, f_out);
        if (fabs(g) <= -WOLFE_C2 * s->slope0) {
            *t_out = t, *f_out = f;
            return 1;
        }
        if (g >= 0.0) return zoom(s, t, f, g, tp, fp, gp, 1, t_out, f_out);
        tp = t, fp = f, gp = g;
        t *= EXPAND;
    }
    return 0;
}

/* d = -H g by the two-loop recursion over the k newest pairs. */
static void direction(size_t n, size_t m, size_t k, size_t head, const double *S,
                      const double *Y, const double *rho, double *al, double gamma,
                      const double *g, double *d)
{
    for (size_t i = 0; i < n; i++) d[i] = -g[i];
    for (size_t j = 0; j < k; j++) {
        size_t p = (head + m - 1 - j) % m;
        al[p] = rho[p] * dot(n, S + p * n, d);
        for (size_t i = 0; i < n; i++) d[i] -= al[p] * Y[p * n + i];
    }
    for (size_t i = 0; i < n; i++) d[i] *= gamma;
    for (size_t j = k; j-- > 0;) {
        size_t p = (head + m - 1 - j) % m;
        double b = rho[p] * dot(n, Y + p * n, d);
        for (size_t i = 0; i < n; i++) d[i] += (al[p] - b) * S[p * n + i];
    }
}

int mech__lbfgs(size_t n, double *x, mech__objective_fn fn, void *user,
                const mech__lbfgs_opts *o, double *work, mech__lbfgs_result *res)
{
    size_t m = o->memory > 0 ? (size_t)o->memory : 1;
    double *S = work, *Y = S + m * n, *rho = Y + m * n, *al = rho + m;
    double *g = al + m, *d = g + n, *xt = d + n, *gt = xt + n;
    size_t k = 0, head = 0;
    double gamma = 1.0, f;

    res->iterations = 0;
    res->evaluations = 1;
    if (fn(x, &f, g, user) != 0 || !isfinite(f)) {
        res->f = f, res->gnorm = INFINITY, res->stop = MECH__LBFGS_NONFINITE;
        return 0;
    }
    for (;;) {
        if (max_abs(n, g) <= o->gtol) { res->stop = MECH__LBFGS_GTOL; break; }
        if (res->iterations >= o->max_iter) { res->stop = MECH__LBFGS_MAX_ITER; break; }
        if (res->evaluations >= o->max_eval) { res->stop = MECH__LBFGS_MAX_EVAL; break; }

        direction(n, m, k, head, S, Y, rho, al, gamma, g, d);
        double slope = dot(n, g, d);
        if (!(slope < 0.0)) { /* memory went bad: restart from steepest descent */
            k = 0, gamma = 1.0;
            for (size_t i = 0; i < n; i++) d[i] = -g[i];
            slope = -dot(n, g, g);
        }
        /* first step of a (re)start has unit length, as in L-BFGS-B */
        double t0 = k == 0 ? 1.0 / sqrt(-slope) : 1.0;
        search s = {.n = n, .x = x, .d = d, .xt = xt, .gt = gt, .fn = fn, .user = user,
                    .max_evals = o->max_eval - res->evaluations, .f0 = f, .slope0 = slope};
        double t, fnew;
        int ok = line_search(&s, t0, &t, &fnew);
        res->evaluations += s.evals;
        if (!ok) { res->stop = MECH__LBFGS_LINE_SEARCH; break; }

        double *sp = S + head * n, *yp = Y + head * n;
        for (size_t i = 0; i < n; i++) {
            sp[i] = xt[i] - x[i], yp[i] = gt[i] - g[i];
            x[i] = xt[i], g[i] = gt[i];
        }
        double sy = dot(n, sp, yp), yy = dot(n, yp, yp);
        if (sy > DBL_EPSILON * yy) { /* keep only pairs with positive curvature */
            rho[head] = 1.0 / sy;
            head = (head + 1) % m;
            if (k < m) k++;
            gamma = sy / yy;
        }
        res->iterations++;
        double fprev = f;
        f = fnew;
        if (fprev - f <= o->ftol * fmax(fmax(fabs(fprev), fabs(f)), 1.0)) {
            res->stop = MECH__LBFGS_FTOL;
            break;
        }
    }
    res->f = f;
    res->gnorm = max_abs(n, g);
    return res->stop == MECH__LBFGS_GTOL || res->stop == MECH__LBFGS_FTOL;
}
