/* Implicit bias of diagonal linear networks (THEORY.md section 8): the
 * dual Newton solver against optimality conditions, the l2 / l1 limits,
 * and gradient descent on actual DIAGONAL models. */
#include <stdio.h>

#include "compare_fixture.h"
#include "linear_fixtures.h"

#define NMAX 10
#define DMAX 20

/* Q_alpha(beta) = sum alpha^2 q(beta_i / alpha^2), written from THEORY.md. */
static double q_alpha(const double *beta, size_t d, double alpha)
{
    double a2 = alpha * alpha, s = 0.0;
    for (size_t i = 0; i < d; i++) {
        double z = beta[i] / a2;
        s += a2 * (2.0 - sqrt(4.0 + z * z) + z * asinh(z / 2.0));
    }
    return s;
}

/* Gaussian X (n x d) and y = X beta_star with a 2-sparse beta_star. */
static void sparse_problem(size_t n, size_t d, uint64_t stream, double *x, double *y,
                           double *beta_star)
{
    mech_rng *rng;
    ck_assert_ok(mech_rng_create_seeded(&rng, 2020, stream));
    ck_assert_ok(mech_rng_normal(rng, x, n * d, 0.0, 1.0));
    mech_rng_destroy(rng);
    memset(beta_star, 0, d * sizeof(double));
    beta_star[1] = 1.0;
    beta_star[d - 2] = -0.7;
    for (size_t j = 0; j < n; j++) {
        y[j] = 0.0;
        for (size_t i = 0; i < d; i++) y[j] += x[j * d + i] * beta_star[i];
    }
}

/* Orthonormal basis of the null space of X (d x (d - n) columns), written
 * out: Gram-Schmidt of the rows of X followed by the unit vectors. */
static size_t null_space(const double *x, size_t n, size_t d, double *basis)
{
    double b[DMAX * DMAX];
    size_t k = 0;
    for (size_t c = 0; c < n + d; c++) {
        double v[DMAX];
        for (size_t i = 0; i < d; i++) v[i] = c < n ? x[c * d + i] : (i == c - n);
        for (int pass = 0; pass < 2; pass++)
            for (size_t p = 0; p < k; p++) {
                double dot = 0.0;
                for (size_t i = 0; i < d; i++) dot += v[i] * b[p * d + i];
                for (size_t i = 0; i < d; i++) v[i] -= dot * b[p * d + i];
            }
        double nrm = 0.0;
        for (size_t i = 0; i < d; i++) nrm += v[i] * v[i];
        if (sqrt(nrm) < 1e-8) continue;
        for (size_t i = 0; i < d; i++) b[k * d + i] = v[i] / sqrt(nrm);
        k++;
    }
    ck_assert_uint_eq(k, d);
    memcpy(basis, b + n * d, (d - n) * d * sizeof(double));
    return d - n;
}

/* The solution is feasible, and Q_alpha grows along every null-space
 * direction (a first- and second-order optimality check that does not use
 * the dual). */
static void check_optimal(const double *x, const double *y, size_t n, size_t d, double alpha,
                          const double *beta)
{
    for (size_t j = 0; j < n; j++) {
        double r = -y[j];
        for (size_t i = 0; i < d; i++) r += x[j * d + i] * beta[i];
        ck_assert_double_le(fabs(r), 1e-9);
    }
    double basis[DMAX * DMAX], trial[DMAX];
    size_t k = null_space(x, n, d, basis);
    double q0 = q_alpha(beta, d, alpha), bmax = 0.0;
    for (size_t i = 0; i < d; i++) bmax = fmax(bmax, fabs(beta[i]));
    for (size_t p = 0; p < k; p++)
        for (int sign = -1; sign <= 1; sign += 2) {
            double eps = sign * 1e-3 * fmax(bmax, alpha * alpha);
            for (size_t i = 0; i < d; i++) trial[i] = beta[i] + eps * basis[p * d + i];
            /* gradient orthogonal to the null space: Q rises by O(eps^2) */
            ck_assert_msg(q_alpha(trial, d, alpha) >= q0 - 1e-12 * fmax(q0, 1e-300),
                          "Q decreases along null direction %zu (alpha %g)", p, alpha);
        }
}

START_TEST(solver_is_optimal)
{
    const size_t n = 6, d = 14;
    double x[NMAX * DMAX], y[NMAX], bs[DMAX], beta[DMAX];
    sparse_problem(n, d, 1, x, y, bs);
    const double alphas[7] = {1e3, 10.0, 1.0, 0.1, 0.01, 1e-3, 1e-30};
    for (size_t a = 0; a < 7; a++) {
        mech_implicit_bias_report rep = {.size = sizeof rep};
        ck_assert_ok(mech_diagonal_implicit_bias(NULL, x, y, n, d, alphas[a], beta, &rep));
        fprintf(stderr, "# alpha %g: %zu Newton iterations, residual %.1e\n", alphas[a],
                rep.iterations, rep.residual);
        ck_assert_double_le(rep.residual, 1e-10);
        check_optimal(x, y, n, d, alphas[a], beta);
    }
}
END_TEST

/* Large alpha: the minimum-l2 interpolator X^T (X X^T)^-1 y (solved here by
 * Gaussian elimination); small alpha: the sparse beta_star, which is the
 * minimum-l1 interpolator of this Gaussian design (exact recovery). */
START_TEST(limits_l2_and_l1)
{
    const size_t n = 10, d = 20;
    double x[NMAX * DMAX], y[NMAX], bs[DMAX], beta[DMAX];
    sparse_problem(n, d, 2, x, y, bs);
    double g[NMAX * (NMAX + 1)];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < d; k++) acc += x[i * d + k] * x[j * d + k];
            g[i * (n + 1) + j] = acc;
        }
        g[i * (n + 1) + n] = y[i];
    }
    for (size_t c = 0; c < n; c++) /* SPD: no pivoting needed */
        for (size_t r = c + 1; r < n; r++) {
            double f = g[r * (n + 1) + c] / g[c * (n + 1) + c];
            for (size_t k = c; k <= n; k++) g[r * (n + 1) + k] -= f * g[c * (n + 1) + k];
        }
    double lam[NMAX], l2[DMAX] = {0};
    for (size_t r = n; r-- > 0;) {
        double acc = g[r * (n + 1) + n];
        for (size_t k = r + 1; k < n; k++) acc -= g[r * (n + 1) + k] * lam[k];
        lam[r] = acc / g[r * (n + 1) + r];
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < n; j++) l2[i] += x[j * d + i] * lam[j];
    /* alpha = 30: |beta|/alpha^2 ~ 1e-3, q(z) = z^2/4 (1 - z^2/48 + ...):
     * relative departure from l2 ~ 1e-8. */
    ck_assert_ok(mech_diagonal_implicit_bias(NULL, x, y, n, d, 30.0, beta, NULL));
    for (size_t i = 0; i < d; i++) ck_assert_double_le(fabs(beta[i] - l2[i]), 1e-6);
    /* Small alpha: Q_alpha / ln(1/alpha^2) tends to the l1 norm, slowly:
     * the distance to the l1 solution must shrink with alpha, and is
     * measured at ~5e-5 for alpha = 1e-9. */
    double prev = INFINITY;
    for (double alpha = 1e-3; alpha > 1e-10; alpha *= 1e-2) {
        mech_implicit_bias_report rep = {.size = sizeof rep};
        ck_assert_ok(mech_diagonal_implicit_bias(NULL, x, y, n, d, alpha, beta, &rep));
        double err = 0.0;
        for (size_t i = 0; i < d; i++) err = fmax(err, fabs(beta[i] - bs[i]));
        fprintf(stderr, "# alpha %g: max |beta - beta_l1| = %.2e (%zu iterations)\n", alpha,
                err, rep.iterations);
        ck_assert_double_lt(err, prev);
        prev = err;
    }
    ck_assert_double_le(prev, 1e-3);
}
END_TEST

/* Gradient descent on the DIAGONAL model from w+ = w- = alpha until the
 * loss is ~1e-20; returns beta = w+^2 - w-^2. */
static void train_diagonal(const double *x, const double *y, size_t n, size_t d, double alpha,
                           double eta, size_t max_steps, double *beta)
{
    mech_model *m;
    const size_t widths[2] = {d, 1};
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_DIAGONAL));
    ck_assert_ok(mech_model_set_widths(m, widths, 2));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, alpha));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, n));
    ck_assert_ok(mech_model_setup(m));
    size_t np = mech_model_num_params(m);
    ck_assert_uint_eq(np, 2 * d);
    double p[2 * DMAX], work[2 * DMAX], grad[2 * DMAX], loss = 1.0;
    mech_optimizer *opt;
    ck_assert_ok(mech_optimizer_create(&opt, NULL, MECH_OPTIMIZER_GD, np));
    ck_assert_ok(mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, eta));
    ck_assert_ok(mech_optimizer_setup(opt));
    size_t k = 0;
    for (; k < max_steps && loss > 1e-20; k++)
        loss = gd_step(m, opt, x, y, n, p, work, grad, np);
    fprintf(stderr, "# GD alpha %g eta %g: %zu steps, loss %.1e\n", alpha, eta, k, loss);
    ck_assert_double_le(loss, 1e-16);
    ck_assert_ok(mech_model_get_params(m, p, np));
    for (size_t i = 0; i < d; i++) beta[i] = p[i] * p[i] - p[d + i] * p[d + i];
    mech_optimizer_destroy(opt);
    mech_model_destroy(m);
}

static void check_gd_reaches_bias(double alpha, double eta)
{
    const size_t n = 5, d = 10;
    double x[NMAX * DMAX], y[NMAX], bs[DMAX], beta_gd[DMAX], beta[DMAX];
    sparse_problem(n, d, 3, x, y, bs);
    for (size_t i = 0; i < n * d; i++) x[i] *= 0.5; /* keeps eta * curvature small */
    train_diagonal(x, y, n, d, alpha, eta, 2000000, beta_gd);
    ck_assert_ok(mech_diagonal_implicit_bias(NULL, x, y, n, d, alpha, beta, NULL));
    /* Coordinate index as the axis; rel_floor 1e-3 keeps max_rel of the
     * zero coordinates finite (it is reported, not asserted). */
    double coord[DMAX];
    index_axis(coord, d);
    char name[64];
    snprintf(name, sizeof name, "diagonal beta_GD vs solver, alpha %g", alpha);
    mech_comparison c = compare_pointwise(name, coord, beta, beta_gd, NULL, d, 1e-3);
    /* Acceptance: 1e-3. GD's finite step shifts the implicit bias by O(eta)
     * (an effectively smaller alpha); eta is chosen to keep it below that. */
    ck_assert_double_le(c.max_abs, 1e-3);
}

START_TEST(gd_reaches_bias_alpha1) { check_gd_reaches_bias(1.0, 2e-3); }
END_TEST

START_TEST(gd_reaches_bias_alpha01) { check_gd_reaches_bias(0.1, 2e-3); }
END_TEST

START_TEST(bad_input)
{
    double x[6] = {1, 0, 1, 0, 1, 1}, y[2] = {1, 2}, beta[3];
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, NULL, y, 2, 3, 1.0, beta, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, x, y, 0, 3, 1.0, beta, NULL),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, x, y, 3, 2, 1.0, beta, NULL),
                         MECH_ESHAPE);
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, x, y, 2, 3, 0.0, beta, NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, x, y, 2, 3, -1.0, beta, NULL),
                         MECH_ERANGE);
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, x, y, 2, 3, NAN, beta, NULL),
                         MECH_ENONFINITE);
    double ynan[2] = {1, NAN}, dep[6] = {1, 0, 1, 2, 0, 2};
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, x, ynan, 2, 3, 1.0, beta, NULL),
                         MECH_ENONFINITE);
    ck_assert_fails_with(mech_diagonal_implicit_bias(NULL, dep, y, 2, 3, 1.0, beta, NULL),
                         MECH_ELINALG);
    ck_assert_ok(mech_diagonal_implicit_bias(NULL, x, y, 2, 3, 1.0, beta, NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("diagonal");
    TCase *tc = tcase_create("diagonal");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, solver_is_optimal);
    tcase_add_test(tc, limits_l2_and_l1);
    tcase_add_test(tc, gd_reaches_bias_alpha1);
    tcase_add_test(tc, gd_reaches_bias_alpha01);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
