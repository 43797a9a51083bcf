/* Dense symmetric test operators with known spectra, and a matvec
 * callback over them that can be told to misbehave. Shared by
 * test_operator.c (fast) and test_operator_stats.c (slow). */
#ifndef MECH_TEST_OPERATOR_FIXTURES_H
#define MECH_TEST_OPERATOR_FIXTURES_H

#include "harness.h"

typedef struct dense_op {
    size_t n;
    double *a;      /* n x n, symmetric */
    int64_t calls;
    int64_t fail_at; /* call index at which to misbehave (-1: never) */
    int fail_mode;   /* return value at fail_at; 0 means: write a NaN */
} dense_op;

static int dense_matvec(const double *v, double *out, size_t n, void *ud)
{
    dense_op *op = ud;
    ck_assert_uint_eq(n, op->n);
    int64_t call = op->calls++;
    ck_assert_ok(mech_gemv(NULL, false, n, n, 1.0, op->a, n, v, 0.0, out));
    if (call == op->fail_at) {
        if (op->fail_mode != 0) return op->fail_mode;
        out[n / 2] = NAN;
    }
    return 0;
}

/* A = Q diag(lambda) Q^T with Q the eigenvectors of a random symmetric
 * matrix (an orthogonal matrix from the seeded stream). */
static dense_op make_op(size_t n, const double *lambda, uint64_t seed)
{
    dense_op op = {n, malloc(n * n * sizeof(double)), 0, -1, 0};
    double *g = malloc(n * n * sizeof(double)), *q = malloc(n * n * sizeof(double));
    double *w = malloc(n * sizeof(double));
    mech_rng *r;
    ck_assert_ok(mech_rng_create_seeded(&r, seed, 7));
    ck_assert_ok(mech_rng_normal(r, g, n * n, 0, 1));
    mech_rng_destroy(r);
    ck_assert_ok(mech_syev(NULL, n, g, n, w, q)); /* lower triangle read */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t l = 0; l < n; l++) s += q[i * n + l] * lambda[l] * q[j * n + l];
            op.a[i * n + j] = s;
        }
    for (size_t i = 0; i < n; i++) /* exact symmetry */
        for (size_t j = 0; j < i; j++) op.a[j * n + i] = op.a[i * n + j];
    free(g);
    free(q);
    free(w);
    return op;
}

static double exact_trace(const dense_op *op)
{
    double t = 0;
    for (size_t i = 0; i < op->n; i++) t += op->a[i * op->n + i];
    return t;
}

#endif
