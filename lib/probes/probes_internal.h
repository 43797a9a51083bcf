/* Helpers shared by the array probes of include/mechanics/metrics.h. */
#ifndef MECHANICS_PROBES_INTERNAL_H
#define MECHANICS_PROBES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mechanics/metrics.h"
#include "internal.h"

/* Validates an m x n caller matrix (non-NULL, non-zero sizes, no overflow,
 * finite entries) and returns its element count in *count. */
mech_status mech__probe_matrix(const double *a, size_t m, size_t n, const char *fn,
                               const char *what, size_t *count);

/* Checks that a size-first result struct has its size set. */
mech_status mech__probe_result_size(const void *out, const char *fn);

/* Copies the first out->size bytes of a full result (whose first field is
 * its size) into out, keeping out->size. */
void mech__probe_store(void *out, const void *full, size_t full_size);

/* Checks n labels in [0, n_classes); counts (n_classes entries, may be
 * NULL) receives the number of examples per class. */
mech_status mech__probe_labels(const int64_t *labels, size_t n, size_t n_classes,
                               size_t *counts, const char *fn);

/* dst (n x p) = src with each column's mean subtracted; mean (p doubles)
 * is scratch and receives the column means. dst may equal src. */
void mech__probe_center_columns(const double *src, size_t n, size_t p, double *dst,
                                double *mean);

#endif /* MECHANICS_PROBES_INTERNAL_H */
