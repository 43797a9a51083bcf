/* TEMPORARY, never committed: naive gemm until lib/linalg lands. */
#include "internal.h"
#include "mechanics/linalg.h"
MECH_API mech_status mech_gemm(const mech_ctx *ctx, bool ta, bool tb, size_t m, size_t n, size_t k,
                               double alpha, const double *a, size_t lda, const double *b, size_t ldb,
                               double beta, double *c, size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t l = 0; l < k; l++)
                s += (ta ? a[l * lda + i] : a[i * lda + l]) * (tb ? b[j * ldb + l] : b[l * ldb + j]);
            c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
        }
    return MECH_OK;
}
