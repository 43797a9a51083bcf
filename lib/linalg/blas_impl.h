/* Typed BLAS wrappers, included once per precision by blas.c with
 *   REAL       the element type
 *   NAME(f)    the public name of f in this precision (f or f##_f32)
 *   BLI(op)    the BLIS typed function (bli_d##op or bli_s##op)
 * Shapes are validated first; threads go to BLIS per call (rntm). */

MECH_API mech_status NAME(mech_gemm)(const mech_ctx *ctx, bool trans_a, bool trans_b,
                                     size_t m, size_t n, size_t k, REAL alpha,
                                     const REAL *a, size_t lda, const REAL *b, size_t ldb,
                                     REAL beta, REAL *c, size_t ldc)
{
    MECH_TRY(mech__la_gemm_shapes(__func__, trans_a, trans_b, m, n, k, a, lda, b, ldb,
                                  c, ldc, sizeof(REAL)));
    if (m == 0 || n == 0) return MECH_OK;
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(mech__ctx_threads(ctx), &rntm);
    BLI(gemm_ex)(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                 trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                 (dim_t)m, (dim_t)n, (dim_t)k, &alpha,
                 (REAL *)a, (inc_t)lda, 1, (REAL *)b, (inc_t)ldb, 1,
                 &beta, c, (inc_t)ldc, 1, NULL, &rntm);
    return MECH_OK;
}

MECH_API mech_status NAME(mech_syrk)(const mech_ctx *ctx, bool trans, size_t n, size_t k,
                                     REAL alpha, const REAL *a, size_t lda, REAL beta,
                                     REAL *c, size_t ldc)
{
    MECH_TRY(mech__la_matrix(__func__, "a", a, trans ? k : n, trans ? n : k, lda,
                             sizeof(REAL), LA_BLIS_MAX));
    MECH_TRY(mech__la_matrix(__func__, "c", c, n, n, ldc, sizeof(REAL), LA_BLIS_MAX));
    if (n == 0) return MECH_OK;
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(mech__ctx_threads(ctx), &rntm);
    /* BLIS computes the lower triangle only: half the work of gemm */
    BLI(syrk_ex)(BLIS_LOWER, trans ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)n, (dim_t)k,
                 &alpha, (REAL *)a, (inc_t)lda, 1, &beta, c, (inc_t)ldc, 1, NULL, &rntm);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) c[i * ldc + j] = c[j * ldc + i];
    return MECH_OK;
}

MECH_API mech_status NAME(mech_gemv)(const mech_ctx *ctx, bool trans, size_t m, size_t n,
                                     REAL alpha, const REAL *a, size_t lda,
                                     const REAL *x, REAL beta, REAL *y)
{
    MECH_TRY(mech__la_gemv_shapes(__func__, trans, m, n, a, lda, x, y, sizeof(REAL)));
    size_t ylen = trans ? n : m;
    if (ylen == 0) return MECH_OK;
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(mech__ctx_threads(ctx), &rntm);
    BLI(gemv_ex)(trans ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE,
                 (dim_t)m, (dim_t)n, &alpha, (REAL *)a, (inc_t)lda, 1,
                 (REAL *)x, 1, &beta, y, 1, NULL, &rntm);
    return MECH_OK;
}

MECH_API mech_status NAME(mech_dot)(size_t n, const REAL *x, const REAL *y, REAL *out)
{
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(mech__la_vector(__func__, "x", x, n, sizeof(REAL), LA_BLIS_MAX));
    MECH_TRY(mech__la_vector(__func__, "y", y, n, sizeof(REAL), LA_BLIS_MAX));
    *out = 0;
    if (n == 0) return MECH_OK;
    BLI(dotv)(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, (dim_t)n, (REAL *)x, 1,
              (REAL *)y, 1, out);
    return MECH_OK;
}

MECH_API mech_status NAME(mech_axpy)(size_t n, REAL alpha, const REAL *x, REAL *y)
{
    MECH_TRY(mech__la_vector(__func__, "x", x, n, sizeof(REAL), LA_BLIS_MAX));
    MECH_TRY(mech__la_vector(__func__, "y", y, n, sizeof(REAL), LA_BLIS_MAX));
    if (n == 0) return MECH_OK;
    BLI(axpyv)(BLIS_NO_CONJUGATE, (dim_t)n, &alpha, (REAL *)x, 1, y, 1);
    return MECH_OK;
}
