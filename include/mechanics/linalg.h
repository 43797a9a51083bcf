/*
 * Dense linear algebra: the only module that calls BLIS and LAPACK.
 *
 * Arrays are row-major with explicit leading dimensions (ld >= max(1,
 * number of columns of the stored matrix), else MECH_ESHAPE), caller-owned
 * and only borrowed for the call. A pointer may be NULL only when its array
 * has no elements. Every shape is validated before the call reaches BLIS
 * (which aborts on bad shapes): NULL -> MECH_EINVAL, sizes whose extent
 * overflows, or above INT64_MAX (BLIS) or INT_MAX (LAPACK), ->
 * MECH_EOVERFLOW. Errors are reported through the status and
 * mech_last_error(); outputs are unspecified after an error unless said.
 *
 * Threads come from the context (MECH_CTX_THREADS; ctx may be NULL: one
 * thread) and are passed to BLIS per call for gemm and gemv. The
 * factorizations run reference LAPACK, whose inner BLAS calls cannot take a
 * per-call thread count: they use BLIS's process default (one thread unless
 * the environment says otherwise); ctx is accepted for future use.
 * Factorizations copy their input and allocate LAPACK workspace per call;
 * they reject NaN/Inf in the entries they read (MECH_ENONFINITE) and a zero
 * dimension (MECH_EINVAL), and their sizes must keep the matrix and its
 * LAPACK workspace within int (syev: n <= 26000; svd: m n < 2^31 and
 * min(m,n) <= 20000; cholesky_solve: n^2 and n nrhs < 2^31), else
 * MECH_EOVERFLOW.
 */
#ifndef MECHANICS_LINALG_H
#define MECHANICS_LINALG_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C = alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n, C m x n.
 * trans_a: A is stored k x m and transposed (likewise trans_b: B stored
 * n x k). beta == 0 ignores C's input (NaN in C does not propagate).
 * m == 0 or n == 0 is a no-op; k == 0 gives C = beta C. */
MECH_API mech_status mech_gemm(const mech_ctx *ctx, bool trans_a, bool trans_b,
                               size_t m, size_t n, size_t k, double alpha,
                               const double *a, size_t lda, const double *b, size_t ldb,
                               double beta, double *c, size_t ldc);
MECH_API mech_status mech_gemm_f32(const mech_ctx *ctx, bool trans_a, bool trans_b,
                                   size_t m, size_t n, size_t k, float alpha,
                                   const float *a, size_t lda, const float *b, size_t ldb,
                                   float beta, float *c, size_t ldc);
/* Symmetric rank-k update C = alpha A A^T + beta C with A stored n x k, or
 * with trans C = alpha A^T A + beta C with A stored k x n; C is n x n.
 * Half the FLOPs of the same product by mech_gemm: the lower triangle
 * (i >= j) is computed, from the lower triangle of C's input, and copied
 * into the upper one, so both triangles of C hold the result. beta == 0
 * ignores C's input. n == 0 is a no-op; k == 0 gives C = beta C. */
MECH_API mech_status mech_syrk(const mech_ctx *ctx, bool trans, size_t n, size_t k,
                               double alpha, const double *a, size_t lda, double beta,
                               double *c, size_t ldc);
MECH_API mech_status mech_syrk_f32(const mech_ctx *ctx, bool trans, size_t n, size_t k,
                                   float alpha, const float *a, size_t lda, float beta,
                                   float *c, size_t ldc);
/* y = alpha op(A) x + beta y with A stored m x n (op(A) is n x m when
 * trans): x has n entries (m when trans), y m (n when trans). beta == 0
 * ignores y's input. An empty y is a no-op. */
MECH_API mech_status mech_gemv(const mech_ctx *ctx, bool trans, size_t m, size_t n,
                               double alpha, const double *a, size_t lda,
                               const double *x, double beta, double *y);
MECH_API mech_status mech_gemv_f32(const mech_ctx *ctx, bool trans, size_t m, size_t n,
                                   float alpha, const float *a, size_t lda,
                                   const float *x, float beta, float *y);
/* *out = x . y over n entries (0 when n == 0). */
MECH_API mech_status mech_dot(size_t n, const double *x, const double *y, double *out);
MECH_API mech_status mech_dot_f32(size_t n, const float *x, const float *y, float *out);
/* y += alpha x over n entries (n == 0: no-op). */
MECH_API mech_status mech_axpy(size_t n, double alpha, const double *x, double *y);
MECH_API mech_status mech_axpy_f32(size_t n, float alpha, const float *x, float *y);

/* Symmetric eigendecomposition of the n x n matrix A (lower triangle read).
 * w: n eigenvalues ascending. If vecs is not NULL it receives the
 * orthonormal eigenvectors as columns (row-major n x n: vecs[i*n + j] is
 * component i of eigenvector j). A is not modified; its strict upper
 * triangle is never read. MECH_ENOCONV if LAPACK (?syevd) fails. */
MECH_API mech_status mech_syev(const mech_ctx *ctx, size_t n, const double *a, size_t lda,
                               double *w, double *vecs);
MECH_API mech_status mech_syev_f32(const mech_ctx *ctx, size_t n, const float *a, size_t lda,
                                   float *w, float *vecs);
/* Thin SVD of the m x n matrix A: s has min(m,n) singular values,
 * descending, >= 0; u (m x min, may be NULL) and vt (min x n, may be
 * NULL) are compact (leading dimensions min and n). A is not modified.
 * MECH_ENOCONV if LAPACK (?gesdd) fails. */
MECH_API mech_status mech_svd(const mech_ctx *ctx, size_t m, size_t n, const double *a,
                              size_t lda, double *s, double *u, double *vt);
MECH_API mech_status mech_svd_f32(const mech_ctx *ctx, size_t m, size_t n, const float *a,
                                  size_t lda, float *s, float *u, float *vt);
/* Solves A X = B for symmetric positive definite A (n x n, lower triangle
 * read, strict upper triangle never read; not modified) and B (n x nrhs
 * with leading dimension ldb, overwritten by X). n and nrhs must be >= 1.
 * MECH_ELINALG if A is not positive definite (B is then left unchanged). */
MECH_API mech_status mech_cholesky_solve(const mech_ctx *ctx, size_t n, size_t nrhs,
                                         const double *a, size_t lda, double *b, size_t ldb);
MECH_API mech_status mech_cholesky_solve_f32(const mech_ctx *ctx, size_t n, size_t nrhs,
                                             const float *a, size_t lda, float *b, size_t ldb);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_LINALG_H */
