import math

import mechanics
from conftest import needs

pytestmark = needs("mech_rng_create", "mech_rng_uniform", "mech_rng_normal", "mech_rng_u32")

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    """Reference Philox4x32-10 (Salmon et al. 2011), written independently of
    the library from the published round function and constants."""
    c, k = list(ctr), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + W0) & MASK, (k[1] + W1) & MASK]
        p0, p1 = M0 * c[0], M1 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & MASK, (p0 >> 32) ^ c[3] ^ k[1], p0 & MASK]
    return c


def reference_words(seed, stream, n):
    """Words 0..n-1 of (seed, stream) per the mapping in rng.h."""
    words = []
    for b in range((n + 3) // 4):
        ctr = [b & MASK, b >> 32, stream & MASK, stream >> 32]
        words += philox4x32_10(ctr, [seed & MASK, seed >> 32])
    return words[:n]


def test_u32_and_uniform_match_reference_philox():
    seed, stream = 0x0123456789ABCDEF, 7
    with mechanics.Rng(seed=seed, stream=stream) as rng:
        assert rng.u32(10).tolist() == reference_words(seed, stream, 10)
    with mechanics.Rng(seed=seed, stream=stream) as rng:
        w = reference_words(seed, stream, 8)
        expect = [((w[2 * i] << 32 | w[2 * i + 1]) >> 11) * 2.0**-53 for i in range(4)]
        assert rng.uniform(4).tolist() == expect


def test_reproducible_and_streams_differ():
    with mechanics.Rng(seed=5, stream=1) as a, mechanics.Rng(seed=5, stream=1) as b, \
            mechanics.Rng(seed=5, stream=2) as c:
        x, y, z = a.uniform(100).tolist(), b.uniform(100).tolist(), c.uniform(100).tolist()
    assert x == y and x != z


def test_context_seed_drives_stream():
    with mechanics.Context(seed=99) as ctx, mechanics.Rng(ctx, stream=3) as a, \
            mechanics.Rng(seed=99, stream=3) as b:
        assert a.identity == (99, 3)
        assert a.normal(50).tolist() == b.normal(50).tolist()


def test_position_replays_and_split_leaves_parent():
    with mechanics.Rng(seed=11) as rng:
        rng.uniform(3)
        p = rng.position
        first = rng.uniform(10).tolist()
        rng.position = p
        assert rng.uniform(10).tolist() == first
        before = rng.position
        with rng.split(1) as child:
            assert child.position == 0 and child.identity[0] == 11
            assert child.uniform(10).tolist() != first
        assert rng.position == before


def test_moments():
    n = 20000
    with mechanics.Rng(seed=2024) as rng:
        u = rng.uniform(n).tolist()
        z = rng.normal(n, mean=2.0, sd=3.0).tolist()
        b = [rng.below(10) for _ in range(2000)]
    # 4 standard errors: uniform mean sd = sqrt(1/12 / n)
    assert abs(sum(u) / n - 0.5) < 4 * math.sqrt(1 / 12 / n)
    assert min(u) >= 0.0 and max(u) < 1.0
    mean = sum(z) / n
    var = sum((x - mean) ** 2 for x in z) / (n - 1)
    assert abs(mean - 2.0) < 4 * 3.0 / math.sqrt(n)
    # standard error of the sample variance of a normal: sd^2 sqrt(2/(n-1))
    assert abs(var - 9.0) < 4 * 9.0 * math.sqrt(2 / (n - 1))
    assert set(b) == set(range(10))
