/* Probes (include/mechanics/probe.h) against independent references:
 * closed-form Hessians (linear model), dense Hessians built column by
 * column from exact HVPs and diagonalized by LAPACK, finite-difference
 * Jacobians (NTK, Gauss-Newton, input gradients), hand-computed
 * activations, norms and gradient statistics, metrics.h on the same
 * arrays, and bad input for every function.
 *
 * Tolerances: Lanczos stops at a residual of TOL ||H|| = 1e-10 ||H||,
 * which bounds each eigenvalue error; 1e-8 (closed form) and 1e-6 (dense
 * MLP Hessian) leave room for the dense side's rounding. Central finite
 * differences with step 1e-5 have truncation error ~1e-10 times third
 * derivatives of O(1) and rounding ~1e-16/1e-5 = 1e-11, so J-based
 * references agree to ~1e-9: checked at 1e-6. Stochastic estimators are
 * checked at 3 standard errors with fixed seeds (the acceptance rule). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

/* ---------------- fixtures ---------------- */

typedef struct fix {
    mech_ctx *ctx;
    mech_model *model;
    mech_data *data;
    double *x, *y;
    size_t n, in, out, np;
} fix;

/* A model of `kind` with widths w[0..nw) and n Gaussian examples; targets
 * are a fixed smooth function of x (or one-hot classes when classes). */
static void fix_make(fix *f, mech_model_kind kind, const size_t *w, size_t nw,
                     mech_activation act, bool bias, size_t n, bool classes)
{
    memset(f, 0, sizeof *f);
    ck_assert_ok(mech_ctx_create(&f->ctx));
    ck_assert_ok(mech_model_create(&f->model, f->ctx, kind));
    ck_assert_ok(mech_model_set_widths(f->model, w, nw));
    if (kind == MECH_MODEL_MLP) ck_assert_ok(mech_model_set_i64(f->model, MECH_MODEL_ACTIVATION, act));
    if (bias) ck_assert_ok(mech_model_set_i64(f->model, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_setup(f->model));
    f->n = n;
    f->in = w[0];
    f->out = w[nw - 1];
    f->np = mech_model_num_params(f->model);
    f->x = malloc(n * f->in * sizeof *f->x);
    f->y = calloc(n * f->out, sizeof *f->y);
    mech_rng *rng = NULL;
    ck_assert_ok(mech_rng_create_seeded(&rng, 7, 1));
    ck_assert_ok(mech_rng_normal(rng, f->x, n * f->in, 0, 1));
    for (size_t i = 0; i < n; i++) {
        const double *x = f->x + i * f->in;
        if (classes) {
            size_t c = (size_t)(fabs(x[0]) * 7 + fabs(x[1]) * 3) % f->out;
            f->y[i * f->out + c] = 1;
            continue;
        }
        for (size_t o = 0; o < f->out; o++)
            f->y[i * f->out + o] = sin(x[0] + (double)o) + 0.5 * x[f->in - 1] * x[0];
    }
    mech_rng_destroy(rng);
    ck_assert_ok(mech_data_create_arrays(&f->data, f->ctx, f->x, f->y, n, f->in, f->out,
                                         MECH_COPY));
}

static void fix_free(fix *f)
{
    mech_data_destroy(f->data);
    mech_model_destroy(f->model);
    mech_ctx_destroy(f->ctx);
    free(f->x);
    free(f->y);
}

static void small_mlp(fix *f, mech_activation act, size_t n)
{
    const size_t w[3] = {4, 6, 2};
    fix_make(f, MECH_MODEL_MLP, w, 3, act, true, n, false);
}

static mech_probe *probe_on(fix *f, mech_probe_kind kind)
{
    mech_probe *p = NULL;
    ck_assert_ok(mech_probe_create(&p, f->ctx, kind));
    return p;
}

static double value(const mech_probe *p, const char *name)
{
    double v = NAN;
    ck_assert_ok(mech_probe_value(p, name, &v));
    return v;
}

/* Dense Hessian of the mean loss over the fixture's data, one exact HVP
 * per column, symmetrized. */
static double *dense_hessian(fix *f, mech_loss loss)
{
    const size_t n = f->np;
    double *h = calloc(n * n, sizeof *h), *e = calloc(n, sizeof *e), *col = malloc(n * sizeof *col);
    for (size_t j = 0; j < n; j++) {
        e[j] = 1;
        ck_assert_ok(mech_model_hvp(f->model, loss, f->x, f->y, f->n, e, col));
        for (size_t i = 0; i < n; i++) h[i * n + j] = col[i];
        e[j] = 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) h[i * n + j] = h[j * n + i] = (h[i * n + j] + h[j * n + i]) / 2;
    free(e);
    free(col);
    return h;
}

/* Eigenvalues of a dense symmetric matrix, descending. */
static double *eig_desc(double *a, size_t n)
{
    double *w = malloc(n * sizeof *w), *d = malloc(n * sizeof *d);
    ck_assert_ok(mech_syev(NULL, n, a, n, w, NULL));
    for (size_t i = 0; i < n; i++) d[i] = w[n - 1 - i];
    free(w);
    return d;
}

/* Central finite-difference Jacobian J (n out x np) of the outputs. */
static double *fd_jacobian(fix *f, const double *x, size_t n)
{
    const size_t np = f->np, m = n * f->out;
    double *th = malloc(np * sizeof *th), *fp = malloc(m * sizeof *fp), *fm = malloc(m * sizeof *fm);
    double *j = malloc(m * np * sizeof *j);
    ck_assert_ok(mech_model_get_params(f->model, th, np));
    const double h = 1e-5;
    for (size_t k = 0; k < np; k++) {
        const double t = th[k];
        th[k] = t + h;
        ck_assert_ok(mech_model_set_params(f->model, th, np));
        ck_assert_ok(mech_model_forward(f->model, x, n, fp));
        th[k] = t - h;
        ck_assert_ok(mech_model_set_params(f->model, th, np));
        ck_assert_ok(mech_model_forward(f->model, x, n, fm));
        th[k] = t;
        for (size_t r = 0; r < m; r++) j[r * np + k] = (fp[r] - fm[r]) / (2 * h);
    }
    ck_assert_ok(mech_model_set_params(f->model, th, np));
    free(th);
    free(fp);
    free(fm);
    return j;
}

static double max_abs(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

/* Moves the parameters by a deterministic small perturbation. */
static void nudge(fix *f, double eps)
{
    double *th = malloc(f->np * sizeof *th);
    ck_assert_ok(mech_model_get_params(f->model, th, f->np));
    for (size_t i = 0; i < f->np; i++) th[i] += eps * sin(1.0 + 3.0 * (double)i);
    ck_assert_ok(mech_model_set_params(f->model, th, f->np));
    free(th);
}

/* ---------------- Hessian: eigenpairs ---------------- */

/* LINEAR model, 1/2-MSE: H = a^2 (X^T X / n) (x) I_out exactly (a = the
 * layer multiplier), parameters ordered W row-major (out x in). */
START_TEST(test_sharpness_linear_closed_form)
{
    fix f;
    const size_t w[2] = {5, 2};
    fix_make(&f, MECH_MODEL_LINEAR, w, 2, MECH_ACT_IDENTITY, false, 40, false);
    double a = 1;
    ck_assert_ok(mech_model_layer_multipliers(f.model, 0, &a, NULL));
    double cov[25] = {0};
    for (size_t i = 0; i < f.n; i++)
        for (size_t r = 0; r < 5; r++)
            for (size_t c = 0; c < 5; c++)
                cov[r * 5 + c] += a * a * f.x[i * 5 + r] * f.x[i * 5 + c] / (double)f.n;
    double *s = eig_desc(cov, 5);
    mech_probe *p = probe_on(&f, MECH_PROBE_SHARPNESS);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 4));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    /* each covariance eigenvalue twice (two outputs): s0 s0 s1 s1 */
    const double want[4] = {s[0], s[0], s[1], s[1]};
    char name[16];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "eig%d", i);
        ck_assert_msg(fabs(value(p, name) - want[i]) <= 1e-8 * want[i], "%s %.17g vs %.17g",
                      name, value(p, name), want[i]);
    }
    ck_assert_double_eq(value(p, "sharpness"), value(p, "eig0"));
    ck_assert_double_eq(value(p, "converged"), 4);
    ck_assert_double_le(value(p, "max_residual"), 1e-10 * s[0] * 1.01);
    ck_assert_double_gt(value(p, "matvecs"), 0);
    size_t len = 0;
    double ev[8];
    ck_assert_ok(mech_probe_vector(p, "eigenvalues", NULL, 0, &len));
    ck_assert_uint_eq(len, 4);
    ck_assert_ok(mech_probe_vector(p, "eigenvalues", ev, 8, &len));
    ck_assert_double_eq(ev[2], value(p, "eig2"));
    ck_assert_ok(mech_probe_vector(p, "eigenvectors", NULL, 0, &len));
    ck_assert_uint_eq(len, 4 * f.np);
    free(s);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* Compares the probe's eig<i> with the dense descending (or ascending)
 * spectrum d to tol relative to ||H||. */
static void check_eigs(const mech_probe *p, const double *d, size_t k, double scale, double tol)
{
    char name[16];
    for (size_t i = 0; i < k; i++) {
        snprintf(name, sizeof name, "eig%zu", i);
        ck_assert_msg(fabs(value(p, name) - d[i]) <= tol * scale, "%s %.17g vs %.17g", name,
                      value(p, name), d[i]);
    }
}

START_TEST(test_sharpness_mlp_dense)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    mech_probe *p = probe_on(&f, MECH_PROBE_SHARPNESS);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 3));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    for (int round = 0; round < 2; round++) { /* the second is warm-started */
        double *h = dense_hessian(&f, MECH_LOSS_MSE);
        double *d = eig_desc(h, f.np);
        const double scale = fmax(fabs(d[0]), fabs(d[f.np - 1]));
        ck_assert_ok(mech_probe_measure(p));
        check_eigs(p, d, 3, scale, 1e-6);
        ck_assert_double_eq(value(p, "converged"), 3);
        free(h);
        free(d);
        nudge(&f, 1e-2);
    }
    /* the other end of the spectrum (which = smallest) */
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_WHICH, MECH_LANCZOS_SMALLEST));
    double *h = dense_hessian(&f, MECH_LOSS_MSE);
    double *d = eig_desc(h, f.np);
    const double scale = fmax(fabs(d[0]), fabs(d[f.np - 1]));
    ck_assert_ok(mech_probe_measure(p));
    for (size_t i = 0; i < 3; i++) d[i] = d[f.np - 1 - i];
    check_eigs(p, d, 3, scale, 1e-6);
    free(h);
    free(d);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- Hessian: trace and density ---------------- */

static double dense_trace(fix *f)
{
    double *h = dense_hessian(f, MECH_LOSS_MSE), t = 0;
    for (size_t i = 0; i < f->np; i++) t += h[i * f->np + i];
    free(h);
    return t;
}

START_TEST(test_hessian_trace)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    const double exact = dense_trace(&f);
    for (int sketch = 0; sketch <= 8; sketch += 8) {
        mech_probe *p = probe_on(&f, MECH_PROBE_HESSIAN_TRACE);
        ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_N_PROBES, 100));
        ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SKETCH, sketch));
        ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
        ck_assert_ok(mech_probe_measure(p));
        const double se = value(p, "std_error");
        ck_assert_double_gt(se, 0);
        ck_assert_msg(fabs(value(p, "trace") - exact) <= 3 * se, "sketch %d: %g vs %g (se %g)",
                      sketch, value(p, "trace"), exact, se);
        ck_assert_double_eq(value(p, "matvecs"), 100 + 2 * sketch);
        mech_probe_destroy(p);
    }
    fix_free(&f);
}
END_TEST

START_TEST(test_hessian_density)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    const double exact = dense_trace(&f);
    mech_probe *p = probe_on(&f, MECH_PROBE_HESSIAN_DENSITY);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_N_PROBES, 40));
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SLQ_STEPS, 20));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    size_t len = 0;
    double grid[200], dens[200];
    ck_assert_ok(mech_probe_vector(p, "grid", grid, 200, &len));
    ck_assert_uint_eq(len, 200);
    ck_assert_ok(mech_probe_vector(p, "density", dens, 200, &len));
    /* Trapezoid rule; the grid spans 6 sigma beyond the extreme nodes with
     * a spacing of ~0.56 sigma, where the rule's error on Gaussians is far
     * below 1e-6 and the mass outside is ~2e-9. */
    double mass = 0;
    for (size_t i = 1; i < len; i++) mass += (grid[i] - grid[i - 1]) * (dens[i] + dens[i - 1]) / 2;
    ck_assert_double_le(fabs(mass - 1), 1e-6);
    const double se = value(p, "std_error");
    ck_assert_msg(fabs(value(p, "trace") - exact) <= 3 * se, "%g vs %g (se %g)",
                  value(p, "trace"), exact, se);
    ck_assert_double_le(value(p, "node_min"), value(p, "node_max"));
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- caller operators ---------------- */

typedef struct diag_op {
    size_t n;
    int fail_after; /* < 0: never */
    int calls;
} diag_op;

/* H = diag(1, 2, ..., n). */
static int diag_mv(const double *v, double *out, size_t n, void *ud)
{
    diag_op *op = ud;
    if (op->fail_after >= 0 && op->calls++ >= op->fail_after) return -1;
    for (size_t i = 0; i < n; i++) out[i] = (double)(i + 1) * v[i];
    return 0;
}

START_TEST(test_operator_way)
{
    diag_op op = {30, -1, 0};
    mech_probe *p = NULL;
    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_SHARPNESS));
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 3));
    ck_assert_ok(mech_probe_measure_operator(p, 30, diag_mv, &op));
    ck_assert_double_le(fabs(value(p, "eig0") - 30), 1e-8 * 30);
    ck_assert_double_le(fabs(value(p, "eig2") - 28), 1e-8 * 30);
    /* k > n */
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 31));
    ck_assert_fails_with(mech_probe_measure_operator(p, 30, diag_mv, &op), MECH_ERANGE);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 2));
    /* a failing callback, then the handle still works */
    op.fail_after = 3;
    ck_assert_fails_with(mech_probe_measure_operator(p, 30, diag_mv, &op), MECH_ECALLBACK);
    size_t count = 9; /* a failed raw measurement leaves no outputs */
    ck_assert_ok(mech_probe_output_count(p, &count));
    ck_assert_uint_eq(count, 0);
    op.fail_after = -1;
    ck_assert_ok(mech_probe_measure_operator(p, 30, diag_mv, &op));
    ck_assert_double_le(fabs(value(p, "eig1") - 29), 1e-8 * 30);
    mech_probe_destroy(p);

    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_HESSIAN_TRACE));
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SKETCH, 31));
    ck_assert_fails_with(mech_probe_measure_operator(p, 30, diag_mv, &op), MECH_ERANGE);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SKETCH, 0));
    ck_assert_ok(mech_probe_measure_operator(p, 30, diag_mv, &op));
    /* Rademacher probes on a diagonal operator are exact: z^T D z = tr D */
    ck_assert_double_le(fabs(value(p, "trace") - 465), 1e-9);
    const double a[4] = {1, 2, 3, 4};
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 2, 2, NULL, 0, 0, NULL),
                         MECH_EUNSUPPORTED);
    mech_probe_destroy(p);

    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_HESSIAN_DENSITY));
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SLQ_STEPS, 31));
    ck_assert_fails_with(mech_probe_measure_operator(p, 30, diag_mv, &op), MECH_ERANGE);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SLQ_STEPS, 30));
    ck_assert_ok(mech_probe_measure_operator(p, 30, diag_mv, &op));
    /* 30 steps on a 30-dim operator: the nodes are the eigenvalues */
    ck_assert_double_le(fabs(value(p, "node_min") - 1), 1e-8);
    ck_assert_double_le(fabs(value(p, "node_max") - 30), 1e-8);
    mech_probe_destroy(p);

    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_CKA));
    ck_assert_fails_with(mech_probe_measure_operator(p, 30, diag_mv, &op), MECH_EUNSUPPORTED);
    mech_probe_destroy(p);
}
END_TEST

/* ---------------- NTK and Gauss-Newton against FD Jacobians ---------------- */

START_TEST(test_ntk_fd)
{
    fix f;
    const size_t w[3] = {3, 5, 2};
    fix_make(&f, MECH_MODEL_MLP, w, 3, MECH_ACT_TANH, true, 4, false);
    mech_probe *p = probe_on(&f, MECH_PROBE_NTK);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    ck_assert_double_le(fabs(value(p, "distance")), 1e-12); /* still at init */
    nudge(&f, 0.3);
    ck_assert_ok(mech_probe_measure(p));
    const size_t m = f.n * f.out;
    double *j = fd_jacobian(&f, f.x, f.n), *k = malloc(m * m * sizeof *k);
    size_t len = 0;
    ck_assert_ok(mech_probe_vector(p, "ntk", k, m * m, &len));
    ck_assert_uint_eq(len, m * m);
    double *ref = calloc(m * m, sizeof *ref);
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++)
            for (size_t q = 0; q < f.np; q++) ref[a * m + b] += j[a * f.np + q] * j[b * f.np + q];
    const double scale = max_abs(ref, m * m);
    for (size_t i = 0; i < m * m; i++) ck_assert_double_le(fabs(k[i] - ref[i]), 1e-6 * scale);
    double tr = 0;
    for (size_t i = 0; i < m; i++) tr += ref[i * m + i];
    ck_assert_double_le(fabs(value(p, "trace") - tr / (double)f.n), 1e-6 * scale);
    ck_assert_double_gt(value(p, "distance"), 1e-6);
    ck_assert_double_le(fabs(value(p, "alignment")), 1);
    free(j);
    free(k);
    free(ref);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

START_TEST(test_gauss_newton)
{
    fix f;
    const size_t w[3] = {3, 5, 2};
    fix_make(&f, MECH_MODEL_MLP, w, 3, MECH_ACT_TANH, true, 6, false);
    mech_probe *p = probe_on(&f, MECH_PROBE_GAUSS_NEWTON);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 3));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    /* G = J^T J / n for 1/2-MSE */
    double *j = fd_jacobian(&f, f.x, f.n), *g = calloc(f.np * f.np, sizeof *g);
    const size_t m = f.n * f.out;
    for (size_t a = 0; a < f.np; a++)
        for (size_t b = 0; b < f.np; b++)
            for (size_t r = 0; r < m; r++) g[a * f.np + b] += j[r * f.np + a] * j[r * f.np + b] / (double)f.n;
    double *d = eig_desc(g, f.np);
    check_eigs(p, d, 3, d[0], 1e-6);
    free(j);
    free(g);
    free(d);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- preconditioned sharpness ---------------- */

START_TEST(test_precond_sharpness)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    for (int kind = MECH_OPTIMIZER_ADAM; kind <= MECH_OPTIMIZER_RMSPROP; kind += 2) {
        mech_optimizer *o = NULL;
        ck_assert_ok(mech_optimizer_create(&o, f.ctx, (mech_optimizer_kind)kind, f.np));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 1e-3));
        ck_assert_ok(mech_optimizer_setup(o));
        double *th = malloc(f.np * sizeof *th), *g = malloc(f.np * sizeof *g);
        ck_assert_ok(mech_model_get_params(f.model, th, f.np));
        for (int s = 0; s < 3; s++) {
            ck_assert_ok(mech_model_gradient(f.model, MECH_LOSS_MSE, f.x, f.y, f.n, NULL, g));
            ck_assert_ok(mech_optimizer_step(o, th, g));
            ck_assert_ok(mech_model_set_params(f.model, th, f.np));
        }
        mech_probe *p = probe_on(&f, MECH_PROBE_PRECOND_SHARPNESS);
        ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 2));
        ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
        ck_assert_fails_with(mech_probe_measure(p), MECH_ESTATE); /* no optimizer */
        mech_optimizer *gd = NULL;
        ck_assert_ok(mech_optimizer_create(&gd, f.ctx, MECH_OPTIMIZER_GD, f.np));
        ck_assert_ok(mech_optimizer_setup(gd));
        ck_assert_fails_with(mech_probe_attach_optimizer(p, gd), MECH_EUNSUPPORTED);
        mech_optimizer_destroy(gd);
        ck_assert_ok(mech_probe_attach_optimizer(p, o));
        ck_assert_ok(mech_probe_measure(p));
        double *h = dense_hessian(&f, MECH_LOSS_MSE), *pc = malloc(f.np * sizeof *pc);
        ck_assert_ok(mech_optimizer_preconditioner(o, pc, f.np));
        for (size_t a = 0; a < f.np; a++)
            for (size_t b = 0; b < f.np; b++) h[a * f.np + b] /= sqrt(pc[a] * pc[b]);
        double *d = eig_desc(h, f.np);
        check_eigs(p, d, 2, fmax(fabs(d[0]), fabs(d[f.np - 1])), 1e-6);
        free(h);
        free(pc);
        free(d);
        free(th);
        free(g);
        mech_probe_destroy(p);
        mech_optimizer_destroy(o);
    }
    fix_free(&f);
}
END_TEST

/* ---------------- gradients: norm, noise scale, distance ---------------- */

START_TEST(test_grad_norm_distance)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    mech_probe *gn = probe_on(&f, MECH_PROBE_GRAD_NORM);
    mech_probe *dp = probe_on(&f, MECH_PROBE_DISTANCE);
    ck_assert_ok(mech_probe_attach_model(gn, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_attach_model(dp, f.model, MECH_LOSS_MSE, f.data, 0));
    double *th0 = malloc(f.np * sizeof *th0), *th = malloc(f.np * sizeof *th);
    double *g = malloc(f.np * sizeof *g), l = 0;
    ck_assert_ok(mech_model_get_params(f.model, th0, f.np));
    ck_assert_ok(mech_model_gradient(f.model, MECH_LOSS_MSE, f.x, f.y, f.n, &l, g));
    ck_assert_ok(mech_probe_measure(gn));
    double s = 0;
    for (size_t i = 0; i < f.np; i++) s += g[i] * g[i];
    ck_assert_close(value(gn, "grad_norm"), sqrt(s), 1e-12);
    ck_assert_close(value(gn, "loss"), l, 1e-12);
    nudge(&f, 0.1);
    ck_assert_ok(mech_probe_measure(dp));
    ck_assert_ok(mech_model_get_params(f.model, th, f.np));
    double d2 = 0, n2 = 0, l0 = 0, l0n = 0;
    for (size_t i = 0; i < f.np; i++) {
        d2 += (th[i] - th0[i]) * (th[i] - th0[i]);
        n2 += th0[i] * th0[i];
    }
    for (size_t i = 0; i < 24 + 6; i++) { /* layer 0: W (6 x 4) and b (6) */
        l0 += (th[i] - th0[i]) * (th[i] - th0[i]);
        l0n += th0[i] * th0[i];
    }
    ck_assert_close(value(dp, "distance"), sqrt(d2), 1e-12);
    ck_assert_close(value(dp, "relative_distance"), sqrt(d2 / n2), 1e-12);
    ck_assert_close(value(dp, "update"), sqrt(d2 / n2), 1e-12); /* first: since attach */
    ck_assert_close(value(dp, "dist0"), sqrt(l0 / l0n), 1e-12);
    ck_assert_ok(mech_probe_measure(dp));
    ck_assert_double_eq(value(dp, "update"), 0);
    ck_assert_double_eq(value(dp, "update1"), 0);
    free(th0);
    free(th);
    free(g);
    mech_probe_destroy(gn);
    mech_probe_destroy(dp);
    fix_free(&f);
}
END_TEST

/* Linear regression: per-example gradients g_i = a (a w.x_i - y_i) x_i by
 * hand give the exact |G|^2 and tr(Sigma) (population covariance). */
static void exact_noise(fix *f, double *g2, double *tr)
{
    double a = 1, w[5];
    ck_assert_ok(mech_model_layer_multipliers(f->model, 0, &a, NULL));
    ck_assert_ok(mech_model_get_params(f->model, w, 5));
    double G[5] = {0}, *gi = malloc(f->n * 5 * sizeof *gi);
    for (size_t i = 0; i < f->n; i++) {
        double r = -f->y[i];
        for (int j = 0; j < 5; j++) r += a * w[j] * f->x[i * 5 + j];
        for (int j = 0; j < 5; j++) {
            gi[i * 5 + j] = a * r * f->x[i * 5 + j];
            G[j] += gi[i * 5 + j] / (double)f->n;
        }
    }
    *g2 = 0;
    *tr = 0;
    for (int j = 0; j < 5; j++) {
        *g2 += G[j] * G[j];
        for (size_t i = 0; i < f->n; i++) *tr += (gi[i * 5 + j] - G[j]) * (gi[i * 5 + j] - G[j]) / (double)f->n;
    }
    free(gi);
}

START_TEST(test_noise_scale)
{
    fix f;
    const size_t w[2] = {5, 1};
    fix_make(&f, MECH_MODEL_LINEAR, w, 2, MECH_ACT_IDENTITY, false, 50, false);
    double g2 = 0, tr = 0;
    exact_noise(&f, &g2, &tr);
    /* arrays way: per-example gradients give the exact value */
    double a = 1, wt[5], *gi = malloc(f.n * 5 * sizeof *gi);
    ck_assert_ok(mech_model_layer_multipliers(f.model, 0, &a, NULL));
    ck_assert_ok(mech_model_get_params(f.model, wt, 5));
    for (size_t i = 0; i < f.n; i++) {
        ck_assert_ok(mech_model_gradient(f.model, MECH_LOSS_MSE, f.x + i * 5, f.y + i, 1, NULL,
                                         gi + i * 5));
    }
    mech_probe *p = probe_on(&f, MECH_PROBE_NOISE_SCALE);
    ck_assert_ok(mech_probe_measure_arrays(p, gi, f.n, 5, NULL, 0, 0, NULL));
    ck_assert_close(value(p, "b_simple"), tr / g2, 1e-10);
    /* model way: batches of 2 and 20 drawn with replacement; with
     * replacement E|G_B|^2 = |G|^2 + tr(Sigma)/B exactly, so the estimates
     * are unbiased up to the delta method's O(1/N) term; checked at 4
     * standard errors (fixed seed). */
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SMALL_BATCH, 2));
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_BIG_BATCH, 20));
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_N_BATCHES, 4000));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    ck_assert_double_le(fabs(value(p, "g2_small") - (g2 + tr / 2)), 4 * value(p, "g2_small_se"));
    ck_assert_double_le(fabs(value(p, "g2_big") - (g2 + tr / 20)), 4 * value(p, "g2_big_se"));
    ck_assert_double_le(fabs(value(p, "b_simple") - tr / g2), 4 * value(p, "b_simple_se"));
    /* the error bar is informative: a few per cent of the value */
    ck_assert_double_le(value(p, "b_simple_se"), 0.1 * tr / g2);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_SMALL_BATCH, 30));
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0),
                         MECH_ERANGE);
    free(gi);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- conservation laws ---------------- */

/* Trains with plain GD (per-group rates from o) for total time T = 1 and
 * returns the probe's max_relative residual. */
static double drift(fix *f, mech_probe *p, mech_optimizer *o, double eta)
{
    double *th0 = malloc(f->np * sizeof *th0), *th = malloc(f->np * sizeof *th);
    double *g = malloc(f->np * sizeof *g);
    ck_assert_ok(mech_model_get_params(f->model, th0, f->np));
    memcpy(th, th0, f->np * sizeof *th);
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, eta));
    ck_assert_ok(mech_probe_attach_model(p, f->model, MECH_LOSS_MSE, f->data, 0));
    ck_assert_ok(mech_probe_attach_optimizer(p, o));
    ck_assert_ok(mech_probe_measure(p));
    ck_assert_double_le(value(p, "max_relative"), 1e-14);
    for (int k = 0; k < (int)lround(1 / eta); k++) {
        ck_assert_ok(mech_model_gradient(f->model, MECH_LOSS_MSE, f->x, f->y, f->n, NULL, g));
        ck_assert_ok(mech_optimizer_step(o, th, g));
        ck_assert_ok(mech_model_set_params(f->model, th, f->np));
    }
    ck_assert_ok(mech_probe_measure(p));
    const double r = value(p, "max_relative");
    ck_assert_ok(mech_model_set_params(f->model, th0, f->np));
    free(th0);
    free(th);
    free(g);
    return r;
}

static void check_conservation(fix *f, bool groups)
{
    mech_optimizer *o = NULL;
    ck_assert_ok(mech_optimizer_create(&o, f->ctx, MECH_OPTIMIZER_GD, f->np));
    if (groups) { /* a different rate per layer: the eta-weighted law */
        const size_t nl = mech_model_num_layers(f->model);
        size_t off[16];
        double mult[16];
        size_t ng = 0;
        for (size_t l = 0; l < nl; l++) {
            size_t o0 = 0, b0 = 0;
            ck_assert_ok(mech_model_layer_info(f->model, l, &o0, NULL, NULL, &b0));
            off[ng] = o0;
            mult[ng++] = 1.0 + 0.5 * (double)l;
            if (b0 != SIZE_MAX) {
                off[ng] = b0;
                mult[ng++] = 0.7 + 0.2 * (double)l;
            }
        }
        off[ng] = f->np;
        ck_assert_ok(mech_optimizer_set_groups(o, off, mult, ng));
    }
    ck_assert_ok(mech_optimizer_setup(o));
    mech_probe *p = probe_on(f, MECH_PROBE_CONSERVATION);
    /* GD drifts O(eta) per unit time: 1e-3 vs 1e-1 is a factor ~100 */
    const double small = drift(f, p, o, 1e-3), large = drift(f, p, o, 1e-1);
    ck_assert_msg(small < 1e-3 && small * 20 < large, "drift %g (eta 1e-3) vs %g (eta 0.1)",
                  small, large);
    mech_probe_destroy(p);
    mech_optimizer_destroy(o);
}

START_TEST(test_conservation)
{
    fix f;
    const size_t wl[4] = {3, 4, 4, 2};
    fix_make(&f, MECH_MODEL_DEEP_LINEAR, wl, 4, MECH_ACT_IDENTITY, false, 20, false);
    check_conservation(&f, false);
    check_conservation(&f, true);
    fix_free(&f);
    const size_t wr[3] = {3, 8, 2};
    fix_make(&f, MECH_MODEL_MLP, wr, 3, MECH_ACT_RELU, false, 20, false);
    check_conservation(&f, false);
    check_conservation(&f, true);
    fix_free(&f);
    /* biases join the conserved quantities (ReLU per neuron, linear as b b^T) */
    fix_make(&f, MECH_MODEL_MLP, wr, 3, MECH_ACT_RELU, true, 20, false);
    check_conservation(&f, true);
    fix_free(&f);
    fix_make(&f, MECH_MODEL_MLP, wl, 4, MECH_ACT_IDENTITY, true, 20, false);
    check_conservation(&f, true);
    fix_free(&f);
    small_mlp(&f, MECH_ACT_TANH, 10);
    mech_probe *p = probe_on(&f, MECH_PROBE_CONSERVATION);
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0),
                         MECH_EUNSUPPORTED);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- representations ---------------- */

/* Hidden activations of a one-hidden-layer ReLU net without biases by
 * hand: h = relu(a W x). */
static void relu_hidden(fix *f, double *h, size_t width)
{
    double a = 1, *w = malloc(width * f->in * sizeof *w);
    ck_assert_ok(mech_model_layer_multipliers(f->model, 0, &a, NULL));
    ck_assert_ok(mech_model_get_layer_weights(f->model, 0, w, width * f->in));
    for (size_t i = 0; i < f->n; i++)
        for (size_t j = 0; j < width; j++) {
            double z = 0;
            for (size_t k = 0; k < f->in; k++) z += a * w[j * f->in + k] * f->x[i * f->in + k];
            h[i * width + j] = z > 0 ? z : 0;
        }
    free(w);
}

START_TEST(test_coordinate_check)
{
    fix f;
    const size_t w[3] = {3, 6, 2};
    fix_make(&f, MECH_MODEL_MLP, w, 3, MECH_ACT_RELU, false, 15, false);
    mech_probe *p = probe_on(&f, MECH_PROBE_ACTIVATIONS);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    double h0[90], h[90];
    relu_hidden(&f, h0, 6);
    nudge(&f, 0.2);
    relu_hidden(&f, h, 6);
    ck_assert_ok(mech_probe_measure(p));
    double r = 0, d = 0;
    for (int i = 0; i < 90; i++) {
        r += h[i] * h[i];
        d += (h[i] - h0[i]) * (h[i] - h0[i]);
    }
    ck_assert_close(value(p, "rms0"), sqrt(r / 90), 1e-12);
    ck_assert_close(value(p, "delta_rms0"), sqrt(d / 90), 1e-12);
    ck_assert_double_gt(value(p, "delta_rms_out"), 0);
    /* arrays way */
    ck_assert_ok(mech_probe_measure_arrays(p, h, 15, 6, h0, 15, 6, NULL));
    ck_assert_close(value(p, "delta_rms"), sqrt(d / 90), 1e-12);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

START_TEST(test_cka_effective_rank)
{
    fix f;
    const size_t w[4] = {3, 6, 5, 2};
    fix_make(&f, MECH_MODEL_MLP, w, 4, MECH_ACT_TANH, true, 15, false);
    mech_probe *p = probe_on(&f, MECH_PROBE_CKA);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_LAYER, 0));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p)); /* layer 0 vs itself at attach */
    ck_assert_close(value(p, "cka"), 1, 1e-12);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_LAYER_B, 0));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    ck_assert_close(value(p, "cka"), 1, 1e-12);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_LAYER_B, 1));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    double h0[90], h1[75], ref = 0;
    ck_assert_ok(mech_model_activations(f.model, f.x, 15, 0, h0));
    ck_assert_ok(mech_model_activations(f.model, f.x, 15, 1, h1));
    ck_assert_ok(mech_cka(NULL, h0, 15, 6, h1, 5, MECH_HSIC_BIASED, &ref));
    ck_assert_close(value(p, "cka"), ref, 1e-12);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_LAYER_B, 2)); /* not hidden */
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0),
                         MECH_ERANGE);
    ck_assert_ok(mech_probe_measure_arrays(p, h0, 15, 6, h1, 15, 5, NULL));
    ck_assert_close(value(p, "cka"), ref, 1e-12);
    ck_assert_fails_with(mech_probe_measure_arrays(p, h0, 15, 6, h1, 14, 5, NULL), MECH_ESHAPE);
    mech_probe_destroy(p);

    p = probe_on(&f, MECH_PROBE_EFFECTIVE_RANK);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p)); /* last hidden layer: 1 */
    mech_spectrum_result s = {.size = sizeof s};
    ck_assert_ok(mech_matrix_spectrum(NULL, h1, 15, 5, true, NULL, &s));
    ck_assert_close(value(p, "participation_ratio"), s.participation_ratio, 1e-12);
    ck_assert_close(value(p, "entropy_rank"), s.entropy_rank, 1e-12);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* A tiny classifier trained by GD with softmax cross-entropy. */
static void trained_classifier(fix *f)
{
    const size_t w[3] = {4, 12, 3};
    fix_make(f, MECH_MODEL_MLP, w, 3, MECH_ACT_RELU, true, 30, true);
    double *th = malloc(f->np * sizeof *th), *g = malloc(f->np * sizeof *g);
    ck_assert_ok(mech_model_get_params(f->model, th, f->np));
    for (int k = 0; k < 300; k++) {
        ck_assert_ok(mech_model_gradient(f->model, MECH_LOSS_SOFTMAX_CE, f->x, f->y, f->n, NULL, g));
        for (size_t i = 0; i < f->np; i++) th[i] -= 0.2 * g[i];
        ck_assert_ok(mech_model_set_params(f->model, th, f->np));
    }
    free(th);
    free(g);
}

START_TEST(test_neural_collapse_units_info)
{
    fix f;
    trained_classifier(&f);
    mech_probe *p = probe_on(&f, MECH_PROBE_NEURAL_COLLAPSE);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_SOFTMAX_CE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    ck_assert(isfinite(value(p, "nc1")) && value(p, "nc1") >= 0);
    ck_assert(value(p, "equinorm") >= 0);
    ck_assert(fabs(value(p, "cos_mean")) <= 1);
    ck_assert(value(p, "equiangular_max") >= value(p, "equiangular_mean"));
    ck_assert(isfinite(value(p, "nc3")) && value(p, "nc3") >= 0);
    ck_assert(value(p, "nc4") >= 0 && value(p, "nc4") <= 1);
    /* the arrays way on the same features, no classifier */
    double h[30 * 12];
    int64_t labels[30];
    ck_assert_ok(mech_model_activations(f.model, f.x, 30, 0, h));
    for (int i = 0; i < 30; i++)
        for (int c = 0; c < 3; c++)
            if (f.y[i * 3 + c] == 1) labels[i] = c;
    mech_neural_collapse_result r = {.size = sizeof r};
    ck_assert_ok(mech_neural_collapse(NULL, h, 30, 12, labels, 3, NULL, NULL, &r));
    ck_assert_close(value(p, "nc1"), r.nc1, 1e-12);
    ck_assert_ok(mech_probe_measure_arrays(p, h, 30, 12, NULL, 0, 0, labels));
    ck_assert_close(value(p, "nc1"), r.nc1, 1e-12);
    ck_assert(isnan(value(p, "nc3")));
    ck_assert_fails_with(mech_probe_measure_arrays(p, h, 30, 12, NULL, 0, 0, NULL), MECH_EINVAL);
    mech_probe_destroy(p);

    /* per-unit views of units 1 and 5 */
    p = probe_on(&f, MECH_PROBE_UNITS);
    const size_t units[2] = {1, 5};
    ck_assert_ok(mech_probe_set_units(p, units, 2));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_SOFTMAX_CE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    double m = 0, act = 0, win = 0, wout = 0, w0[48], w1[36];
    for (int i = 0; i < 30; i++) {
        m += h[i * 12 + 5] / 30;
        act += (h[i * 12 + 5] > 0) / 30.0;
    }
    ck_assert_ok(mech_model_get_layer_weights(f.model, 0, w0, 48));
    ck_assert_ok(mech_model_get_layer_weights(f.model, 1, w1, 36));
    for (int k = 0; k < 4; k++) win += w0[5 * 4 + k] * w0[5 * 4 + k];
    for (int o = 0; o < 3; o++) wout += w1[o * 12 + 5] * w1[o * 12 + 5];
    ck_assert_close(value(p, "u5.mean"), m, 1e-12);
    ck_assert_close(value(p, "u5.active"), act, 1e-12);
    ck_assert_close(value(p, "u5.w_in"), sqrt(win), 1e-12);
    ck_assert_close(value(p, "u5.w_out"), sqrt(wout), 1e-12);
    ck_assert_double_eq(value(p, "u5.w0"), w0[20]);
    ck_assert(isfinite(value(p, "u1.std")));
    const size_t bad[1] = {12};
    ck_assert_ok(mech_probe_set_units(p, bad, 1));
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_SOFTMAX_CE, f.data, 0),
                         MECH_ERANGE);
    mech_probe_destroy(p);

    /* information plane: the binned estimate equals metrics.h on the layer */
    p = probe_on(&f, MECH_PROBE_INFO_PLANE);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_N_BINS, 8));
    ck_assert_ok(mech_probe_set_f64(p, MECH_PROBE_KDE_VAR, 0.1));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_SOFTMAX_CE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    mech_information_plane ip = {.size = sizeof ip};
    ck_assert_ok(mech_information_plane_binned(h, 30, 12, labels, 3, 8, &ip));
    ck_assert_close(value(p, "i_xt0"), ip.i_xt, 1e-12);
    ck_assert_close(value(p, "i_ty0"), ip.i_ty, 1e-12);
    ck_assert(value(p, "i_xt_out") <= log(30) + 1e-12);
    ck_assert(isfinite(value(p, "kde_i_xt0")));
    ck_assert_ok(mech_probe_measure_arrays(p, h, 30, 12, NULL, 0, 0, labels));
    ck_assert_close(value(p, "i_xt"), ip.i_xt, 1e-12);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* Neural feature ansatz: input gradients from central differences of the
 * forward pass in x, through the arrays way, equal the model way. */
START_TEST(test_nfa)
{
    fix f;
    const size_t w[3] = {3, 6, 2};
    fix_make(&f, MECH_MODEL_MLP, w, 3, MECH_ACT_TANH, true, 10, false);
    mech_probe *p = probe_on(&f, MECH_PROBE_NFA);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    const double pm = value(p, "pearson"), cm = value(p, "cosine");
    double g[10 * 2 * 3], xp[3], fp[2], fm[2], w0[18];
    for (size_t i = 0; i < 10; i++)
        for (size_t j = 0; j < 3; j++) {
            memcpy(xp, f.x + i * 3, sizeof xp);
            xp[j] += 1e-5;
            ck_assert_ok(mech_model_forward(f.model, xp, 1, fp));
            xp[j] -= 2e-5;
            ck_assert_ok(mech_model_forward(f.model, xp, 1, fm));
            for (size_t o = 0; o < 2; o++) g[(i * 2 + o) * 3 + j] = (fp[o] - fm[o]) / 2e-5;
        }
    ck_assert_ok(mech_model_get_layer_weights(f.model, 0, w0, 18));
    ck_assert_ok(mech_probe_measure_arrays(p, w0, 6, 3, g, 20, 3, NULL));
    ck_assert_close(value(p, "pearson"), pm, 1e-6);
    ck_assert_close(value(p, "cosine"), cm, 1e-6);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- weights, performance, mode error ---------------- */

START_TEST(test_weights)
{
    fix f;
    const size_t w[3] = {20, 16, 3};
    fix_make(&f, MECH_MODEL_MLP, w, 3, MECH_ACT_RELU, false, 5, false);
    mech_probe *p = probe_on(&f, MECH_PROBE_WEIGHTS);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    double w0[320], sv[16], fro = 0;
    ck_assert_ok(mech_model_get_layer_weights(f.model, 0, w0, 320));
    for (int i = 0; i < 320; i++) fro += w0[i] * w0[i];
    ck_assert_close(value(p, "frob0"), sqrt(fro), 1e-12);
    size_t len = 0;
    ck_assert_ok(mech_probe_vector(p, "sv0", sv, 16, &len));
    ck_assert_uint_eq(len, 16);
    ck_assert_close(value(p, "spectral0"), sv[0], 1e-12);
    ck_assert_close(value(p, "stable_rank0"), fro / (sv[0] * sv[0]), 1e-12);
    mech_power_law_result pl = {.size = sizeof pl};
    ck_assert_ok(mech_weight_power_law(NULL, w0, 16, 20, 0, NULL, &pl));
    ck_assert_close(value(p, "alpha0"), pl.alpha, 1e-9);
    ck_assert_close(value(p, "ks0"), pl.ks_distance, 1e-9);
    ck_assert(isnan(value(p, "alpha1"))); /* 3 singular values: no tail of 10 */
    ck_assert_ok(mech_probe_measure_arrays(p, w0, 16, 20, NULL, 0, 0, NULL));
    ck_assert_close(value(p, "frob"), sqrt(fro), 1e-12);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

START_TEST(test_loss_gap)
{
    fix f, t;
    small_mlp(&f, MECH_ACT_TANH, 20);
    small_mlp(&t, MECH_ACT_TANH, 12); /* same seed: the first 12 examples */
    mech_probe *p = probe_on(&f, MECH_PROBE_LOSS);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_attach_test_data(p, t.data, 5));
    nudge(&f, 0.1);
    ck_assert_ok(mech_probe_measure(p));
    double out[40], l = 0, lt = 0;
    ck_assert_ok(mech_model_forward(f.model, f.x, 20, out));
    ck_assert_ok(mech_loss_eval(MECH_LOSS_MSE, out, f.y, 20, 2, &l, NULL, NULL));
    ck_assert_ok(mech_loss_eval(MECH_LOSS_MSE, out, f.y, 5, 2, &lt, NULL, NULL));
    ck_assert_close(value(p, "loss"), l, 1e-12);
    ck_assert_close(value(p, "test_loss"), lt, 1e-12);
    ck_assert_close(value(p, "gap"), lt - l, 1e-12);
    ck_assert_ok(mech_probe_measure_arrays(p, out, 20, 2, f.y, 20, 2, NULL));
    ck_assert_close(value(p, "loss"), l, 1e-12);
    mech_probe_destroy(p);
    fix_free(&f);
    fix_free(&t);
}
END_TEST

START_TEST(test_mode_error)
{
    fix f;
    const size_t w[2] = {3, 2};
    fix_make(&f, MECH_MODEL_LINEAR, w, 2, MECH_ACT_IDENTITY, false, 25, false);
    const double target[6] = {1, -1, 0.5, 0.3, 2, -0.7};
    mech_probe *p = probe_on(&f, MECH_PROBE_MODE_ERROR);
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0),
                         MECH_ESTATE); /* neither basis nor target */
    ck_assert_ok(mech_probe_set_target(p, target, 2, 3));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    /* sum_j e_j = (1/n) sum_i |(W_eff - W*) x_i|^2 */
    double a = 1, wt[6], ref = 0;
    ck_assert_ok(mech_model_layer_multipliers(f.model, 0, &a, NULL));
    ck_assert_ok(mech_model_get_params(f.model, wt, 6));
    for (size_t i = 0; i < f.n; i++)
        for (int o = 0; o < 2; o++) {
            double r = 0;
            for (int k = 0; k < 3; k++) r += (a * wt[o * 3 + k] - target[o * 3 + k]) * f.x[i * 3 + k];
            ref += r * r / (double)f.n;
        }
    ck_assert_close(value(p, "total"), ref, 1e-12);
    double e[3], s[3];
    size_t len = 0;
    ck_assert_ok(mech_probe_vector(p, "mode_eigenvalue", s, 3, &len));
    ck_assert(s[0] >= s[1] && s[1] >= s[2] && s[2] > 0);
    ck_assert_ok(mech_probe_vector(p, "mode_error", e, 3, &len));
    ck_assert_fails_with(mech_probe_vector(p, "mode_error", e, 2, &len), MECH_ESHAPE);
    /* kernel setting with a complete orthonormal basis: Parseval,
     * sum_j e_j = |f - y|^2 / n */
    double *basis = calloc(f.n * f.n, sizeof *basis), out[50], r2 = 0;
    for (size_t j = 0; j < f.n; j++) basis[j * f.n + (j * 7) % f.n] = (j % 2) ? 1 : -1;
    ck_assert_ok(mech_probe_set_basis(p, basis, f.n, f.n));
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_measure(p));
    ck_assert_ok(mech_model_forward(f.model, f.x, f.n, out));
    for (size_t i = 0; i < 2 * f.n; i++) r2 += (out[i] - f.y[i]) * (out[i] - f.y[i]) / (double)f.n;
    ck_assert_close(value(p, "total"), r2, 1e-12);
    ck_assert_ok(mech_probe_measure_arrays(p, out, f.n, 2, f.y, f.n, 2, NULL));
    ck_assert_close(value(p, "total"), r2, 1e-12);
    ck_assert_fails_with(mech_probe_measure_arrays(p, out, 20, 2, f.y, 20, 2, NULL), MECH_ESHAPE);
    free(basis);
    mech_probe_destroy(p);
    fix_free(&f);
}
END_TEST

/* ---------------- runs ---------------- */

START_TEST(test_run_columns)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    mech_optimizer *o = NULL;
    ck_assert_ok(mech_optimizer_create(&o, f.ctx, MECH_OPTIMIZER_GD, f.np));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 0.05));
    mech_run *r = NULL;
    ck_assert_ok(mech_run_create(&r, f.ctx, f.model, MECH_LOSS_MSE, f.data, o));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MAX_STEPS, 20));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_PROBE_EVERY, 5));
    mech_probe *s = probe_on(&f, MECH_PROBE_SHARPNESS);
    mech_probe *d = probe_on(&f, MECH_PROBE_DISTANCE);
    ck_assert_fails_with(mech_run_add_probe(r, s), MECH_ESTATE); /* not attached */
    ck_assert_ok(mech_probe_attach_model(s, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_attach_model(d, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_set_str(s, MECH_PROBE_NAME, "hess"));
    ck_assert_ok(mech_run_add_probe(r, s));
    ck_assert_fails_with(mech_run_add_probe(r, s), MECH_EINVAL);
    ck_assert_ok(mech_run_setup(r));
    ck_assert_ok(mech_run_add_probe(r, d)); /* after setup */
    ck_assert_ok(mech_run_execute(r));
    const mech_trace *tr = NULL;
    ck_assert_ok(mech_run_trace(r, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 5); /* steps 0, 5, 10, 15, 20 */
    size_t cs = 0, cd = 0;
    ck_assert_ok(mech_trace_column_index(tr, "hess.sharpness", &cs));
    ck_assert_ok(mech_trace_column_index(tr, "distance.distance", &cd));
    ck_assert_ok(mech_trace_column_index(tr, "hess.residual0", &cs));
    ck_assert_ok(mech_trace_column_index(tr, "hess.sharpness", &cs));
    double col[5], dist[5];
    ck_assert_ok(mech_trace_column(tr, cs, col, 5));
    ck_assert_ok(mech_trace_column(tr, cd, dist, 5));
    for (int i = 0; i < 5; i++) {
        ck_assert(isfinite(col[i]) && col[i] > 0);
        ck_assert(isfinite(dist[i]));
    }
    ck_assert_double_eq(dist[0], 0);
    /* the last row is the probe's measurement at the final parameters */
    double *h = dense_hessian(&f, MECH_LOSS_MSE), *ev = eig_desc(h, f.np);
    ck_assert_double_le(fabs(col[4] - ev[0]), 1e-6 * fabs(ev[0]));
    ck_assert_double_eq(col[4], value(s, "sharpness"));
    /* a second probe of the same name is refused */
    mech_probe *s2 = probe_on(&f, MECH_PROBE_SHARPNESS);
    ck_assert_ok(mech_probe_attach_model(s2, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_probe_set_str(s2, MECH_PROBE_NAME, "hess"));
    ck_assert_fails_with(mech_run_add_probe(r, s2), MECH_EINVAL);
    free(h);
    free(ev);
    mech_run_destroy(r);
    mech_probe_destroy(s);
    mech_probe_destroy(s2);
    mech_probe_destroy(d);
    mech_optimizer_destroy(o);
    fix_free(&f);
}
END_TEST

/* A run resumed from a checkpoint keeps writing its probes' columns. */
START_TEST(test_run_checkpoint)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    char path[] = "/tmp/mech_probe_ckpt_XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    mech_probe *g = probe_on(&f, MECH_PROBE_GRAD_NORM);
    ck_assert_ok(mech_probe_attach_model(g, f.model, MECH_LOSS_MSE, f.data, 0));
    double col[5];
    for (int pass = 0; pass < 2; pass++) {
        mech_optimizer *o = NULL;
        mech_run *r = NULL;
        ck_assert_ok(mech_optimizer_create(&o, f.ctx, MECH_OPTIMIZER_GD, f.np));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 0.05));
        ck_assert_ok(mech_run_create(&r, f.ctx, f.model, MECH_LOSS_MSE, f.data, o));
        ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MAX_STEPS, pass ? 20 : 10));
        ck_assert_ok(mech_run_set_i64(r, MECH_RUN_PROBE_EVERY, 5));
        if (pass) ck_assert_ok(mech_run_add_probe(r, g)); /* only the resumed run */
        ck_assert_ok(mech_run_setup(r));
        if (pass) ck_assert_ok(mech_run_load_checkpoint(r, path));
        ck_assert_ok(mech_run_execute(r));
        if (!pass) ck_assert_ok(mech_run_save_checkpoint(r, path));
        const mech_trace *tr = NULL;
        size_t c = 0;
        ck_assert_ok(mech_run_trace(r, &tr));
        if (pass) {
            ck_assert_uint_eq(mech_trace_n_rows(tr), 5);
            ck_assert_ok(mech_trace_column_index(tr, "grad_norm.grad_norm", &c));
            ck_assert_ok(mech_trace_column(tr, c, col, 5));
        }
        mech_run_destroy(r);
        mech_optimizer_destroy(o);
    }
    /* rows written before the probe existed are NaN, the resumed ones measured */
    ck_assert(isnan(col[0]) && isnan(col[2]));
    ck_assert(isfinite(col[3]) && isfinite(col[4]));
    ck_assert_double_eq(col[4], value(g, "grad_norm"));
    unlink(path);
    mech_probe_destroy(g);
    fix_free(&f);
}
END_TEST

/* Ensemble members each start at distance 0 from their own init. */
START_TEST(test_run_ensemble)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 20);
    mech_optimizer *o = NULL;
    mech_run *r = NULL;
    ck_assert_ok(mech_optimizer_create(&o, f.ctx, MECH_OPTIMIZER_GD, f.np));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 0.05));
    ck_assert_ok(mech_run_create(&r, f.ctx, f.model, MECH_LOSS_MSE, f.data, o));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MAX_STEPS, 4));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_PROBE_EVERY, 2));
    mech_probe *d = probe_on(&f, MECH_PROBE_DISTANCE);
    ck_assert_ok(mech_probe_attach_model(d, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_ok(mech_run_add_probe(r, d));
    ck_assert_ok(mech_run_setup(r));
    const uint64_t seeds[2] = {3, 4};
    mech_trace *ens = NULL;
    ck_assert_ok(mech_run_ensemble(r, seeds, 2, &ens));
    size_t c = 0;
    double dist[3], se[3];
    ck_assert_ok(mech_trace_column_index(ens, "distance.distance", &c));
    ck_assert_ok(mech_trace_column(ens, c, dist, 3));
    ck_assert_ok(mech_trace_column_index(ens, "distance.distance_se", &c));
    ck_assert_ok(mech_trace_column(ens, c, se, 3));
    ck_assert_double_eq(dist[0], 0);
    ck_assert_double_eq(se[0], 0);
    ck_assert_double_gt(dist[2], dist[1]);
    mech_trace_destroy(ens);
    mech_run_destroy(r);
    mech_probe_destroy(d);
    mech_optimizer_destroy(o);
    fix_free(&f);
}
END_TEST

/* ---------------- bad input ---------------- */

START_TEST(test_bad_input)
{
    fix f;
    small_mlp(&f, MECH_ACT_TANH, 10);
    mech_probe *p = NULL;
    ck_assert_fails_with(mech_probe_create(NULL, NULL, MECH_PROBE_LOSS), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_create(&p, NULL, (mech_probe_kind)99), MECH_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(mech_probe_kind_name((mech_probe_kind)99), "unknown");
    ck_assert_str_eq(mech_probe_kind_name(MECH_PROBE_HESSIAN_TRACE), "hessian_trace");
    mech_probe_destroy(NULL);
    ck_assert_str_eq(mech_probe_last_error(NULL), "");
    ck_assert_ok(mech_probe_create(&p, f.ctx, MECH_PROBE_SHARPNESS));
    mech_probe_kind kind = MECH_PROBE_LOSS;
    ck_assert_ok(mech_probe_kind_of(p, &kind));
    ck_assert_int_eq(kind, MECH_PROBE_SHARPNESS);
    ck_assert_fails_with(mech_probe_kind_of(NULL, &kind), MECH_EINVAL);
    /* options */
    ck_assert_fails_with(mech_probe_set_i64(p, MECH_PROBE_K, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_probe_set_i64(p, MECH_PROBE_TOL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_set_f64(p, MECH_PROBE_TOL, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_probe_set_f64(p, MECH_PROBE_TOL, 2), MECH_ERANGE);
    ck_assert_fails_with(mech_probe_set_i64(NULL, MECH_PROBE_K, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_set_str(p, MECH_PROBE_NAME, "a b"), MECH_ERANGE);
    ck_assert_fails_with(mech_probe_set_str(p, MECH_PROBE_NAME, ""), MECH_ERANGE);
    ck_assert_fails_with(mech_probe_set_str(p, MECH_PROBE_NAME, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_set_str(p, MECH_PROBE_K, "x"), MECH_EINVAL);
    const char *name = NULL;
    ck_assert_ok(mech_probe_get_str(p, MECH_PROBE_NAME, &name));
    ck_assert_str_eq(name, "sharpness");
    int64_t iv = 0;
    double fv = 0;
    ck_assert_ok(mech_probe_get_i64(p, MECH_PROBE_K, &iv));
    ck_assert_int_eq(iv, 1);
    ck_assert_ok(mech_probe_get_f64(p, MECH_PROBE_TOL, &fv));
    ck_assert_double_eq(fv, 1e-10);
    ck_assert_fails_with(mech_probe_get_i64(p, MECH_PROBE_K, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_get_f64(NULL, MECH_PROBE_TOL, &fv), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_get_str(p, MECH_PROBE_NAME, NULL), MECH_EINVAL);
    int key = 0;
    ck_assert_ok(mech_option_lookup(MECH_KIND_PROBE, "slq_steps", &key));
    ck_assert_int_eq(key, MECH_PROBE_SLQ_STEPS);
    /* measure before attach, outputs before a measurement */
    ck_assert_fails_with(mech_probe_measure(p), MECH_ESTATE);
    ck_assert_fails_with(mech_probe_measure(NULL), MECH_EINVAL);
    size_t count = 9;
    ck_assert_ok(mech_probe_output_count(p, &count));
    ck_assert_uint_eq(count, 0);
    ck_assert_fails_with(mech_probe_output_count(p, NULL), MECH_EINVAL);
    double v = 0;
    ck_assert_fails_with(mech_probe_output(p, 0, &v), MECH_ERANGE);
    ck_assert_fails_with(mech_probe_output_name(p, 0, &name), MECH_ERANGE);
    /* readers leave their message in the probe's own slot too */
    ck_assert_ptr_nonnull(strstr(mech_probe_last_error(p), "mech_probe_output_name"));
    /* attach */
    ck_assert_fails_with(mech_probe_attach_model(NULL, f.model, MECH_LOSS_MSE, f.data, 0),
                         MECH_EINVAL);
    ck_assert_fails_with(mech_probe_attach_model(p, NULL, MECH_LOSS_MSE, f.data, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, NULL, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, (mech_loss)7, f.data, 0),
                         MECH_EINVAL);
    mech_model *raw = NULL;
    ck_assert_ok(mech_model_create(&raw, f.ctx, MECH_MODEL_MLP));
    ck_assert_fails_with(mech_probe_attach_model(p, raw, MECH_LOSS_MSE, f.data, 0), MECH_ESTATE);
    mech_model_destroy(raw);
    mech_data *wrong = NULL;
    ck_assert_ok(mech_data_create_arrays(&wrong, f.ctx, f.x, f.y, 5, 2, 4, MECH_COPY));
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, wrong, 0),
                         MECH_ESHAPE);
    mech_data_destroy(wrong);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 45)); /* 44 parameters */
    ck_assert_fails_with(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0),
                         MECH_ERANGE);
    ck_assert_ok(mech_probe_set_i64(p, MECH_PROBE_K, 2));
    ck_assert_fails_with(mech_probe_attach_test_data(p, f.data, 0), MECH_ESTATE);
    ck_assert_fails_with(mech_probe_attach_optimizer(p, NULL), MECH_EINVAL);
    ck_assert_ok(mech_probe_attach_model(p, f.model, MECH_LOSS_MSE, f.data, 0));
    ck_assert_fails_with(mech_probe_output(p, 0, &v), MECH_ESTATE); /* not measured */
    ck_assert_fails_with(mech_probe_value(p, "nope", &v), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_probe_attach_test_data(p, NULL, 0), MECH_EINVAL);
    mech_optimizer *o = NULL;
    ck_assert_ok(mech_optimizer_create(&o, f.ctx, MECH_OPTIMIZER_ADAM, 3));
    ck_assert_ok(mech_optimizer_setup(o));
    ck_assert_fails_with(mech_probe_attach_optimizer(p, o), MECH_ESHAPE);
    mech_optimizer_destroy(o);
    ck_assert_ok(mech_optimizer_create(&o, f.ctx, MECH_OPTIMIZER_ADAM, f.np));
    ck_assert_fails_with(mech_probe_attach_optimizer(p, o), MECH_ESTATE); /* not set up */
    mech_optimizer_destroy(o);
    /* the operator way is for unattached probes */
    diag_op op = {5, -1, 0};
    ck_assert_fails_with(mech_probe_measure_operator(p, 5, diag_mv, &op), MECH_ESTATE);
    ck_assert_ok(mech_probe_measure(p));
    ck_assert_ok(mech_probe_output(p, 0, &v));
    ck_assert_fails_with(mech_probe_output(p, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_value(NULL, "eig0", &v), MECH_EINVAL);
    size_t len = 0;
    ck_assert_fails_with(mech_probe_vector(p, "nope", NULL, 0, &len), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_probe_vector(p, "eigenvalues", NULL, 0, NULL), MECH_EINVAL);
    ck_assert_ok(mech_probe_vector_count(p, &count));
    ck_assert_uint_eq(count, 3);
    ck_assert_ok(mech_probe_vector_name(p, 0, &name));
    ck_assert_str_eq(name, "eigenvalues");
    ck_assert_fails_with(mech_probe_vector_name(p, 3, &name), MECH_ERANGE);
    ck_assert_fails_with(mech_probe_vector_count(NULL, &count), MECH_EINVAL);
    mech_probe_destroy(p);

    /* raw ways: NULL, zero sizes, NaN, shapes */
    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_SHARPNESS));
    ck_assert_fails_with(mech_probe_measure_operator(p, 0, diag_mv, &op), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_measure_operator(p, 5, NULL, &op), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_measure_operator(NULL, 5, diag_mv, &op), MECH_EINVAL);
    mech_probe_destroy(p);
    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_WEIGHTS));
    double a[6] = {1, 2, 3, 4, 5, NAN};
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 2, 3, NULL, 0, 0, NULL), MECH_ENONFINITE);
    a[5] = 6;
    ck_assert_fails_with(mech_probe_measure_arrays(p, NULL, 2, 3, NULL, 0, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 0, 3, NULL, 0, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 2, 3, NULL, 2, 3, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 2, 3, a, 0, 3, NULL), MECH_EINVAL);
    const int64_t neg[2] = {0, -1};
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 2, 3, NULL, 0, 0, neg), MECH_ERANGE);
    ck_assert_ok(mech_probe_measure_arrays(p, a, 2, 3, NULL, 0, 0, NULL));
    ck_assert_fails_with(mech_probe_measure(p), MECH_ESTATE);
    ck_assert_fails_with(mech_probe_set_basis(p, NULL, 2, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_set_basis(p, a, 0, 2), MECH_EINVAL);
    a[0] = NAN;
    ck_assert_fails_with(mech_probe_set_basis(p, a, 2, 3), MECH_ENONFINITE);
    ck_assert_fails_with(mech_probe_set_target(p, a, 2, 3), MECH_ENONFINITE);
    ck_assert_fails_with(mech_probe_set_target(NULL, a, 2, 3), MECH_EINVAL);
    const size_t units[1] = {0};
    ck_assert_fails_with(mech_probe_set_units(p, units, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_probe_set_units(p, NULL, 1), MECH_EINVAL);
    mech_probe_destroy(p);
    /* kinds that need a model refuse arrays */
    ck_assert_ok(mech_probe_create(&p, NULL, MECH_PROBE_CONSERVATION));
    a[0] = 1;
    ck_assert_fails_with(mech_probe_measure_arrays(p, a, 2, 3, NULL, 0, 0, NULL),
                         MECH_EUNSUPPORTED);
    mech_probe_destroy(p);
    ck_assert_fails_with(mech_run_add_probe(NULL, NULL), MECH_EINVAL);
    fix_free(&f);
}
END_TEST

static Suite *probe_suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("probe");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sharpness_linear_closed_form);
    tcase_add_test(tc, test_sharpness_mlp_dense);
    tcase_add_test(tc, test_hessian_trace);
    tcase_add_test(tc, test_hessian_density);
    tcase_add_test(tc, test_operator_way);
    tcase_add_test(tc, test_ntk_fd);
    tcase_add_test(tc, test_gauss_newton);
    tcase_add_test(tc, test_precond_sharpness);
    tcase_add_test(tc, test_grad_norm_distance);
    tcase_add_test(tc, test_noise_scale);
    tcase_add_test(tc, test_conservation);
    tcase_add_test(tc, test_coordinate_check);
    tcase_add_test(tc, test_cka_effective_rank);
    tcase_add_test(tc, test_neural_collapse_units_info);
    tcase_add_test(tc, test_nfa);
    tcase_add_test(tc, test_weights);
    tcase_add_test(tc, test_loss_gap);
    tcase_add_test(tc, test_mode_error);
    tcase_add_test(tc, test_run_columns);
    tcase_add_test(tc, test_run_checkpoint);
    tcase_add_test(tc, test_run_ensemble);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(probe_suite()); }
