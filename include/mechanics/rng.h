/*
 * Counter-based random numbers (Philox4x32-10).
 *
 * A generator is a (key, stream, counter) triple: the key comes from a seed,
 * the stream identifies an independent sequence, the counter is the position
 * in it. Splitting derives a child stream from (parent stream, child id), so
 * every handle, layer or worker gets its own reproducible sequence whatever
 * the order in which they draw. Uniform draws are bitwise identical on every
 * platform and thread count; normal draws (Box-Muller on libm's log, sin,
 * cos) are identical on the same platform and libm.
 *
 * Exact mapping, so draws can be reproduced elsewhere: with position p (the
 * number of 32-bit words drawn so far), word p is word p % 4 of the block
 *   philox4x32_10(counter = {b, b >> 32, stream, stream >> 32},
 *                 key = {seed, seed >> 32}),  b = p / 4
 * (each element truncated to 32 bits). A stream holds 2^64 - 1 words; a
 * draw that would pass the end fails with MECH_ERANGE before drawing.
 *
 * Word use per draw: u32 and uniform_f32 one word; uniform two words
 * (w0, w1), u = ((w0 << 32 | w1) >> 11) * 2^-53; uniform_f32
 * u = (w >> 8) * 2^-24; below two words per try (rejection); normal and
 * normal_f32 four words per pair of outputs (Box-Muller on uniforms u1, u2:
 * z0 = r cos(2 pi u2), z1 = r sin(2 pi u2), r = sqrt(-2 log(1 - u1))); an odd
 * count discards the last z1, so results depend on how draws are split into
 * calls but never on anything else.
 *
 * Arrays: n == 0 is a no-op that succeeds (out may then be NULL); otherwise
 * out must hold n elements. Errors leave the generator unchanged.
 */
#ifndef MECHANICS_RNG_H
#define MECHANICS_RNG_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mech_rng mech_rng;

/* Creates a generator on stream `stream` of the context's seed
 * (MECH_CTX_SEED; ctx may be NULL for seed 0). Caller owns *out. */
MECH_API mech_status mech_rng_create(mech_rng **out, const mech_ctx *ctx, uint64_t stream);
/* Creates a generator from an explicit seed and stream. */
MECH_API mech_status mech_rng_create_seeded(mech_rng **out, uint64_t seed, uint64_t stream);
/* Creates an independent child generator: same seed, stream derived from
 * the parent's stream and child_id (SplitMix64 mixing; distinct child_ids of
 * one parent always give distinct streams), position zero. The parent is
 * not advanced. Caller owns *out. */
MECH_API mech_status mech_rng_split(const mech_rng *parent, uint64_t child_id, mech_rng **out);
/* Frees a generator; NULL is accepted. */
MECH_API void mech_rng_destroy(mech_rng *rng);
MECH_API const char *mech_rng_last_error(const mech_rng *rng);

/* n raw 32-bit words. */
MECH_API mech_status mech_rng_u32(mech_rng *rng, uint32_t *out, size_t n);
/* n uniform doubles in [0, 1) with 53 random bits each. */
MECH_API mech_status mech_rng_uniform(mech_rng *rng, double *out, size_t n);
/* n uniform floats in [0, 1) with 24 random bits each. */
MECH_API mech_status mech_rng_uniform_f32(mech_rng *rng, float *out, size_t n);
/* n normal doubles with the given mean and standard deviation (sd >= 0).
 * MECH_ENONFINITE if mean or sd is NaN/Inf, MECH_ERANGE if sd < 0. */
MECH_API mech_status mech_rng_normal(mech_rng *rng, double *out, size_t n,
                                     double mean, double sd);
/* n normal floats. */
MECH_API mech_status mech_rng_normal_f32(mech_rng *rng, float *out, size_t n,
                                         float mean, float sd);
/* Uniform integer in [0, bound) without modulo bias. MECH_EINVAL if
 * bound == 0. */
MECH_API mech_status mech_rng_below(mech_rng *rng, uint64_t bound, uint64_t *out);

/* Position (words drawn so far) for checkpoints; setting it back replays the
 * stream exactly from there (any value is accepted). */
MECH_API mech_status mech_rng_get_position(const mech_rng *rng, uint64_t *position);
MECH_API mech_status mech_rng_set_position(mech_rng *rng, uint64_t position);
/* The seed and stream identifying this generator (both pointers required). */
MECH_API mech_status mech_rng_identity(const mech_rng *rng, uint64_t *seed, uint64_t *stream);

/* The raw Philox4x32-10 bijection: out[0..4) from counter[0..4) and
 * key[0..2) (caller-owned arrays), as in the Random123 reference; stateless.
 * Use it to reproduce a generator's words outside the library. */
MECH_API mech_status mech_rng_philox4x32_10(const uint32_t *counter, const uint32_t *key,
                                            uint32_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_RNG_H */
