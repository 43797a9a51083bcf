/* Private layout of mech_data and helpers shared by lib/data's files. */
#ifndef MECHANICS_DATA_INTERNAL_H
#define MECHANICS_DATA_INTERNAL_H

#include "internal.h"
#include "mechanics/data.h"
#include "mechanics/rng.h"

#define MECH_DATA_NOPT 8

/* What produces the examples. */
typedef enum data_kind { DATA_ARRAYS, DATA_GENERATOR, DATA_MIXTURE } data_kind;

/* Stream purposes within one handle's family (MECH_DATA_STREAM). */
enum { PURPOSE_SAMPLE = 1, PURPOSE_GENERATE = 2, PURPOSE_SPLIT = 3, PURPOSE_MEANS = 4 };

struct mech_data {
    mech_err err;
    const mech_ctx *ctx;
    mech_optval opt[MECH_DATA_NOPT];
    data_kind kind;
    size_t n, in_dim, out_dim;

    /* finite datasets: x, y point at owned_* (copy) or caller arrays */
    const double *x, *y;
    double *owned_x, *owned_y;

    /* generators */
    mech_rng *gen_rng;
    mech_input_kind input;
    double *sd;            /* per-coordinate standard deviation (in_dim) */
    mech_label_fn label;
    void *label_ud;
    double noise_sd;
    double *noise;         /* out_dim scratch for label noise */
    double *w;             /* linear teacher, out_dim x in_dim */
    double *means;         /* mixture, out_dim x in_dim */
    uint64_t class_counter;

    /* minibatch sampler */
    mech_rng *sample_rng;
    bool configured;
    mech_sampling mode;
    size_t batch;
    bool drop_last;
    size_t *perm;
    size_t cursor;
    uint64_t epoch, seen, epoch_pos;
};

extern const mech_opttable mech__data_opts;

/* Stream number for a purpose in the handle's family. */
uint64_t mech__data_stream(const mech_data *d, int purpose);
/* Allocates a handle with default options and both generators. */
mech_status mech__data_new(mech_data **out, const mech_ctx *ctx, data_kind kind,
                           size_t in_dim, size_t out_dim, mech_err *e);
/* Makes a finite dataset that takes ownership of malloc'd x and y (freed
 * on failure too). Options are copied from `like` when non-NULL. */
mech_status mech__data_adopt(mech_data **out, const mech_ctx *ctx, const mech_data *like,
                             double *x, double *y, size_t n, size_t in_dim,
                             size_t out_dim, mech_err *e);
/* Recomputes the per-coordinate standard deviations from the options. */
void mech__data_refresh_sd(mech_data *d);
/* Draws n generated examples (kind GENERATOR or MIXTURE). */
mech_status mech__data_draw(mech_data *d, size_t n, double *x, double *y);
/* Labels n generated inputs with the attached teacher, plus its noise. */
mech_status mech__data_label(mech_data *d, const double *x, size_t n, double *y);
/* Fisher-Yates shuffle of perm[0..n) set to the identity first. */
mech_status mech__data_shuffle(mech_rng *rng, size_t *perm, size_t n, mech_err *e);

#endif
