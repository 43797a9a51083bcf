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
 * the parent's stream and child_id, counter at zero. The parent is not
 * advanced. Caller owns *out. */
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
/* n normal doubles with the given mean and standard deviation (sd >= 0). */
MECH_API mech_status mech_rng_normal(mech_rng *rng, double *out, size_t n,
                                     double mean, double sd);
/* n normal floats. */
MECH_API mech_status mech_rng_normal_f32(mech_rng *rng, float *out, size_t n,
                                         float mean, float sd);
/* Uniform integer in [0, bound) without modulo bias (bound >= 1). */
MECH_API mech_status mech_rng_below(mech_rng *rng, uint64_t bound, uint64_t *out);

/* Position (words drawn so far) for checkpoints; setting it back replays the
 * stream exactly from there. */
MECH_API mech_status mech_rng_get_position(const mech_rng *rng, uint64_t *position);
MECH_API mech_status mech_rng_set_position(mech_rng *rng, uint64_t position);
/* The seed and stream identifying this generator. */
MECH_API mech_status mech_rng_identity(const mech_rng *rng, uint64_t *seed, uint64_t *stream);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_RNG_H */
