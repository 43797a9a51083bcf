/* data: ownership, splits, minibatch sampling and checkpoints, generators
 * against their specified distributions, teachers, mixtures, modular
 * arithmetic, the .npy loader (round trips and malformed files), bad input.
 *
 * Statistical checks use fixed seeds and sit at 4 standard errors. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static mech_ctx *ctx_seed(int64_t seed)
{
    mech_ctx *c = NULL;
    ck_assert_ok(mech_ctx_create(&c));
    ck_assert_ok(mech_ctx_set_i64(c, MECH_CTX_SEED, seed));
    return c;
}

/* n x 2 inputs whose first column is the example id; y = 10 id. */
static mech_data *id_dataset(mech_ctx *c, size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (double)i;
        x[2 * i + 1] = -(double)i;
        y[i] = 10.0 * (double)i;
    }
    mech_data *d = NULL;
    ck_assert_ok(mech_data_create_arrays(&d, c, x, y, n, 2, 1, MECH_COPY));
    return d;
}

START_TEST(ownership_copy_and_borrow)
{
    double x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {7, 8, 9}, gx[6], gy[3];
    mech_data *cp = NULL, *br = NULL;
    ck_assert_ok(mech_data_create_arrays(&cp, NULL, x, y, 3, 2, 1, MECH_COPY));
    ck_assert_ok(mech_data_create_arrays(&br, NULL, x, y, 3, 2, 1, MECH_BORROW));
    size_t n, di, dout;
    bool gen = true;
    ck_assert_ok(mech_data_n(cp, &n));
    ck_assert_ok(mech_data_in_dim(cp, &di));
    ck_assert_ok(mech_data_out_dim(cp, &dout));
    ck_assert_ok(mech_data_is_generator(cp, &gen));
    ck_assert(n == 3 && di == 2 && dout == 1 && !gen);
    x[2] = 100.0;
    y[1] = -1.0;
    ck_assert_ok(mech_data_get(br, 1, 1, gx, gy));
    ck_assert(gx[0] == 100.0 && gx[1] == 4.0 && gy[0] == -1.0);
    ck_assert_ok(mech_data_get(cp, 1, 1, gx, gy));
    ck_assert(gx[0] == 3.0 && gx[1] == 4.0 && gy[0] == 8.0);
    ck_assert_ok(mech_data_get(cp, 0, 3, gx, NULL));
    ck_assert(gx[5] == 6.0);
    ck_assert_ok(mech_data_get(cp, 3, 0, NULL, gy)); /* empty range at the end */
    mech_data_destroy(cp);
    mech_data_destroy(br);
    /* unlabelled data */
    ck_assert_ok(mech_data_create_arrays(&cp, NULL, x, NULL, 3, 2, 0, MECH_COPY));
    ck_assert_ok(mech_data_get(cp, 0, 3, gx, gy));
    mech_data_destroy(cp);
    mech_data_destroy(NULL);
}
END_TEST

START_TEST(split_sizes_disjoint_reproducible)
{
    enum { N = 50 };
    double x[2 * N], y[N], tx[2 * N], ty[N];
    mech_ctx *c = ctx_seed(7);
    mech_data *d = id_dataset(c, N, x, y), *tr = NULL, *te = NULL, *tr2 = NULL, *te2 = NULL;
    ck_assert_ok(mech_data_split(d, 0.7, true, &tr, &te));
    size_t ntr, nte;
    ck_assert_ok(mech_data_n(tr, &ntr));
    ck_assert_ok(mech_data_n(te, &nte));
    ck_assert_uint_eq(ntr, 35);
    ck_assert_uint_eq(nte, 15);
    int seen[N] = {0};
    ck_assert_ok(mech_data_get(tr, 0, ntr, tx, ty));
    for (size_t i = 0; i < ntr; i++) {
        seen[(int)tx[2 * i]]++;
        ck_assert(ty[i] == 10.0 * tx[2 * i]); /* rows stay whole */
    }
    ck_assert_ok(mech_data_get(te, 0, nte, tx, ty));
    for (size_t i = 0; i < nte; i++) seen[(int)tx[2 * i]]++;
    for (int i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
    /* same seed, same split; shuffled is not the identity */
    ck_assert_ok(mech_data_split(d, 0.7, true, &tr2, &te2));
    double a[2 * N], b[2 * N];
    ck_assert_ok(mech_data_get(tr, 0, ntr, a, NULL));
    ck_assert_ok(mech_data_get(tr2, 0, ntr, b, NULL));
    ck_assert(memcmp(a, b, sizeof(double) * 2 * ntr) == 0);
    int moved = 0;
    for (size_t i = 0; i < ntr; i++) moved += a[2 * i] != (double)i;
    ck_assert_int_gt(moved, 0);
    mech_data_destroy(tr2);
    mech_data_destroy(te2);
    /* unshuffled: head and tail */
    ck_assert_ok(mech_data_split(d, 0.1, false, &tr2, &te2));
    ck_assert_ok(mech_data_get(te2, 0, 1, a, NULL));
    ck_assert(a[0] == 5.0);
    mech_data_destroy(tr2);
    mech_data_destroy(te2);
    mech_data_destroy(tr);
    mech_data_destroy(te);
    mech_data_destroy(d);
    mech_ctx_destroy(c);
}
END_TEST

/* Ids of the next batch (first input column). */
static void next_ids(mech_data *d, size_t batch, int *ids)
{
    double x[2 * 64], y[64];
    size_t cnt = 0;
    ck_assert_ok(mech_data_next_batch(d, x, y, &cnt));
    ck_assert_uint_eq(cnt, batch);
    for (size_t i = 0; i < cnt; i++) {
        ids[i] = (int)x[2 * i];
        ck_assert(y[i] == 10.0 * x[2 * i]);
    }
}

START_TEST(without_replacement_drop_visits_each_once)
{
    enum { N = 10, B = 3 };
    double x[2 * N], y[N];
    mech_ctx *c = ctx_seed(1);
    mech_data *d = id_dataset(c, N, x, y);
    ck_assert_ok(mech_data_set_batch(d, B, MECH_SAMPLE_WITHOUT_REPLACEMENT));
    int prev_first[N];
    for (int ep = 0; ep < 4; ep++) {
        int seen[N] = {0}, ids[B], first[N];
        uint64_t e;
        ck_assert_ok(mech_data_epoch(d, &e));
        ck_assert_uint_eq(e, (uint64_t)ep);
        for (int b = 0; b < N / B; b++) {
            next_ids(d, B, ids);
            for (int i = 0; i < B; i++) {
                seen[ids[i]]++;
                first[b * B + i] = ids[i];
            }
        }
        /* 9 distinct examples per epoch, the 10th dropped */
        int distinct = 0;
        for (int i = 0; i < N; i++) {
            ck_assert_int_le(seen[i], 1);
            distinct += seen[i];
        }
        ck_assert_int_eq(distinct, (N / B) * B);
        if (ep > 0) ck_assert(memcmp(first, prev_first, sizeof(int) * 9) != 0);
        memcpy(prev_first, first, sizeof first);
    }
    uint64_t seen_ex;
    ck_assert_ok(mech_data_examples_seen(d, &seen_ex));
    ck_assert_uint_eq(seen_ex, 4 * 9);
    mech_data_destroy(d);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(without_replacement_wrap_is_a_stream_of_permutations)
{
    enum { N = 10, B = 4, BATCHES = 15 };
    double x[2 * N], y[N];
    mech_ctx *c = ctx_seed(2);
    mech_data *d = id_dataset(c, N, x, y);
    ck_assert_ok(mech_data_set_i64(d, MECH_DATA_DROP_LAST, 0));
    ck_assert_ok(mech_data_set_batch(d, B, MECH_SAMPLE_WITHOUT_REPLACEMENT));
    int all[B * BATCHES];
    for (int b = 0; b < BATCHES; b++) next_ids(d, B, all + b * B);
    /* 60 examples = 6 whole epochs, each a permutation */
    for (int ep = 0; ep < B * BATCHES / N; ep++) {
        int seen[N] = {0};
        for (int i = 0; i < N; i++) seen[all[ep * N + i]]++;
        for (int i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
    }
    uint64_t e;
    ck_assert_ok(mech_data_epoch(d, &e));
    ck_assert_uint_eq(e, 6);
    mech_data_destroy(d);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(with_replacement_is_uniform)
{
    enum { N = 10, B = 50, BATCHES = 400 };
    double x[2 * N], y[N];
    mech_ctx *c = ctx_seed(3);
    mech_data *d = id_dataset(c, N, x, y);
    ck_assert_ok(mech_data_set_batch(d, B, MECH_SAMPLE_WITH_REPLACEMENT));
    double count[N] = {0};
    int ids[B];
    for (int b = 0; b < BATCHES; b++) {
        next_ids(d, B, ids);
        for (int i = 0; i < B; i++) count[ids[i]]++;
    }
    double expect = (double)B * BATCHES / N, chi2 = 0;
    for (int i = 0; i < N; i++) chi2 += (count[i] - expect) * (count[i] - expect) / expect;
    /* chi-square with 9 degrees of freedom: 27.88 is its 0.1% critical value */
    ck_assert_msg(chi2 < 27.88, "chi2 = %g", chi2);
    uint64_t e;
    ck_assert_ok(mech_data_epoch(d, &e));
    ck_assert_uint_eq(e, (uint64_t)B * BATCHES / N);
    mech_data_destroy(d);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(full_batch_in_order)
{
    enum { N = 6 };
    double x[2 * N], y[N];
    mech_data *d = id_dataset(NULL, N, x, y);
    ck_assert_fails_with(mech_data_set_batch(d, 3, MECH_SAMPLE_FULL), MECH_ERANGE);
    ck_assert_ok(mech_data_set_batch(d, 0, MECH_SAMPLE_FULL));
    int ids[N];
    for (int r = 0; r < 2; r++) {
        next_ids(d, N, ids);
        for (int i = 0; i < N; i++) ck_assert_int_eq(ids[i], i);
    }
    uint64_t e;
    ck_assert_ok(mech_data_epoch(d, &e));
    ck_assert_uint_eq(e, 2);
    mech_data_destroy(d);
}
END_TEST

/* Draws `batches` batches of B ids from a fresh handle with this seed. */
static void ids_for_seed(int64_t seed, mech_sampling mode, int *out, int batches)
{
    enum { N = 20, B = 7 };
    double x[2 * N], y[N];
    mech_ctx *c = ctx_seed(seed);
    mech_data *d = id_dataset(c, N, x, y);
    ck_assert_ok(mech_data_set_batch(d, B, mode));
    for (int b = 0; b < batches; b++) next_ids(d, B, out + b * B);
    mech_data_destroy(d);
    mech_ctx_destroy(c);
}

START_TEST(batches_reproduce_per_seed)
{
    int a[70], b[70], o[70];
    for (int m = 0; m < 2; m++) {
        mech_sampling mode = m ? MECH_SAMPLE_WITHOUT_REPLACEMENT : MECH_SAMPLE_WITH_REPLACEMENT;
        ids_for_seed(11, mode, a, 10);
        ids_for_seed(11, mode, b, 10);
        ids_for_seed(12, mode, o, 10);
        ck_assert(memcmp(a, b, sizeof a) == 0);
        ck_assert(memcmp(a, o, sizeof a) != 0);
    }
}
END_TEST

/* Saves the state after `before` batches, records `after` more, restores
 * and checks the replay is identical. */
static void check_replay(mech_data *d, size_t width, int before, int after)
{
    enum { CAP = 4096 };
    static double x[CAP], y[CAP], rx[CAP], ry[CAP];
    size_t cnt, per = 0;
    uint64_t words[MECH_DATA_STATE_WORDS + 1];
    for (int b = 0; b < before; b++) ck_assert_ok(mech_data_next_batch(d, x, y, &cnt));
    ck_assert_ok(mech_data_get_state(d, words, MECH_DATA_STATE_WORDS + 1));
    for (int b = 0; b < after; b++) {
        ck_assert_ok(mech_data_next_batch(d, x + per, y + per, &cnt));
        per += cnt * width;
        ck_assert_uint_le(per, CAP / 2);
    }
    uint64_t e1, s1, e2, s2;
    ck_assert_ok(mech_data_epoch(d, &e1));
    ck_assert_ok(mech_data_examples_seen(d, &s1));
    ck_assert_ok(mech_data_set_state(d, words, MECH_DATA_STATE_WORDS));
    size_t at = 0;
    for (int b = 0; b < after; b++) {
        ck_assert_ok(mech_data_next_batch(d, rx + at, ry + at, &cnt));
        at += cnt * width;
    }
    ck_assert(memcmp(x, rx, per * sizeof(double)) == 0);
    ck_assert(memcmp(y, ry, per * sizeof(double)) == 0);
    ck_assert_ok(mech_data_epoch(d, &e2));
    ck_assert_ok(mech_data_examples_seen(d, &s2));
    ck_assert(e1 == e2 && s1 == s2);
}

START_TEST(state_restore_replays_batches)
{
    enum { N = 13 };
    double x[2 * N], y[N];
    mech_ctx *c = ctx_seed(5);
    mech_data *d = id_dataset(c, N, x, y);
    ck_assert_ok(mech_data_set_i64(d, MECH_DATA_DROP_LAST, 0));
    ck_assert_ok(mech_data_set_batch(d, 5, MECH_SAMPLE_WITHOUT_REPLACEMENT));
    check_replay(d, 2, 3, 9); /* mid-epoch save, replay across several epochs */
    ck_assert_ok(mech_data_set_i64(d, MECH_DATA_DROP_LAST, 1));
    ck_assert_ok(mech_data_set_batch(d, 5, MECH_SAMPLE_WITHOUT_REPLACEMENT));
    check_replay(d, 2, 1, 7);
    ck_assert_ok(mech_data_set_batch(d, 4, MECH_SAMPLE_WITH_REPLACEMENT));
    check_replay(d, 2, 2, 6);
    /* a state for another configuration is refused, handle unchanged */
    uint64_t w[MECH_DATA_STATE_WORDS];
    ck_assert_ok(mech_data_get_state(d, w, MECH_DATA_STATE_WORDS));
    ck_assert_ok(mech_data_set_batch(d, 3, MECH_SAMPLE_WITH_REPLACEMENT));
    ck_assert_fails_with(mech_data_set_state(d, w, MECH_DATA_STATE_WORDS), MECH_ESTATE);
    w[0] ^= 1;
    ck_assert_fails_with(mech_data_set_state(d, w, MECH_DATA_STATE_WORDS), MECH_EFORMAT);
    ck_assert_ok(mech_data_get_state(d, w, MECH_DATA_STATE_WORDS));
    w[5] = 99; /* cursor where with-replacement has none */
    ck_assert_fails_with(mech_data_set_state(d, w, MECH_DATA_STATE_WORDS), MECH_EFORMAT);
    mech_data_destroy(d);

    /* generator with a noisy teacher */
    mech_data *g = NULL;
    double wt[3] = {1, -2, 0.5};
    ck_assert_ok(mech_data_create_generator(&g, c, MECH_INPUT_GAUSSIAN, 3));
    ck_assert_ok(mech_data_set_linear_teacher(g, wt, 1, 0.3));
    ck_assert_ok(mech_data_set_batch(g, 8, MECH_SAMPLE_WITH_REPLACEMENT));
    check_replay(g, 3, 2, 5);
    mech_data_destroy(g);
    /* balanced mixture: the class counter is part of the state */
    ck_assert_ok(mech_data_create_mixture(&g, c, 3, 2, 1.0));
    ck_assert_ok(mech_data_set_i64(g, MECH_DATA_BALANCED, 1));
    ck_assert_ok(mech_data_set_batch(g, 5, MECH_SAMPLE_WITHOUT_REPLACEMENT));
    check_replay(g, 3, 1, 4);
    mech_data_destroy(g);
    mech_ctx_destroy(c);
}
END_TEST

/* Sample mean and covariance of n rows of width dim. */
static void moments(const double *x, size_t n, size_t dim, double *mean, double *cov)
{
    for (size_t k = 0; k < dim; k++) {
        mean[k] = 0;
        for (size_t i = 0; i < n; i++) mean[k] += x[i * dim + k];
        mean[k] /= (double)n;
    }
    for (size_t k = 0; k < dim; k++)
        for (size_t l = 0; l < dim; l++) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += (x[i * dim + k] - mean[k]) * (x[i * dim + l] - mean[l]);
            cov[k * dim + l] = s / (double)(n - 1);
        }
}

/* Gaussian with covariance diag(lambda): mean within 4 sqrt(λ/n), variance
 * within 4 λ sqrt(2/n), covariance within 4 sqrt(λ_k λ_l / n). */
static void check_gaussian(const double *x, size_t n, size_t dim, const double *lambda)
{
    double mean[8], cov[64];
    moments(x, n, dim, mean, cov);
    double sn = sqrt((double)n);
    for (size_t k = 0; k < dim; k++) {
        ck_assert_msg(fabs(mean[k]) < 4 * sqrt(lambda[k]) / sn, "mean[%zu] = %g", k, mean[k]);
        for (size_t l = 0; l < dim; l++) {
            double want = k == l ? lambda[k] : 0.0;
            double se = k == l ? lambda[k] * sqrt(2.0) / sn : sqrt(lambda[k] * lambda[l]) / sn;
            ck_assert_msg(fabs(cov[k * dim + l] - want) < 4 * se, "cov[%zu][%zu] = %g want %g",
                          k, l, cov[k * dim + l], want);
        }
    }
}

START_TEST(gaussian_and_power_law_covariance)
{
    enum { D = 4, N = 20000 };
    static double x[N * D];
    double lambda[D];
    mech_ctx *c = ctx_seed(21);
    mech_data *g = NULL;
    ck_assert_ok(mech_data_create_generator(&g, c, MECH_INPUT_GAUSSIAN, D));
    ck_assert_ok(mech_data_set_f64(g, MECH_DATA_VARIANCE, 2.5));
    ck_assert_ok(mech_data_sample(g, N, x, NULL));
    for (int k = 0; k < D; k++) lambda[k] = 2.5;
    check_gaussian(x, N, D, lambda);
    mech_data_destroy(g);

    ck_assert_ok(mech_data_create_generator(&g, c, MECH_INPUT_POWER_LAW, D));
    ck_assert_ok(mech_data_set_f64(g, MECH_DATA_ALPHA, 1.5));
    ck_assert_ok(mech_data_sample(g, N, x, NULL));
    for (int k = 0; k < D; k++) lambda[k] = pow(k + 1.0, -1.5);
    check_gaussian(x, N, D, lambda);
    /* trace normalization: sum lambda = D */
    ck_assert_ok(mech_data_set_f64(g, MECH_DATA_TRACE, D));
    ck_assert_ok(mech_data_sample(g, N, x, NULL));
    double sum = 0;
    for (int k = 0; k < D; k++) sum += lambda[k];
    for (int k = 0; k < D; k++) lambda[k] *= D / sum;
    check_gaussian(x, N, D, lambda);
    mech_data_destroy(g);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(sphere_norms_are_exact)
{
    enum { D = 7, N = 200 };
    double x[N * D];
    mech_data *g = NULL;
    ck_assert_ok(mech_data_create_generator(&g, NULL, MECH_INPUT_SPHERE, D));
    for (int pass = 0; pass < 2; pass++) {
        double r = pass ? 3.0 : sqrt((double)D);
        if (pass) ck_assert_ok(mech_data_set_f64(g, MECH_DATA_RADIUS, 3.0));
        ck_assert_ok(mech_data_sample(g, N, x, NULL));
        double mean0 = 0;
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (int k = 0; k < D; k++) s += x[i * D + k] * x[i * D + k];
            ck_assert_close(sqrt(s), r, 1e-13); /* a few ulps of rounding */
            mean0 += x[i * D] / N;
        }
        /* coordinate mean: variance r²/D per coordinate */
        ck_assert(fabs(mean0) < 4 * r / sqrt((double)D * N));
    }
    mech_data_destroy(g);
}
END_TEST

static int sum_teacher(const double *x, size_t n, size_t in_dim, double *y, size_t out_dim,
                       void *ud)
{
    int *calls = ud;
    (*calls)++;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t k = 0; k < in_dim; k++) s += x[i * in_dim + k];
        for (size_t j = 0; j < out_dim; j++) y[i * out_dim + j] = s * (double)(j + 1);
    }
    return 0;
}

static int failing_teacher(const double *x, size_t n, size_t in_dim, double *y,
                           size_t out_dim, void *ud)
{
    return -1;
}

START_TEST(linear_and_callback_teachers)
{
    enum { D = 5, K = 2, N = 20000 };
    static double x[N * D], y[N * K];
    const double w[K * D] = {1, 2, 3, 4, 5, -1, 0, 0.5, 0, 2};
    mech_ctx *c = ctx_seed(8);
    mech_data *g = NULL;
    ck_assert_ok(mech_data_create_generator(&g, c, MECH_INPUT_GAUSSIAN, D));
    ck_assert_ok(mech_data_set_linear_teacher(g, w, K, 0.0));
    for (int scaled = 0; scaled < 2; scaled++) {
        ck_assert_ok(mech_data_set_i64(g, MECH_DATA_TEACHER_SCALE, scaled));
        ck_assert_ok(mech_data_sample(g, 50, x, y));
        double s = scaled ? 1.0 / sqrt((double)D) : 1.0;
        for (int i = 0; i < 50; i++)
            for (int j = 0; j < K; j++) {
                double want = 0;
                for (int k = 0; k < D; k++) want += w[j * D + k] * x[i * D + k];
                ck_assert_close(y[i * K + j], s * want, 1e-12);
            }
    }
    /* label noise: residuals have mean 0 and variance 0.5² within 4 SE */
    ck_assert_ok(mech_data_set_i64(g, MECH_DATA_TEACHER_SCALE, 0));
    ck_assert_ok(mech_data_set_linear_teacher(g, w, K, 0.5));
    ck_assert_ok(mech_data_sample(g, N, x, y));
    for (int j = 0; j < K; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++) {
            double r = y[i * K + j];
            for (int k = 0; k < D; k++) r -= w[j * D + k] * x[i * D + k];
            m += r / N;
            v += r * r / N;
        }
        ck_assert(fabs(m) < 4 * 0.5 / sqrt((double)N));
        ck_assert(fabs(v - 0.25) < 4 * 0.25 * sqrt(2.0 / N));
    }
    /* caller's teacher, through next_batch */
    int calls = 0;
    ck_assert_ok(mech_data_set_teacher(g, sum_teacher, &calls, 3, 0.0));
    size_t dout, cnt;
    ck_assert_ok(mech_data_out_dim(g, &dout));
    ck_assert_uint_eq(dout, 3);
    ck_assert_ok(mech_data_set_batch(g, 4, MECH_SAMPLE_WITH_REPLACEMENT));
    ck_assert_ok(mech_data_next_batch(g, x, y, &cnt));
    ck_assert_uint_eq(cnt, 4);
    ck_assert_int_eq(calls, 1);
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int k = 0; k < D; k++) s += x[i * D + k];
        ck_assert_close(y[i * 3 + 2], 3 * s, 1e-14);
    }
    ck_assert_fails_with(mech_data_next_batch(g, x, NULL, &cnt), MECH_EINVAL);
    ck_assert_ok(mech_data_set_teacher(g, failing_teacher, NULL, 1, 0.0));
    ck_assert_fails_with(mech_data_sample(g, 3, x, y), MECH_ECALLBACK);
    ck_assert_str_ne(mech_data_last_error(g), "");
    mech_data_destroy(g);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(materialize_and_generator_reproducibility)
{
    enum { D = 3, N = 40 };
    double a[N * D], b[N * D], ya[N], yb[N];
    const double w[D] = {1, 1, 1};
    mech_data *g1 = NULL, *g2 = NULL, *m = NULL;
    mech_ctx *c = ctx_seed(4);
    ck_assert_ok(mech_data_create_generator(&g1, c, MECH_INPUT_POWER_LAW, D));
    ck_assert_ok(mech_data_create_generator(&g2, c, MECH_INPUT_POWER_LAW, D));
    ck_assert_ok(mech_data_set_linear_teacher(g1, w, 1, 0.1));
    ck_assert_ok(mech_data_set_linear_teacher(g2, w, 1, 0.1));
    ck_assert_ok(mech_data_materialize(g1, N, &m));
    ck_assert_ok(mech_data_sample(g2, N, b, yb));
    size_t n;
    ck_assert_ok(mech_data_n(m, &n));
    ck_assert_uint_eq(n, N);
    ck_assert_ok(mech_data_get(m, 0, N, a, ya));
    ck_assert(memcmp(a, b, sizeof a) == 0 && memcmp(ya, yb, sizeof ya) == 0);
    /* the generator moved on: fresh samples differ from the materialized ones */
    ck_assert_ok(mech_data_sample(g1, N, b, yb));
    ck_assert(memcmp(a, b, sizeof a) != 0);
    /* another stream family gives other data, and unconfigures the sampler */
    ck_assert_ok(mech_data_set_batch(g2, 2, MECH_SAMPLE_WITH_REPLACEMENT));
    ck_assert_ok(mech_data_set_i64(g2, MECH_DATA_STREAM, 1));
    size_t cnt;
    ck_assert_fails_with(mech_data_next_batch(g2, b, yb, &cnt), MECH_ESTATE);
    ck_assert_ok(mech_data_sample(g2, N, b, yb));
    ck_assert(memcmp(a, b, sizeof a) != 0);
    /* sampler-less checkpoint of a generator replays mech_data_sample */
    uint64_t st[MECH_DATA_STATE_WORDS];
    ck_assert_ok(mech_data_get_state(g1, st, MECH_DATA_STATE_WORDS));
    ck_assert_ok(mech_data_sample(g1, N, a, ya));
    ck_assert_ok(mech_data_set_state(g1, st, MECH_DATA_STATE_WORDS));
    ck_assert_ok(mech_data_sample(g1, N, b, yb));
    ck_assert(memcmp(a, b, sizeof a) == 0 && memcmp(ya, yb, sizeof ya) == 0);
    ck_assert_ok(mech_data_set_batch(g1, 2, MECH_SAMPLE_WITH_REPLACEMENT));
    ck_assert_fails_with(mech_data_set_state(g1, st, MECH_DATA_STATE_WORDS), MECH_ESTATE);
    mech_data_destroy(m);
    mech_data_destroy(g1);
    mech_data_destroy(g2);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(mixture_balance_and_means)
{
    enum { C = 3, D = 4, N = 6000 };
    static double x[N * D], y[N * C];
    int64_t cls[N];
    double means[C * D];
    mech_ctx *c = ctx_seed(9);
    mech_data *g = NULL;
    ck_assert_ok(mech_data_create_mixture(&g, c, C, D, 2.0));
    ck_assert_ok(mech_data_get_means(g, means));
    for (int k = 0; k < C; k++) {
        double s = 0;
        for (int l = 0; l < D; l++) s += means[k * D + l] * means[k * D + l];
        ck_assert_close(sqrt(s), 2.0, 1e-14);
    }
    ck_assert_ok(mech_data_set_f64(g, MECH_DATA_VARIANCE, 0.25));
    for (int balanced = 0; balanced < 2; balanced++) {
        ck_assert_ok(mech_data_set_i64(g, MECH_DATA_BALANCED, balanced));
        ck_assert_ok(mech_data_sample(g, N, x, y));
        ck_assert_ok(mech_data_onehot_to_class(y, N, C, cls));
        double count[C] = {0}, sum[C * D] = {0};
        for (int i = 0; i < N; i++) {
            double rowsum = 0;
            for (int k = 0; k < C; k++) rowsum += y[i * C + k];
            ck_assert(rowsum == 1.0 && y[i * C + cls[i]] == 1.0);
            count[cls[i]]++;
            for (int l = 0; l < D; l++) sum[cls[i] * D + l] += x[i * D + l];
        }
        for (int k = 0; k < C; k++) {
            if (balanced) ck_assert(count[k] == N / C);
            /* multinomial count: SE sqrt(N p (1 - p)) */
            else ck_assert(fabs(count[k] - N / C) < 4 * sqrt(N * (1.0 / C) * (1 - 1.0 / C)));
            for (int l = 0; l < D; l++)
                ck_assert(fabs(sum[k * D + l] / count[k] - means[k * D + l]) <
                          4 * 0.5 / sqrt(count[k]));
        }
    }
    ck_assert_fails_with(mech_data_set_linear_teacher(g, means, 1, 0.0), MECH_ESTATE);
    mech_data_destroy(g);
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(modular_all_pairs)
{
    enum { P = 7 };
    static double x[P * P * 2 * P], y[P * P * P];
    int64_t cls[P * P];
    mech_data *d = NULL;
    ck_assert_ok(mech_data_create_modular(&d, NULL, P));
    size_t n, di, dout;
    ck_assert_ok(mech_data_n(d, &n));
    ck_assert_ok(mech_data_in_dim(d, &di));
    ck_assert_ok(mech_data_out_dim(d, &dout));
    ck_assert(n == P * P && di == 2 * P && dout == P);
    ck_assert_ok(mech_data_get(d, 0, n, x, y));
    ck_assert_ok(mech_data_onehot_to_class(y, n, P, cls));
    int pair_seen[P][P] = {{0}};
    for (size_t i = 0; i < n; i++) {
        int a = -1, b = -1, ones = 0;
        for (int k = 0; k < 2 * P; k++) {
            if (x[i * 2 * P + k] == 1.0) {
                ones++;
                if (k < P) a = k;
                else b = k - P;
            } else {
                ck_assert(x[i * 2 * P + k] == 0.0);
            }
        }
        ck_assert(ones == 2 && a >= 0 && b >= 0);
        pair_seen[a][b]++;
        ck_assert_int_eq(cls[i], (a + b) % P);
    }
    for (int a = 0; a < P; a++)
        for (int b = 0; b < P; b++) ck_assert_int_eq(pair_seen[a][b], 1);
    mech_data_destroy(d);
    ck_assert_fails_with(mech_data_create_modular(&d, NULL, 1), MECH_ERANGE);
    ck_assert_fails_with(mech_data_create_modular(&d, NULL, SIZE_MAX / 2), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_data_create_modular(NULL, NULL, 3), MECH_EINVAL);
}
END_TEST

/* ---------------- .npy ---------------- */

static char tmpdir[256];

static void npy_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* Writes a .npy file: magic, version, header dict padded with spaces to a
 * multiple of 64 bytes and ending in '\n', then `len` data bytes. */
static void write_npy(const char *name, int version, const char *dict, const void *data,
                      size_t len)
{
    char path[512];
    npy_path(path, sizeof path, name);
    size_t pre = version == 1 ? 10 : 12, dl = strlen(dict);
    size_t total = (pre + dl + 1 + 63) / 64 * 64;
    size_t hl = total - pre;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char head[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)version, 0};
    for (int i = 0; i < (version == 1 ? 2 : 4); i++) head[8 + i] = (unsigned char)(hl >> (8 * i));
    fwrite(head, 1, pre, f);
    fwrite(dict, 1, dl, f);
    for (size_t i = dl; i + 1 < hl; i++) fputc(' ', f);
    fputc('\n', f);
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

/* Writes raw bytes (for hand-crafted corrupt files). */
static void write_raw(const char *name, const void *data, size_t len)
{
    char path[512];
    npy_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(data, 1, len, f);
    fclose(f);
}

static mech_status load(const char *xn, const char *yn, mech_data **d)
{
    char xp[512], yp[512];
    npy_path(xp, sizeof xp, xn);
    if (yn) npy_path(yp, sizeof yp, yn);
    return mech_data_load_npy(d, NULL, xp, yn ? yp : NULL);
}

static void setup_tmp(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/mech_data_XXXXXX", base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Removes the files the npy tests write, then the directory. */
static void cleanup_tmp(void)
{
    static const char *names[] = {"xd.npy", "xf.npy", "xF.npy", "yl.npy", "yi.npy",
                                  "bad.npy", "good.npy", "y2.npy", "ynan.npy"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        npy_path(path, sizeof path, names[i]);
        remove(path);
    }
    ck_assert_int_eq(rmdir(tmpdir), 0);
}

START_TEST(npy_round_trips)
{
    setup_tmp();
    /* test host is little-endian (x86-64/aarch64), so native bytes are '<' */
    const double xd[6] = {1.5, -2, 3, 4.25, 5, 6e300};
    const float xf[6] = {1.5f, -2, 3, 4.25f, 5, 6};
    const int64_t yl[3] = {-7, 0, INT64_C(1) << 40};
    const int32_t yi[3] = {1, -2, 3};
    write_npy("xd.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", xd,
              sizeof xd);
    write_npy("xf.npy", 2, "{\"shape\": (3,2), \"descr\": \"<f4\", \"fortran_order\": False}",
              xf, sizeof xf);
    /* Fortran order: column-major bytes of the same 3 x 2 matrix */
    const double xcol[6] = {1.5, 3, 5, -2, 4.25, 6e300};
    write_npy("xF.npy", 3, "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2)}", xcol,
              sizeof xcol);
    write_npy("yl.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", yl,
              sizeof yl);
    write_npy("yi.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 1), }", yi,
              sizeof yi);
    const char *xs[3] = {"xd.npy", "xf.npy", "xF.npy"};
    for (int t = 0; t < 3; t++) {
        mech_data *d = NULL;
        ck_assert_ok(load(xs[t], t == 1 ? "yi.npy" : "yl.npy", &d));
        double gx[6], gy[3];
        size_t n, di, dout;
        ck_assert_ok(mech_data_n(d, &n));
        ck_assert_ok(mech_data_in_dim(d, &di));
        ck_assert_ok(mech_data_out_dim(d, &dout));
        ck_assert(n == 3 && di == 2 && dout == 1);
        ck_assert_ok(mech_data_get(d, 0, 3, gx, gy));
        for (int i = 0; i < 6; i++) ck_assert(gx[i] == (t == 1 ? (double)xf[i] : xd[i]));
        for (int i = 0; i < 3; i++) ck_assert(gy[i] == (t == 1 ? (double)yi[i] : (double)yl[i]));
        mech_data_destroy(d);
    }
    mech_data *d = NULL;
    ck_assert_ok(load("xd.npy", NULL, &d)); /* unlabelled */
    size_t dout = 9;
    ck_assert_ok(mech_data_out_dim(d, &dout));
    ck_assert_uint_eq(dout, 0);
    mech_data_destroy(d);
    cleanup_tmp();
}
END_TEST

START_TEST(npy_bad_files)
{
    setup_tmp();
    const double v[6] = {1, 2, 3, 4, 5, 6};
    const char *ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
    mech_data *d = NULL;
    struct { const char *dict; mech_status want; } cases[] = {
        {"{'descr': '<f8', 'fortran_order': False}", MECH_EFORMAT},            /* no shape */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'x': 1}", MECH_EFORMAT},
        {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", MECH_EFORMAT},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (3, 2)}", MECH_EFORMAT},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, -2)}", MECH_EFORMAT},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2}", MECH_EFORMAT},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (3, 2)}", MECH_EFORMAT},
        {"['descr', '<f8']", MECH_EFORMAT},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2)} extra", MECH_EFORMAT},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2)}",
         MECH_EFORMAT},                                                          /* overflow */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)}", MECH_EFORMAT}, /* trailing */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2)}", MECH_EFORMAT}, /* short */
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (3, 2)}", MECH_EUNSUPPORTED},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (3, 1)}", MECH_EUNSUPPORTED},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 1, 2)}", MECH_EUNSUPPORTED},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': ()}", MECH_EUNSUPPORTED},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2)}", MECH_ESHAPE},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        write_npy("bad.npy", 1, cases[t].dict, v, cases[t].want == MECH_ESHAPE ? 0 : sizeof v);
        ck_assert_fails_with(load("bad.npy", NULL, &d), cases[t].want);
        ck_assert_ptr_null(d);
    }
    /* raw corruption: bad magic, unknown version, header longer than file,
     * header without its newline, file shorter than the preamble */
    unsigned char raw[256];
    write_npy("good.npy", 1, ok, v, sizeof v);
    char gp[512];
    npy_path(gp, sizeof gp, "good.npy");
    FILE *f = fopen(gp, "rb");
    size_t glen = fread(raw, 1, sizeof raw, f);
    fclose(f);
    ck_assert_uint_eq(glen, 128 + sizeof v); /* 71-byte header padded to 128 */
    unsigned char m[256];
    memcpy(m, raw, glen); m[1] = 'X';
    write_raw("bad.npy", m, glen);
    ck_assert_fails_with(load("bad.npy", NULL, &d), MECH_EFORMAT);
    memcpy(m, raw, glen); m[6] = 9;
    write_raw("bad.npy", m, glen);
    ck_assert_fails_with(load("bad.npy", NULL, &d), MECH_EFORMAT);
    memcpy(m, raw, glen); m[8] = 0xff; m[9] = 0x7f;
    write_raw("bad.npy", m, glen);
    ck_assert_fails_with(load("bad.npy", NULL, &d), MECH_EFORMAT);
    memcpy(m, raw, glen); m[127] = ' ';
    write_raw("bad.npy", m, glen);
    ck_assert_fails_with(load("bad.npy", NULL, &d), MECH_EFORMAT);
    for (size_t cut = 0; cut < glen; cut += 7) { /* every truncation fails cleanly */
        write_raw("bad.npy", raw, cut);
        ck_assert_fails_with(load("bad.npy", NULL, &d), MECH_EFORMAT);
    }
    /* labels: row mismatch, NaN */
    write_npy("y2.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", v,
              2 * sizeof(double));
    ck_assert_fails_with(load("good.npy", "y2.npy", &d), MECH_ESHAPE);
    const double nan3[3] = {0, NAN, 1};
    write_npy("ynan.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", nan3,
              sizeof nan3);
    ck_assert_fails_with(load("good.npy", "ynan.npy", &d), MECH_ENONFINITE);
    ck_assert_fails_with(load("missing.npy", NULL, &d), MECH_EIO);
    ck_assert_fails_with(mech_data_load_npy(NULL, NULL, gp, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_load_npy(&d, NULL, NULL, NULL), MECH_EINVAL);
    cleanup_tmp();
}
END_TEST

/* ---------------- bad input ---------------- */

START_TEST(bad_input_everywhere)
{
    double x[8] = {0}, y[4] = {0}, nanx[2] = {0, NAN};
    mech_data *d = NULL, *g = NULL, *a = NULL, *b = NULL;
    size_t sz;
    bool flag;
    uint64_t u, w[MECH_DATA_STATE_WORDS];
    int64_t i64;
    double f;

    ck_assert_fails_with(mech_data_create_arrays(NULL, NULL, x, y, 4, 2, 1, MECH_COPY), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, NULL, y, 4, 2, 1, MECH_COPY), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, x, NULL, 4, 2, 1, MECH_COPY), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, x, y, 4, 2, 0, MECH_COPY), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, x, y, 0, 2, 1, MECH_COPY), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, x, y, 4, 0, 1, MECH_COPY), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, x, y, 4, 2, 1, (mech_ownership)7), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, x, y, SIZE_MAX, 2, 1, MECH_COPY), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_data_create_arrays(&d, NULL, nanx, y, 1, 2, 1, MECH_BORROW), MECH_ENONFINITE);
    ck_assert_ptr_null(d);
    ck_assert_ok(mech_data_create_arrays(&d, NULL, x, y, 4, 2, 1, MECH_COPY));

    ck_assert_fails_with(mech_data_n(NULL, &sz), MECH_EINVAL);
    ck_assert_fails_with(mech_data_n(d, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_in_dim(NULL, &sz), MECH_EINVAL);
    ck_assert_fails_with(mech_data_in_dim(d, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_out_dim(NULL, &sz), MECH_EINVAL);
    ck_assert_fails_with(mech_data_out_dim(d, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_is_generator(NULL, &flag), MECH_EINVAL);
    ck_assert_fails_with(mech_data_is_generator(d, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get(NULL, 0, 1, x, y), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get(d, 0, 1, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get(d, 3, 2, x, y), MECH_ERANGE);
    ck_assert_fails_with(mech_data_get(d, SIZE_MAX, 2, x, y), MECH_ERANGE);
    ck_assert_str_ne(mech_data_last_error(d), "");
    ck_assert_str_eq(mech_data_last_error(NULL), "");

    ck_assert_fails_with(mech_data_split(NULL, 0.5, true, &a, &b), MECH_EINVAL);
    ck_assert_fails_with(mech_data_split(d, 0.5, true, NULL, &b), MECH_EINVAL);
    ck_assert_fails_with(mech_data_split(d, 0.5, true, &a, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_split(d, 0.0, true, &a, &b), MECH_ERANGE);
    ck_assert_fails_with(mech_data_split(d, 1.0, true, &a, &b), MECH_ERANGE);
    ck_assert_fails_with(mech_data_split(d, 0.01, true, &a, &b), MECH_ERANGE);
    ck_assert_fails_with(mech_data_split(d, NAN, true, &a, &b), MECH_ENONFINITE);
    ck_assert(a == NULL && b == NULL);

    ck_assert_fails_with(mech_data_set_batch(NULL, 1, MECH_SAMPLE_FULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_batch(d, 1, (mech_sampling)9), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_batch(d, 0, MECH_SAMPLE_WITH_REPLACEMENT), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_batch(d, 5, MECH_SAMPLE_WITHOUT_REPLACEMENT), MECH_ERANGE);
    ck_assert_fails_with(mech_data_next_batch(d, x, y, &sz), MECH_ESTATE);
    ck_assert_fails_with(mech_data_next_batch(NULL, x, y, &sz), MECH_EINVAL);
    ck_assert_ok(mech_data_set_batch(d, 2, MECH_SAMPLE_WITHOUT_REPLACEMENT));
    ck_assert_fails_with(mech_data_next_batch(d, NULL, y, &sz), MECH_EINVAL);
    ck_assert_fails_with(mech_data_next_batch(d, x, y, NULL), MECH_EINVAL);
    ck_assert_ok(mech_data_next_batch(d, x, NULL, &sz)); /* labels skipped */
    ck_assert_fails_with(mech_data_epoch(NULL, &u), MECH_EINVAL);
    ck_assert_fails_with(mech_data_epoch(d, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_examples_seen(NULL, &u), MECH_EINVAL);
    ck_assert_fails_with(mech_data_examples_seen(d, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_state(NULL, w, MECH_DATA_STATE_WORDS), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_state(d, NULL, MECH_DATA_STATE_WORDS), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_state(d, w, MECH_DATA_STATE_WORDS - 1), MECH_ESHAPE);
    ck_assert_ok(mech_data_get_state(d, w, MECH_DATA_STATE_WORDS));
    ck_assert_fails_with(mech_data_set_state(NULL, w, MECH_DATA_STATE_WORDS), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_state(d, NULL, MECH_DATA_STATE_WORDS), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_state(d, w, 2), MECH_ESHAPE);
    w[5] = 4; /* cursor at n is never a saved position */
    ck_assert_fails_with(mech_data_set_state(d, w, MECH_DATA_STATE_WORDS), MECH_EFORMAT);

    ck_assert_fails_with(mech_data_sample(d, 1, x, y), MECH_ESTATE);
    ck_assert_fails_with(mech_data_materialize(d, 1, &a), MECH_ESTATE);
    ck_assert_fails_with(mech_data_set_teacher(d, sum_teacher, NULL, 1, 0), MECH_ESTATE);
    ck_assert_fails_with(mech_data_get_means(d, x), MECH_ESTATE);

    /* options */
    ck_assert_fails_with(mech_data_set_f64(NULL, MECH_DATA_ALPHA, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_f64(d, MECH_DATA_ALPHA, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_data_set_f64(d, MECH_DATA_VARIANCE, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_data_set_f64(d, MECH_DATA_STREAM, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_i64(NULL, MECH_DATA_STREAM, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_i64(d, MECH_DATA_BALANCED, 2), MECH_ERANGE);
    ck_assert_fails_with(mech_data_set_i64(d, (mech_data_opt)99, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_i64(NULL, MECH_DATA_STREAM, &i64), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_i64(d, MECH_DATA_STREAM, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_f64(NULL, MECH_DATA_ALPHA, &f), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_f64(d, MECH_DATA_STREAM, &f), MECH_EINVAL);
    ck_assert_ok(mech_data_get_f64(d, MECH_DATA_ALPHA, &f));
    ck_assert(f == 1.0);
    int key = -1;
    ck_assert_ok(mech_option_lookup(MECH_KIND_DATA, "teacher_scale", &key));
    ck_assert_int_eq(key, MECH_DATA_TEACHER_SCALE);
    /* the handle still works */
    ck_assert_ok(mech_data_next_batch(d, x, y, &sz));
    ck_assert_uint_eq(sz, 2);

    /* generators */
    ck_assert_fails_with(mech_data_create_generator(NULL, NULL, MECH_INPUT_GAUSSIAN, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_generator(&g, NULL, (mech_input_kind)5, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_generator(&g, NULL, MECH_INPUT_GAUSSIAN, 0), MECH_EINVAL);
    ck_assert_ok(mech_data_create_generator(&g, NULL, MECH_INPUT_GAUSSIAN, 2));
    ck_assert_fails_with(mech_data_get(g, 0, 1, x, y), MECH_ESTATE);
    ck_assert_fails_with(mech_data_split(g, 0.5, false, &a, &b), MECH_ESTATE);
    ck_assert_fails_with(mech_data_set_batch(g, 0, MECH_SAMPLE_FULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_teacher(NULL, sum_teacher, NULL, 1, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_teacher(g, NULL, NULL, 1, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_teacher(g, sum_teacher, NULL, 0, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_teacher(g, sum_teacher, NULL, 1, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_data_set_teacher(g, sum_teacher, NULL, 1, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_data_set_linear_teacher(NULL, x, 1, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_linear_teacher(g, NULL, 1, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_linear_teacher(g, x, 0, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_data_set_linear_teacher(g, nanx, 1, 0), MECH_ENONFINITE);
    ck_assert_fails_with(mech_data_set_linear_teacher(g, x, SIZE_MAX, 0), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_data_sample(NULL, 1, x, y), MECH_EINVAL);
    ck_assert_fails_with(mech_data_sample(g, 1, NULL, y), MECH_EINVAL);
    ck_assert_fails_with(mech_data_sample(g, 0, x, y), MECH_EINVAL);
    ck_assert_fails_with(mech_data_materialize(NULL, 1, &a), MECH_EINVAL);
    ck_assert_fails_with(mech_data_materialize(g, 1, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_materialize(g, 0, &a), MECH_EINVAL);
    ck_assert_fails_with(mech_data_materialize(g, SIZE_MAX, &a), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_data_get_means(NULL, x), MECH_EINVAL);
    ck_assert_fails_with(mech_data_get_means(g, NULL), MECH_EINVAL);
    ck_assert_ok(mech_data_sample(g, 2, x, NULL)); /* unlabelled generator */
    mech_data_destroy(g);

    ck_assert_fails_with(mech_data_create_mixture(NULL, NULL, 2, 2, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_mixture(&g, NULL, 1, 2, 1), MECH_ERANGE);
    ck_assert_fails_with(mech_data_create_mixture(&g, NULL, 2, 0, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_data_create_mixture(&g, NULL, 2, 2, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_data_create_mixture(&g, NULL, 2, 2, INFINITY), MECH_ENONFINITE);
    ck_assert_fails_with(mech_data_create_mixture(&g, NULL, SIZE_MAX, 2, 1), MECH_EOVERFLOW);
    int64_t cls[2];
    ck_assert_fails_with(mech_data_onehot_to_class(NULL, 2, 2, cls), MECH_EINVAL);
    ck_assert_fails_with(mech_data_onehot_to_class(y, 2, 2, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_data_onehot_to_class(y, 0, 2, cls), MECH_EINVAL);
    ck_assert_fails_with(mech_data_onehot_to_class(y, 2, 0, cls), MECH_EINVAL);
    ck_assert_fails_with(mech_data_onehot_to_class(nanx, 1, 2, cls), MECH_ENONFINITE);
    mech_data_destroy(d);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ownership_copy_and_borrow);
    tcase_add_test(tc, split_sizes_disjoint_reproducible);
    tcase_add_test(tc, without_replacement_drop_visits_each_once);
    tcase_add_test(tc, without_replacement_wrap_is_a_stream_of_permutations);
    tcase_add_test(tc, with_replacement_is_uniform);
    tcase_add_test(tc, full_batch_in_order);
    tcase_add_test(tc, batches_reproduce_per_seed);
    tcase_add_test(tc, state_restore_replays_batches);
    tcase_add_test(tc, gaussian_and_power_law_covariance);
    tcase_add_test(tc, sphere_norms_are_exact);
    tcase_add_test(tc, linear_and_callback_teachers);
    tcase_add_test(tc, materialize_and_generator_reproducibility);
    tcase_add_test(tc, mixture_balance_and_means);
    tcase_add_test(tc, modular_all_pairs);
    tcase_add_test(tc, npy_round_trips);
    tcase_add_test(tc, npy_bad_files);
    tcase_add_test(tc, bad_input_everywhere);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(data_suite()); }
