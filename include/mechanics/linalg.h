/*
 * Dense linear algebra: the only module that calls BLIS and LAPACK.
 *
 * Arrays are row-major with explicit leading dimensions (ld >= number of
 * columns of the stored matrix). Every shape is validated before the call
 * reaches BLIS (which aborts on bad shapes). Threads come from the context
 * (ctx may be NULL: one thread) and are passed to BLIS per call. Errors are
 * reported through the status and mech_last_error(). Factorizations
 * allocate their LAPACK workspace per call.
 */
#ifndef MECHANICS_LINALG_H
#define MECHANICS_LINALG_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C = alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n, C m x n.
 * trans_a: A is stored k x m and transposed. beta == 0 ignores C's input
 * (NaN in C does not propagate). */
MECH_API mech_status mech_gemm(const mech_ctx *ctx, bool trans_a, bool trans_b,
                               size_t m, size_t n, size_t k, double alpha,
                               const double *a, size_t lda, const double *b, size_t ldb,
                               double beta, double *c, size_t ldc);
MECH_API mech_status mech_gemm_f32(const mech_ctx *ctx, bool trans_a, bool trans_b,
                                   size_t m, size_t n, size_t k, float alpha,
                                   const float *a, size_t lda, const float *b, size_t ldb,
                                   float beta, float *c, size_t ldc);
/* y = alpha op(A) x + beta y with A stored m x n (op(A) is n x m when trans). */
MECH_API mech_status mech_gemv(const mech_ctx *ctx, bool trans, size_t m, size_t n,
                               double alpha, const double *a, size_t lda,
                               const double *x, double beta, double *y);
MECH_API mech_status mech_gemv_f32(const mech_ctx *ctx, bool trans, size_t m, size_t n,
                                   float alpha, const float *a, size_t lda,
                                   const float *x, float beta, float *y);
/* *out = x . y over n entries. */
MECH_API mech_status mech_dot(size_t n, const double *x, const double *y, double *out);
MECH_API mech_status mech_dot_f32(size_t n, const float *x, const float *y, float *out);
/* y += alpha x. */
MECH_API mech_status mech_axpy(size_t n, double alpha, const double *x, double *y);
MECH_API mech_status mech_axpy_f32(size_t n, float alpha, const float *x, float *y);

/* Symmetric eigendecomposition of the n x n matrix A (lower triangle read).
 * w: n eigenvalues ascending. If vecs is not NULL it receives the
 * orthonormal eigenvectors as columns (row-major n x n: vecs[i*n + j] is
 * component i of eigenvector j). A is not modified. */
MECH_API mech_status mech_syev(const mech_ctx *ctx, size_t n, const double *a, size_t lda,
                               double *w, double *vecs);
MECH_API mech_status mech_syev_f32(const mech_ctx *ctx, size_t n, const float *a, size_t lda,
                                   float *w, float *vecs);
/* Thin SVD of the m x n matrix A: s has min(m,n) singular values,
 * descending; u (m x min, may be NULL) and vt (min x n, may be NULL).
 * A is not modified. */
MECH_API mech_status mech_svd(const mech_ctx *ctx, size_t m, size_t n, const double *a,
                              size_t lda, double *s, double *u, double *vt);
MECH_API mech_status mech_svd_f32(const mech_ctx *ctx, size_t m, size_t n, const float *a,
                                  size_t lda, float *s, float *u, float *vt);
/* Solves A X = B for symmetric positive definite A (n x n, lower triangle
 * read; not modified) and B (n x nrhs, overwritten by X).
 * MECH_ELINALG if A is not positive definite. */
MECH_API mech_status mech_cholesky_solve(const mech_ctx *ctx, size_t n, size_t nrhs,
                                         const double *a, size_t lda, double *b, size_t ldb);
MECH_API mech_status mech_cholesky_solve_f32(const mech_ctx *ctx, size_t n, size_t nrhs,
                                             const float *a, size_t lda, float *b, size_t ldb);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_LINALG_H */
