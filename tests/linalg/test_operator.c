/* Operator eigensolvers and estimators (include/mechanics/operator.h) on
 * dense symmetric matrices with known spectra, against mech_syev, explicit
 * traces and explicit powers; plus bad input. The statistical acceptance
 * checks live in test_operator_stats.c (suite slow).
 *
 * Tolerances: spectra are O(10) and n <= 150, so dense rounding is about
 * n eps ||A|| ~ 1e-12. Lanczos converges to a residual of TOL ||A|| =
 * 1e-10 ||A|| (default), which bounds the eigenvalue error by the same;
 * eigenvalues are checked to 1e-10 relative to ||A||. SLQ moments are
 * polynomial identities of the Krylov process, exact up to rounding
 * (~1e-13 for spectra in [-1, 1]); checked to 1e-10. */
#include <stdint.h>

#include "operator_fixtures.h"

/* Reference eigenvalues sorted in wanted order. */
static void reference(const dense_op *op, int which, double *out)
{
    size_t n = op->n;
    double *w = malloc(n * sizeof *w);
    ck_assert_ok(mech_syev(NULL, n, op->a, n, w, NULL));
    for (size_t i = 0; i < n; i++) out[i] = which == MECH_LANCZOS_SMALLEST ? w[i] : w[n - 1 - i];
    if (which == MECH_LANCZOS_MAGNITUDE) /* insertion sort by |lambda| desc */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && fabs(out[j - 1]) < fabs(out[j]); j--) {
                double t = out[j];
                out[j] = out[j - 1];
                out[j - 1] = t;
            }
    free(w);
}

/* Solves for k pairs and checks them against mech_syev; the residuals it
 * reports are recomputed here from the returned vectors. Returns matvecs. */
static int64_t check_topk(mech_lanczos *h, dense_op *op, size_t k, int which)
{
    size_t n = op->n;
    double *val = malloc(k * sizeof *val), *vec = malloc(k * n * sizeof *vec);
    double *res = malloc(k * sizeof *res), *ref = malloc(n * sizeof *ref);
    double *av = malloc(n * sizeof *av);
    int *conv = malloc(k * sizeof *conv);
    int64_t calls0 = op->calls;
    ck_assert_ok(mech_lanczos_set_i64(h, MECH_LANCZOS_WHICH, which));
    ck_assert_ok(mech_lanczos_solve(h, dense_matvec, op, val, vec, res, conv));
    reference(op, which, ref);
    double scale = fmax(fabs(ref[0]), fabs(ref[n - 1]));
    for (size_t i = 0; i < k; i++) {
        ck_assert_msg(fabs(val[i] - ref[i]) <= 1e-10 * scale,
                      "which %d pair %zu: %.17g vs %.17g", which, i, val[i], ref[i]);
        ck_assert_int_eq(conv[i], 1);
        ck_assert_ok(mech_gemv(NULL, false, n, n, 1.0, op->a, n, vec + i * n, 0.0, av));
        double r2 = 0, nn = 0;
        for (size_t j = 0; j < n; j++) {
            r2 += (av[j] - val[i] * vec[i * n + j]) * (av[j] - val[i] * vec[i * n + j]);
            nn += vec[i * n + j] * vec[i * n + j];
        }
        ck_assert_double_le(sqrt(r2), 1e-10 * scale);
        ck_assert_double_le(fabs(sqrt(r2) - res[i]), 1e-12 * scale);
        ck_assert_double_le(fabs(nn - 1), 1e-12);
        for (size_t l = 0; l < i; l++) { /* distinct pairs are orthogonal */
            double d = 0;
            ck_assert_ok(mech_dot(n, vec + i * n, vec + l * n, &d));
            ck_assert_double_le(fabs(d), 1e-8);
        }
    }
    int64_t mv = 0, nconv = 0;
    ck_assert_ok(mech_lanczos_get_stat(h, MECH_LANCZOS_STAT_MATVECS, &mv));
    ck_assert_ok(mech_lanczos_get_stat(h, MECH_LANCZOS_STAT_CONVERGED, &nconv));
    ck_assert_int_eq(nconv, (int64_t)k);
    ck_assert_int_eq(mv, op->calls - calls0); /* every product counted */
    free(val);
    free(vec);
    free(res);
    free(ref);
    free(av);
    free(conv);
    return mv;
}

/* Indefinite spectrum with a near-degenerate cluster at the top, an exact
 * double eigenvalue below it, and a negative end of larger magnitude. */
static double *hard_spectrum(size_t n)
{
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = -2.0 + 6.0 * (double)i / (double)n;
    l[0] = -12.0, l[1] = -12.0 + 1e-7;           /* magnitude end, clustered */
    l[n - 1] = 10.0, l[n - 2] = 10.0 - 1e-6, l[n - 3] = 10.0 - 2e-6; /* cluster */
    l[n - 4] = 7.0, l[n - 5] = 7.0;               /* degenerate */
    return l;
}

START_TEST(lanczos_topk_matches_syev)
{
    size_t n = 150, k = 6;
    double *l = hard_spectrum(n);
    dense_op op = make_op(n, l, 11);
    mech_lanczos *h;
    ck_assert_ok(mech_lanczos_create(&h, NULL, n, k, 0));
    for (int which = 0; which < 3; which++) {
        op.calls = 0;
        check_topk(h, &op, k, which);
    }
    mech_lanczos_destroy(h);
    free(op.a);
    free(l);
}
END_TEST

/* A three-fold top eigenvalue: one start vector sees one copy; the
 * randomized restart must find all three. */
START_TEST(lanczos_finds_multiplicity)
{
    size_t n = 100, k = 4;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = (double)i / (double)n;
    /* With this small gap the wanted pairs converge before rounding
     * errors grow the missing copies: without the randomized restart the
     * solver returns 1.05, 1.05, 1.025, 0.99 (checked by disabling it). */
    l[n - 1] = l[n - 2] = l[n - 3] = 1.05;
    l[n - 4] = 1.025;
    dense_op op = make_op(n, l, 12);
    mech_lanczos *h;
    ck_assert_ok(mech_lanczos_create(&h, NULL, n, k, 0));
    check_topk(h, &op, k, MECH_LANCZOS_LARGEST);
    mech_lanczos_destroy(h);
    free(op.a);
    free(l);
}
END_TEST

/* MECH_LANCZOS_CONFIRM = 0 finishes at first convergence: on a simple top
 * eigenvalue it returns the same value (to the tolerance) with fewer
 * products than the default; on the three-fold top eigenvalue of the test
 * above it misses a copy, which shows the option switches the check off. */
START_TEST(lanczos_confirm_option)
{
    size_t n = 120;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = (double)i / (double)n;
    l[n - 1] = 2.0; /* simple, well separated */
    dense_op op = make_op(n, l, 14);
    mech_lanczos *on, *off;
    ck_assert_ok(mech_lanczos_create(&on, NULL, n, 1, 0));
    ck_assert_ok(mech_lanczos_create(&off, NULL, n, 1, 0));
    int64_t v = -1;
    ck_assert_ok(mech_lanczos_get_i64(off, MECH_LANCZOS_CONFIRM, &v));
    ck_assert_int_eq(v, 1); /* default on */
    ck_assert_ok(mech_lanczos_set_i64(off, MECH_LANCZOS_CONFIRM, 0));
    int64_t mv_on = check_topk(on, &op, 1, MECH_LANCZOS_LARGEST);
    int64_t mv_off = check_topk(off, &op, 1, MECH_LANCZOS_LARGEST);
    ck_assert_msg(mv_off < mv_on, "confirm off %lld products, on %lld", (long long)mv_off,
                  (long long)mv_on);
    mech_lanczos_destroy(on);
    mech_lanczos_destroy(off);
    free(op.a);
    /* the multiplicity case: without the check the third copy is missed */
    l = realloc(l, 100 * sizeof *l);
    for (size_t i = 0; i < 100; i++) l[i] = (double)i / 100.0;
    l[99] = l[98] = l[97] = 1.05;
    l[96] = 1.025;
    op = make_op(100, l, 12);
    ck_assert_ok(mech_lanczos_create(&off, NULL, 100, 4, 0));
    ck_assert_ok(mech_lanczos_set_i64(off, MECH_LANCZOS_CONFIRM, 0));
    double val[4];
    ck_assert_ok(mech_lanczos_solve(off, dense_matvec, &op, val, NULL, NULL, NULL));
    ck_assert_double_lt(val[2], 1.05 - 1e-3);
    ck_assert_fails_with(mech_lanczos_set_i64(off, MECH_LANCZOS_CONFIRM, 2), MECH_ERANGE);
    mech_lanczos_destroy(off);
    free(op.a);
    free(l);
}
END_TEST

/* basis == n: one cycle spans the space (exact), even for k = n. */
START_TEST(lanczos_small_exact)
{
    double l[5] = {-3, -1, 0, 2, 2};
    dense_op op = make_op(5, l, 13);
    mech_lanczos *h;
    ck_assert_ok(mech_lanczos_create(&h, NULL, 5, 5, 5));
    check_topk(h, &op, 5, MECH_LANCZOS_LARGEST);
    mech_lanczos_destroy(h);
    ck_assert_ok(mech_lanczos_create(&h, NULL, 5, 2, 0)); /* default basis = n */
    double zero[5] = {0}; /* a zero start falls back to a random one */
    ck_assert_ok(mech_lanczos_set_start(h, zero));
    check_topk(h, &op, 2, MECH_LANCZOS_SMALLEST);
    mech_lanczos_destroy(h);
    free(op.a);
    double one = -2.5;
    op = make_op(1, &one, 13);
    ck_assert_ok(mech_lanczos_create(&h, NULL, 1, 1, 0));
    check_topk(h, &op, 1, MECH_LANCZOS_MAGNITUDE);
    mech_lanczos_destroy(h);
    free(op.a);
}
END_TEST

/* The sharpness probe's use: re-measure lambda_max after a small change of
 * the operator. Starting from the previous top vector must take fewer
 * products than a random start. */
START_TEST(lanczos_warm_start_saves_matvecs)
{
    size_t n = 150;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = 1.0 + (double)i / (double)n;
    l[n - 1] = 2.1; /* modest gap: cold Lanczos needs several restarts */
    dense_op op = make_op(n, l, 14);
    mech_lanczos *warm, *cold;
    ck_assert_ok(mech_lanczos_create(&warm, NULL, n, 1, 12));
    ck_assert_ok(mech_lanczos_create(&cold, NULL, n, 1, 12));
    ck_assert_ok(mech_lanczos_set_i64(cold, MECH_LANCZOS_WARM_START, 0));
    check_topk(warm, &op, 1, MECH_LANCZOS_LARGEST);
    for (size_t i = 0; i < n * n; i++) /* symmetric perturbation, 1e-5 */
        op.a[i] += 1e-5 * sin((double)((i / n) * (i % n)));
    op.calls = 0;
    int64_t mv_warm = check_topk(warm, &op, 1, MECH_LANCZOS_LARGEST);
    op.calls = 0;
    int64_t mv_cold = check_topk(cold, &op, 1, MECH_LANCZOS_LARGEST);
    ck_assert_msg(mv_warm < mv_cold, "warm %lld vs cold %lld matvecs",
                  (long long)mv_warm, (long long)mv_cold);
    /* An explicit start vector is used too: the top eigenvector of the
     * current matrix from mech_syev converges at once. */
    double *w = malloc(n * sizeof *w), *q = malloc(n * n * sizeof *q), *v = malloc(n * sizeof *v);
    ck_assert_ok(mech_syev(NULL, n, op.a, n, w, q));
    for (size_t i = 0; i < n; i++) v[i] = q[i * n + n - 1];
    ck_assert_ok(mech_lanczos_set_start(cold, v));
    op.calls = 0;
    int64_t mv_exact = check_topk(cold, &op, 1, MECH_LANCZOS_LARGEST);
    ck_assert_int_lt(mv_exact, mv_cold);
    free(w);
    free(q);
    free(v);
    mech_lanczos_destroy(warm);
    mech_lanczos_destroy(cold);
    free(op.a);
    free(l);
}
END_TEST

START_TEST(lanczos_no_convergence_gives_partial)
{
    size_t n = 150;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = (double)i / (double)n;
    dense_op op = make_op(n, l, 15);
    mech_lanczos *h;
    ck_assert_ok(mech_lanczos_create(&h, NULL, n, 1, 4));
    ck_assert_ok(mech_lanczos_set_i64(h, MECH_LANCZOS_MAX_RESTARTS, 0));
    double val, res;
    int conv = 7;
    ck_assert_fails_with(mech_lanczos_solve(h, dense_matvec, &op, &val, NULL, &res, &conv),
                         MECH_ENOCONV);
    ck_assert(isfinite(val) && val <= l[n - 1] + 1e-12 && val > 0.5);
    ck_assert_int_eq(conv, 0);
    ck_assert_double_gt(res, 1e-10);
    mech_lanczos_destroy(h);
    free(op.a);
    free(l);
}
END_TEST

START_TEST(lanczos_bad_input)
{
    double l[20];
    for (int i = 0; i < 20; i++) l[i] = i;
    dense_op op = make_op(20, l, 16);
    mech_lanczos *h = (mech_lanczos *)&op; /* must be reset to NULL on failure */
    ck_assert_fails_with(mech_lanczos_create(NULL, NULL, 20, 2, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_create(&h, NULL, 0, 2, 0), MECH_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_fails_with(mech_lanczos_create(&h, NULL, 20, 0, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_create(&h, NULL, 20, 21, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_lanczos_create(&h, NULL, 20, 2, 4), MECH_ERANGE);
    ck_assert_fails_with(mech_lanczos_create(&h, NULL, 20, 2, 21), MECH_ERANGE);
    ck_assert_ok(mech_lanczos_create(&h, NULL, 20, 2, 0));
    ck_assert_fails_with(mech_lanczos_set_i64(h, MECH_LANCZOS_WHICH, 3), MECH_ERANGE);
    ck_assert_ptr_nonnull(strstr(mech_lanczos_last_error(h), "which"));
    ck_assert_fails_with(mech_lanczos_set_f64(h, MECH_LANCZOS_TOL, 0.0), MECH_ERANGE);
    ck_assert_fails_with(mech_lanczos_set_f64(h, MECH_LANCZOS_TOL, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_lanczos_set_f64(h, MECH_LANCZOS_WHICH, 1.0), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_set_i64(h, (mech_lanczos_opt)99, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_set_i64(NULL, MECH_LANCZOS_WHICH, 1), MECH_EINVAL);
    int64_t iv = -1;
    double fv = -1;
    ck_assert_ok(mech_lanczos_get_i64(h, MECH_LANCZOS_WHICH, &iv));
    ck_assert_int_eq(iv, MECH_LANCZOS_LARGEST); /* failed sets changed nothing */
    ck_assert_ok(mech_lanczos_get_f64(h, MECH_LANCZOS_TOL, &fv));
    ck_assert_double_eq(fv, 1e-10);
    ck_assert_fails_with(mech_lanczos_get_i64(h, MECH_LANCZOS_WHICH, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_get_stat(h, (mech_lanczos_stat)9, &iv), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_get_stat(NULL, MECH_LANCZOS_STAT_STEPS, &iv),
                         MECH_EINVAL);
    double v[20] = {0}, vals[2], res[2];
    int conv[2];
    v[3] = NAN;
    ck_assert_fails_with(mech_lanczos_set_start(h, v), MECH_ENONFINITE);
    ck_assert_fails_with(mech_lanczos_set_start(h, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_set_start(NULL, v), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_solve(h, NULL, &op, vals, NULL, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_solve(h, dense_matvec, &op, NULL, NULL, NULL, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_lanczos_solve(NULL, dense_matvec, &op, vals, NULL, NULL, NULL),
                         MECH_EINVAL);
    /* Callback failures at the first product and in the verification (a
     * basis of n = 20 spans the space in 20 products; 2 checks follow). */
    for (int64_t at = 0; at < 22; at += 21) {
        op.calls = 0, op.fail_at = at, op.fail_mode = -3;
        ck_assert_fails_with(mech_lanczos_solve(h, dense_matvec, &op, vals, NULL, NULL, NULL),
                             MECH_ECALLBACK);
        op.calls = 0, op.fail_mode = 0;
        ck_assert_fails_with(mech_lanczos_solve(h, dense_matvec, &op, vals, NULL, NULL, NULL),
                             MECH_ENONFINITE);
        op.calls = 0, op.fail_mode = 2;
        ck_assert_int_eq(mech_lanczos_solve(h, dense_matvec, &op, vals, NULL, res, conv),
                         MECH_STOPPED);
        ck_assert(isnan(vals[0]) && isnan(res[1]) && conv[0] == 0);
    }
    op.calls = 0, op.fail_at = -1; /* still usable */
    ck_assert_ok(mech_lanczos_solve(h, dense_matvec, &op, vals, NULL, NULL, NULL));
    ck_assert_double_le(fabs(vals[0] - 19.0), 1e-9);
    ck_assert_double_le(fabs(vals[1] - 18.0), 1e-9);
    mech_lanczos_destroy(h);
    mech_lanczos_destroy(NULL);
    ck_assert_str_eq(mech_lanczos_last_error(NULL), "");
    free(op.a);
}
END_TEST

/* ---------------- Hutchinson / Hutch++ ---------------- */

/* A diagonal operator: Rademacher probes give z^T D z = tr D exactly. */
START_TEST(hutchinson_exact_on_diagonal)
{
    size_t n = 40;
    double *l = malloc(n * sizeof *l);
    dense_op op = {n, calloc(n * n, sizeof(double)), 0, -1, 0};
    for (size_t i = 0; i < n; i++) op.a[i * n + i] = l[i] = sin((double)i) * 3;
    mech_hutchinson *h;
    ck_assert_ok(mech_hutchinson_create(&h, NULL, n, 5, 0));
    double t, se;
    ck_assert_ok(mech_hutchinson_estimate(h, dense_matvec, &op, &t, &se));
    ck_assert_close(t, exact_trace(&op), 1e-12);
    ck_assert_double_le(se, 1e-12);
    int64_t mv, pr;
    ck_assert_ok(mech_hutchinson_get_stat(h, MECH_HUTCHINSON_STAT_MATVECS, &mv));
    ck_assert_ok(mech_hutchinson_get_stat(h, MECH_HUTCHINSON_STAT_PROBES, &pr));
    ck_assert_int_eq(mv, 5);
    ck_assert_int_eq(pr, 5);
    mech_hutchinson_destroy(h);
    free(op.a);
    free(l);
}
END_TEST

/* Hutch++ on a rank-3 operator with a sketch of 5: Q spans the range, the
 * exact part is the whole trace and the complement contributes ~0. */
START_TEST(hutchpp_exact_on_low_rank)
{
    size_t n = 60;
    double *l = calloc(n, sizeof *l);
    l[0] = 5, l[1] = -2, l[2] = 0.5;
    dense_op op = make_op(n, l, 21);
    mech_hutchinson *h;
    ck_assert_ok(mech_hutchinson_create(&h, NULL, n, 4, 5));
    double t, se;
    ck_assert_ok(mech_hutchinson_estimate(h, dense_matvec, &op, &t, &se));
    ck_assert_close(t, 3.5, 1e-10);
    ck_assert_double_le(se, 1e-10);
    int64_t rank, mv;
    ck_assert_ok(mech_hutchinson_get_stat(h, MECH_HUTCHINSON_STAT_RANK, &rank));
    ck_assert_ok(mech_hutchinson_get_stat(h, MECH_HUTCHINSON_STAT_MATVECS, &mv));
    ck_assert_int_eq(rank, 3);
    ck_assert_int_eq(mv, 5 + 3 + 4);
    mech_hutchinson_destroy(h);
    free(op.a);
    free(l);
}
END_TEST

START_TEST(hutchinson_bad_input)
{
    double l[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    dense_op op = make_op(10, l, 22);
    mech_hutchinson *h;
    ck_assert_fails_with(mech_hutchinson_create(NULL, NULL, 10, 3, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_hutchinson_create(&h, NULL, 0, 3, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_hutchinson_create(&h, NULL, 10, 0, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_hutchinson_create(&h, NULL, 10, 3, 11), MECH_ERANGE);
    ck_assert_ok(mech_hutchinson_create(&h, NULL, 10, 3, 2));
    double t, se;
    ck_assert_fails_with(mech_hutchinson_estimate(NULL, dense_matvec, &op, &t, &se),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_hutchinson_estimate(h, NULL, &op, &t, &se), MECH_EINVAL);
    ck_assert_fails_with(mech_hutchinson_get_stat(h, (mech_hutchinson_stat)5, &(int64_t){0}),
                         MECH_EINVAL);
    op.fail_at = 0, op.fail_mode = -1;
    ck_assert_fails_with(mech_hutchinson_estimate(h, dense_matvec, &op, &t, &se),
                         MECH_ECALLBACK);
    op.calls = 0, op.fail_at = 5, op.fail_mode = 0; /* in the probe phase */
    ck_assert_fails_with(mech_hutchinson_estimate(h, dense_matvec, &op, &t, &se),
                         MECH_ENONFINITE);
    /* Stop after the sketch (2 + 2 products) and two probes: an estimate
     * from those two probes. */
    op.calls = 0, op.fail_at = 6, op.fail_mode = 1;
    ck_assert_int_eq(mech_hutchinson_estimate(h, dense_matvec, &op, &t, &se), MECH_STOPPED);
    int64_t pr;
    ck_assert_ok(mech_hutchinson_get_stat(h, MECH_HUTCHINSON_STAT_PROBES, &pr));
    ck_assert_int_eq(pr, 2);
    ck_assert(isfinite(t) && isfinite(se));
    op.calls = 0, op.fail_at = 0; /* stopped while sketching: no estimate */
    ck_assert_int_eq(mech_hutchinson_estimate(h, dense_matvec, &op, &t, &se), MECH_STOPPED);
    ck_assert(isnan(t) && isnan(se));
    op.fail_at = -1;
    ck_assert_ok(mech_hutchinson_estimate(h, dense_matvec, &op, &t, NULL));
    mech_hutchinson_destroy(h);
    mech_hutchinson_destroy(NULL);
    free(op.a);
}
END_TEST

/* ---------------- SLQ ---------------- */

/* For every probe: sum_j w_j node_j^d = v^T H^d v / v^T v, d <= 2m - 1,
 * with v regenerated by get_probe and H^d v by repeated products; the
 * weights sum to 1 and mech_slq_moments is the mean over probes. */
static void check_slq_moments(dense_op *op, size_t probes, size_t m, int kind,
                              size_t nodes_used)
{
    size_t n = op->n, deg = 2 * m;
    mech_slq *h;
    ck_assert_ok(mech_slq_create(&h, NULL, n, probes, m));
    ck_assert_ok(mech_slq_set_i64(h, MECH_SLQ_PROBES, kind));
    ck_assert_ok(mech_slq_run(h, dense_matvec, op));
    double *nodes = malloc(probes * m * sizeof *nodes), *wts = malloc(probes * m * sizeof *wts);
    double *v = malloc(n * sizeof *v), *hv = malloc(n * sizeof *hv), *t = malloc(n * sizeof *t);
    double *mean = calloc(deg, sizeof *mean), *lib = malloc(deg * sizeof *lib);
    ck_assert_ok(mech_slq_get_nodes(h, nodes, wts));
    for (size_t p = 0; p < probes; p++) {
        ck_assert_ok(mech_slq_get_probe(h, p, v));
        double vv = 0, sum = 0;
        ck_assert_ok(mech_dot(n, v, v, &vv));
        if (kind == MECH_SLQ_RADEMACHER) ck_assert_double_eq(vv, (double)n);
        for (size_t j = 0; j < m; j++) sum += wts[p * m + j];
        ck_assert_close(sum, 1.0, 1e-14);
        for (size_t j = nodes_used; j < m; j++) ck_assert_double_eq(wts[p * m + j], 0.0);
        memcpy(hv, v, n * sizeof *v);
        for (size_t d = 0; d < deg; d++) {
            double want = 0, got = 0, pw = 1;
            ck_assert_ok(mech_dot(n, v, hv, &want));
            want /= vv;
            for (size_t j = 0; j < m; j++, pw = 1) {
                for (size_t e = 0; e < d; e++) pw *= nodes[p * m + j];
                got += wts[p * m + j] * pw;
            }
            ck_assert_msg(fabs(got - want) <= 1e-10, "probe %zu degree %zu: %.17g vs %.17g",
                          p, d, got, want);
            mean[d] += want / (double)probes;
            ck_assert_ok(mech_gemv(NULL, false, n, n, 1.0, op->a, n, hv, 0.0, t));
            memcpy(hv, t, n * sizeof *t);
        }
    }
    ck_assert_ok(mech_slq_moments(h, deg, lib));
    for (size_t d = 0; d < deg; d++) ck_assert_double_le(fabs(lib[d] - mean[d]), 1e-10);
    free(nodes), free(wts), free(v), free(hv), free(t), free(mean), free(lib);
    mech_slq_destroy(h);
}

START_TEST(slq_moments_match_quadratic_forms)
{
    size_t n = 80;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = cos(0.37 * (double)i * (double)i); /* in [-1,1] */
    dense_op op = make_op(n, l, 31);
    check_slq_moments(&op, 4, 10, MECH_SLQ_RADEMACHER, 10);
    check_slq_moments(&op, 3, 8, MECH_SLQ_GAUSSIAN, 8);
    free(op.a);
    free(l);
}
END_TEST

/* Three distinct eigenvalues: the Krylov space is invariant after three
 * steps; the rule keeps three nodes, pads with weight 0 and is exact. */
START_TEST(slq_invariant_subspace)
{
    size_t n = 30;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = i < 10 ? -0.5 : i < 20 ? 0.25 : 1.0;
    dense_op op = make_op(n, l, 32);
    check_slq_moments(&op, 2, 6, MECH_SLQ_RADEMACHER, 3);
    free(op.a);
    free(l);
}
END_TEST

/* The smoothed density integrates to 1 (trapezoid rule on a grid reaching
 * 10 sigma beyond the spectrum: the truncated mass is < 1e-20 and the rule
 * is spectrally accurate for the Gaussian kernel at h = sigma / 10). */
START_TEST(slq_density_integrates_to_one)
{
    size_t n = 50;
    double *l = malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++) l[i] = 2.0 * sin((double)i);
    dense_op op = make_op(n, l, 33);
    mech_slq *h;
    ck_assert_ok(mech_slq_create(&h, NULL, n, 5, 12));
    ck_assert_ok(mech_slq_run(h, dense_matvec, &op));
    double sigma = 0.05, lo = -2.0 - 10 * sigma, step = sigma / 10;
    size_t count = (size_t)((4.0 + 20 * sigma) / step) + 1;
    double *grid = malloc(count * sizeof *grid), *phi = malloc(count * sizeof *phi);
    for (size_t i = 0; i < count; i++) grid[i] = lo + step * (double)i;
    ck_assert_ok(mech_slq_density(h, grid, count, sigma, phi));
    double integral = 0;
    for (size_t i = 0; i < count; i++)
        integral += phi[i] * step * (i == 0 || i + 1 == count ? 0.5 : 1.0);
    ck_assert_close(integral, 1.0, 1e-10);
    free(grid), free(phi);
    mech_slq_destroy(h);
    free(op.a);
    free(l);
}
END_TEST

START_TEST(slq_bad_input)
{
    double l[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    dense_op op = make_op(10, l, 34);
    mech_slq *h;
    double t, v[10], g = 0, out;
    ck_assert_fails_with(mech_slq_create(NULL, NULL, 10, 2, 3), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_create(&h, NULL, 0, 2, 3), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_create(&h, NULL, 10, 0, 3), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_create(&h, NULL, 10, 2, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_create(&h, NULL, 10, 2, 11), MECH_ERANGE);
    ck_assert_ok(mech_slq_create(&h, NULL, 10, 2, 3));
    ck_assert_fails_with(mech_slq_set_i64(h, MECH_SLQ_PROBES, 2), MECH_ERANGE);
    ck_assert_fails_with(mech_slq_set_i64(h, (mech_slq_opt)3, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_get_i64(h, MECH_SLQ_PROBES, NULL), MECH_EINVAL);
    /* No results yet. */
    ck_assert_fails_with(mech_slq_trace(h, &t, NULL), MECH_ESTATE);
    ck_assert_fails_with(mech_slq_get_nodes(h, v, NULL), MECH_ESTATE);
    ck_assert_fails_with(mech_slq_get_probe(h, 0, v), MECH_ESTATE);
    ck_assert_fails_with(mech_slq_moments(h, 2, v), MECH_ESTATE);
    ck_assert_fails_with(mech_slq_density(h, &g, 1, 1.0, &out), MECH_ESTATE);
    ck_assert_fails_with(mech_slq_run(h, NULL, &op), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_run(NULL, dense_matvec, &op), MECH_EINVAL);
    op.fail_at = 4, op.fail_mode = -2;
    ck_assert_fails_with(mech_slq_run(h, dense_matvec, &op), MECH_ECALLBACK);
    op.calls = 0, op.fail_mode = 0;
    ck_assert_fails_with(mech_slq_run(h, dense_matvec, &op), MECH_ENONFINITE);
    ck_assert_fails_with(mech_slq_trace(h, &t, NULL), MECH_ESTATE);
    /* Stop in the second probe: the first probe's results stay. */
    op.calls = 0, op.fail_mode = 5;
    ck_assert_int_eq(mech_slq_run(h, dense_matvec, &op), MECH_STOPPED);
    double se, nodes[6];
    ck_assert_ok(mech_slq_trace(h, &t, &se));
    ck_assert(isfinite(t) && isnan(se));
    ck_assert_ok(mech_slq_get_nodes(h, nodes, NULL));
    ck_assert(isfinite(nodes[2]) && isnan(nodes[3]));
    ck_assert_fails_with(mech_slq_get_probe(h, 1, v), MECH_ERANGE);
    ck_assert_fails_with(mech_slq_get_probe(h, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_density(h, &g, 1, 0.0, &out), MECH_ERANGE);
    ck_assert_fails_with(mech_slq_density(h, &g, 1, NAN, &out), MECH_ERANGE);
    g = NAN;
    ck_assert_fails_with(mech_slq_density(h, &g, 1, 1.0, &out), MECH_ENONFINITE);
    ck_assert_fails_with(mech_slq_density(h, NULL, 1, 1.0, &out), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_moments(h, 2, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_slq_get_stat(h, (mech_slq_stat)4, &(int64_t){0}), MECH_EINVAL);
    op.fail_at = -1;
    ck_assert_ok(mech_slq_run(h, dense_matvec, &op));
    int64_t mv, pr;
    ck_assert_ok(mech_slq_get_stat(h, MECH_SLQ_STAT_MATVECS, &mv));
    ck_assert_ok(mech_slq_get_stat(h, MECH_SLQ_STAT_PROBES, &pr));
    ck_assert_int_eq(mv, 6);
    ck_assert_int_eq(pr, 2);
    mech_slq_destroy(h);
    mech_slq_destroy(NULL);
    free(op.a);
}
END_TEST

static Suite *operator_suite(void)
{
    Suite *s = suite_create("operator");
    TCase *tc = tcase_create("operator");
    tcase_add_test(tc, lanczos_topk_matches_syev);
    tcase_add_test(tc, lanczos_finds_multiplicity);
    tcase_add_test(tc, lanczos_confirm_option);
    tcase_add_test(tc, lanczos_small_exact);
    tcase_add_test(tc, lanczos_warm_start_saves_matvecs);
    tcase_add_test(tc, lanczos_no_convergence_gives_partial);
    tcase_add_test(tc, lanczos_bad_input);
    tcase_add_test(tc, hutchinson_exact_on_diagonal);
    tcase_add_test(tc, hutchpp_exact_on_low_rank);
    tcase_add_test(tc, hutchinson_bad_input);
    tcase_add_test(tc, slq_moments_match_quadratic_forms);
    tcase_add_test(tc, slq_invariant_subspace);
    tcase_add_test(tc, slq_density_integrates_to_one);
    tcase_add_test(tc, slq_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(operator_suite()); }
