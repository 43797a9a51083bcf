/* Argument checks and result copying shared by the array probes. */
#include <math.h>
#include <string.h>

#include "probes_internal.h"

mech_status mech__probe_matrix(const double *a, size_t m, size_t n, const char *fn,
                               const char *what, size_t *count)
{
    if (!a) return mech__fail(NULL, MECH_EINVAL, "%s: argument '%s' is NULL", fn, what);
    if (m == 0 || n == 0)
        return mech__fail(NULL, MECH_EINVAL, "%s: '%s' has a zero dimension (%zu x %zu)",
                          fn, what, m, n);
    size_t c;
    if (mech__mul(m, n, &c, NULL) < 0 || c > SIZE_MAX / sizeof(double))
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: '%s' is too large (%zu x %zu)", fn,
                          what, m, n);
    for (size_t i = 0; i < c; i++)
        if (!isfinite(a[i]))
            return mech__fail(NULL, MECH_ENONFINITE, "%s: '%s' has a non-finite entry at %zu",
                              fn, what, i);
    if (count) *count = c;
    return MECH_OK;
}

mech_status mech__probe_result_size(const void *out, const char *fn)
{
    if (!out) return mech__fail(NULL, MECH_EINVAL, "%s: argument 'out' is NULL", fn);
    size_t size;
    memcpy(&size, out, sizeof size);
    if (size < sizeof(size_t))
        return mech__fail(NULL, MECH_EINVAL,
                          "%s: out->size is %zu; set it to sizeof(*out)", fn, size);
    return MECH_OK;
}

void mech__probe_store(void *out, const void *full, size_t full_size)
{
    size_t size;
    memcpy(&size, out, sizeof size);
    size_t keep = size < full_size ? size : full_size;
    if (keep > sizeof size)
        memcpy((char *)out + sizeof size, (const char *)full + sizeof size, keep - sizeof size);
}

mech_status mech__probe_labels(const int64_t *labels, size_t n, size_t n_classes,
                               size_t *counts, const char *fn)
{
    if (!labels) return mech__fail(NULL, MECH_EINVAL, "%s: argument 'labels' is NULL", fn);
    if (n_classes == 0) return mech__fail(NULL, MECH_EINVAL, "%s: n_classes is zero", fn);
    if (counts) memset(counts, 0, n_classes * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || (uint64_t)labels[i] >= n_classes)
            return mech__fail(NULL, MECH_ERANGE,
                              "%s: labels[%zu] = %lld is outside [0, %zu)", fn, i,
                              (long long)labels[i], n_classes);
        if (counts) counts[labels[i]]++;
    }
    return MECH_OK;
}

void mech__probe_center_columns(const double *src, size_t n, size_t p, double *dst,
                                double *mean)
{
    memset(mean, 0, p * sizeof *mean);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) mean[j] += src[i * p + j];
    for (size_t j = 0; j < p; j++) mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) dst[i * p + j] = src[i * p + j] - mean[j];
}
