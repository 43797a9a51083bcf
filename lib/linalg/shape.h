/* Shape validation shared by the BLAS and LAPACK wrappers: every argument
 * is checked here before anything reaches BLIS (which aborts on bad shapes)
 * or LAPACK. Failures are reported through the thread's error slot. */
#ifndef MECHANICS_LINALG_SHAPE_H
#define MECHANICS_LINALG_SHAPE_H

#include <limits.h>

#include "internal.h"

/* Largest size BLIS (dim_t, 64-bit) and reference LAPACK (int) accept. */
#define LA_BLIS_MAX ((size_t)INT64_MAX)
#define LA_LAPACK_MAX ((size_t)INT_MAX)

/* A row-major rows x cols matrix at p with leading dimension ld: p is not
 * NULL when the matrix has elements, ld >= max(1, cols), sizes are at most
 * `limit` (MECH_EOVERFLOW otherwise) and the extent (rows-1)*ld + cols
 * elements of elem_size bytes fits in memory. */
mech_status mech__la_matrix(const char *fn, const char *name, const void *p,
                            size_t rows, size_t cols, size_t ld, size_t elem_size,
                            size_t limit);
/* A vector of n elements: p is not NULL when n > 0, n <= limit. */
mech_status mech__la_vector(const char *fn, const char *name, const void *p,
                            size_t n, size_t elem_size, size_t limit);
/* All shapes of C = alpha op(A) op(B) + beta C. */
mech_status mech__la_gemm_shapes(const char *fn, bool trans_a, bool trans_b,
                                 size_t m, size_t n, size_t k,
                                 const void *a, size_t lda, const void *b, size_t ldb,
                                 const void *c, size_t ldc, size_t elem_size);
/* All shapes of y = alpha op(A) x + beta y (A stored m x n). */
mech_status mech__la_gemv_shapes(const char *fn, bool trans, size_t m, size_t n,
                                 const void *a, size_t lda, const void *x,
                                 const void *y, size_t elem_size);
/* Reference LAPACK counts array elements and workspace in int: fails with
 * MECH_EOVERFLOW unless factor * rows * cols + 16 * (rows + cols) fits. */
mech_status mech__la_elements(const char *fn, size_t rows, size_t cols, size_t factor);
/* Maps a LAPACK info code: 0 -> MECH_OK, < 0 -> MECH_EINVAL (an argument
 * the checks above should have caught), > 0 -> `failure` with a message. */
mech_status mech__la_info(const char *fn, const char *routine, int info,
                          mech_status failure);

#endif
