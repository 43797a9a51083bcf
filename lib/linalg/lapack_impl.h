/* Typed LAPACK wrappers, included once per precision by lapack.c with
 *   REAL       the element type
 *   NAME(f)    the name of f in this precision (f or f##_f32)
 *   LA(op)     the Fortran routine (d##op##_ or s##op##_)
 * Row-major input is copied into a compact column-major buffer (LAPACK
 * overwrites it; the caller's A stays untouched). A row-major lower
 * triangle is the column-major upper triangle of the same buffer, hence
 * uplo = 'U' throughout. */

/* MECH_ENONFINITE if the rows x cols matrix (only its lower triangle when
 * `lower`) holds NaN or Inf. */
static mech_status NAME(la_finite)(const char *fn, const char *what, const REAL *p,
                                   size_t rows, size_t cols, size_t ld, bool lower)
{
    for (size_t i = 0; i < rows; i++) {
        size_t end = lower && i + 1 < cols ? i + 1 : cols;
        for (size_t j = 0; j < end; j++)
            if (!isfinite(p[i * ld + j]))
                return mech__fail(NULL, MECH_ENONFINITE, "%s: %s[%zu][%zu] is not finite",
                                  fn, what, i, j);
    }
    return MECH_OK;
}

/* Compact copy of the lower triangle of the n x n matrix a (rest zero). */
static REAL *NAME(la_copy_lower)(const REAL *a, size_t n, size_t lda)
{
    REAL *buf = mech__calloc(n * n, sizeof(REAL), NULL);
    if (buf)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++) buf[i * n + j] = a[i * lda + j];
    return buf;
}

/* Workspace length from a LAPACK size query, checked against int. */
static mech_status NAME(la_lwork)(const char *fn, REAL query, int *lwork)
{
    if (!(query >= 1) || (double)query > (double)INT_MAX)
        return mech__fail(NULL, MECH_EOVERFLOW, "%s: LAPACK workspace of %g elements "
                          "is not supported", fn, (double)query);
    *lwork = (int)query;
    return MECH_OK;
}

MECH_API mech_status NAME(mech_syev)(const mech_ctx *ctx, size_t n, const REAL *a,
                                     size_t lda, REAL *w, REAL *vecs)
{
    MECH_CHECK_NONZERO(NULL, n);
    MECH_TRY(mech__la_matrix(__func__, "a", a, n, n, lda, sizeof(REAL), LA_LAPACK_MAX));
    MECH_TRY(mech__la_vector(__func__, "w", w, n, sizeof(REAL), LA_LAPACK_MAX));
    MECH_TRY(mech__la_elements(__func__, n, n, 3)); /* syevd: 1 + 6n + 2n^2 */
    MECH_TRY(NAME(la_finite)(__func__, "a", a, n, n, lda, true));
    REAL *buf = NAME(la_copy_lower)(a, n, lda);
    if (!buf) return MECH_ENOMEM;

    const char jobz = vecs ? 'V' : 'N', uplo = 'U';
    const int ni = (int)n, query = -1;
    int info = 0, lwork = 0, liwork = 0;
    REAL wq = 0;
    LA(syevd)(&jobz, &uplo, &ni, buf, &ni, w, &wq, &query, &liwork, &query, &info, 1, 1);
    mech_status st = NAME(la_lwork)(__func__, wq, &lwork);
    REAL *work = NULL;
    int *iwork = NULL;
    if (st == MECH_OK) {
        work = mech__calloc((size_t)lwork, sizeof(REAL), NULL);
        iwork = mech__calloc((size_t)liwork, sizeof(int), NULL);
        st = work && iwork ? MECH_OK : MECH_ENOMEM;
    }
    if (st == MECH_OK) {
        LA(syevd)(&jobz, &uplo, &ni, buf, &ni, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        st = mech__la_info(__func__, "syevd", info, MECH_ENOCONV);
    }
    if (st == MECH_OK && vecs)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) vecs[i * n + j] = buf[j * n + i];
    free(iwork);
    free(work);
    free(buf);
    return st;
}

MECH_API mech_status NAME(mech_svd)(const mech_ctx *ctx, size_t m, size_t n, const REAL *a,
                                    size_t lda, REAL *s, REAL *u, REAL *vt)
{
    MECH_CHECK_NONZERO(NULL, m);
    MECH_CHECK_NONZERO(NULL, n);
    MECH_TRY(mech__la_matrix(__func__, "a", a, m, n, lda, sizeof(REAL), LA_LAPACK_MAX));
    const size_t mn = m < n ? m : n;
    MECH_TRY(mech__la_vector(__func__, "s", s, mn, sizeof(REAL), LA_LAPACK_MAX));
    MECH_TRY(mech__la_elements(__func__, m, n, 1));
    MECH_TRY(mech__la_elements(__func__, mn, mn, 5)); /* gesdd: about 4 mn^2 */
    MECH_TRY(NAME(la_finite)(__func__, "a", a, m, n, lda, false));

    /* Row-major A is column-major A^T (n x m). Its SVD A^T = V S U^T hands
     * back V as the column-major "U" (n x mn), which is row-major V^T, and
     * U^T as the column-major "VT" (mn x m), which is row-major U: both land
     * in the caller's arrays without a transpose. */
    const bool want = u || vt;
    const char jobz = want ? 'S' : 'N';
    REAL *buf = mech__calloc(m * n, sizeof(REAL), NULL);
    REAL *ubuf = u ? u : want ? mech__calloc(m * mn, sizeof(REAL), NULL) : NULL;
    REAL *vbuf = vt ? vt : want ? mech__calloc(mn * n, sizeof(REAL), NULL) : NULL;
    int *iwork = mech__calloc(8 * mn, sizeof(int), NULL);
    REAL *work = NULL;
    mech_status st = buf && iwork && (!want || (ubuf && vbuf)) ? MECH_OK : MECH_ENOMEM;
    if (st == MECH_OK) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) buf[i * n + j] = a[i * lda + j];
        const int mi = (int)n, ni = (int)m, ldu = want ? (int)n : 1,
                  ldvt = want ? (int)mn : 1, query = -1;
        REAL dummy = 0, wq = 0;
        int info = 0, lwork = 0;
        REAL *uu = want ? vbuf : &dummy, *vv = want ? ubuf : &dummy;
        LA(gesdd)(&jobz, &mi, &ni, buf, &mi, s, uu, &ldu, vv, &ldvt, &wq, &query, iwork,
                  &info, 1);
        st = NAME(la_lwork)(__func__, wq, &lwork);
        if (st == MECH_OK) {
            work = mech__calloc((size_t)lwork, sizeof(REAL), NULL);
            st = work ? MECH_OK : MECH_ENOMEM;
        }
        if (st == MECH_OK) {
            LA(gesdd)(&jobz, &mi, &ni, buf, &mi, s, uu, &ldu, vv, &ldvt, work, &lwork,
                      iwork, &info, 1);
            st = mech__la_info(__func__, "gesdd", info, MECH_ENOCONV);
        }
    }
    free(work);
    free(iwork);
    if (ubuf != u) free(ubuf);
    if (vbuf != vt) free(vbuf);
    free(buf);
    return st;
}

MECH_API mech_status NAME(mech_cholesky_solve)(const mech_ctx *ctx, size_t n, size_t nrhs,
                                               const REAL *a, size_t lda, REAL *b,
                                               size_t ldb)
{
    MECH_CHECK_NONZERO(NULL, n);
    MECH_CHECK_NONZERO(NULL, nrhs);
    MECH_TRY(mech__la_matrix(__func__, "a", a, n, n, lda, sizeof(REAL), LA_LAPACK_MAX));
    MECH_TRY(mech__la_matrix(__func__, "b", b, n, nrhs, ldb, sizeof(REAL), LA_LAPACK_MAX));
    MECH_TRY(mech__la_elements(__func__, n, n, 1));
    MECH_TRY(mech__la_elements(__func__, n, nrhs, 1));
    MECH_TRY(NAME(la_finite)(__func__, "a", a, n, n, lda, true));
    MECH_TRY(NAME(la_finite)(__func__, "b", b, n, nrhs, ldb, false));
    REAL *buf = NAME(la_copy_lower)(a, n, lda);
    REAL *bcol = mech__calloc(n * nrhs, sizeof(REAL), NULL);
    mech_status st = buf && bcol ? MECH_OK : MECH_ENOMEM;
    const char uplo = 'U';
    const int ni = (int)n, ri = (int)nrhs;
    int info = 0;
    if (st == MECH_OK) {
        LA(potrf)(&uplo, &ni, buf, &ni, &info, 1);
        st = mech__la_info(__func__, "potrf", info, MECH_ELINALG);
    }
    if (st == MECH_OK) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nrhs; j++) bcol[j * n + i] = b[i * ldb + j];
        LA(potrs)(&uplo, &ni, &ri, buf, &ni, bcol, &ni, &info, 1);
        st = mech__la_info(__func__, "potrs", info, MECH_ELINALG);
    }
    if (st == MECH_OK)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nrhs; j++) b[i * ldb + j] = bcol[j * n + i];
    free(bcol);
    free(buf);
    return st;
}
