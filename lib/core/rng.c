/* Counter-based generator: Philox4x32-10 (Salmon, Moraes, Dror, Shaw 2011).
 *
 * Mapping (documented in rng.h): key = (seed low, seed high); counter =
 * (block low, block high, stream low, stream high) with block = position / 4;
 * word position % 4 of that block is the next word drawn. The state is just
 * (key, stream, position) plus a cache of the current block, so
 * set_position(get_position()) replays exactly. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "mechanics/rng.h"

#define PHILOX_M0 UINT32_C(0xD2511F53)
#define PHILOX_M1 UINT32_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)

struct mech_rng {
    mech_err err;
    uint64_t seed, stream;
    uint64_t position;   /* 32-bit words drawn so far */
    uint64_t cached;     /* block index held in buf, valid if have_buf */
    bool have_buf;
    uint32_t buf[4];
};

static void philox_block(const uint32_t ctr_in[4], const uint32_t key_in[2],
                         uint32_t out[4])
{
    uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    uint32_t k0 = key_in[0], k1 = key_in[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

MECH_API mech_status mech_rng_philox4x32_10(const uint32_t *counter, const uint32_t *key,
                                            uint32_t *out)
{
    MECH_CHECK_PTR(NULL, counter);
    MECH_CHECK_PTR(NULL, key);
    MECH_CHECK_PTR(NULL, out);
    philox_block(counter, key, out);
    return MECH_OK;
}

/* The next word; callers have reserved it (see reserve()). */
static uint32_t next_word(mech_rng *r)
{
    uint64_t block = r->position >> 2;
    if (!r->have_buf || r->cached != block) {
        const uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32),
                                 (uint32_t)r->stream, (uint32_t)(r->stream >> 32)};
        const uint32_t key[2] = {(uint32_t)r->seed, (uint32_t)(r->seed >> 32)};
        philox_block(ctr, key, r->buf);
        r->cached = block;
        r->have_buf = true;
    }
    return r->buf[r->position++ & 3];
}

static uint64_t next_u64(mech_rng *r)
{
    uint64_t hi = next_word(r);
    return hi << 32 | next_word(r);
}

/* 53 random bits in [0, 1). */
static double next_uniform(mech_rng *r)
{
    return (double)(next_u64(r) >> 11) * 0x1p-53;
}

/* Checks that `words` more words fit before the position would wrap
 * (2^64 - 1 words per stream); fails before drawing anything. */
static mech_status reserve(mech_rng *r, size_t count, size_t words_each)
{
    uint64_t room = UINT64_MAX - r->position;
    if (count > room / words_each)
        return mech__fail(&r->err, MECH_ERANGE,
                          "rng: stream exhausted (position %llu, %zu draws of %zu words)",
                          (unsigned long long)r->position, count, words_each);
    return MECH_OK;
}

static mech_status check_out(mech_rng *r, const void *out, size_t n, const char *fn)
{
    if (n > 0 && !out)
        return mech__fail(&r->err, MECH_EINVAL, "%s: argument 'out' is NULL", fn);
    return MECH_OK;
}

static mech_status make(mech_rng **out, uint64_t seed, uint64_t stream)
{
    mech_rng *r = mech__calloc(1, sizeof *r, NULL);
    if (!r) return MECH_ENOMEM;
    r->seed = seed;
    r->stream = stream;
    *out = r;
    return MECH_OK;
}

MECH_API mech_status mech_rng_create_seeded(mech_rng **out, uint64_t seed, uint64_t stream)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    return make(out, seed, stream);
}

MECH_API mech_status mech_rng_create(mech_rng **out, const mech_ctx *ctx, uint64_t stream)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    return make(out, mech__ctx_seed(ctx), stream);
}

/* SplitMix64 finalizer: a bijection of 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

MECH_API mech_status mech_rng_split(const mech_rng *parent, uint64_t child_id, mech_rng **out)
{
    MECH_CHECK_PTR(NULL, out);
    *out = NULL;
    MECH_CHECK_PTR(NULL, parent);
    /* id -> base + id * odd is a bijection, and so is mix64: siblings never
     * share a stream; children of different parents collide only by chance
     * (about k^2 / 2^65 for k streams). */
    uint64_t base = mix64(parent->stream ^ UINT64_C(0x6A09E667F3BCC909));
    uint64_t child = mix64(base + child_id * UINT64_C(0x9E3779B97F4A7C15));
    return make(out, parent->seed, child);
}

MECH_API void mech_rng_destroy(mech_rng *rng) { free(rng); }

MECH_API const char *mech_rng_last_error(const mech_rng *rng)
{
    return rng ? rng->err.msg : "";
}

MECH_API mech_status mech_rng_u32(mech_rng *rng, uint32_t *out, size_t n)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_TRY(check_out(rng, out, n, __func__));
    MECH_TRY(reserve(rng, n, 1));
    for (size_t i = 0; i < n; i++) out[i] = next_word(rng);
    return MECH_OK;
}

MECH_API mech_status mech_rng_uniform(mech_rng *rng, double *out, size_t n)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_TRY(check_out(rng, out, n, __func__));
    MECH_TRY(reserve(rng, n, 2));
    for (size_t i = 0; i < n; i++) out[i] = next_uniform(rng);
    return MECH_OK;
}

MECH_API mech_status mech_rng_uniform_f32(mech_rng *rng, float *out, size_t n)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_TRY(check_out(rng, out, n, __func__));
    MECH_TRY(reserve(rng, n, 1));
    for (size_t i = 0; i < n; i++) out[i] = (float)(next_word(rng) >> 8) * 0x1p-24f;
    return MECH_OK;
}

static mech_status check_normal(mech_rng *r, double mean, double sd, const char *fn)
{
    if (!isfinite(mean) || !isfinite(sd))
        return mech__fail(&r->err, MECH_ENONFINITE, "%s: mean %g or sd %g is not finite",
                          fn, mean, sd);
    if (sd < 0)
        return mech__fail(&r->err, MECH_ERANGE, "%s: sd %g is negative", fn, sd);
    return MECH_OK;
}

/* Box-Muller: one pair of standard normals from two uniforms (4 words).
 * 1 - u lies in (0, 1], so the log is finite (|z| <= 8.6). */
static void next_normal_pair(mech_rng *r, double *z0, double *z1)
{
    double u1 = 1.0 - next_uniform(r);
    double u2 = next_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double ang = 6.283185307179586 * u2;
    *z0 = rad * cos(ang);
    *z1 = rad * sin(ang);
}

MECH_API mech_status mech_rng_normal(mech_rng *rng, double *out, size_t n,
                                     double mean, double sd)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_TRY(check_out(rng, out, n, __func__));
    MECH_TRY(check_normal(rng, mean, sd, __func__));
    MECH_TRY(reserve(rng, n / 2 + n % 2, 4));
    for (size_t i = 0; i < n; i += 2) {
        double z0, z1;
        next_normal_pair(rng, &z0, &z1);
        out[i] = mean + sd * z0;
        if (i + 1 < n) out[i + 1] = mean + sd * z1;
    }
    return MECH_OK;
}

MECH_API mech_status mech_rng_normal_f32(mech_rng *rng, float *out, size_t n,
                                         float mean, float sd)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_TRY(check_out(rng, out, n, __func__));
    MECH_TRY(check_normal(rng, mean, sd, __func__));
    MECH_TRY(reserve(rng, n / 2 + n % 2, 4));
    for (size_t i = 0; i < n; i += 2) {
        double z0, z1;
        next_normal_pair(rng, &z0, &z1);
        out[i] = (float)(mean + (double)sd * z0);
        if (i + 1 < n) out[i + 1] = (float)(mean + (double)sd * z1);
    }
    return MECH_OK;
}

MECH_API mech_status mech_rng_below(mech_rng *rng, uint64_t bound, uint64_t *out)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_CHECK_PTR(&rng->err, out);
    if (bound == 0)
        return mech__fail(&rng->err, MECH_EINVAL, "%s: bound is zero", __func__);
    /* Reject the lowest 2^64 mod bound values so every residue is equally
     * likely; each try is accepted with probability > 1/2. */
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        MECH_TRY(reserve(rng, 1, 2));
        uint64_t x = next_u64(rng);
        if (x >= threshold) {
            *out = x % bound;
            return MECH_OK;
        }
    }
}

MECH_API mech_status mech_rng_get_position(const mech_rng *rng, uint64_t *position)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_CHECK_PTR((mech_err *)&rng->err, position);
    *position = rng->position;
    return MECH_OK;
}

MECH_API mech_status mech_rng_set_position(mech_rng *rng, uint64_t position)
{
    MECH_CHECK_PTR(NULL, rng);
    rng->position = position;
    return MECH_OK;
}

MECH_API mech_status mech_rng_identity(const mech_rng *rng, uint64_t *seed, uint64_t *stream)
{
    MECH_CHECK_PTR(NULL, rng);
    MECH_CHECK_PTR((mech_err *)&rng->err, seed);
    MECH_CHECK_PTR((mech_err *)&rng->err, stream);
    *seed = rng->seed;
    *stream = rng->stream;
    return MECH_OK;
}
