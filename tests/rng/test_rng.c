/* rng: Philox4x32-10 known answers, the documented (seed, stream, position)
 * mapping, reproducibility, splitting, checkpoint replay, distribution
 * moments and Kolmogorov-Smirnov tests, and bad input. */
#include <stdint.h>

#include "harness.h"

/* Statistical checks use fixed seeds and sit at 4 standard errors; the KS
 * bound 1.95 on D sqrt(n) is the asymptotic 0.1% critical value. */
#define NSTAT 100000
#define KS_CRIT 1.95

static mech_rng *seeded(uint64_t seed, uint64_t stream)
{
    mech_rng *r = NULL;
    ck_assert_ok(mech_rng_create_seeded(&r, seed, stream));
    return r;
}

START_TEST(philox_known_answers)
{
    /* Random123 kat_vectors for philox4x32_10: counter words, key words,
     * expected output. */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
         0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int t = 0; t < 3; t++) {
        uint32_t out[4];
        ck_assert_ok(mech_rng_philox4x32_10(kat[t], kat[t] + 4, out));
        for (int i = 0; i < 4; i++) ck_assert_uint_eq(out[i], kat[t][6 + i]);
    }
    /* The generator itself: seed 0, stream 0, position 0 is the first KAT. */
    mech_rng *r = seeded(0, 0);
    uint32_t w[4];
    ck_assert_ok(mech_rng_u32(r, w, 4));
    for (int i = 0; i < 4; i++) ck_assert_uint_eq(w[i], kat[0][6 + i]);
    mech_rng_destroy(r);
}
END_TEST

START_TEST(generator_follows_documented_mapping)
{
    const uint64_t seed = UINT64_C(0x0123456789abcdef);
    const uint64_t stream = UINT64_C(0xfedcba9876543210);
    const uint64_t block = UINT64_C(0x100000005); /* exercises the high word */
    mech_rng *r = seeded(seed, stream);
    ck_assert_ok(mech_rng_set_position(r, block * 4 + 2));
    uint32_t got[6];
    ck_assert_ok(mech_rng_u32(r, got, 6));
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t want[8];
    for (uint64_t b = 0; b < 2; b++) {
        uint64_t c = block + b;
        const uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), (uint32_t)stream,
                                 (uint32_t)(stream >> 32)};
        ck_assert_ok(mech_rng_philox4x32_10(ctr, key, want + 4 * b));
    }
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(got[i], want[2 + i]);
    uint64_t pos = 0;
    ck_assert_ok(mech_rng_get_position(r, &pos));
    ck_assert_uint_eq(pos, block * 4 + 8);

    /* uniform and uniform_f32 words as documented */
    ck_assert_ok(mech_rng_set_position(r, block * 4 + 2));
    double u;
    float f;
    ck_assert_ok(mech_rng_uniform(r, &u, 1));
    ck_assert(u == (double)((((uint64_t)want[2] << 32) | want[3]) >> 11) * 0x1p-53);
    ck_assert_ok(mech_rng_uniform_f32(r, &f, 1));
    ck_assert(f == (float)(want[4] >> 8) * 0x1p-24f);
    mech_rng_destroy(r);
}
END_TEST

START_TEST(same_seed_is_bitwise_reproducible)
{
    mech_rng *a = seeded(42, 7), *b = seeded(42, 7), *c = seeded(43, 7), *d = seeded(42, 8);
    double xa[64], xb[64], xc[64], xd[64];
    ck_assert_ok(mech_rng_uniform(a, xa, 64));
    ck_assert_ok(mech_rng_uniform(b, xb, 64));
    ck_assert_ok(mech_rng_uniform(c, xc, 64));
    ck_assert_ok(mech_rng_uniform(d, xd, 64));
    ck_assert_int_eq(memcmp(xa, xb, sizeof xa), 0);
    ck_assert_int_ne(memcmp(xa, xc, sizeof xa), 0);
    ck_assert_int_ne(memcmp(xa, xd, sizeof xa), 0);
    ck_assert_ok(mech_rng_normal(a, xa, 33, 1.0, 2.0));
    ck_assert_ok(mech_rng_normal(b, xb, 33, 1.0, 2.0));
    ck_assert_int_eq(memcmp(xa, xb, 33 * sizeof xa[0]), 0);

    /* the context's seed is the generator's seed */
    mech_ctx *ctx = NULL;
    ck_assert_ok(mech_ctx_create(&ctx));
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, 42));
    mech_rng *e = NULL;
    ck_assert_ok(mech_rng_create(&e, ctx, 7));
    uint64_t seed = 0, stream = 0;
    ck_assert_ok(mech_rng_identity(e, &seed, &stream));
    ck_assert_uint_eq(seed, 42);
    ck_assert_uint_eq(stream, 7);
    mech_rng *z = NULL;
    ck_assert_ok(mech_rng_create(&z, NULL, 0));
    ck_assert_ok(mech_rng_identity(z, &seed, &stream));
    ck_assert_uint_eq(seed, 0);
    mech_rng_destroy(z);
    mech_rng_destroy(e);
    mech_ctx_destroy(ctx);
    mech_rng_destroy(a);
    mech_rng_destroy(b);
    mech_rng_destroy(c);
    mech_rng_destroy(d);
}
END_TEST

START_TEST(split_streams_differ_and_reproduce)
{
    mech_rng *p = seeded(5, 11), *q = seeded(5, 12);
    ck_assert_ok(mech_rng_set_position(p, 3));
    mech_rng *c0 = NULL, *c1 = NULL, *c0b = NULL, *qc0 = NULL;
    ck_assert_ok(mech_rng_split(p, 0, &c0));
    ck_assert_ok(mech_rng_split(p, 1, &c1));
    ck_assert_ok(mech_rng_split(p, 0, &c0b));
    ck_assert_ok(mech_rng_split(q, 0, &qc0));
    uint64_t pos = 0, s0, s1, s0b, sq, seed;
    ck_assert_ok(mech_rng_get_position(p, &pos));
    ck_assert_uint_eq(pos, 3); /* parent not advanced */
    ck_assert_ok(mech_rng_identity(c0, &seed, &s0));
    ck_assert_uint_eq(seed, 5);
    ck_assert_ok(mech_rng_identity(c1, &seed, &s1));
    ck_assert_ok(mech_rng_identity(c0b, &seed, &s0b));
    ck_assert_ok(mech_rng_identity(qc0, &seed, &sq));
    ck_assert_uint_eq(s0, s0b);
    ck_assert_uint_ne(s0, s1);
    ck_assert_uint_ne(s0, sq);
    ck_assert_uint_ne(s0, 11);
    ck_assert_ok(mech_rng_get_position(c0, &pos));
    ck_assert_uint_eq(pos, 0);

    /* siblings are uncorrelated: |r| < 4 / sqrt(n) */
    enum { N = 20000 };
    static double x[N], y[N];
    ck_assert_ok(mech_rng_normal(c0, x, N, 0, 1));
    ck_assert_ok(mech_rng_normal(c1, y, N, 0, 1));
    double sxy = 0;
    for (int i = 0; i < N; i++) sxy += x[i] * y[i];
    ck_assert_double_lt(fabs(sxy / N), 4.0 / sqrt(N));
    ck_assert_ok(mech_rng_normal(c0b, y, N, 0, 1));
    ck_assert_int_eq(memcmp(x, y, sizeof x), 0);

    /* many children of one parent and of neighbouring parents: no equal streams */
    enum { K = 64 };
    uint64_t st[2 * K];
    for (int k = 0; k < 2 * K; k++) {
        mech_rng *c = NULL;
        ck_assert_ok(mech_rng_split(k < K ? p : q, (uint64_t)(k % K), &c));
        ck_assert_ok(mech_rng_identity(c, &seed, &st[k]));
        mech_rng_destroy(c);
    }
    for (int i = 0; i < 2 * K; i++)
        for (int j = i + 1; j < 2 * K; j++) ck_assert_uint_ne(st[i], st[j]);
    mech_rng_destroy(p);
    mech_rng_destroy(q);
    mech_rng_destroy(c0);
    mech_rng_destroy(c1);
    mech_rng_destroy(c0b);
    mech_rng_destroy(qc0);
}
END_TEST

START_TEST(position_replays_exactly)
{
    mech_rng *r = seeded(99, 1);
    uint32_t w[3];
    ck_assert_ok(mech_rng_u32(r, w, 3)); /* leave a partly used block */
    uint64_t pos = 0;
    ck_assert_ok(mech_rng_get_position(r, &pos));
    ck_assert_uint_eq(pos, 3);
    double a[9], b[9];
    uint64_t k1, k2;
    float f1[5], f2[5];
    ck_assert_ok(mech_rng_uniform(r, a, 9));
    ck_assert_ok(mech_rng_below(r, 1000, &k1));
    ck_assert_ok(mech_rng_normal_f32(r, f1, 5, 0.f, 1.f));
    ck_assert_ok(mech_rng_set_position(r, pos));
    ck_assert_ok(mech_rng_uniform(r, b, 9));
    ck_assert_ok(mech_rng_below(r, 1000, &k2));
    ck_assert_ok(mech_rng_normal_f32(r, f2, 5, 0.f, 1.f));
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    ck_assert_uint_eq(k1, k2);
    ck_assert_int_eq(memcmp(f1, f2, sizeof f1), 0);

    /* a fresh generator set to the same position draws the same */
    mech_rng *s = seeded(99, 1);
    ck_assert_ok(mech_rng_set_position(s, pos));
    ck_assert_ok(mech_rng_uniform(s, b, 9));
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    /* and n == 0 draws nothing */
    ck_assert_ok(mech_rng_get_position(s, &pos));
    ck_assert_ok(mech_rng_uniform(s, NULL, 0));
    ck_assert_ok(mech_rng_normal(s, NULL, 0, 0, 1));
    uint64_t pos2 = 0;
    ck_assert_ok(mech_rng_get_position(s, &pos2));
    ck_assert_uint_eq(pos, pos2);
    mech_rng_destroy(r);
    mech_rng_destroy(s);
}
END_TEST

START_TEST(stream_end_fails_before_drawing)
{
    mech_rng *r = seeded(1, 1);
    uint32_t w;
    double u;
    ck_assert_ok(mech_rng_set_position(r, UINT64_MAX - 1));
    ck_assert_fails_with(mech_rng_uniform(r, &u, 1), MECH_ERANGE);
    ck_assert_ok(mech_rng_u32(r, &w, 1));
    ck_assert_fails_with(mech_rng_u32(r, &w, 1), MECH_ERANGE);
    ck_assert_str_ne(mech_rng_last_error(r), "");
    uint64_t pos = 0;
    ck_assert_ok(mech_rng_get_position(r, &pos));
    ck_assert_uint_eq(pos, UINT64_MAX);
    mech_rng_destroy(r);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sup |F_n - F| * sqrt(n) over sorted x, for a continuous cdf F. */
static double ks_stat(double *x, size_t n, double (*cdf)(double))
{
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = cdf(x[i]);
        d = fmax(d, fmax((double)(i + 1) / n - f, f - (double)i / n));
    }
    return d * sqrt((double)n);
}

static double cdf_uniform(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
static double cdf_normal(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* Central moments of x: mean, variance, skewness, excess kurtosis. */
static void moments(const double *x, size_t n, double m[4])
{
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= n;
    double m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean, d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    m[0] = mean;
    m[1] = m2;
    m[2] = m3 / pow(m2, 1.5);
    m[3] = m4 / (m2 * m2) - 3;
}

START_TEST(uniform_moments_and_ks)
{
    static double x[NSTAT];
    static float f[NSTAT];
    mech_rng *r = seeded(2024, 3);
    ck_assert_ok(mech_rng_uniform(r, x, NSTAT));
    for (size_t i = 0; i < NSTAT; i++) ck_assert(x[i] >= 0 && x[i] < 1);
    double m[4];
    moments(x, NSTAT, m);
    /* U(0,1): mean 1/2 (sd 1/sqrt 12), variance 1/12 (sd of (u-1/2)^2 is
     * sqrt(1/80 - 1/144) = sqrt(1/180)), skewness 0, excess kurtosis -6/5. */
    const double n = NSTAT;
    ck_assert_double_lt(fabs(m[0] - 0.5), 4 * sqrt(1.0 / 12 / n));
    ck_assert_double_lt(fabs(m[1] - 1.0 / 12), 4 * sqrt(1.0 / 180 / n));
    ck_assert_double_lt(fabs(m[2]), 4 * sqrt(6 / n));
    ck_assert_double_lt(fabs(m[3] + 1.2), 4 * sqrt(24 / n));
    ck_assert_double_lt(ks_stat(x, NSTAT, cdf_uniform), KS_CRIT);

    ck_assert_ok(mech_rng_uniform_f32(r, f, NSTAT));
    for (size_t i = 0; i < NSTAT; i++) {
        ck_assert(f[i] >= 0 && f[i] < 1);
        x[i] = f[i];
    }
    ck_assert_double_lt(ks_stat(x, NSTAT, cdf_uniform), KS_CRIT);
    mech_rng_destroy(r);
}
END_TEST

START_TEST(normal_moments_and_ks)
{
    static double x[NSTAT];
    static float f[NSTAT];
    mech_rng *r = seeded(7, 77);
    const double mu = 3.0, sd = 2.0, n = NSTAT;
    ck_assert_ok(mech_rng_normal(r, x, NSTAT, mu, sd));
    double m[4];
    moments(x, NSTAT, m);
    /* N(mu, sd^2): standard errors sd/sqrt n, sd^2 sqrt(2/n), sqrt(6/n),
     * sqrt(24/n). */
    ck_assert_double_lt(fabs(m[0] - mu), 4 * sd / sqrt(n));
    ck_assert_double_lt(fabs(m[1] - sd * sd), 4 * sd * sd * sqrt(2 / n));
    ck_assert_double_lt(fabs(m[2]), 4 * sqrt(6 / n));
    ck_assert_double_lt(fabs(m[3]), 4 * sqrt(24 / n));
    for (size_t i = 0; i < NSTAT; i++) x[i] = (x[i] - mu) / sd;
    ck_assert_double_lt(ks_stat(x, NSTAT, cdf_normal), KS_CRIT);

    ck_assert_ok(mech_rng_normal_f32(r, f, NSTAT, -1.f, 0.5f));
    for (size_t i = 0; i < NSTAT; i++) x[i] = ((double)f[i] + 1.0) / 0.5;
    ck_assert_double_lt(ks_stat(x, NSTAT, cdf_normal), KS_CRIT);

    /* sd == 0 gives the mean exactly */
    ck_assert_ok(mech_rng_normal(r, x, 3, 1.5, 0.0));
    ck_assert(x[0] == 1.5 && x[2] == 1.5);
    mech_rng_destroy(r);
}
END_TEST

START_TEST(below_is_uniform)
{
    mech_rng *r = seeded(11, 0);
    enum { B = 10, N = 100000 };
    long count[B] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t k = B;
        ck_assert_ok(mech_rng_below(r, B, &k));
        ck_assert_uint_lt(k, B);
        count[k]++;
    }
    /* chi-square with 9 degrees of freedom: 27.88 is its 0.1% critical value */
    double chi2 = 0, e = (double)N / B;
    for (int b = 0; b < B; b++) chi2 += (count[b] - e) * (count[b] - e) / e;
    ck_assert_double_lt(chi2, 27.88);

    uint64_t k = 5;
    ck_assert_ok(mech_rng_below(r, 1, &k));
    ck_assert_uint_eq(k, 0);
    /* bound 3 * 2^62: plain x % bound would put half the mass below 2^62,
     * the unbiased draw a third. 900 draws: 300 +- 4 * sqrt(900 * 2/9). */
    const uint64_t big = UINT64_C(3) << 62;
    int low = 0;
    for (int i = 0; i < 900; i++) {
        ck_assert_ok(mech_rng_below(r, big, &k));
        ck_assert_uint_lt(k, big);
        low += k < (UINT64_C(1) << 62);
    }
    ck_assert_int_gt(low, 300 - 57);
    ck_assert_int_lt(low, 300 + 57);
    mech_rng_destroy(r);
}
END_TEST

START_TEST(bad_input)
{
    mech_rng *r = seeded(1, 2);
    mech_rng *c = NULL;
    uint32_t w[4];
    double d[2];
    float f[2];
    uint64_t k = 0, s = 0;
    ck_assert_fails_with(mech_rng_create(NULL, NULL, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_create_seeded(NULL, 0, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_split(NULL, 0, &c), MECH_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_fails_with(mech_rng_split(r, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_u32(NULL, w, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_u32(r, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_uniform(NULL, d, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_uniform(r, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_uniform_f32(NULL, f, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_uniform_f32(r, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_normal(NULL, d, 1, 0, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_normal(r, NULL, 1, 0, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_normal(r, d, 1, 0, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_rng_normal(r, d, 1, 0, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_rng_normal(r, d, 1, INFINITY, 1), MECH_ENONFINITE);
    ck_assert_fails_with(mech_rng_normal_f32(NULL, f, 1, 0, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_normal_f32(r, NULL, 1, 0, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_normal_f32(r, f, 1, 0, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_rng_normal_f32(r, f, 1, NAN, 1), MECH_ENONFINITE);
    ck_assert_fails_with(mech_rng_below(NULL, 3, &k), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_below(r, 3, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_below(r, 0, &k), MECH_EINVAL);
    ck_assert_str_ne(mech_rng_last_error(r), "");
    ck_assert_fails_with(mech_rng_get_position(NULL, &k), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_get_position(r, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_set_position(NULL, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_identity(NULL, &k, &s), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_identity(r, NULL, &s), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_identity(r, &k, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_philox4x32_10(NULL, w, w), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_philox4x32_10(w, NULL, w), MECH_EINVAL);
    ck_assert_fails_with(mech_rng_philox4x32_10(w, w, NULL), MECH_EINVAL);
    ck_assert_str_eq(mech_rng_last_error(NULL), "");
    mech_rng_destroy(NULL);

    /* failures drew nothing: the handle is where it was and still works */
    ck_assert_ok(mech_rng_get_position(r, &k));
    ck_assert_uint_eq(k, 0);
    mech_rng *fresh = seeded(1, 2);
    ck_assert_ok(mech_rng_uniform(r, d, 2));
    double e[2];
    ck_assert_ok(mech_rng_uniform(fresh, e, 2));
    ck_assert_int_eq(memcmp(d, e, sizeof d), 0);
    mech_rng_destroy(fresh);
    mech_rng_destroy(r);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, philox_known_answers);
    tcase_add_test(tc, generator_follows_documented_mapping);
    tcase_add_test(tc, same_seed_is_bitwise_reproducible);
    tcase_add_test(tc, split_streams_differ_and_reproduce);
    tcase_add_test(tc, position_replays_exactly);
    tcase_add_test(tc, stream_end_fails_before_drawing);
    tcase_add_test(tc, uniform_moments_and_ks);
    tcase_add_test(tc, normal_moments_and_ks);
    tcase_add_test(tc, below_is_uniform);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(rng_suite()); }
