/*
 * libmechanics trace: the one time-series sink for runs, probes and
 * solvers, its metadata, export to CSV / JSON Lines / NumPy, ensembles over
 * seeds (mean and standard error) and the comparison of a prediction with a
 * measurement on a common time axis.
 *
 * A trace is a table: one time column (named after its axis) and any
 * number of named value columns. Values are double; NaN means "not
 * measured" (a probe that did not run at that row). Infinite values are
 * refused (MECH_ENONFINITE): every format stores them the same way then,
 * and a diverged run stops before its state turns infinite. Times must be
 * finite; they need not be increasing (a trace is a log), but
 * mech_trace_compare requires a strictly increasing prediction axis and
 * mech_trace_ensemble requires members with equal time points.
 *
 * Names: column names are non-empty UTF-8 without control characters,
 * differ from the trace's axis name and from "__meta__". Metadata keys are
 * non-empty, without control characters or '='; values have no control
 * characters.
 */
#ifndef MECHANICS_TRACE_H
#define MECHANICS_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_trace mech_trace;

/* The unit of a trace's time column (docs/conventions.md). */
typedef enum mech_axis {
    MECH_AXIS_STEP = 0,    /* "step": optimizer steps k */
    MECH_AXIS_TIME = 1,    /* "time": gradient-flow time, t = eta k */
    MECH_AXIS_SAMPLES = 2, /* "samples": examples seen, k B */
    MECH_AXIS_ALPHA = 3    /* "alpha": samples / N (online settings) */
} mech_axis;

/* Name of an axis ("step", ...), or NULL for an unknown value. Static. */
MECH_API const char *mech_axis_name(mech_axis axis);
/* Axis for a name; MECH_ENOTFOUND if unknown. */
MECH_API mech_status mech_axis_lookup(const char *name, mech_axis *axis);

/* ------------------------------------------------------------------ */
/* Lifetime                                                           */
/* ------------------------------------------------------------------ */

/* Creates an empty trace on the given axis. ctx may be NULL (defaults);
 * it is only read here. The metadata keys library_version, blis_version,
 * threads, seed (from ctx) and axis are always set. The caller owns *out
 * and frees it with mech_trace_destroy. */
MECH_API mech_status mech_trace_create(mech_trace **out, const mech_ctx *ctx,
                                       mech_axis axis);
/* Frees a trace; NULL is accepted. */
MECH_API void mech_trace_destroy(mech_trace *tr);
/* The trace's most recent error message ("" if none). */
MECH_API const char *mech_trace_last_error(const mech_trace *tr);
/* The trace's axis. */
MECH_API mech_status mech_trace_axis(const mech_trace *tr, mech_axis *axis);

/* ------------------------------------------------------------------ */
/* Columns and rows                                                   */
/* ------------------------------------------------------------------ */

/* Adds a column (name is copied) and gives its index; if the column exists
 * already, gives the existing index. Rows written before the column
 * existed read NaN in it. index may be NULL. Allocates. */
MECH_API mech_status mech_trace_add_column(mech_trace *tr, const char *name,
                                           size_t *index);
/* Index of a column; MECH_ENOTFOUND if there is none of that name. */
MECH_API mech_status mech_trace_column_index(const mech_trace *tr, const char *name,
                                             size_t *index);
/* Name of column index (owned by the trace, valid while it lives). */
MECH_API mech_status mech_trace_column_name(const mech_trace *tr, size_t index,
                                            const char **name);
/* Number of value columns (the time column not counted). */
MECH_API size_t mech_trace_n_columns(const mech_trace *tr);
/* Number of rows. */
MECH_API size_t mech_trace_n_rows(const mech_trace *tr);

/* Makes room for rows more rows so that appends up to that many (and
 * columns existing now) do not allocate. */
MECH_API mech_status mech_trace_reserve(mech_trace *tr, size_t rows);

/* Appends a row at time t (finite) with values[0..n_values) for columns
 * 0..n_values-1 (n_values <= columns; the rest are NaN). values may be
 * NULL when n_values == 0. Values are finite or NaN. On error nothing is
 * appended. */
MECH_API mech_status mech_trace_append(mech_trace *tr, double t, const double *values,
                                       size_t n_values);
/* Appends a row at time t (finite) with every column NaN; fill it with
 * mech_trace_put. */
MECH_API mech_status mech_trace_begin_row(mech_trace *tr, double t);
/* Sets column col of the last row (finite or NaN). MECH_ESTATE if there
 * is no row, MECH_ERANGE for a column index out of range. */
MECH_API mech_status mech_trace_put(mech_trace *tr, size_t col, double value);

/* Copies the times of rows 0..n into out[0..n); n must equal the number
 * of rows (MECH_ESHAPE otherwise). */
MECH_API mech_status mech_trace_time(const mech_trace *tr, double *out, size_t n);
/* Copies column index into out[0..n); n must equal the number of rows. */
MECH_API mech_status mech_trace_column(const mech_trace *tr, size_t index, double *out,
                                       size_t n);
/* One value: column col of row row (NaN = not measured). */
MECH_API mech_status mech_trace_value(const mech_trace *tr, size_t row, size_t col,
                                      double *value);

/* ------------------------------------------------------------------ */
/* Metadata: string key/values                                        */
/* ------------------------------------------------------------------ */

/* Sets (or replaces) a metadata entry; both strings are copied. */
MECH_API mech_status mech_trace_set_meta(mech_trace *tr, const char *key,
                                         const char *value);
/* Sets an entry to a number written with %.17g (exact round trip). */
MECH_API mech_status mech_trace_set_meta_f64(mech_trace *tr, const char *key,
                                             double value);
/* Value of a key (owned by the trace, valid until that key is set again
 * or the trace is destroyed); MECH_ENOTFOUND if absent. */
MECH_API mech_status mech_trace_get_meta(const mech_trace *tr, const char *key,
                                         const char **value);
/* Number of metadata entries; they are kept in insertion order. */
MECH_API size_t mech_trace_meta_count(const mech_trace *tr);
/* Key of entry index (owned by the trace). */
MECH_API mech_status mech_trace_meta_key(const mech_trace *tr, size_t index,
                                         const char **key);

/* ------------------------------------------------------------------ */
/* Files                                                              */
/* ------------------------------------------------------------------ */

typedef enum mech_trace_format {
    /* From the file name's extension: .csv, .jsonl, .npy, .npz. */
    MECH_TRACE_AUTO = 0,
    /* "# key=value" metadata lines, a header "<axis>,col,...", one line per
     * row; numbers %.17g (exact), NaN as "nan"; RFC 4180 quoting of names. */
    MECH_TRACE_CSV = 1,
    /* Line 1: {"meta":{...},"axis":"<axis>","columns":[...]}; then one
     * object per row {"<axis>":t,"<col>":v,...}, NaN as null. */
    MECH_TRACE_JSONL = 2,
    /* One float64 array of shape (rows, 1 + columns), time first. Holds no
     * names, axis or metadata: loading gives axis "step", columns
     * "c0", "c1", ... and the loading context's metadata. */
    MECH_TRACE_NPY = 3,
    /* A zip of float64 1-D arrays "<axis>.npy" and "<col>.npy" plus
     * "__meta__.npy", a 0-d unicode array holding the JSONL header object
     * (json.loads(str(np.load(f)["__meta__"]))). Loading also accepts
     * numpy.savez files of equal-length float64 1-D arrays, one of them
     * named after an axis; compressed entries are MECH_EUNSUPPORTED. */
    MECH_TRACE_NPZ = 4
} mech_trace_format;

/* Writes the trace to path (replaced atomically: temp file, then rename).
 * MECH_EIO if the file cannot be written. */
MECH_API mech_status mech_trace_save(const mech_trace *tr, const char *path,
                                     mech_trace_format fmt);
/* Reads a trace written by mech_trace_save (or see the formats above).
 * ctx may be NULL. Malformed, truncated or inconsistent files give
 * MECH_EFORMAT with a message; the caller owns *out. Metadata saved in the
 * file replaces the values set at creation. */
MECH_API mech_status mech_trace_load(mech_trace **out, const mech_ctx *ctx,
                                     const char *path, mech_trace_format fmt);

/* ------------------------------------------------------------------ */
/* Ensembles                                                          */
/* ------------------------------------------------------------------ */

/* Aggregates n >= 1 member traces (borrowed, unchanged) into a new trace
 * (*out, owned by the caller) on the members' common time points. Members
 * must share the axis, the column names in order and the time points
 * (|a - b| <= 1e-12 max(|a|, |b|); else MECH_ESHAPE). For each column c
 * the output has c (mean over the members measured at that point; NaN
 * values are skipped) and c_se (sample standard deviation / sqrt(count);
 * NaN when count < 2). MECH_EINVAL if a member already has a column c_se
 * for one of its columns c. Metadata: member 0's, except "seed", plus
 * ensemble_size = n and seeds = the members' seeds, comma-separated (when
 * every member has one). */
MECH_API mech_status mech_trace_ensemble(mech_trace **out,
                                         const mech_trace *const *members, size_t n);

/* ------------------------------------------------------------------ */
/* Comparison of a prediction with a measurement                      */
/* ------------------------------------------------------------------ */

/* Result of a comparison. Set size = sizeof(mech_comparison) before the
 * call; the library fills only the fields that fit in size, so the struct
 * may grow at the end. */
typedef struct mech_comparison {
    size_t size;
    size_t n_points;     /* measurement points compared */
    double max_abs;      /* max |m - p| */
    double mean_abs;     /* mean |m - p| */
    double rms;          /* sqrt(mean (m - p)^2) */
    double max_rel;      /* max |m - p| / max(|p|, rel_floor) */
    double mean_rel;     /* mean of the same */
    double mean_abs_se;  /* standard error of mean_abs: sqrt(sum se^2) / n */
    double max_z;        /* max |m - p| / se */
    double t_lo, t_hi;   /* first and last measurement time compared */
} mech_comparison;

/* Compares a prediction (t_pred strictly increasing, y_pred; n_pred >= 1)
 * with a measurement (t_meas, y_meas, optional standard errors se_meas or
 * NULL; n_meas >= 1). The prediction is interpolated linearly at each
 * measurement time in [t_lo, t_hi] and inside [t_pred[0], t_pred[n-1]]
 * (a NaN bound is open). Points where the measurement or the interpolated
 * prediction is NaN are skipped. Relative errors divide by
 * max(|p|, rel_floor) (rel_floor >= 0, finite; 0/0 counts as 0, x/0 as
 * Inf). mean_abs_se and max_z are NaN without se_meas or when a compared
 * point has a NaN standard error; max_z is Inf where se = 0 and m != p.
 * All arrays are borrowed. MECH_ERANGE when no point is left;
 * MECH_EINVAL for bad arguments. Allocates nothing. */
MECH_API mech_status mech_trace_compare_arrays(
    const double *t_pred, const double *y_pred, size_t n_pred, const double *t_meas,
    const double *y_meas, const double *se_meas, size_t n_meas, double t_lo,
    double t_hi, double rel_floor, mech_comparison *out);

/* mech_trace_compare_arrays on column pred_col of prediction and column
 * meas_col of measurement, with the measurement's column "<meas_col>_se"
 * (an ensemble) as standard errors when it exists. The traces must share
 * their axis (MECH_EINVAL). Errors are reported through mech_last_error()
 * (the traces are not modified). */
MECH_API mech_status mech_trace_compare(const mech_trace *prediction,
                                        const char *pred_col,
                                        const mech_trace *measurement,
                                        const char *meas_col, double t_lo, double t_hi,
                                        double rel_floor, mech_comparison *out);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_TRACE_H */
