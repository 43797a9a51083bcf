/* Shared fixtures of the linear-network theory tests: random orthonormal
 * columns (Gram-Schmidt written out, so references do not lean on the
 * library's linear algebra) and a full-batch GD loop over a model. */
#ifndef MECH_TEST_LINEAR_FIXTURES_H
#define MECH_TEST_LINEAR_FIXTURES_H

#include "harness.h"

/* q (rows x cols, row-major, cols <= rows) with orthonormal columns from
 * Gaussian draws of the seeded stream. */
static inline void random_orthonormal(uint64_t stream, size_t rows, size_t cols, double *q)
{
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 2014, stream));
    ck_assert_ok(mech_rng_normal(rng, q, rows * cols, 0.0, 1.0));
    mech_rng_destroy(rng);
    for (size_t j = 0; j < cols; j++) {
        for (int pass = 0; pass < 2; pass++) /* twice is enough (Kahan) */
            for (size_t k = 0; k < j; k++) {
                double dot = 0.0;
                for (size_t i = 0; i < rows; i++) dot += q[i * cols + j] * q[i * cols + k];
                for (size_t i = 0; i < rows; i++) q[i * cols + j] -= dot * q[i * cols + k];
            }
        double nrm = 0.0;
        for (size_t i = 0; i < rows; i++) nrm += q[i * cols + j] * q[i * cols + j];
        nrm = sqrt(nrm);
        for (size_t i = 0; i < rows; i++) q[i * cols + j] /= nrm;
    }
}

/* One full-batch GD step on the 1/2-MSE loss. Returns the loss before
 * it; `before` receives the parameters before it, `work` and `grad` are
 * scratch (n_params entries each). */
static inline double gd_step(mech_model *m, mech_optimizer *opt, const double *x,
                             const double *y, size_t n, double *before, double *work,
                             double *grad, size_t n_params)
{
    double loss;
    ck_assert_ok(mech_model_get_params(m, before, n_params));
    memcpy(work, before, n_params * sizeof(double));
    ck_assert_ok(mech_model_gradient(m, MECH_LOSS_MSE, x, y, n, &loss, grad));
    ck_assert_ok(mech_optimizer_step(opt, work, grad));
    ck_assert_ok(mech_model_set_params(m, work, n_params));
    return loss;
}

#endif
