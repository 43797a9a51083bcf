/*
 * Datasets: finite datasets from caller arrays or .npy files, train/test
 * splits, seeded minibatch sampling, and synthetic generators (Gaussian,
 * power-law and spherical inputs with teacher labels, Gaussian mixtures,
 * modular arithmetic).
 *
 * Layout: inputs x are row-major n x in_dim, labels y row-major n x out_dim
 * (one example per row), all double.
 *
 * Two kinds of handle:
 *  - finite datasets (create_arrays, split, load_npy, materialize,
 *    create_modular) hold n examples; next_batch samples from them;
 *  - generators (create_generator, create_mixture) draw fresh examples
 *    forever (online SGD); next_batch and mech_data_sample draw new ones,
 *    mech_data_materialize freezes n of them into a finite dataset.
 *
 * Randomness: each handle owns two counter-based generators on streams of
 * the context's seed (MECH_CTX_SEED at creation), one for sampling
 * minibatches and one for generating examples, so drawing batches never
 * shifts the generated data and vice versa. Handles created from contexts
 * with the same seed reproduce each other bit for bit (normal draws: on the
 * same platform and libm); MECH_DATA_STREAM selects another family of
 * streams.
 *
 * The context must outlive every data handle made from it. A handle is not
 * safe to use from two threads at once; distinct handles are independent.
 */
#ifndef MECHANICS_DATA_H
#define MECHANICS_DATA_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_data mech_data;

/* Who owns arrays passed to a constructor. */
typedef enum mech_ownership {
    /* The library copies the arrays; the caller may free them at once. */
    MECH_COPY = 0,
    /* The library keeps the caller's pointers: the caller keeps the arrays
     * alive and unchanged until the handle is destroyed (changes made in
     * between are seen by later batches, but are the caller's risk). */
    MECH_BORROW = 1
} mech_ownership;

/* How next_batch picks examples from a finite dataset. */
typedef enum mech_sampling {
    /* Each example of a batch drawn uniformly and independently. */
    MECH_SAMPLE_WITH_REPLACEMENT = 0,
    /* Shuffled epochs: each epoch visits every example exactly once, in a
     * fresh random order. The last partial batch of an epoch is dropped
     * (MECH_DATA_DROP_LAST = 1, default) or filled from the start of the
     * next epoch's order (0, "wrap"). */
    MECH_SAMPLE_WITHOUT_REPLACEMENT = 1,
    /* Every batch is the whole dataset in stored order (batch must equal n,
     * or pass batch 0 to mean n). */
    MECH_SAMPLE_FULL = 2
} mech_sampling;

/* Input distribution of a generator (in_dim = d). */
typedef enum mech_input_kind {
    /* x ~ N(0, v I), v = MECH_DATA_VARIANCE (default 1). */
    MECH_INPUT_GAUSSIAN = 0,
    /* x ~ N(0, diag(λ)), λ_k = c k^(-α) for k = 1..d, α = MECH_DATA_ALPHA.
     * c = 1 when MECH_DATA_TRACE = 0 (default); otherwise c makes
     * Σ_k λ_k = MECH_DATA_TRACE (e.g. d, to match the isotropic case). */
    MECH_INPUT_POWER_LAW = 1,
    /* x uniform on the sphere of radius r: r = √d when MECH_DATA_RADIUS is
     * 0 (default; then E[x_k²] = 1 like the unit Gaussian), else the option. */
    MECH_INPUT_SPHERE = 2
} mech_input_kind;

/* Options of data handles (mech_data_set_i64 / set_f64; introspection with
 * mech_option_* and MECH_KIND_DATA). Options that do not apply to a
 * handle's kind are stored and ignored. */
typedef enum mech_data_opt {
    /* f64 >= 0, default 1: per-coordinate variance of Gaussian inputs and
     * of the mixture's within-class noise. */
    MECH_DATA_VARIANCE = 0,
    /* f64 in [0, 64], default 1: power-law exponent α. */
    MECH_DATA_ALPHA = 1,
    /* f64 >= 0, default 0: power-law trace normalization (0 = none). */
    MECH_DATA_TRACE = 2,
    /* f64 >= 0, default 0: sphere radius (0 = √in_dim). */
    MECH_DATA_RADIUS = 3,
    /* i64 0/1, default 0: linear teacher scale. 0: y = W x (THEORY.md §2);
     * 1: y = W x / √in_dim (committee-machine convention). */
    MECH_DATA_TEACHER_SCALE = 4,
    /* i64 0/1, default 1: without replacement, drop (1) or wrap (0) the
     * last partial batch of each epoch. Read at mech_data_set_batch. */
    MECH_DATA_DROP_LAST = 5,
    /* i64 0/1, default 0: mixture classes cycle 0,1,..,C-1,0,.. (1) instead
     * of being drawn uniformly (0), so n examples are exactly balanced when
     * C divides n. */
    MECH_DATA_BALANCED = 6,
    /* i64 in [0, 2^40], default 0: stream family. Setting it restarts both
     * generators of the handle at position 0 on the new streams and
     * unconfigures the sampler (call mech_data_set_batch again). */
    MECH_DATA_STREAM = 7
} mech_data_opt;

/* Label function of a generator ("teacher"): writes y_out (n x out_dim)
 * for inputs x (n x in_dim). Must return 0; any other value makes the
 * drawing call fail with MECH_ECALLBACK. user_data is passed back as given. */
typedef int (*mech_label_fn)(const double *x, size_t n, size_t in_dim, double *y_out,
                             size_t out_dim, void *user_data);

/* ---------------- finite datasets ---------------- */

/* Dataset of n examples from caller arrays x (n x in_dim) and y (n x
 * out_dim). y may be NULL only with out_dim = 0 (unlabelled data). own says
 * whether the arrays are copied or borrowed (see mech_ownership). Errors:
 * MECH_EINVAL (NULL, n or in_dim zero, bad own), MECH_EOVERFLOW,
 * MECH_ENONFINITE (NaN/Inf in x or y), MECH_ENOMEM. Caller owns *out. */
MECH_API mech_status mech_data_create_arrays(mech_data **out, const mech_ctx *ctx,
                                             const double *x, const double *y, size_t n,
                                             size_t in_dim, size_t out_dim,
                                             mech_ownership own);
/* Frees a handle (never the caller's borrowed arrays); NULL is accepted. */
MECH_API void mech_data_destroy(mech_data *d);
/* The handle's most recent error message ("" if none). */
MECH_API const char *mech_data_last_error(const mech_data *d);

/* Number of examples (finite datasets; 0 for generators), input and label
 * widths. */
MECH_API mech_status mech_data_n(const mech_data *d, size_t *n);
MECH_API mech_status mech_data_in_dim(const mech_data *d, size_t *in_dim);
MECH_API mech_status mech_data_out_dim(const mech_data *d, size_t *out_dim);
/* True for generators. */
MECH_API mech_status mech_data_is_generator(const mech_data *d, bool *is_generator);

/* Copies examples first .. first+count-1 into x (count x in_dim) and y
 * (count x out_dim); either may be NULL to skip it, not both. Errors:
 * MECH_ESTATE on a generator, MECH_ERANGE past the end. */
MECH_API mech_status mech_data_get(const mech_data *d, size_t first, size_t count,
                                   double *x, double *y);

/* Splits a finite dataset into two new copied datasets: train gets
 * round(train_fraction n) examples, test the rest; both must be non-empty
 * (MECH_ERANGE otherwise). shuffle = false keeps stored order (train is the
 * head); true uses a random permutation drawn from a dedicated stream at
 * position 0, so the same seed gives the same split. The children copy d's
 * options and context. Caller owns *train and *test. */
MECH_API mech_status mech_data_split(const mech_data *d, double train_fraction, bool shuffle,
                                     mech_data **train, mech_data **test);

/* Reads a dataset from NumPy .npy files (format versions 1-3): x_path an
 * (n, in_dim) or (n,) array, y_path (may be NULL: out_dim 0) an
 * (n, out_dim) or (n,) array; a 1-D array is one column. dtypes:
 * little-endian float64, float32, int64, int32 ('<f8' '<f4' '<i8' '<i4'),
 * converted to double. fortran_order True arrays are transposed into row
 * order. Errors: MECH_EIO (cannot open/read), MECH_EFORMAT (bad magic,
 * malformed header, size not matching the shape, truncated or trailing
 * data), MECH_EUNSUPPORTED (other dtypes, big-endian, 0-D or > 2-D),
 * MECH_ESHAPE (row counts differ, or zero rows/columns),
 * MECH_ENONFINITE. Caller owns *out (data copied). */
MECH_API mech_status mech_data_load_npy(mech_data **out, const mech_ctx *ctx,
                                        const char *x_path, const char *y_path);

/* The modular-addition dataset of all p² pairs (a, b), a, b in 0..p-1:
 * example a p + b has x = [onehot_p(a), onehot_p(b)] (in_dim 2p) and
 * y = onehot_p((a + b) mod p) (out_dim p). p >= 2 (MECH_ERANGE) and p² must
 * fit in memory. Caller owns *out. */
MECH_API mech_status mech_data_create_modular(mech_data **out, const mech_ctx *ctx,
                                              size_t p);

/* ---------------- generators ---------------- */

/* A generator of inputs of the given kind and width, with no labels
 * (out_dim 0) until a teacher is attached. Caller owns *out. */
MECH_API mech_status mech_data_create_generator(mech_data **out, const mech_ctx *ctx,
                                                mech_input_kind input, size_t in_dim);

/* Attaches a label function: y = fn(x) + noise_sd ζ, ζ ~ N(0, I). fn and
 * user_data are borrowed (user_data must outlive the handle). Replaces any
 * earlier teacher; out_dim >= 1; noise_sd finite >= 0. MECH_ESTATE on a
 * finite dataset or a mixture. */
MECH_API mech_status mech_data_set_teacher(mech_data *d, mech_label_fn fn, void *user_data,
                                           size_t out_dim, double noise_sd);
/* Attaches the linear teacher y = s W x + noise_sd ζ, W out_dim x in_dim
 * row-major (copied), s = 1 or 1/√in_dim by MECH_DATA_TEACHER_SCALE (read
 * at each draw). Same errors as set_teacher, plus MECH_ENONFINITE. */
MECH_API mech_status mech_data_set_linear_teacher(mech_data *d, const double *w,
                                                  size_t out_dim, double noise_sd);

/* Gaussian-mixture classification generator: n_classes >= 2 class means
 * μ_c of norm `separation` (>= 0, finite) in uniformly random directions,
 * drawn once at creation; an example of class c is x = μ_c + √v z,
 * z ~ N(0, I), v = MECH_DATA_VARIANCE, with one-hot label y (out_dim =
 * n_classes). Classes uniform at random, or cycling (MECH_DATA_BALANCED).
 * Caller owns *out. */
MECH_API mech_status mech_data_create_mixture(mech_data **out, const mech_ctx *ctx,
                                              size_t n_classes, size_t in_dim,
                                              double separation);
/* Copies a mixture's class means into means (n_classes x in_dim). */
MECH_API mech_status mech_data_get_means(const mech_data *d, double *means);
/* Integer classes of one-hot (or score) rows: cls[i] = argmax_j y[i, j]
 * (the first on ties). */
MECH_API mech_status mech_data_onehot_to_class(const double *y, size_t n, size_t n_classes,
                                               int64_t *cls);

/* Draws n fresh examples from a generator into x (n x in_dim) and y
 * (n x out_dim; required when out_dim > 0, ignored when it is 0).
 * Allocates nothing. MECH_ESTATE on a finite dataset. */
MECH_API mech_status mech_data_sample(mech_data *d, size_t n, double *x, double *y);
/* Draws n examples from the generator (advancing it like mech_data_sample,
 * so a materialized test set never repeats later training samples) into a
 * new finite dataset owned by the caller. */
MECH_API mech_status mech_data_materialize(mech_data *gen, size_t n, mech_data **out);

/* ---------------- minibatches ---------------- */

/* Configures next_batch: batch size (>= 1 with replacement; 1..n without;
 * 0 or n for MECH_SAMPLE_FULL) and mode. Allocates the permutation buffer,
 * resets the epoch and example counters, and (without replacement) draws
 * the first epoch's order from the sampling stream's current position.
 * On a generator every batch is fresh samples, whatever the mode (FULL is
 * refused). */
MECH_API mech_status mech_data_set_batch(mech_data *d, size_t batch, mech_sampling mode);
/* Writes the next batch into x_out (batch x in_dim) and y_out (batch x
 * out_dim; finite datasets: may be NULL to skip labels; labelled
 * generators: required) and its row count into *count (always the batch
 * size). Allocates nothing. MECH_ESTATE before set_batch. */
MECH_API mech_status mech_data_next_batch(mech_data *d, double *x_out, double *y_out,
                                          size_t *count);
/* Completed epochs: without replacement, how many shuffled orders were used
 * up (an epoch ends when its order is exhausted, or when the dropped
 * remainder is reached); with replacement and full batch,
 * floor(examples delivered / n). Always 0 for generators. */
MECH_API mech_status mech_data_epoch(const mech_data *d, uint64_t *epoch);
/* Examples delivered by next_batch since set_batch. */
MECH_API mech_status mech_data_examples_seen(const mech_data *d, uint64_t *examples);

/* Sampler checkpoint: MECH_DATA_STATE_WORDS words holding a tag, the mode,
 * batch size, n, epoch, cursor within the epoch, examples delivered,
 * mixture class counter and the positions of both generators (for shuffled
 * epochs the position where the current epoch's order was drawn: the order
 * itself is not stored but regenerated). Options, stream and the data
 * itself are not stored. set_state requires a handle configured like the
 * saved one (same mode and batch size, or both never configured) over the
 * same n (MECH_ESTATE otherwise), and
 * refuses inconsistent words (MECH_EFORMAT) without changing anything;
 * afterwards next_batch and mech_data_sample replay exactly what followed
 * get_state. n_words >= MECH_DATA_STATE_WORDS (MECH_ESHAPE). */
#define MECH_DATA_STATE_WORDS 10
MECH_API mech_status mech_data_get_state(const mech_data *d, uint64_t *words, size_t n_words);
MECH_API mech_status mech_data_set_state(mech_data *d, const uint64_t *words, size_t n_words);

/* ---------------- options ---------------- */

MECH_API mech_status mech_data_set_i64(mech_data *d, mech_data_opt key, int64_t value);
MECH_API mech_status mech_data_get_i64(const mech_data *d, mech_data_opt key, int64_t *value);
MECH_API mech_status mech_data_set_f64(mech_data *d, mech_data_opt key, double value);
MECH_API mech_status mech_data_get_f64(const mech_data *d, mech_data_opt key, double *value);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_DATA_H */
