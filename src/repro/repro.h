/*
 * The gallery's reproduction interface (private to the mechanics command).
 *
 * A reproduction is one file src/repro/<name>.c defining
 *     const repro repro_<name> = {...};
 * listed once in src/repro/list.h and in src/meson.build. Its run function
 * computes the theory and the experiment, stores both in traces
 * (repro_save_trace), records checks (repro_check), describes its figure
 * (repro_panel, repro_series) and reports progress (repro_progress). The
 * framework times it, writes <out>/<name>.json and <name>.plot.json, draws
 * the figure and prints the JSON contract (docs/gallery.md).
 */
#ifndef MECH_REPRO_H
#define MECH_REPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mechanics.h>

typedef struct repro_run repro_run;

typedef struct repro {
    const char *name;       /* command-line name, [a-z0-9_] */
    const char *reference;  /* the source it reproduces */
    const char *summary;    /* one line: what is compared */
    const char *quick_size; /* sizes of --quick, one line */
    const char *full_size;  /* sizes of the full run, one line */
    /* Returns 0 when it ran to the end (checks may still fail), non-zero
     * after repro_fail (an error, not a failed check). */
    int (*run)(repro_run *r);
} repro;

/* The registry (registry.c), in list.h order. */
extern const repro *const REPROS[];
extern const size_t N_REPROS;

/* ---- what a reproduction reads ---- */
bool repro_quick(const repro_run *r);
int64_t repro_seed(const repro_run *r);
/* A context with the run's seed and one thread (borrowed). */
const mech_ctx *repro_ctx(const repro_run *r);

/* ---- checks ---- */
typedef enum repro_cmp {
    REPRO_AT_MOST = 0, /* pass iff value <= tolerance (errors) */
    REPRO_AT_LEAST = 1 /* pass iff value >= tolerance (ratios, fractions) */
} repro_cmp;

/* Records a check; the first one recorded is the primary metric. A NaN
 * value fails. Returns whether it passed. */
bool repro_check(repro_run *r, const char *metric, double value, double tolerance,
                 repro_cmp cmp);

/* ---- errors ---- */
/* Records an error message (printf format); returns 1 for `return`. */
int repro_fail(repro_run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* 0 if st is MECH_OK; otherwise repro_fail with what and
 * mech_last_error() and 1. Use as: if (repro_ok(r, call, "what")) goto out; */
int repro_ok(repro_run *r, mech_status st, const char *what);

/* ---- artifacts ---- */
/* Saves tr as <out>/<stem>.csv and <stem>.npz and lists both as artifacts;
 * adds the metadata keys reproduction, reference, seed, quick. */
int repro_save_trace(repro_run *r, mech_trace *tr, const char *stem);

/* Starts a panel of the figure. xscale / yscale: "linear" or "log". */
int repro_panel(repro_run *r, const char *title, const char *xlabel, const char *ylabel,
                const char *xscale, const char *yscale);
/* Adds a curve to the current panel from the trace saved as stem: column x
 * against column y (either may be the trace's axis name). kind "theory"
 * draws a line, "experiment" markers (with error bars from column
 * "<y>_se" when the trace has one). label goes to the legend. */
int repro_series(repro_run *r, const char *stem, const char *x, const char *y,
                 const char *kind, const char *label);

/* ---- progress ---- */
/* Reports progress in [0, 1] with a short message (stderr: a bar on a
 * terminal, a line per new message otherwise). */
void repro_progress(repro_run *r, double fraction, const char *message);

/* ---- small helpers shared by reproductions ---- */
/* Compares column pred of tr (the theory, strictly increasing times) with
 * column meas of tr over the whole axis (mech_trace_compare; rel_floor
 * as there). */
int repro_compare(repro_run *r, const mech_trace *tr, const char *pred, const char *meas,
                  double rel_floor, mech_comparison *out);
/* A trace on axis with the named columns (NULL-terminated list). */
int repro_trace(repro_run *r, mech_trace **out, mech_axis axis, const char *const *cols);

#endif
