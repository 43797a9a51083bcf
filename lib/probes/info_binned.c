/* Binned information-plane estimate (Shwartz-Ziv & Tishby 2017): each
 * distinct row of binned activations is one symbol T. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "probes_internal.h"

/* Entropy in nats of m counts summing to n. */
static double entropy(const size_t *counts, size_t m, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < m; i++)
        if (counts[i]) s += (double)counts[i] * log((double)counts[i]);
    return log((double)n) - s / (double)n;
}

/* Bin index in [0, n_bins) of every entry, over the layer's range. Halves
 * keep max - min finite for any finite input. */
static void bin_entries(const double *t, size_t count, size_t n_bins, uint32_t *bins)
{
    double lo = t[0], hi = t[0];
    for (size_t i = 1; i < count; i++) lo = fmin(lo, t[i]), hi = fmax(hi, t[i]);
    double range = hi / 2 - lo / 2;
    for (size_t i = 0; i < count; i++) {
        double u = range > 0.0 ? (t[i] / 2 - lo / 2) / range : 0.0;
        size_t b = (size_t)(u * (double)n_bins);
        bins[i] = (uint32_t)(b < n_bins ? b : n_bins - 1);
    }
}

static uint64_t hash_row(const uint32_t *row, size_t p)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (size_t j = 0; j < p; j++) {
        h ^= row[j] + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
        h *= 0xbf58476d1ce4e5b9u;
    }
    return h ^ (h >> 31);
}

/* Symbol id (0, 1, ... in order of first appearance) of every row, through
 * an open-addressing table of cap (a power of two > n) slots holding
 * row index + 1. Returns the number of symbols. */
static size_t symbols(const uint32_t *bins, size_t n, size_t p, size_t *table, size_t cap,
                      size_t *sym)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *row = bins + i * p;
        size_t s = (size_t)hash_row(row, p) & (cap - 1);
        while (table[s] && memcmp(bins + (table[s] - 1) * p, row, p * sizeof *row) != 0)
            s = (s + 1) & (cap - 1);
        if (!table[s]) table[s] = i + 1, sym[i] = count++;
        else sym[i] = sym[table[s] - 1];
    }
    return count;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* H(T, Y) from the joint keys sym * C + label, sorted in place; the run
 * lengths are written over the keys. */
static double joint_entropy(size_t *keys, size_t n)
{
    qsort(keys, n, sizeof *keys, cmp_size);
    size_t runs = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && keys[j] == keys[i]) j++;
        keys[runs++] = j - i;
        i = j;
    }
    return entropy(keys, runs, n);
}

MECH_API mech_status mech_information_plane_binned(const double *t, size_t n, size_t p,
                                                   const int64_t *labels, size_t n_classes,
                                                   size_t n_bins,
                                                   mech_information_plane *out)
{
    const char *fn = __func__;
    MECH_TRY(mech__probe_result_size(out, fn));
    size_t count;
    MECH_TRY(mech__probe_matrix(t, n, p, fn, "t", &count));
    MECH_CHECK_NONZERO(NULL, n_bins);
    if (n_bins > UINT32_MAX)
        return mech__fail(NULL, MECH_ERANGE, "%s: n_bins = %zu exceeds 2^32 - 1", fn, n_bins);
    if (labels) {
        MECH_TRY(mech__probe_labels(labels, n, n_classes, NULL, fn));
        size_t joint;
        MECH_TRY(mech__mul(n, n_classes, &joint, NULL));
    }
    size_t cap = 2;
    while (cap <= n) cap *= 2; /* n < SIZE_MAX / 8 (t fits in memory): no wrap */
    size_t words = cap + 3 * n + (labels ? n_classes : 0);
    uint32_t *bins = mech__calloc(count, sizeof *bins, NULL);
    size_t *w = bins ? mech__calloc(words, sizeof *w, NULL) : NULL;
    if (!w) {
        free(bins);
        return MECH_ENOMEM;
    }
    size_t *table = w, *sym = table + cap, *cnt = sym + n, *keys = cnt + n;
    bin_entries(t, count, n_bins, bins);
    size_t m = symbols(bins, n, p, table, cap, sym);
    for (size_t i = 0; i < n; i++) cnt[sym[i]]++;
    mech_information_plane res = {.size = sizeof res, .n_patterns = m, .i_ty = NAN};
    res.i_xt = entropy(cnt, m, n);
    if (labels) {
        size_t *cls = keys + n;
        for (size_t i = 0; i < n; i++) {
            keys[i] = sym[i] * n_classes + (size_t)labels[i];
            cls[labels[i]]++;
        }
        res.i_ty = res.i_xt + entropy(cls, n_classes, n) - joint_entropy(keys, n);
    }
    mech__probe_store(out, &res, sizeof res);
    free(w);
    free(bins);
    return MECH_OK;
}
