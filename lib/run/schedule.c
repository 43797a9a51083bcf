/* Probe schedule: every k steps, log-spaced points, explicit times on the
 * run's axis; for gradient flow the same as exact times. Positions live in
 * the run state, so a checkpoint restores them. */
#include <math.h>

#include "run_internal.h"

/* Slack when comparing an axis value with a requested time. */
static double slack(double t) { return 1e-12 * fmax(1.0, fabs(t)); }

double mech__run_axis_value(const mech_run *r)
{
    switch (r->axis) {
    case MECH_AXIS_TIME: return r->s.time;
    case MECH_AXIS_SAMPLES: return (double)r->s.samples;
    case MECH_AXIS_ALPHA:
        return (double)r->s.samples / (double)mech__run_i(r, MECH_RUN_ALPHA_N);
    default: return (double)r->s.step;
    }
}

/* The j-th log-spaced point start 10^(j/p). */
static double log_point(const mech_run *r, uint64_t j)
{
    const double p = (double)mech__run_i(r, MECH_RUN_PROBE_LOG_POINTS);
    return mech__run_f(r, MECH_RUN_PROBE_LOG_START) * pow(10.0, (double)j / p);
}

/* The j-th log-spaced step (rounded; saturates far beyond any run). */
static uint64_t log_step(const mech_run *r, uint64_t j)
{
    const double v = nearbyint(log_point(r, j));
    return v < 1.8e19 ? (uint64_t)v : UINT64_MAX;
}

bool mech__run_probe_due(mech_run *r, uint64_t k, double a)
{
    const int64_t every = mech__run_i(r, MECH_RUN_PROBE_EVERY);
    const bool logs = mech__run_i(r, MECH_RUN_PROBE_LOG_POINTS) > 0;
    if (every == 0 && !logs && r->n_probe_t == 0) return true;
    bool due = every > 0 && k % (uint64_t)every == 0;
    if (logs) {
        while (log_step(r, r->s.next_log) <= k) {
            due = due || log_step(r, r->s.next_log) == k;
            r->s.next_log++;
        }
    }
    while (r->s.next_explicit < r->n_probe_t &&
           a >= r->probe_t[r->s.next_explicit] - slack(r->probe_t[r->s.next_explicit])) {
        due = true;
        r->s.next_explicit++;
    }
    return due;
}

double mech__run_next_gf_time(const mech_run *r)
{
    double t = INFINITY;
    if (r->s.next_explicit < r->n_probe_t) t = r->probe_t[r->s.next_explicit];
    if (mech__run_i(r, MECH_RUN_PROBE_LOG_POINTS) > 0) t = fmin(t, log_point(r, r->s.next_log));
    if (r->gf_dt > 0) t = fmin(t, (double)r->s.next_dt * r->gf_dt);
    return t;
}

void mech__run_gf_consume(mech_run *r, double t)
{
    const double lim = t + slack(t);
    while (r->s.next_explicit < r->n_probe_t && r->probe_t[r->s.next_explicit] <= lim)
        r->s.next_explicit++;
    if (mech__run_i(r, MECH_RUN_PROBE_LOG_POINTS) > 0)
        while (log_point(r, r->s.next_log) <= lim) r->s.next_log++;
    if (r->gf_dt > 0)
        while ((double)r->s.next_dt * r->gf_dt <= lim) r->s.next_dt++;
}
