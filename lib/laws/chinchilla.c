/* Chinchilla fit as published: Huber-LSE objective, L-BFGS from the
 * 4500-point grid, best objective wins; optional bootstrap over runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "laws_internal.h"
#include "lbfgs.h"
#include "mechanics/rng.h"

#define LAWS_STREAM UINT64_C(0x6C617773) /* "laws" */
#define NPAR 5                           /* p = (a, b, e, alpha, beta) */
#define BOOT_GRID_STARTS 4               /* random grid starts per resample */

/* Past the published stopping rule: the objective is flat along A and B,
 * where the relative-reduction test stops far from the optimum, so final
 * fits and refits run to a small gradient (or until f stops decreasing). */
static mech__lbfgs_opts polish_opts(void)
{
    mech__lbfgs_opts o = mech__lbfgs_defaults();
    o.gtol = 1e-8, o.ftol = 0.0;
    return o;
}

/* Published grid (Hoffmann et al. 2022, appendix D.2). */
static const double GRID_EXPONENT[] = {0.0, 0.5, 1.0, 1.5, 2.0};
static const double GRID_E[] = {-1.0, -0.5, 0.0, 0.5, 1.0};
static const double GRID_AB[] = {0.0, 5.0, 10.0, 15.0, 20.0, 25.0};
#define GRID_SIZE (5 * 5 * 5 * 6 * 6)

static void grid_start(size_t k, double p[NPAR])
{
    p[1] = GRID_AB[k % 6], k /= 6;
    p[0] = GRID_AB[k % 6], k /= 6;
    p[2] = GRID_E[k % 5], k /= 5;
    p[4] = GRID_EXPONENT[k % 5], k /= 5;
    p[3] = GRID_EXPONENT[k % 5];
}

/* Best of a set of L-BFGS runs. */
typedef struct best_fit {
    double p[NPAR], f, gnorm;
    int iterations, starts, converged;
} best_fit;

static void try_start(const mech__chin_data *dat, const double p0[NPAR],
                      const mech__lbfgs_opts *o, double *work, best_fit *best)
{
    mech__lbfgs_result res;
    double p[NPAR];
    memcpy(p, p0, sizeof p);
    best->converged += mech__lbfgs(NPAR, p, mech__huber_lse, (void *)dat, o, work, &res);
    best->starts++;
    if (isfinite(res.f) && res.f < best->f) {
        memcpy(best->p, p, sizeof p);
        best->f = res.f, best->gnorm = res.gnorm, best->iterations = res.iterations;
    }
}

static void to_law(const double p[NPAR], double law[NPAR])
{
    law[0] = exp(p[2]), law[1] = exp(p[0]), law[2] = exp(p[1]);
    law[3] = p[3], law[4] = p[4];
}

static void fill_fit(const best_fit *b, size_t used, mech_chinchilla_fit *r)
{
    double law[NPAR];
    to_law(b->p, law);
    *r = (mech_chinchilla_fit){
        .size = sizeof *r, .E = law[0], .A = law[1], .B = law[2], .alpha = law[3],
        .beta = law[4], .objective = b->f, .grad_norm = b->gnorm, .n_starts = b->starts,
        .n_converged = b->converged, .iterations = b->iterations, .n_used = used};
    mech__clear_intervals(r);
}

static mech_status check_common(const char *fn, const double *n, const double *d,
                                const double *loss, size_t count, double delta,
                                const void *out)
{
    MECH_TRY(mech__check_runs(fn, n, d, loss, count));
    if (!out) return mech__fail(NULL, MECH_EINVAL, "%s: argument 'out' is NULL", fn);
    if (!isfinite(delta)) return mech__fail(NULL, MECH_ENONFINITE, "%s: delta is not finite", fn);
    if (delta <= 0.0)
        return mech__fail(NULL, MECH_ERANGE, "%s: delta = %g must be > 0", fn, delta);
    return MECH_OK;
}

/* The published grid with scipy's stopping rule, then the winner polished. */
static best_fit grid_fit(const mech__chin_data *dat, double *work)
{
    best_fit best = {.f = INFINITY};
    double p0[NPAR];
    const mech__lbfgs_opts o = mech__lbfgs_defaults();
    for (size_t k = 0; k < GRID_SIZE; k++) {
        grid_start(k, p0);
        try_start(dat, p0, &o, work, &best);
    }
    if (isfinite(best.f)) {
        const mech__lbfgs_opts po = polish_opts();
        best_fit polished = {.f = INFINITY};
        try_start(dat, best.p, &po, work, &polished);
        if (polished.f <= best.f) {
            memcpy(best.p, polished.p, sizeof best.p);
            best.f = polished.f, best.gnorm = polished.gnorm;
            best.iterations += polished.iterations;
        }
    }
    return best;
}

/* Scratch of one fit: logs of the kept runs, a resample, L-BFGS work and
 * the bootstrap's estimates (NPAR x resamples, column-major by parameter). */
typedef struct scratch {
    double *log_n, *log_d, *log_loss, *rs_n, *rs_d, *rs_loss, *work, *est;
    unsigned char *dropped;
} scratch;

static mech_status scratch_alloc(scratch *s, size_t count, size_t resamples)
{
    size_t work = mech__lbfgs_work_size(NPAR, mech__lbfgs_defaults().memory), total;
    MECH_TRY(mech__mul(NPAR, resamples, &total, NULL));
    if (total > SIZE_MAX - work || count > (SIZE_MAX - work - total) / 6)
        return mech__fail(NULL, MECH_EOVERFLOW, "mech_fit_chinchilla: scratch size overflows");
    double *base = mech__calloc(6 * count + work + total, sizeof(double), NULL);
    s->dropped = mech__calloc(count, 1, NULL);
    if (!base || !s->dropped) {
        free(base);
        free(s->dropped);
        return MECH_ENOMEM;
    }
    s->log_n = base, s->log_d = base + count, s->log_loss = base + 2 * count;
    s->rs_n = base + 3 * count, s->rs_d = base + 4 * count, s->rs_loss = base + 5 * count;
    s->work = base + 6 * count, s->est = s->work + work;
    return MECH_OK;
}

static void scratch_free(scratch *s)
{
    free(s->log_n);
    free(s->dropped);
}

/* Keeps all but the `drop` highest losses (earlier position first among
 * ties); writes their logs and returns how many were kept. */
static size_t keep_runs(scratch *s, const double *n, const double *d, const double *loss,
                        size_t count, size_t drop)
{
    for (size_t j = 0; j < drop; j++) {
        size_t arg = count;
        for (size_t i = 0; i < count; i++)
            if (!s->dropped[i] && (arg == count || loss[i] > loss[arg])) arg = i;
        s->dropped[arg] = 1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (s->dropped[i]) continue;
        s->log_n[kept] = log(n[i]), s->log_d[kept] = log(d[i]);
        s->log_loss[kept] = log(loss[i]);
        kept++;
    }
    return kept;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sample standard deviation and 95% percentile interval of v[0..m), which
 * is sorted in place (linear interpolation between order statistics). */
static void summarize(double *v, size_t m, double *se, double *lo, double *hi)
{
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < m; i++) mean += v[i];
    mean /= (double)m;
    for (size_t i = 0; i < m; i++) ss += (v[i] - mean) * (v[i] - mean);
    *se = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
    qsort(v, m, sizeof *v, cmp_double);
    const double q[2] = {0.025, 0.975};
    double *out[2] = {lo, hi};
    for (int k = 0; k < 2; k++) {
        double pos = q[k] * (double)(m - 1);
        size_t i = (size_t)pos;
        double frac = pos - (double)i;
        *out[k] = i + 1 < m ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
    }
}

/* Refits `resamples` resamples of the kept runs; fills the intervals. */
static mech_status bootstrap(const mech_ctx *ctx, scratch *s, size_t kept, double delta,
                             const double p_full[NPAR], size_t resamples,
                             mech_chinchilla_fit *r)
{
    mech_rng *rng;
    MECH_TRY(mech_rng_create(&rng, ctx, LAWS_STREAM));
    mech__chin_data dat = {kept, s->rs_n, s->rs_d, s->rs_loss, delta, mech__simd_available()};
    const mech__lbfgs_opts o = polish_opts();
    size_t done = 0;
    mech_status st = MECH_OK;
    for (size_t b = 0; b < resamples && st == MECH_OK; b++) {
        uint64_t k;
        for (size_t i = 0; i < kept && st == MECH_OK; i++) {
            st = mech_rng_below(rng, kept, &k);
            s->rs_n[i] = s->log_n[k], s->rs_d[i] = s->log_d[k], s->rs_loss[i] = s->log_loss[k];
        }
        best_fit best = {.f = INFINITY};
        double p0[NPAR];
        try_start(&dat, p_full, &o, s->work, &best);
        for (int j = 0; j < BOOT_GRID_STARTS && st == MECH_OK; j++) {
            st = mech_rng_below(rng, GRID_SIZE, &k);
            grid_start((size_t)k, p0);
            try_start(&dat, p0, &o, s->work, &best);
        }
        if (st != MECH_OK || !isfinite(best.f)) continue;
        double law[NPAR];
        to_law(best.p, law);
        for (int q = 0; q < NPAR; q++) s->est[(size_t)q * resamples + done] = law[q];
        done++;
    }
    mech_rng_destroy(rng);
    MECH_TRY(st);
    if (done == 0) return MECH_OK;
    double *se[NPAR] = {&r->se_E, &r->se_A, &r->se_B, &r->se_alpha, &r->se_beta};
    double *lo[NPAR] = {&r->lo_E, &r->lo_A, &r->lo_B, &r->lo_alpha, &r->lo_beta};
    double *hi[NPAR] = {&r->hi_E, &r->hi_A, &r->hi_B, &r->hi_alpha, &r->hi_beta};
    for (int q = 0; q < NPAR; q++) summarize(s->est + (size_t)q * resamples, done, se[q], lo[q], hi[q]);
    r->bootstrap = (int)done;
    return MECH_OK;
}

MECH_API mech_status mech_fit_chinchilla(const mech_ctx *ctx, const double *n,
                                         const double *d, const double *loss,
                                         size_t count, size_t drop_highest,
                                         double delta, size_t bootstrap_count,
                                         mech_chinchilla_fit *out)
{
    static const char fn[] = "mech_fit_chinchilla";
    MECH_TRY(check_common(fn, n, d, loss, count, delta, out));
    if (out->size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL, "%s: out->size must be set to sizeof(*out)", fn);
    if (drop_highest > count - 5)
        return mech__fail(NULL, MECH_EINVAL, "%s: dropping %zu of %zu runs leaves fewer than 5",
                          fn, drop_highest, count);
    if (bootstrap_count > INT32_MAX)
        return mech__fail(NULL, MECH_ERANGE, "%s: bootstrap = %zu is too large", fn,
                          bootstrap_count);
    scratch s;
    MECH_TRY(scratch_alloc(&s, count, bootstrap_count));
    size_t kept = keep_runs(&s, n, d, loss, count, drop_highest);
    mech__chin_data dat = {kept, s.log_n, s.log_d, s.log_loss, delta, mech__simd_available()};
    best_fit best = grid_fit(&dat, s.work);
    mech_status st = MECH_OK;
    mech_chinchilla_fit r;
    if (!isfinite(best.f)) {
        st = mech__fail(NULL, MECH_ENOCONV, "%s: no start reached a finite objective", fn);
    } else {
        fill_fit(&best, kept, &r);
        if (bootstrap_count > 0) st = bootstrap(ctx, &s, kept, delta, best.p, bootstrap_count, &r);
    }
    scratch_free(&s);
    MECH_TRY(st);
    return mech__write_fit(fn, &r, sizeof r, out);
}

MECH_API mech_status mech_fit_chinchilla_from(const mech_ctx *ctx, const double *n,
                                              const double *d, const double *loss,
                                              size_t count, double delta,
                                              const mech_chinchilla_fit *start,
                                              mech_chinchilla_fit *out)
{
    static const char fn[] = "mech_fit_chinchilla_from";
    (void)ctx; /* one deterministic run: no randomness, no threads */
    MECH_TRY(check_common(fn, n, d, loss, count, delta, out));
    if (!start) return mech__fail(NULL, MECH_EINVAL, "%s: argument 'start' is NULL", fn);
    if (out->size < sizeof(size_t) || start->size < offsetof(mech_chinchilla_fit, objective))
        return mech__fail(NULL, MECH_EINVAL, "%s: out->size and start->size must be set", fn);
    double law[NPAR] = {start->E, start->A, start->B, start->alpha, start->beta};
    MECH_TRY(mech__check_finite(law, NPAR, "start", NULL));
    if (law[0] <= 0.0 || law[1] <= 0.0 || law[2] <= 0.0)
        return mech__fail(NULL, MECH_ERANGE, "%s: start E, A and B must be > 0", fn);
    scratch s;
    MECH_TRY(scratch_alloc(&s, count, 0));
    size_t kept = keep_runs(&s, n, d, loss, count, 0);
    mech__chin_data dat = {kept, s.log_n, s.log_d, s.log_loss, delta, mech__simd_available()};
    double p0[NPAR] = {log(law[1]), log(law[2]), log(law[0]), law[3], law[4]};
    best_fit best = {.f = INFINITY};
    const mech__lbfgs_opts o = polish_opts();
    try_start(&dat, p0, &o, s.work, &best);
    scratch_free(&s);
    if (!isfinite(best.f))
        return mech__fail(NULL, MECH_ENOCONV, "%s: the objective is not finite at the start", fn);
    mech_chinchilla_fit r;
    fill_fit(&best, kept, &r);
    return mech__write_fit(fn, &r, sizeof r, out);
}
