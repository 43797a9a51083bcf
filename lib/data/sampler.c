/* Minibatch sampling: with replacement, shuffled epochs, full batch, and
 * fresh draws from generators; checkpoints of the sampler position. */
#include <string.h>

#include "data_internal.h"

#define STATE_TAG UINT64_C(0x6D65636844535431) /* "mechDST1" */
#define NO_SAMPLER UINT64_MAX

mech_status mech__data_shuffle(mech_rng *rng, size_t *perm, size_t n, mech_err *e)
{
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        uint64_t j;
        mech_status st = mech_rng_below(rng, (uint64_t)i, &j);
        if (st < 0) return mech__adopt(e, st);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    return MECH_OK;
}

/* Starts a shuffled epoch, remembering where its order was drawn. */
static mech_status shuffle_epoch(mech_data *d)
{
    mech_status st = mech_rng_get_position(d->sample_rng, &d->epoch_pos);
    if (st < 0) return mech__adopt(&d->err, st);
    d->cursor = 0;
    return mech__data_shuffle(d->sample_rng, d->perm, d->n, &d->err);
}

MECH_API mech_status mech_data_set_batch(mech_data *d, size_t batch, mech_sampling mode)
{
    MECH_CHECK_PTR(NULL, d);
    mech_err *e = &d->err;
    if (mode != MECH_SAMPLE_WITH_REPLACEMENT && mode != MECH_SAMPLE_WITHOUT_REPLACEMENT &&
        mode != MECH_SAMPLE_FULL)
        return mech__fail(e, MECH_EINVAL, "%s: unknown sampling mode %d", __func__, (int)mode);
    if (d->kind != DATA_ARRAYS && mode == MECH_SAMPLE_FULL)
        return mech__fail(e, MECH_EINVAL, "%s: a generator has no full batch", __func__);
    if (mode == MECH_SAMPLE_FULL && batch == 0) batch = d->n;
    MECH_CHECK_NONZERO(e, batch);
    if (d->kind == DATA_ARRAYS && mode != MECH_SAMPLE_WITH_REPLACEMENT &&
        batch > d->n)
        return mech__fail(e, MECH_ERANGE, "%s: batch %zu exceeds the %zu examples", __func__,
                          batch, d->n);
    if (mode == MECH_SAMPLE_FULL && batch != d->n)
        return mech__fail(e, MECH_ERANGE, "%s: a full batch is all %zu examples, not %zu",
                          __func__, d->n, batch);
    if (d->kind == DATA_ARRAYS && mode == MECH_SAMPLE_WITHOUT_REPLACEMENT && !d->perm) {
        d->perm = mech__calloc(d->n, sizeof *d->perm, e);
        if (!d->perm) return MECH_ENOMEM;
    }
    d->configured = true;
    d->mode = mode;
    d->batch = batch;
    d->drop_last = d->opt[MECH_DATA_DROP_LAST].i != 0;
    d->epoch = d->seen = 0;
    d->cursor = 0;
    if (d->kind == DATA_ARRAYS && mode == MECH_SAMPLE_WITHOUT_REPLACEMENT)
        return shuffle_epoch(d);
    return MECH_OK;
}

static void copy_row(const mech_data *d, size_t idx, size_t i, double *x, double *y)
{
    memcpy(x + i * d->in_dim, d->x + idx * d->in_dim, d->in_dim * sizeof *x);
    if (y && d->out_dim)
        memcpy(y + i * d->out_dim, d->y + idx * d->out_dim, d->out_dim * sizeof *y);
}

static mech_status next_shuffled(mech_data *d, double *x, double *y)
{
    for (size_t i = 0; i < d->batch; i++) {
        if (d->cursor == d->n) { /* only when wrapping into the next epoch */
            d->epoch++;
            MECH_TRY(shuffle_epoch(d));
        }
        copy_row(d, d->perm[d->cursor++], i, x, y);
    }
    /* end the epoch now, so a checkpoint never sits on an exhausted order */
    if (d->cursor == d->n || (d->drop_last && d->n - d->cursor < d->batch)) {
        d->epoch++;
        MECH_TRY(shuffle_epoch(d));
    }
    return MECH_OK;
}

MECH_API mech_status mech_data_next_batch(mech_data *d, double *x_out, double *y_out,
                                          size_t *count)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR(&d->err, x_out);
    MECH_CHECK_PTR(&d->err, count);
    if (!d->configured)
        return mech__fail(&d->err, MECH_ESTATE, "%s: call mech_data_set_batch first",
                          __func__);
    if (d->kind != DATA_ARRAYS) {
        MECH_TRY(mech__data_draw(d, d->batch, x_out, y_out));
    } else if (d->mode == MECH_SAMPLE_WITHOUT_REPLACEMENT) {
        MECH_TRY(next_shuffled(d, x_out, y_out));
    } else if (d->mode == MECH_SAMPLE_FULL) {
        for (size_t i = 0; i < d->n; i++) copy_row(d, i, i, x_out, y_out);
    } else {
        for (size_t i = 0; i < d->batch; i++) {
            uint64_t idx;
            mech_status st = mech_rng_below(d->sample_rng, (uint64_t)d->n, &idx);
            if (st < 0) return mech__adopt(&d->err, st);
            copy_row(d, (size_t)idx, i, x_out, y_out);
        }
    }
    d->seen += d->batch;
    if (d->kind == DATA_ARRAYS && d->mode != MECH_SAMPLE_WITHOUT_REPLACEMENT)
        d->epoch = d->seen / d->n;
    *count = d->batch;
    return MECH_OK;
}

MECH_API mech_status mech_data_epoch(const mech_data *d, uint64_t *epoch)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, epoch);
    *epoch = d->epoch;
    return MECH_OK;
}

MECH_API mech_status mech_data_examples_seen(const mech_data *d, uint64_t *examples)
{
    MECH_CHECK_PTR(NULL, d);
    MECH_CHECK_PTR((mech_err *)&d->err, examples);
    *examples = d->seen;
    return MECH_OK;
}

MECH_API mech_status mech_data_get_state(const mech_data *d, uint64_t *words, size_t n_words)
{
    MECH_CHECK_PTR(NULL, d);
    mech_err *e = (mech_err *)&d->err;
    MECH_CHECK_PTR(e, words);
    if (n_words < MECH_DATA_STATE_WORDS)
        return mech__fail(e, MECH_ESHAPE, "%s: %zu words given, %d needed", __func__,
                          n_words, MECH_DATA_STATE_WORDS);
    uint64_t spos, gpos;
    mech_status st = mech_rng_get_position(d->sample_rng, &spos);
    if (st >= 0) st = mech_rng_get_position(d->gen_rng, &gpos);
    if (st < 0) return mech__adopt(e, st);
    bool shuffled = d->configured && d->kind == DATA_ARRAYS &&
                    d->mode == MECH_SAMPLE_WITHOUT_REPLACEMENT;
    words[0] = STATE_TAG;
    words[1] = d->configured ? (uint64_t)d->mode : NO_SAMPLER;
    words[2] = d->batch;
    words[3] = d->n;
    words[4] = d->epoch;
    words[5] = d->cursor;
    words[6] = d->seen;
    words[7] = d->class_counter;
    words[8] = shuffled ? d->epoch_pos : spos;
    words[9] = gpos;
    return MECH_OK;
}

MECH_API mech_status mech_data_set_state(mech_data *d, const uint64_t *words, size_t n_words)
{
    MECH_CHECK_PTR(NULL, d);
    mech_err *e = &d->err;
    MECH_CHECK_PTR(e, words);
    if (n_words < MECH_DATA_STATE_WORDS)
        return mech__fail(e, MECH_ESHAPE, "%s: %zu words given, %d needed", __func__,
                          n_words, MECH_DATA_STATE_WORDS);
    if (words[0] != STATE_TAG)
        return mech__fail(e, MECH_EFORMAT, "%s: not a data sampler state (bad tag)", __func__);
    bool has_sampler = words[1] != NO_SAMPLER;
    uint64_t mode_now = d->configured ? (uint64_t)d->mode : NO_SAMPLER;
    if (words[1] != mode_now || (has_sampler && words[2] != d->batch))
        return mech__fail(e, MECH_ESTATE, "%s: configure the handle with the saved mode and "
                          "batch (%llu, %llu) first", __func__,
                          (unsigned long long)words[1], (unsigned long long)words[2]);
    if (words[3] != d->n)
        return mech__fail(e, MECH_ESTATE, "%s: state is for %llu examples, handle has %zu",
                          __func__, (unsigned long long)words[3], d->n);
    bool shuffled = has_sampler && d->kind == DATA_ARRAYS &&
                    d->mode == MECH_SAMPLE_WITHOUT_REPLACEMENT;
    if ((shuffled && words[5] >= d->n) || (!shuffled && words[5] != 0))
        return mech__fail(e, MECH_EFORMAT, "%s: cursor %llu is impossible here", __func__,
                          (unsigned long long)words[5]);

    mech_status st = mech_rng_set_position(d->sample_rng, words[8]);
    if (st >= 0) st = mech_rng_set_position(d->gen_rng, words[9]);
    if (st < 0) return mech__adopt(e, st);
    if (shuffled) {
        MECH_TRY(shuffle_epoch(d)); /* regenerates the order, advancing the stream */
        d->cursor = (size_t)words[5];
    }
    d->epoch = words[4];
    d->seen = words[6];
    d->class_counter = words[7];
    return MECH_OK;
}
