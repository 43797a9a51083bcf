/* Shape validation for the linear-algebra wrappers. */
#include "linalg/shape.h"

mech_status mech__la_matrix(const char *fn, const char *name, const void *p,
                            size_t rows, size_t cols, size_t ld, size_t elem_size,
                            size_t limit)
{
    if (rows > limit || cols > limit || ld > limit)
        return mech__fail(NULL, MECH_EOVERFLOW,
                          "%s: %s is %zu x %zu (ld %zu); sizes above %zu are not supported",
                          fn, name, rows, cols, ld, limit);
    if (ld < cols || ld == 0)
        return mech__fail(NULL, MECH_ESHAPE,
                          "%s: leading dimension of %s is %zu, needs >= max(1, %zu columns)",
                          fn, name, ld, cols);
    if (rows == 0 || cols == 0) return MECH_OK;
    if (!p) return mech__fail(NULL, MECH_EINVAL, "%s: argument '%s' is NULL", fn, name);
    size_t extent = 0, bytes = 0;
    MECH_TRY(mech__mul(rows - 1, ld, &extent, NULL));
    if (extent > SIZE_MAX - cols)
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: extent of %s overflows", fn, name);
    return mech__mul(extent + cols, elem_size, &bytes, NULL);
}

mech_status mech__la_vector(const char *fn, const char *name, const void *p,
                            size_t n, size_t elem_size, size_t limit)
{
    size_t bytes = 0;
    if (n > limit)
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: %s has %zu entries, above %zu",
                          fn, name, n, limit);
    if (n > 0 && !p) return mech__fail(NULL, MECH_EINVAL, "%s: argument '%s' is NULL", fn, name);
    return mech__mul(n, elem_size, &bytes, NULL);
}

mech_status mech__la_gemm_shapes(const char *fn, bool trans_a, bool trans_b,
                                 size_t m, size_t n, size_t k,
                                 const void *a, size_t lda, const void *b, size_t ldb,
                                 const void *c, size_t ldc, size_t elem_size)
{
    MECH_TRY(mech__la_matrix(fn, "a", a, trans_a ? k : m, trans_a ? m : k, lda,
                             elem_size, LA_BLIS_MAX));
    MECH_TRY(mech__la_matrix(fn, "b", b, trans_b ? n : k, trans_b ? k : n, ldb,
                             elem_size, LA_BLIS_MAX));
    return mech__la_matrix(fn, "c", c, m, n, ldc, elem_size, LA_BLIS_MAX);
}

mech_status mech__la_gemv_shapes(const char *fn, bool trans, size_t m, size_t n,
                                 const void *a, size_t lda, const void *x,
                                 const void *y, size_t elem_size)
{
    MECH_TRY(mech__la_matrix(fn, "a", a, m, n, lda, elem_size, LA_BLIS_MAX));
    MECH_TRY(mech__la_vector(fn, "x", x, trans ? m : n, elem_size, LA_BLIS_MAX));
    return mech__la_vector(fn, "y", y, trans ? n : m, elem_size, LA_BLIS_MAX);
}

mech_status mech__la_elements(const char *fn, size_t rows, size_t cols, size_t factor)
{
    size_t words = 0;
    if (rows > LA_LAPACK_MAX || cols > LA_LAPACK_MAX ||
        mech__mul3(factor, rows, cols, &words, NULL) < 0 || words > LA_LAPACK_MAX ||
        words + 16 * (rows + cols) > LA_LAPACK_MAX)
        return mech__fail(NULL, MECH_EOVERFLOW,
                          "%s: %zu x %zu is too large for LAPACK's int sizes", fn, rows, cols);
    return MECH_OK;
}

mech_status mech__la_info(const char *fn, const char *routine, int info,
                          mech_status failure)
{
    if (info == 0) return MECH_OK;
    if (info < 0)
        return mech__fail(NULL, MECH_EINVAL, "%s: LAPACK %s rejected argument %d",
                          fn, routine, -info);
    if (failure == MECH_ELINALG)
        return mech__fail(NULL, failure, "%s: matrix is not positive definite "
                          "(%s: leading minor of order %d)", fn, routine, info);
    return mech__fail(NULL, failure, "%s: LAPACK %s did not converge (info %d)",
                      fn, routine, info);
}
