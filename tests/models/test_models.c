/* Models: exact gradients, HVPs, JVP/VJP and NTK against finite
 * differences for every kind, activation, loss and parametrization;
 * closed forms of the special kinds; float vs double; save/load;
 * parametrization rules; callback models; bad input. */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

/* Finite differences: central steps h = 1e-5 have truncation error
 * O(h^2 |f'''|) ~ 1e-10 and round-off O(eps |f| / h) ~ 1e-11 relative for
 * the O(1) quantities of these small nets, so exact derivatives must agree
 * to the brief's 1e-6 in the relative 2-norm with a wide margin. */
#define FD_H 1e-5
#define FD_TOL 1e-6
#define BATCH 5

typedef struct cfg {
    mech_model_kind kind;
    size_t widths[6], nw;
    int act, bias, param, second;
    mech_loss loss;
} cfg;

static void gauss(double *x, size_t n, uint64_t seed)
{
    mech_rng *r = NULL;
    ck_assert_ok(mech_rng_create_seeded(&r, seed, 7));
    ck_assert_ok(mech_rng_normal(r, x, n, 0, 1));
    mech_rng_destroy(r);
}

/* An MLP's first `linear` hidden layers have no activation. */
static mech_model *build_linear(const cfg *c, int prec, int linear)
{
    mech_model *m = NULL;
    ck_assert_ok(mech_model_create(&m, NULL, c->kind));
    ck_assert_ok(mech_model_set_widths(m, c->widths, c->nw));
    if (c->kind == MECH_MODEL_MLP || c->kind == MECH_MODEL_RANDOM_FEATURES)
        ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_ACTIVATION, c->act));
    if (linear) ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_LINEAR_LAYERS, linear));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BIAS, c->bias));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, c->param));
    /* muP and mean-field multipliers differ from SP only off the base width. */
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BASE_WIDTH, 2));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_TRAIN_SECOND_LAYER, c->second));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, 16));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PRECISION, prec));
    if (c->kind == MECH_MODEL_DIAGONAL) ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, 0.7));
    ck_assert_ok(mech_model_setup(m));
    return m;
}

static mech_model *build(const cfg *c, int prec) { return build_linear(c, prec, 0); }

/* Targets valid for the loss. */
static void targets(mech_loss loss, double *y, size_t batch, size_t out, uint64_t seed)
{
    gauss(y, batch * out, seed);
    for (size_t i = 0; i < batch; i++) {
        double *yi = y + i * out;
        if (loss == MECH_LOSS_SOFTMAX_CE) {
            double s = 0;
            for (size_t o = 0; o < out; o++) s += (yi[o] = exp(yi[o]));
            for (size_t o = 0; o < out; o++) yi[o] /= s;
        } else if (loss == MECH_LOSS_LOGISTIC) {
            yi[0] = yi[0] > 0 ? 1.0 : (i % 2 ? -1.0 : 0.0);
        }
    }
}

static double rel_err(const double *a, const double *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += (a[i] - b[i]) * (a[i] - b[i]);
        s += b[i] * b[i];
    }
    return sqrt(d) / fmax(sqrt(s), 1e-300);
}

static double loss_at(mech_model *m, mech_loss loss, const double *x, const double *y)
{
    double v, *g = calloc(mech_model_num_params(m), sizeof *g);
    ck_assert_ok(mech_model_gradient(m, loss, x, y, BATCH, &v, g));
    free(g);
    return v;
}

/* Gradient and HVP of one configuration against central differences. */
static void check_cfg_linear(const cfg *c, int linear)
{
    mech_model *m = build_linear(c, MECH_PREC_F64, linear);
    size_t in, out, P = mech_model_num_params(m);
    ck_assert_ok(mech_model_dims(m, &in, &out));
    double *x = malloc(BATCH * in * sizeof *x), *y = malloc(BATCH * out * sizeof *y);
    double *th = malloc(P * sizeof *th), *g = malloc(P * sizeof *g), *gfd = malloc(P * sizeof *g);
    double *v = malloc(P * sizeof *v), *hv = malloc(P * sizeof *v), *hfd = malloc(P * sizeof *v);
    double *gp = malloc(P * sizeof *v), *gm = malloc(P * sizeof *v);
    gauss(x, BATCH * in, 11);
    targets(c->loss, y, BATCH, out, 12);
    gauss(v, P, 13);
    /* Move off the initialization: zero biases put ReLU pre-activations of
     * examples whose previous layer is all-dead exactly on the kink. */
    ck_assert_ok(mech_model_get_params(m, th, P));
    gauss(gfd, P, 14);
    for (size_t p = 0; p < P; p++) th[p] += 0.1 * gfd[p];
    ck_assert_ok(mech_model_set_params(m, th, P));
    double lv;
    ck_assert_ok(mech_model_gradient(m, c->loss, x, y, BATCH, &lv, g));
    for (size_t p = 0; p < P; p++) {
        double t = th[p];
        th[p] = t + FD_H;
        ck_assert_ok(mech_model_set_params(m, th, P));
        double lp = loss_at(m, c->loss, x, y);
        th[p] = t - FD_H;
        ck_assert_ok(mech_model_set_params(m, th, P));
        double lm = loss_at(m, c->loss, x, y);
        th[p] = t;
        gfd[p] = (lp - lm) / (2 * FD_H);
    }
    ck_assert_ok(mech_model_set_params(m, th, P));
    double eg = rel_err(g, gfd, P);
    ck_assert_msg(eg <= FD_TOL, "%s act %d bias %d param %d loss %d depth %zu linear %d: grad err %g",
                  mech_model_kind_name(c->kind), c->act, c->bias, c->param, c->loss, c->nw,
                  linear, eg);
    /* HVP against the central difference of exact gradients along v. */
    ck_assert_ok(mech_model_hvp(m, c->loss, x, y, BATCH, v, hv));
    for (size_t p = 0; p < P; p++) th[p] += FD_H * v[p];
    ck_assert_ok(mech_model_set_params(m, th, P));
    ck_assert_ok(mech_model_gradient(m, c->loss, x, y, BATCH, NULL, gp));
    for (size_t p = 0; p < P; p++) th[p] -= 2 * FD_H * v[p];
    ck_assert_ok(mech_model_set_params(m, th, P));
    ck_assert_ok(mech_model_gradient(m, c->loss, x, y, BATCH, NULL, gm));
    for (size_t p = 0; p < P; p++) hfd[p] = (gp[p] - gm[p]) / (2 * FD_H);
    double eh = rel_err(hv, hfd, P);
    ck_assert_msg(eh <= FD_TOL, "%s act %d bias %d param %d loss %d depth %zu linear %d: hvp err %g",
                  mech_model_kind_name(c->kind), c->act, c->bias, c->param, c->loss, c->nw,
                  linear, eh);
    free(x); free(y); free(th); free(g); free(gfd); free(v); free(hv); free(hfd); free(gp);
    free(gm);
    mech_model_destroy(m);
}

static void check_cfg(const cfg *c) { check_cfg_linear(c, 0); }

static size_t out_for(mech_loss loss) { return loss == MECH_LOSS_MSE ? 2 : loss == MECH_LOSS_SOFTMAX_CE ? 3 : 1; }

/* MLP: every activation x loss x parametrization x bias x 1..3 hidden layers. */
START_TEST(mlp_gradients_and_hvps_match_finite_differences)
{
    for (int act = 0; act <= MECH_ACT_QUADRATIC; act++)
        for (int loss = 0; loss < 3; loss++)
            for (int param = 0; param < 4; param++)
                for (int bias = 0; bias < 2; bias++)
                    for (size_t depth = 1; depth <= 3; depth++) {
                        cfg c = {MECH_MODEL_MLP, {3, 4, 4, 4}, depth + 2, act, bias, param, 0,
                                 (mech_loss)loss};
                        c.widths[depth + 1] = out_for(c.loss);
                        check_cfg(&c);
                    }
}
END_TEST

/* Leading linear hidden layers (an embedding before the MLP): exact
 * derivatives at every split of 3 hidden layers, and the forward pass
 * equals the layers multiplied out by hand. */
START_TEST(mlp_linear_layers_derivatives_and_forward)
{
    for (int act = 0; act <= MECH_ACT_QUADRATIC; act++)
        for (int linear = 1; linear <= 2; linear++)
            for (int bias = 0; bias < 2; bias++) {
                cfg c = {MECH_MODEL_MLP, {3, 4, 5, 4, 3}, 5, act, bias, MECH_PARAM_MUP, 0,
                         MECH_LOSS_SOFTMAX_CE};
                check_cfg_linear(&c, linear);
            }
    /* f = W2 tanh(W1 W0 x) in SP without biases (multipliers 1). */
    cfg c = {MECH_MODEL_MLP, {3, 4, 5, 2}, 4, MECH_ACT_TANH, 0, MECH_PARAM_SP, 0, MECH_LOSS_MSE};
    mech_model *m = build_linear(&c, MECH_PREC_F64, 1);
    double w0[12], w1[20], w2[10], x[3] = {0.3, -1.2, 0.8}, f[2];
    ck_assert_ok(mech_model_get_layer_weights(m, 0, w0, 12));
    ck_assert_ok(mech_model_get_layer_weights(m, 1, w1, 20));
    ck_assert_ok(mech_model_get_layer_weights(m, 2, w2, 10));
    ck_assert_ok(mech_model_forward(m, x, 1, f));
    double e[4] = {0}, h[5] = {0};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) e[i] += w0[i * 3 + j] * x[j];
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 4; j++) h[i] += w1[i * 4 + j] * e[j];
        h[i] = tanh(h[i]);
    }
    for (int o = 0; o < 2; o++) {
        double want = 0;
        for (int i = 0; i < 5; i++) want += w2[o * 5 + i] * h[i];
        ck_assert_double_eq_tol(f[o], want, 1e-14);
    }
    mech_model_destroy(m);
}
END_TEST

START_TEST(other_kinds_gradients_and_hvps_match_finite_differences)
{
    for (int loss = 0; loss < 3; loss++) {
        const size_t o = out_for((mech_loss)loss);
        for (int param = 0; param < 4; param++) {
            for (int bias = 0; bias < 2; bias++) {
                cfg lin = {MECH_MODEL_LINEAR, {3, o}, 2, 0, bias, param, 0, (mech_loss)loss};
                check_cfg(&lin);
                cfg rf = {MECH_MODEL_RANDOM_FEATURES, {3, 6, o}, 3, MECH_ACT_TANH, bias, param,
                          0, (mech_loss)loss};
                check_cfg(&rf);
            }
            for (size_t depth = 1; depth <= 3; depth++) {
                cfg dl = {MECH_MODEL_DEEP_LINEAR, {3, 4, 4, 4}, depth + 2, 0, 0, param, 0,
                          (mech_loss)loss};
                dl.widths[depth + 1] = o;
                check_cfg(&dl);
            }
        }
        if (o != 1) continue; /* committee and diagonal have one output */
        for (int second = 0; second < 2; second++) {
            cfg cm = {MECH_MODEL_COMMITTEE, {4, 3, 1}, 3, 0, 0, 0, second, (mech_loss)loss};
            check_cfg(&cm);
        }
        cfg dg = {MECH_MODEL_DIAGONAL, {5, 1}, 2, 0, 0, 0, 0, (mech_loss)loss};
        check_cfg(&dg);
    }
}
END_TEST

/* Finite-difference Jacobian (batch*out x P) of the outputs. */
static double *fd_jacobian(mech_model *m, const double *x, size_t batch)
{
    size_t in, out, P = mech_model_num_params(m);
    ck_assert_ok(mech_model_dims(m, &in, &out));
    double *th = malloc(P * sizeof *th), *fp = malloc(batch * out * sizeof *fp);
    double *fm = malloc(batch * out * sizeof *fm), *J = malloc(batch * out * P * sizeof *J);
    ck_assert_ok(mech_model_get_params(m, th, P));
    for (size_t p = 0; p < P; p++) {
        double t = th[p];
        th[p] = t + FD_H;
        ck_assert_ok(mech_model_set_params(m, th, P));
        ck_assert_ok(mech_model_forward(m, x, batch, fp));
        th[p] = t - FD_H;
        ck_assert_ok(mech_model_set_params(m, th, P));
        ck_assert_ok(mech_model_forward(m, x, batch, fm));
        th[p] = t;
        for (size_t r = 0; r < batch * out; r++) J[r * P + p] = (fp[r] - fm[r]) / (2 * FD_H);
    }
    ck_assert_ok(mech_model_set_params(m, th, P));
    free(th); free(fp); free(fm);
    return J;
}

START_TEST(jvp_vjp_and_ntk_match_finite_difference_jacobians)
{
    const cfg cs[] = {
        {MECH_MODEL_MLP, {3, 5, 4, 2}, 4, MECH_ACT_GELU, 1, MECH_PARAM_MUP, 0, MECH_LOSS_MSE},
        {MECH_MODEL_RANDOM_FEATURES, {3, 6, 2}, 3, MECH_ACT_ERF, 1, MECH_PARAM_NTK, 0, MECH_LOSS_MSE},
        {MECH_MODEL_DIAGONAL, {4, 1}, 2, 0, 0, 0, 0, MECH_LOSS_MSE},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        mech_model *m = build(&cs[k], MECH_PREC_F64);
        size_t in, out, P = mech_model_num_params(m);
        ck_assert_ok(mech_model_dims(m, &in, &out));
        const size_t R = BATCH * out;
        double x[BATCH * 4], v[64], u[BATCH * 2], jv[BATCH * 2], jtu[64], jv_fd[BATCH * 2];
        double jtu_fd[64];
        ck_assert_uint_le(P, 64);
        gauss(x, BATCH * in, 21);
        gauss(v, P, 22);
        gauss(u, R, 23);
        double *J = fd_jacobian(m, x, BATCH);
        ck_assert_ok(mech_model_jvp(m, x, BATCH, v, jv));
        ck_assert_ok(mech_model_vjp(m, x, BATCH, u, jtu));
        for (size_t r = 0; r < R; r++) {
            jv_fd[r] = 0;
            for (size_t p = 0; p < P; p++) jv_fd[r] += J[r * P + p] * v[p];
        }
        for (size_t p = 0; p < P; p++) {
            jtu_fd[p] = 0;
            for (size_t r = 0; r < R; r++) jtu_fd[p] += J[r * P + p] * u[r];
        }
        ck_assert_double_le(rel_err(jv, jv_fd, R), FD_TOL);
        ck_assert_double_le(rel_err(jtu, jtu_fd, P), FD_TOL);
        /* u^T (J v) = (J^T u)^T v: exact identity up to round-off. */
        double a = 0, b = 0;
        for (size_t r = 0; r < R; r++) a += u[r] * jv[r];
        for (size_t p = 0; p < P; p++) b += jtu[p] * v[p];
        ck_assert_close(a, b, 1e-12);
        /* NTK of x (first 2 examples) against x (all): J1 J^T; x2 in chunks
         * of MAX_BATCH = 16 is exercised by the test below. */
        double K[2 * 2 * BATCH * 2], Kfd[2 * 2 * BATCH * 2];
        ck_assert_ok(mech_model_ntk(m, x, 2, x, BATCH, K));
        for (size_t i = 0; i < 2 * out; i++)
            for (size_t j = 0; j < R; j++) {
                double s = 0;
                for (size_t p = 0; p < P; p++) s += J[i * P + p] * J[j * P + p];
                Kfd[i * R + j] = s;
            }
        ck_assert_double_le(rel_err(K, Kfd, 2 * out * R), FD_TOL);
        free(J);
        mech_model_destroy(m);
    }
}
END_TEST

START_TEST(ntk_chunks_over_max_batch)
{
    cfg c = {MECH_MODEL_MLP, {2, 4, 1}, 3, MECH_ACT_TANH, 1, MECH_PARAM_NTK, 0, MECH_LOSS_MSE};
    mech_model *m = build(&c, MECH_PREC_F64);
    double x[40 * 2], K[40 * 40], g1[64], g2[64];
    size_t P = mech_model_num_params(m);
    gauss(x, 80, 5);
    ck_assert_ok(mech_model_ntk(m, x, 40, x, 40, K));
    /* K_ij = grad f(x_i) . grad f(x_j) from single-example VJPs. */
    const double one = 1.0;
    for (size_t i = 0; i < 40; i += 13)
        for (size_t j = 0; j < 40; j += 7) {
            ck_assert_ok(mech_model_vjp(m, x + 2 * i, 1, &one, g1));
            ck_assert_ok(mech_model_vjp(m, x + 2 * j, 1, &one, g2));
            double s = 0;
            for (size_t p = 0; p < P; p++) s += g1[p] * g2[p];
            ck_assert_close(K[i * 40 + j], s, 1e-12);
        }
    mech_model_destroy(m);
}
END_TEST

/* ---------------- closed forms of the special kinds ---------------- */

START_TEST(deep_linear_forward_is_the_matrix_product)
{
    const size_t w[4] = {3, 5, 4, 2};
    mech_model *m = NULL;
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_DEEP_LINEAR));
    ck_assert_ok(mech_model_set_widths(m, w, 4));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_NTK));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_OUTPUT_MULT, 0.5));
    ck_assert_ok(mech_model_setup(m));
    ck_assert_uint_eq(mech_model_num_layers(m), 3);
    double x[3] = {0.3, -1.0, 2.0}, h[5], t[5], f[2], W[20];
    memcpy(h, x, sizeof x);
    for (size_t l = 0; l < 3; l++) {
        double a;
        ck_assert_ok(mech_model_layer_multipliers(m, l, &a, NULL));
        ck_assert_ok(mech_model_get_layer_weights(m, l, W, w[l + 1] * w[l]));
        for (size_t i = 0; i < w[l + 1]; i++) {
            t[i] = 0;
            for (size_t j = 0; j < w[l]; j++) t[i] += a * W[i * w[l] + j] * h[j];
        }
        memcpy(h, t, w[l + 1] * sizeof *h);
    }
    double a2;
    ck_assert_ok(mech_model_layer_multipliers(m, 2, &a2, NULL));
    ck_assert_close(a2, 0.5 / 2.0, 1e-15); /* sigma_w / sqrt(4) * output_mult */
    ck_assert_ok(mech_model_forward(m, x, 1, f));
    ck_assert_close(f[0], h[0], 1e-13);
    ck_assert_close(f[1], h[1], 1e-13);
    mech_model_destroy(m);
}
END_TEST

START_TEST(diagonal_network_formula)
{
    cfg c = {MECH_MODEL_DIAGONAL, {4, 1}, 2, 0, 0, 0, 0, MECH_LOSS_MSE};
    mech_model *m = build(&c, MECH_PREC_F64);
    ck_assert_uint_eq(mech_model_num_params(m), 8);
    double th[8], f, x[4] = {1, -2, 0.5, 3};
    ck_assert_ok(mech_model_get_params(m, th, 8));
    for (int i = 0; i < 8; i++) ck_assert_double_eq(th[i], 0.7); /* w+ = w- = alpha */
    ck_assert_ok(mech_model_forward(m, x, 1, &f));
    ck_assert_double_eq(f, 0.0);
    const double set[8] = {1, 2, 0.5, -1, 0.3, 1, 2, 0};
    ck_assert_ok(mech_model_set_params(m, set, 8));
    ck_assert_ok(mech_model_forward(m, x, 1, &f));
    double want = 0;
    for (int i = 0; i < 4; i++) want += (set[i] * set[i] - set[4 + i] * set[4 + i]) * x[i];
    ck_assert_close(f, want, 1e-14);
    mech_model_destroy(m);
}
END_TEST

START_TEST(committee_formula)
{
    for (int second = 0; second < 2; second++) {
        cfg c = {MECH_MODEL_COMMITTEE, {6, 3, 1}, 3, 0, 0, 0, second, MECH_LOSS_MSE};
        mech_model *m = build(&c, MECH_PREC_F64);
        ck_assert_uint_eq(mech_model_num_params(m), second ? 21 : 18);
        double W[18], v[3], x[6], f;
        ck_assert_ok(mech_model_get_layer_weights(m, 0, W, 18));
        ck_assert_ok(mech_model_get_layer_weights(m, 1, v, 3));
        if (!second)
            for (int k = 0; k < 3; k++) ck_assert_double_eq(v[k], 1.0);
        gauss(x, 6, 3);
        double want = 0;
        for (int k = 0; k < 3; k++) {
            double lam = 0;
            for (int i = 0; i < 6; i++) lam += W[k * 6 + i] * x[i];
            want += v[k] * erf(lam / sqrt(6.0) / sqrt(2.0));
        }
        ck_assert_ok(mech_model_forward(m, x, 1, &f));
        ck_assert_close(f, want, 1e-14);
        mech_model_destroy(m);
    }
}
END_TEST

START_TEST(random_features_first_layer_is_frozen)
{
    cfg c = {MECH_MODEL_RANDOM_FEATURES, {3, 8, 2}, 3, MECH_ACT_RELU, 1, MECH_PARAM_SP, 0,
             MECH_LOSS_MSE};
    mech_model *m = build(&c, MECH_PREC_F64);
    const size_t P = mech_model_num_params(m);
    ck_assert_uint_eq(P, 8 * 2 + 2); /* readout and its bias only */
    size_t off, boff;
    ck_assert_ok(mech_model_layer_info(m, 0, &off, NULL, NULL, &boff));
    ck_assert_uint_eq(off, SIZE_MAX);
    ck_assert_uint_eq(boff, SIZE_MAX);
    ck_assert_ok(mech_model_layer_info(m, 1, &off, NULL, NULL, &boff));
    ck_assert_uint_eq(off, 0);
    ck_assert_uint_eq(boff, 16);
    double W0[24], W1[24], x[3 * BATCH], y[2 * BATCH], th[18], g[18];
    ck_assert_ok(mech_model_get_layer_weights(m, 0, W0, 24));
    gauss(x, 3 * BATCH, 1);
    gauss(y, 2 * BATCH, 2);
    for (int step = 0; step < 5; step++) {
        ck_assert_ok(mech_model_gradient(m, MECH_LOSS_MSE, x, y, BATCH, NULL, g));
        ck_assert_ok(mech_model_get_params(m, th, P));
        for (size_t p = 0; p < P; p++) th[p] -= 0.1 * g[p];
        ck_assert_ok(mech_model_set_params(m, th, P));
    }
    ck_assert_ok(mech_model_get_layer_weights(m, 0, W1, 24));
    ck_assert_mem_eq(W0, W1, sizeof W0);
    mech_model_destroy(m);
}
END_TEST

START_TEST(activations_probe_matches_manual_layer)
{
    cfg c = {MECH_MODEL_MLP, {3, 4, 2}, 3, MECH_ACT_SOFTPLUS, 1, MECH_PARAM_SP, 0, MECH_LOSS_MSE};
    mech_model *m = build(&c, MECH_PREC_F64);
    double x[3] = {0.5, -1, 2}, h[4], W[12], th[32];
    size_t boff;
    ck_assert_ok(mech_model_activations(m, x, 1, 0, h));
    ck_assert_ok(mech_model_get_layer_weights(m, 0, W, 12));
    ck_assert_ok(mech_model_layer_info(m, 0, NULL, NULL, NULL, &boff));
    ck_assert_ok(mech_model_get_params(m, th, mech_model_num_params(m)));
    for (int i = 0; i < 4; i++) {
        double z = th[boff + i];
        for (int j = 0; j < 3; j++) z += W[i * 3 + j] * x[j];
        ck_assert_close(h[i], log1p(exp(z)), 1e-14);
    }
    ck_assert_fails_with(mech_model_activations(m, x, 1, 1, h), MECH_ERANGE);
    mech_model_destroy(m);
}
END_TEST

/* ---------------- float vs double ---------------- */

START_TEST(float_and_double_agree)
{
    cfg c = {MECH_MODEL_MLP, {4, 16, 16, 2}, 4, MECH_ACT_TANH, 1, MECH_PARAM_MUP, 0, MECH_LOSS_MSE};
    mech_model *md = build(&c, MECH_PREC_F64), *mf = build(&c, MECH_PREC_F32);
    const size_t P = mech_model_num_params(md), B = 16;
    ck_assert_uint_eq(P, mech_model_num_params(mf));
    double x[16 * 4], y[16 * 2], fd[32], ff[32];
    gauss(x, 64, 31);
    gauss(y, 32, 32);
    double *th = malloc(P * sizeof *th), *gd = malloc(P * sizeof *gd), *gf = malloc(P * sizeof *gf);
    float *xf = malloc(64 * sizeof *xf), *yf = malloc(32 * sizeof *yf), *g32 = malloc(P * sizeof *g32);
    for (int i = 0; i < 64; i++) xf[i] = (float)x[i];
    for (int i = 0; i < 32; i++) yf[i] = (float)y[i];
    /* Same parameters in both (the float model's, exactly representable). */
    ck_assert_ok(mech_model_get_params(mf, th, P));
    ck_assert_ok(mech_model_set_params(md, th, P));
    ck_assert_ok(mech_model_forward(md, x, B, fd));
    ck_assert_ok(mech_model_forward(mf, x, B, ff));
    /* float round-off: ~1e-7 per operation, over O(width) sums ~1e-6. */
    ck_assert_double_le(rel_err(ff, fd, 32), 1e-5);
    double ld, lf;
    ck_assert_ok(mech_model_gradient(md, MECH_LOSS_MSE, x, y, B, &ld, gd));
    ck_assert_ok(mech_model_gradient(mf, MECH_LOSS_MSE, x, y, B, &lf, gf));
    ck_assert_double_le(rel_err(gf, gd, P), 1e-5);
    double lf32;
    ck_assert_ok(mech_model_gradient_f32(mf, MECH_LOSS_MSE, xf, yf, B, &lf32, g32));
    for (size_t p = 0; p < P; p++) gf[p] = g32[p];
    ck_assert_double_le(rel_err(gf, gd, P), 1e-5);
    ck_assert_close(lf32, ld, 1e-5);
    /* 100 GD steps in each precision: loss trajectories within 1e-4
     * (measured ~1e-7). The rate 0.05 keeps GD stable: at rates past
     * 2/sharpness an unstable direction amplifies any rounding difference
     * exponentially, a property of the dynamics rather than of float. */
    float *thf = malloc(P * sizeof *thf);
    ck_assert_ok(mech_model_get_params_f32(mf, thf, P));
    double worst = 0;
    for (int step = 0; step < 100; step++) {
        ck_assert_ok(mech_model_gradient(md, MECH_LOSS_MSE, x, y, B, &ld, gd));
        ck_assert_ok(mech_model_gradient_f32(mf, MECH_LOSS_MSE, xf, yf, B, &lf, g32));
        worst = fmax(worst, fabs(lf - ld) / ld);
        for (size_t p = 0; p < P; p++) {
            th[p] -= 0.05 * gd[p];
            thf[p] -= 0.05f * g32[p];
        }
        ck_assert_ok(mech_model_set_params(md, th, P));
        ck_assert_ok(mech_model_set_params_f32(mf, thf, P));
    }
    ck_assert_double_le(worst, 1e-4);
    /* The float HVP agrees too. */
    float *vf = malloc(P * sizeof *vf), *hf = malloc(P * sizeof *hf);
    gauss(gd, P, 33);
    for (size_t p = 0; p < P; p++) vf[p] = (float)gd[p], gd[p] = vf[p];
    ck_assert_ok(mech_model_hvp(md, MECH_LOSS_MSE, x, y, B, gd, th));
    ck_assert_ok(mech_model_hvp_f32(mf, MECH_LOSS_MSE, xf, yf, B, vf, hf));
    for (size_t p = 0; p < P; p++) gf[p] = hf[p];
    ck_assert_double_le(rel_err(gf, th, P), 1e-4);
    /* _f32 functions refuse a double model. */
    ck_assert_fails_with(mech_model_forward_f32(md, xf, B, hf), MECH_ESTATE);
    free(th); free(gd); free(gf); free(xf); free(yf); free(g32); free(thf); free(vf); free(hf);
    mech_model_destroy(md);
    mech_model_destroy(mf);
}
END_TEST

/* ---------------- save / load ---------------- */

static void tmp_path(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/mech_test_models_%ld_%s.bin", (long)getpid(), tag);
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void copy_prefix(const char *src, const char *dst, long n, long flip)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    for (long i = 0; i < n; i++) {
        int ch = fgetc(a);
        fputc(i == flip ? ch ^ 0x10 : ch, b);
    }
    fclose(a);
    fclose(b);
}

START_TEST(save_load_round_trip_and_corruption)
{
    char path[256], bad[256];
    tmp_path(path, sizeof path, "ok");
    tmp_path(bad, sizeof bad, "bad");
    for (int prec = 0; prec < 2; prec++) {
        cfg c = {MECH_MODEL_RANDOM_FEATURES, {3, 7, 2}, 3, MECH_ACT_GELU, 1, MECH_PARAM_MEANFIELD, 0,
                 MECH_LOSS_MSE};
        mech_model *m = build(&c, prec), *l = NULL;
        ck_assert_ok(mech_model_save(m, path));
        ck_assert_ok(mech_model_load(&l, NULL, path));
        const size_t P = mech_model_num_params(m);
        ck_assert_uint_eq(P, mech_model_num_params(l));
        double a[64], b[64], fa[4], fb[4], x[6] = {1, 2, 3, -1, 0, 0.5};
        ck_assert_ok(mech_model_get_params(m, a, P));
        ck_assert_ok(mech_model_get_params(l, b, P));
        ck_assert_mem_eq(a, b, P * sizeof *a);
        ck_assert_ok(mech_model_get_layer_weights(m, 0, a, 21));
        ck_assert_ok(mech_model_get_layer_weights(l, 0, b, 21));
        ck_assert_mem_eq(a, b, 21 * sizeof *a);
        int nopts;
        ck_assert_ok(mech_option_count(MECH_KIND_MODEL, &nopts));
        for (int k = 0; k < nopts; k++) {
            mech_opt_type ty;
            ck_assert_ok(mech_option_type(MECH_KIND_MODEL, k, &ty));
            if (ty == MECH_OPT_I64) {
                int64_t va, vb;
                ck_assert_ok(mech_model_get_i64(m, (mech_model_opt)k, &va));
                ck_assert_ok(mech_model_get_i64(l, (mech_model_opt)k, &vb));
                ck_assert_int_eq(va, vb);
            } else {
                double va, vb;
                ck_assert_ok(mech_model_get_f64(m, (mech_model_opt)k, &va));
                ck_assert_ok(mech_model_get_f64(l, (mech_model_opt)k, &vb));
                ck_assert_double_eq(va, vb);
            }
        }
        ck_assert_ok(mech_model_forward(m, x, 2, fa));
        ck_assert_ok(mech_model_forward(l, x, 2, fb));
        ck_assert_mem_eq(fa, fb, sizeof fa);
        mech_model_destroy(l);
        /* Truncations at several lengths and a flipped byte are refused. */
        long n = file_size(path);
        const long cuts[] = {0, 4, 20, 27, n / 2, n - 1};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            copy_prefix(path, bad, cuts[i], -1);
            l = (mech_model *)1;
            ck_assert_fails_with(mech_model_load(&l, NULL, bad), MECH_EFORMAT);
            ck_assert_ptr_null(l);
        }
        for (long flip = 30; flip < n; flip += n / 5) {
            copy_prefix(path, bad, n, flip);
            ck_assert_fails_with(mech_model_load(&l, NULL, bad), MECH_EFORMAT);
        }
        mech_model_destroy(m);
    }
    ck_assert_fails_with(mech_model_load(NULL, NULL, path), MECH_EINVAL);
    mech_model *l = NULL;
    ck_assert_fails_with(mech_model_load(&l, NULL, "/nonexistent/dir/model.bin"), MECH_EIO);
    /* A linear-layers MLP keeps its structure through a round trip. */
    cfg c = {MECH_MODEL_MLP, {3, 4, 5, 2}, 4, MECH_ACT_RELU, 1, MECH_PARAM_SP, 0, MECH_LOSS_MSE};
    mech_model *m = build_linear(&c, MECH_PREC_F64, 1);
    int64_t lin;
    double x[3] = {0.1, 0.7, -2.0}, fa[2], fb[2];
    ck_assert_ok(mech_model_save(m, path));
    ck_assert_ok(mech_model_load(&l, NULL, path));
    ck_assert_ok(mech_model_get_i64(l, MECH_MODEL_LINEAR_LAYERS, &lin));
    ck_assert_int_eq(lin, 1);
    ck_assert_ok(mech_model_forward(m, x, 1, fa));
    ck_assert_ok(mech_model_forward(l, x, 1, fb));
    ck_assert_mem_eq(fa, fb, sizeof fa);
    mech_model_destroy(l);
    mech_model_destroy(m);
    remove(path);
    remove(bad);
}
END_TEST

/* CRC-32 (reflected, polynomial 0xEDB88320), as zlib computes it. */
static uint32_t crc32_of(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Rewrites a saved file with byte `at` set to `value` and a valid CRC
 * (header: magic 8, version 4, length 8, CRC 4; the CRC covers version,
 * length and payload). */
static void patch_with_crc(const char *path, long at, unsigned char value)
{
    unsigned char buf[4096];
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_lt(n, sizeof buf);
    buf[at] = value;
    uint32_t c = crc32_of(crc32_of(0, buf + 8, 12), buf + 24, n - 24);
    for (int i = 0; i < 4; i++) buf[20 + i] = (unsigned char)(c >> (8 * i));
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
}

/* Files of a newer library: a later format, or more options than this
 * library knows, are refused as a version mismatch, not misread. */
START_TEST(refuses_newer_model_files)
{
    char path[256];
    tmp_path(path, sizeof path, "newer");
    cfg c = {MECH_MODEL_MLP, {3, 4, 2}, 3, MECH_ACT_TANH, 0, MECH_PARAM_SP, 0, MECH_LOSS_MSE};
    mech_model *m = build(&c, MECH_PREC_F64), *l = NULL;
    ck_assert_ok(mech_model_save(m, path));
    ck_assert_ok(mech_model_load(&l, NULL, path)); /* the patching itself keeps files valid */
    mech_model_destroy(l);
    patch_with_crc(path, 24 + 8 * 5, 14); /* option count (after kind, nw, 3 widths): 14 */
    ck_assert_ok(mech_model_load(&l, NULL, path));
    mech_model_destroy(l);
    patch_with_crc(path, 24 + 8 * 5, 15);
    l = (mech_model *)1;
    ck_assert_fails_with(mech_model_load(&l, NULL, path), MECH_EVERSION);
    ck_assert_ptr_null(l);
    ck_assert_ptr_nonnull(strstr(mech_last_error(), "15 options"));
    patch_with_crc(path, 24 + 8 * 5, 14);
    patch_with_crc(path, 8, 3); /* format 3 */
    ck_assert_fails_with(mech_model_load(&l, NULL, path), MECH_EVERSION);
    mech_model_destroy(m);
    remove(path);
}
END_TEST

/* A model saved by 0.1.0 (format 1, 13 options; tests/data): MLP 3-4-2,
 * tanh, biases, seed 7. Its forward values were printed by 0.1.0. */
START_TEST(loads_format_1_models)
{
    mech_model *m = NULL;
    ck_assert_ok(mech_model_load(&m, NULL, MODEL_FORMAT1));
    int64_t act, lin;
    ck_assert_ok(mech_model_get_i64(m, MECH_MODEL_ACTIVATION, &act));
    ck_assert_ok(mech_model_get_i64(m, MECH_MODEL_LINEAR_LAYERS, &lin));
    ck_assert_int_eq(act, MECH_ACT_TANH);
    ck_assert_int_eq(lin, 0);
    double x[3] = {0.5, -1.0, 2.0}, f[2];
    ck_assert_ok(mech_model_forward(m, x, 1, f));
    ck_assert_double_eq_tol(f[0], -0.26733077711301095, 1e-13);
    ck_assert_double_eq_tol(f[1], 0.43628928724772298, 1e-13);
    mech_model_destroy(m);
}
END_TEST

/* ---------------- parametrization rules ---------------- */

START_TEST(param_rules_equal_sp_at_base_and_scale_at_4x)
{
    for (int fam = 0; fam < 2; fam++)
        for (int role = 0; role < 4; role++) {
            const double fi = role == MECH_ROLE_INPUT || role == MECH_ROLE_BIAS ? 10 : 64;
            const double fo = role == MECH_ROLE_OUTPUT ? 3 : 64;
            double sv, sm, sl;
            ck_assert_ok(mech_param_rule(MECH_PARAM_SP, fam, role, fi, fo, fi, fo, &sv, &sm, &sl));
            for (int p = MECH_PARAM_MUP; p <= MECH_PARAM_MEANFIELD; p++) {
                double v, mu, lr;
                ck_assert_ok(mech_param_rule(p, fam, role, fi, fo, fi, fo, &v, &mu, &lr));
                ck_assert_double_eq(v, sv);
                ck_assert_double_eq(mu, sm);
                ck_assert_double_eq(lr, sl);
            }
        }
    /* 4x width: hidden 256 with base 64. */
    double v, mu, lr, v0;
    /* muP output: var 1/(fan_in r_in) = 1/(256*4); SGD and Adam lr 1/4. */
    ck_assert_ok(mech_param_rule(MECH_PARAM_MUP, MECH_OPTFAM_SGD, MECH_ROLE_OUTPUT, 256, 3, 64, 3, &v, &mu, &lr));
    ck_assert_close(v, 1.0 / 1024, 1e-15);
    ck_assert_double_eq(mu, 1);
    ck_assert_close(lr, 0.25, 1e-15);
    ck_assert_ok(mech_param_rule(MECH_PARAM_MUP, MECH_OPTFAM_ADAM, MECH_ROLE_OUTPUT, 256, 3, 64, 3, NULL, NULL, &lr));
    ck_assert_close(lr, 0.25, 1e-15);
    /* muP input: SGD lr r_out = 4, Adam 1; hidden: SGD 1, Adam 1/4. */
    ck_assert_ok(mech_param_rule(MECH_PARAM_MUP, MECH_OPTFAM_SGD, MECH_ROLE_INPUT, 10, 256, 10, 64, &v, NULL, &lr));
    ck_assert_close(v, 0.1, 1e-15);
    ck_assert_close(lr, 4, 1e-15);
    ck_assert_ok(mech_param_rule(MECH_PARAM_MUP, MECH_OPTFAM_ADAM, MECH_ROLE_INPUT, 10, 256, 10, 64, NULL, NULL, &lr));
    ck_assert_close(lr, 1, 1e-15);
    ck_assert_ok(mech_param_rule(MECH_PARAM_MUP, MECH_OPTFAM_ADAM, MECH_ROLE_HIDDEN, 256, 256, 64, 64, &v, NULL, &lr));
    ck_assert_close(v, 1.0 / 256, 1e-15);
    ck_assert_close(lr, 0.25, 1e-15);
    ck_assert_ok(mech_param_rule(MECH_PARAM_MUP, MECH_OPTFAM_SGD, MECH_ROLE_BIAS, 1, 256, 1, 64, &v, NULL, &lr));
    ck_assert_close(lr, 4, 1e-15);
    /* Mean-field readout: O(1) weights, multiplier 1/4, SGD lr 4, and the
     * effective readout (mu^2 var, mu^2 lr) equals muP's. */
    ck_assert_ok(mech_param_rule(MECH_PARAM_MEANFIELD, MECH_OPTFAM_SGD, MECH_ROLE_OUTPUT, 256, 3, 64, 3, &v, &mu, &lr));
    ck_assert_close(v, 1.0 / 64, 1e-15);
    ck_assert_close(mu, 0.25, 1e-15);
    ck_assert_close(lr, 4, 1e-15);
    ck_assert_close(mu * mu * v, 1.0 / 1024, 1e-15);
    ck_assert_close(mu * mu * lr, 0.25, 1e-15);
    /* SP is width-agnostic; NTK has N(0,1) entries and 1/sqrt(fan_in). */
    ck_assert_ok(mech_param_rule(MECH_PARAM_SP, MECH_OPTFAM_SGD, MECH_ROLE_OUTPUT, 256, 3, 64, 3, &v0, &mu, &lr));
    ck_assert_close(v0, 1.0 / 256, 1e-15);
    ck_assert_double_eq(lr, 1);
    ck_assert_ok(mech_param_rule(MECH_PARAM_NTK, MECH_OPTFAM_SGD, MECH_ROLE_HIDDEN, 256, 256, 64, 64, &v, &mu, &lr));
    ck_assert_double_eq(v, 1);
    ck_assert_close(mu, 1.0 / 16, 1e-15);
    ck_assert_fails_with(mech_param_rule(MECH_PARAM_SP, 0, 0, 0, 1, 1, 1, &v, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_param_rule(MECH_PARAM_SP, 0, 0, NAN, 1, 1, 1, &v, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_param_rule((mech_parametrization)9, 0, 0, 1, 1, 1, 1, &v, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_param_rule(MECH_PARAM_SP, 5, 0, 1, 1, 1, 1, &v, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_param_rule(MECH_PARAM_SP, 0, 9, 1, 1, 1, 1, &v, NULL, NULL), MECH_EINVAL);
}
END_TEST

START_TEST(model_lr_multipliers_follow_the_table)
{
    const size_t w[4] = {5, 32, 32, 2};
    mech_model *m = NULL;
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(m, w, 4));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_MUP));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BASE_WIDTH, 8));
    ck_assert_ok(mech_model_setup(m));
    ck_assert_uint_eq(mech_model_num_lr_groups(m), 6);
    size_t off[7];
    double mult[6];
    ck_assert_ok(mech_model_lr_multipliers(m, MECH_OPTFAM_SGD, off, mult, 6));
    const double want[6] = {4, 4, 1, 4, 0.25, 1}; /* W0 b0 W1 b1 W2 b2 (r = 4) */
    for (int g = 0; g < 6; g++) ck_assert_close(mult[g], want[g], 1e-15);
    ck_assert_uint_eq(off[0], 0);
    ck_assert_uint_eq(off[1], 160);
    ck_assert_uint_eq(off[6], mech_model_num_params(m));
    ck_assert_fails_with(mech_model_lr_multipliers(m, MECH_OPTFAM_SGD, off, mult, 5), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_lr_multipliers(m, (mech_optimizer_family)3, off, mult, 6), MECH_EINVAL);
    mech_model_destroy(m);
}
END_TEST

/* ---------------- callback model ---------------- */

/* Naive reimplementation of the built-in SP tanh MLP {3, 5, 2} without
 * biases (SP multipliers are 1): f = W2 tanh(W1 x); theta = (W1, W2). */
enum { CI = 3, CH = 5, CO = 2, CP = CH * CI + CO * CH };

static void cb_hidden(const double *th, const double *x, double *z)
{
    for (int j = 0; j < CH; j++) {
        z[j] = 0;
        for (int i = 0; i < CI; i++) z[j] += th[j * CI + i] * x[i];
    }
}

static int cb_forward(const double *th, size_t np, const double *x, size_t batch, size_t in,
                      double *out, size_t od, void *ud)
{
    for (size_t n = 0; n < batch; n++) {
        double z[CH];
        cb_hidden(th, x + n * CI, z);
        for (int o = 0; o < CO; o++) {
            out[n * CO + o] = 0;
            for (int j = 0; j < CH; j++) out[n * CO + o] += th[CH * CI + o * CH + j] * tanh(z[j]);
        }
    }
    return *(int *)ud;
}

static int cb_vjp(const double *th, size_t np, const double *x, size_t batch, size_t in,
                  const double *u, size_t od, double *g, void *ud)
{
    memset(g, 0, CP * sizeof *g);
    for (size_t n = 0; n < batch; n++) {
        const double *xn = x + n * CI, *un = u + n * CO;
        double z[CH];
        cb_hidden(th, xn, z);
        for (int j = 0; j < CH; j++) {
            double back = 0, t = tanh(z[j]);
            for (int o = 0; o < CO; o++) {
                g[CH * CI + o * CH + j] += un[o] * t;
                back += un[o] * th[CH * CI + o * CH + j];
            }
            for (int i = 0; i < CI; i++) g[j * CI + i] += back * (1 - t * t) * xn[i];
        }
    }
    return *(int *)ud;
}

static int cb_jvp(const double *th, size_t np, const double *x, size_t batch, size_t in,
                  const double *v, double *out, size_t od, void *ud)
{
    for (size_t n = 0; n < batch; n++) {
        double z[CH], rz[CH];
        cb_hidden(th, x + n * CI, z);
        cb_hidden(v, x + n * CI, rz);
        for (int o = 0; o < CO; o++) {
            double s = 0;
            for (int j = 0; j < CH; j++) {
                double t = tanh(z[j]);
                s += v[CH * CI + o * CH + j] * t + th[CH * CI + o * CH + j] * (1 - t * t) * rz[j];
            }
            out[n * CO + o] = s;
        }
    }
    return *(int *)ud;
}

/* hv = sum_n,o g_no R{grad f_no}: derived by hand for this network. */
static int cb_hvp2(const double *th, size_t np, const double *x, size_t batch, size_t in,
                   const double *gg, size_t od, const double *v, double *hv, void *ud)
{
    memset(hv, 0, CP * sizeof *hv);
    for (size_t n = 0; n < batch; n++) {
        const double *xn = x + n * CI, *gn = gg + n * CO;
        double z[CH], rz[CH];
        cb_hidden(th, xn, z);
        cb_hidden(v, xn, rz);
        for (int j = 0; j < CH; j++) {
            double t = tanh(z[j]), d1 = 1 - t * t, d2 = -2 * t * d1, s = 0;
            for (int o = 0; o < CO; o++) {
                hv[CH * CI + o * CH + j] += gn[o] * d1 * rz[j];
                s += gn[o] * (v[CH * CI + o * CH + j] * d1 + th[CH * CI + o * CH + j] * d2 * rz[j]);
            }
            for (int i = 0; i < CI; i++) hv[j * CI + i] += s * xn[i];
        }
    }
    return *(int *)ud;
}

START_TEST(callback_model_matches_builtin_mlp)
{
    int rc = 0;
    const size_t w[3] = {CI, CH, CO};
    mech_model *cb = NULL, *ref = NULL;
    ck_assert_ok(mech_model_create(&cb, NULL, MECH_MODEL_CALLBACK));
    ck_assert_ok(mech_model_set_widths(cb, (size_t[]){CI, CO}, 2));
    ck_assert_fails_with(mech_model_setup(cb), MECH_ESTATE); /* no callbacks yet */
    ck_assert_ok(mech_model_set_callbacks(cb, CP, cb_forward, cb_vjp, cb_jvp, cb_hvp2, &rc));
    ck_assert_ok(mech_model_setup(cb));
    ck_assert_ok(mech_model_create(&ref, NULL, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(ref, w, 3));
    ck_assert_ok(mech_model_set_i64(ref, MECH_MODEL_ACTIVATION, MECH_ACT_TANH));
    ck_assert_ok(mech_model_setup(ref));
    ck_assert_uint_eq(mech_model_num_params(ref), CP);
    double th[CP], x[BATCH * CI], y[BATCH * CO], g1[CP], g2[CP], v[CP], h1[CP], h2[CP], l1, l2;
    ck_assert_ok(mech_model_get_params(ref, th, CP));
    ck_assert_ok(mech_model_set_params(cb, th, CP));
    gauss(x, BATCH * CI, 41);
    gauss(y, BATCH * CO, 42);
    gauss(v, CP, 43);
    for (int loss = 0; loss < 2; loss++) {
        double yy[BATCH * CO];
        targets((mech_loss)loss, yy, BATCH, CO, 44);
        if (loss == 0) memcpy(yy, y, sizeof yy);
        ck_assert_ok(mech_model_gradient(cb, loss, x, yy, BATCH, &l1, g1));
        ck_assert_ok(mech_model_gradient(ref, loss, x, yy, BATCH, &l2, g2));
        ck_assert_close(l1, l2, 1e-13);
        ck_assert_double_le(rel_err(g1, g2, CP), 1e-12);
        ck_assert_ok(mech_model_hvp(cb, loss, x, yy, BATCH, v, h1));
        ck_assert_ok(mech_model_hvp(ref, loss, x, yy, BATCH, v, h2));
        ck_assert_double_le(rel_err(h1, h2, CP), 1e-12);
    }
    /* Without hvp2 the HVP is the Gauss-Newton product J^T H_out J v. */
    mech_model *gn = NULL;
    ck_assert_ok(mech_model_create(&gn, NULL, MECH_MODEL_CALLBACK));
    ck_assert_ok(mech_model_set_widths(gn, (size_t[]){CI, CO}, 2));
    ck_assert_ok(mech_model_set_callbacks(gn, CP, cb_forward, cb_vjp, cb_jvp, NULL, &rc));
    ck_assert_ok(mech_model_setup(gn));
    ck_assert_ok(mech_model_set_params(gn, th, CP));
    double jv[BATCH * CO];
    ck_assert_ok(mech_model_hvp(gn, MECH_LOSS_MSE, x, y, BATCH, v, h1));
    ck_assert_ok(mech_model_jvp(ref, x, BATCH, v, jv));
    for (int i = 0; i < BATCH * CO; i++) jv[i] /= BATCH;
    ck_assert_ok(mech_model_vjp(ref, x, BATCH, jv, h2));
    ck_assert_double_le(rel_err(h1, h2, CP), 1e-12);
    /* NTK through the callbacks equals the built-in one. */
    double K1[BATCH * CO * BATCH * CO], K2[BATCH * CO * BATCH * CO];
    ck_assert_ok(mech_model_ntk(cb, x, BATCH, x, BATCH, K1));
    ck_assert_ok(mech_model_ntk(ref, x, BATCH, x, BATCH, K2));
    ck_assert_double_le(rel_err(K1, K2, BATCH * CO * BATCH * CO), 1e-12);
    /* A failing callback aborts with MECH_ECALLBACK; the model stays usable. */
    rc = -1;
    ck_assert_fails_with(mech_model_gradient(cb, MECH_LOSS_MSE, x, y, BATCH, &l1, g1), MECH_ECALLBACK);
    ck_assert_fails_with(mech_model_forward(cb, x, BATCH, jv), MECH_ECALLBACK);
    rc = 0;
    ck_assert_ok(mech_model_forward(cb, x, BATCH, jv));
    ck_assert_fails_with(mech_model_save(cb, "/tmp/never_written.bin"), MECH_EUNSUPPORTED);
    ck_assert_fails_with(mech_model_activations(cb, x, 1, 0, h1), MECH_EUNSUPPORTED);
    mech_model_destroy(gn);
    mech_model_destroy(cb);
    mech_model_destroy(ref);
}
END_TEST

/* ---------------- initializations ---------------- */

/* Prepared HVPs equal mech_model_hvp bit for bit for every kind and both
 * precisions, keep their own copy of the batch, and end with any other
 * execution call or parameter change. */
static void check_prepared(mech_model *m, mech_loss loss)
{
    size_t in, out;
    ck_assert_ok(mech_model_dims(m, &in, &out));
    const size_t P = mech_model_num_params(m);
    double *x = malloc(BATCH * in * sizeof *x), *y = malloc(BATCH * out * sizeof *y);
    double *v = malloc(3 * P * sizeof *v), *want = malloc(3 * P * sizeof *want);
    double *got = malloc(P * sizeof *got), *th = malloc(P * sizeof *th);
    gauss(x, BATCH * in, 51);
    targets(loss, y, BATCH, out, 52);
    gauss(v, 3 * P, 53);
    for (int k = 0; k < 3; k++)
        ck_assert_ok(mech_model_hvp(m, loss, x, y, BATCH, v + k * P, want + k * P));
    ck_assert_fails_with(mech_model_hvp_apply(m, v, got), MECH_ESTATE); /* nothing prepared */
    ck_assert_ok(mech_model_hvp_prepare(m, loss, x, y, BATCH));
    x[0] += 1.0; /* the preparation holds its own copy */
    y[0] += 1.0;
    for (int k = 0; k < 3; k++) {
        ck_assert_ok(mech_model_hvp_apply(m, v + k * P, got));
        ck_assert_mem_eq(got, want + k * P, P * sizeof *got);
    }
    /* ended by an execution call ... */
    ck_assert_ok(mech_model_forward(m, x, 1, got));
    ck_assert_fails_with(mech_model_hvp_apply(m, v, got), MECH_ESTATE);
    /* ... and by new parameters, even equal ones */
    x[0] -= 1.0;
    y[0] -= 1.0;
    ck_assert_ok(mech_model_hvp_prepare(m, loss, x, y, BATCH));
    ck_assert_ok(mech_model_get_params(m, th, P));
    ck_assert_ok(mech_model_set_params(m, th, P));
    ck_assert_fails_with(mech_model_hvp_apply(m, v, got), MECH_ESTATE);
    /* bad input leaves it unprepared and says why */
    ck_assert_fails_with(mech_model_hvp_prepare(m, loss, x, y, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_model_hvp_apply(m, v, got), MECH_ESTATE);
    ck_assert_ptr_nonnull(strstr(mech_model_last_error(m), "mech_model_hvp_prepare first"));
    ck_assert_ok(mech_model_hvp_prepare(m, loss, x, y, BATCH));
    v[1] = NAN;
    ck_assert_fails_with(mech_model_hvp_apply(m, v, got), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_hvp_apply(m, NULL, got), MECH_EINVAL);
    v[1] = 0.5; /* still prepared after rejected input */
    ck_assert_ok(mech_model_hvp_apply(m, v, got));
    free(x), free(y), free(v), free(want), free(got), free(th);
}

START_TEST(prepared_hvp_equals_hvp)
{
    const cfg cs[] = {
        {MECH_MODEL_MLP, {3, 6, 5, 3}, 4, MECH_ACT_TANH, 1, MECH_PARAM_MUP, 0, MECH_LOSS_SOFTMAX_CE},
        {MECH_MODEL_RANDOM_FEATURES, {3, 7, 2}, 3, MECH_ACT_RELU, 0, MECH_PARAM_SP, 0, MECH_LOSS_MSE},
        {MECH_MODEL_COMMITTEE, {4, 3, 1}, 3, 0, 0, MECH_PARAM_SP, 1, MECH_LOSS_LOGISTIC},
        {MECH_MODEL_DIAGONAL, {5, 1}, 2, 0, 0, MECH_PARAM_SP, 0, MECH_LOSS_MSE},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (int prec = 0; prec < 2; prec++) {
            mech_model *m = build(&cs[i], prec);
            check_prepared(m, cs[i].loss);
            mech_model_destroy(m);
        }
    int rc = 0;
    mech_model *cb = NULL;
    ck_assert_ok(mech_model_create(&cb, NULL, MECH_MODEL_CALLBACK));
    ck_assert_ok(mech_model_set_widths(cb, (size_t[]){CI, CO}, 2));
    ck_assert_ok(mech_model_set_callbacks(cb, CP, cb_forward, cb_vjp, cb_jvp, cb_hvp2, &rc));
    ck_assert_ok(mech_model_setup(cb));
    check_prepared(cb, MECH_LOSS_MSE);
    mech_model_destroy(cb);
}
END_TEST

START_TEST(balanced_and_aligned_inits)
{
    const size_t w[4] = {3, 4, 4, 2};
    /* Aligned: end-to-end map = s0 U V^T with the given singular vectors. */
    const double u[2 * 2] = {0.6, 0.8, 0.8, -0.6}; /* 2 x 2 orthogonal */
    const double v[3 * 2] = {1, 0, 0, 0, 0, 1};    /* 3 x 2 */
    for (int init = MECH_INIT_BALANCED; init <= MECH_INIT_ALIGNED; init++) {
        mech_model *m = NULL;
        ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_DEEP_LINEAR));
        ck_assert_ok(mech_model_set_widths(m, w, 4));
        ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_INIT, init));
        ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, 0.1));
        if (init == MECH_INIT_ALIGNED) ck_assert_ok(mech_model_set_alignment(m, u, v, 2));
        ck_assert_ok(mech_model_setup(m));
        /* Balancedness of the effective weights: W_{l+1}^T W_{l+1} = W_l W_l^T. */
        double W[3][16];
        for (size_t l = 0; l < 3; l++) {
            double a;
            ck_assert_ok(mech_model_layer_multipliers(m, l, &a, NULL));
            ck_assert_ok(mech_model_get_layer_weights(m, l, W[l], w[l + 1] * w[l]));
            for (size_t i = 0; i < w[l + 1] * w[l]; i++) W[l][i] *= a;
        }
        for (size_t l = 0; l < 2; l++) {
            const size_t n = w[l + 1], r = w[l + 2], c = w[l];
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                    double left = 0, right = 0;
                    for (size_t k = 0; k < r; k++) left += W[l + 1][k * n + i] * W[l + 1][k * n + j];
                    for (size_t k = 0; k < c; k++) right += W[l][i * c + k] * W[l][j * c + k];
                    ck_assert_close(left, right, 1e-12);
                }
        }
        if (init == MECH_INIT_ALIGNED) {
            double x[3] = {0.3, -2, 1.1}, f[2];
            ck_assert_ok(mech_model_forward(m, x, 1, f));
            for (int o = 0; o < 2; o++) {
                double want = 0;
                for (int k = 0; k < 2; k++) {
                    double vx = 0;
                    for (int i = 0; i < 3; i++) vx += v[i * 2 + k] * x[i];
                    want += 0.1 * u[o * 2 + k] * vx;
                }
                ck_assert_close(f[o], want, 1e-13);
            }
        }
        mech_model_destroy(m);
    }
}
END_TEST

START_TEST(orthogonal_init_has_orthogonal_rows)
{
    const size_t w[3] = {8, 4, 1};
    mech_model *m = NULL;
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(m, w, 3));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_INIT, MECH_INIT_ORTHOGONAL));
    ck_assert_ok(mech_model_setup(m));
    double W[32];
    ck_assert_ok(mech_model_get_layer_weights(m, 0, W, 32));
    /* SP entry variance 1/8 and 4 x 8: rows orthogonal with squared norm
     * 1/8 * 8 = 1. */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 8; k++) s += W[i * 8 + k] * W[j * 8 + k];
            ck_assert_close(s, i == j ? 1.0 : 0.0, 1e-12);
        }
    mech_model_destroy(m);
}
END_TEST

START_TEST(init_variance_follows_the_rule)
{
    /* SP hidden 256 x 256: sample variance of 65536 entries within 4
     * standard errors (sqrt(2/n) relative) of 1/256; muP readout 1/(256 r). */
    const size_t w[4] = {4, 256, 256, 1};
    mech_model *m = NULL;
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(m, w, 4));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_MUP));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BASE_WIDTH, 64));
    ck_assert_ok(mech_model_setup(m));
    double *W = malloc(65536 * sizeof *W), s = 0;
    ck_assert_ok(mech_model_get_layer_weights(m, 1, W, 65536));
    for (int i = 0; i < 65536; i++) s += W[i] * W[i];
    ck_assert_double_le(fabs(s / 65536 * 256 - 1), 4 * sqrt(2.0 / 65536));
    ck_assert_ok(mech_model_get_layer_weights(m, 2, W, 256));
    s = 0;
    for (int i = 0; i < 256; i++) s += W[i] * W[i];
    ck_assert_double_le(fabs(s / 256 * 1024 - 1), 4 * sqrt(2.0 / 256));
    free(W);
    mech_model_destroy(m);
}
END_TEST

/* ---------------- bad input ---------------- */

START_TEST(bad_input_everywhere)
{
    mech_model *m = NULL;
    const size_t w[3] = {3, 4, 2}, w0[2] = {3, 0};
    double x[3 * 4] = {0}, y[2 * 4] = {0}, g[64], out[64], nanx[3] = {NAN, 0, 0};
    float xf[3] = {0};
    ck_assert_fails_with(mech_model_create(NULL, NULL, MECH_MODEL_MLP), MECH_EINVAL);
    ck_assert_fails_with(mech_model_create(&m, NULL, (mech_model_kind)42), MECH_EINVAL);
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_MLP));
    /* before setup */
    ck_assert_fails_with(mech_model_setup(m), MECH_ESTATE);
    ck_assert_fails_with(mech_model_forward(m, x, 1, out), MECH_ESTATE);
    ck_assert_fails_with(mech_model_gradient(m, MECH_LOSS_MSE, x, y, 1, NULL, g), MECH_ESTATE);
    ck_assert_fails_with(mech_model_hvp(m, MECH_LOSS_MSE, x, y, 1, g, out), MECH_ESTATE);
    ck_assert_fails_with(mech_model_jvp(m, x, 1, g, out), MECH_ESTATE);
    ck_assert_fails_with(mech_model_vjp(m, x, 1, y, g), MECH_ESTATE);
    ck_assert_fails_with(mech_model_ntk(m, x, 1, x, 1, out), MECH_ESTATE);
    ck_assert_fails_with(mech_model_get_params(m, g, 0), MECH_ESTATE);
    ck_assert_fails_with(mech_model_set_params(m, g, 0), MECH_ESTATE);
    ck_assert_fails_with(mech_model_layer_info(m, 0, NULL, NULL, NULL, NULL), MECH_ESTATE);
    ck_assert_fails_with(mech_model_save(m, "/tmp/x.bin"), MECH_ESTATE);
    ck_assert_fails_with(mech_model_dims(m, NULL, NULL), MECH_ESTATE);
    ck_assert_fails_with(mech_model_set_alignment(m, y, x, 1), MECH_ESTATE);
    ck_assert_uint_eq(mech_model_num_params(m), 0);
    /* widths */
    ck_assert_fails_with(mech_model_set_widths(m, NULL, 3), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_widths(m, w, 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_set_widths(m, w0, 2), MECH_EINVAL);
    /* options */
    ck_assert_fails_with(mech_model_set_i64(m, MECH_MODEL_ACTIVATION, 99), MECH_ERANGE);
    ck_assert_fails_with(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_model_set_f64(m, MECH_MODEL_OUTPUT_MULT, 0), MECH_ERANGE);
    ck_assert_fails_with(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, NAN), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_set_f64(m, MECH_MODEL_BIAS, 1.0), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_i64(m, (mech_model_opt)77, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_i64(NULL, MECH_MODEL_BIAS, 1), MECH_EINVAL);
    int64_t iv;
    ck_assert_fails_with(mech_model_get_i64(m, MECH_MODEL_BIAS, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_model_get_f64(m, MECH_MODEL_BIAS, out), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_callbacks(m, 3, cb_forward, cb_vjp, cb_jvp, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_i64(m, MECH_MODEL_LINEAR_LAYERS, -1), MECH_ERANGE);
    /* linear_layers must leave a nonlinear hidden layer, and is MLP-only */
    ck_assert_ok(mech_model_set_widths(m, w, 3));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_LINEAR_LAYERS, 1));
    ck_assert_fails_with(mech_model_setup(m), MECH_EINVAL);
    ck_assert_ptr_nonnull(strstr(mech_last_error(), "no nonlinear hidden layer"));
    mech_model *rf = NULL;
    ck_assert_ok(mech_model_create(&rf, NULL, MECH_MODEL_RANDOM_FEATURES));
    ck_assert_ok(mech_model_set_widths(rf, w, 3));
    ck_assert_ok(mech_model_set_i64(rf, MECH_MODEL_LINEAR_LAYERS, 1));
    ck_assert_fails_with(mech_model_setup(rf), MECH_EUNSUPPORTED);
    mech_model_destroy(rf);
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_LINEAR_LAYERS, 0));
    /* usable afterwards */
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, 4));
    ck_assert_ok(mech_model_setup(m));
    ck_assert_ok(mech_model_get_i64(m, MECH_MODEL_ACTIVATION, &iv));
    ck_assert_int_eq(iv, MECH_ACT_RELU);
    const size_t P = mech_model_num_params(m);
    ck_assert_fails_with(mech_model_setup(m), MECH_ESTATE);
    ck_assert_fails_with(mech_model_set_i64(m, MECH_MODEL_BIAS, 1), MECH_ESTATE);
    ck_assert_fails_with(mech_model_set_widths(m, w, 3), MECH_ESTATE);
    ck_assert_fails_with(mech_model_forward(m, x, 5, out), MECH_ERANGE); /* > MAX_BATCH */
    ck_assert_fails_with(mech_model_forward(m, x, 0, out), MECH_EINVAL);
    ck_assert_fails_with(mech_model_forward(m, NULL, 1, out), MECH_EINVAL);
    ck_assert_fails_with(mech_model_forward(m, x, 1, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_model_forward(m, nanx, 1, out), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_forward_f32(m, xf, 1, (float *)out), MECH_ESTATE);
    ck_assert_fails_with(mech_model_gradient(m, MECH_LOSS_MSE, x, NULL, 1, NULL, g), MECH_EINVAL);
    ck_assert_fails_with(mech_model_gradient(m, (mech_loss)5, x, y, 1, NULL, g), MECH_EINVAL);
    ck_assert_fails_with(mech_model_gradient(m, MECH_LOSS_LOGISTIC, x, y, 1, NULL, g), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_gradient_f32(m, MECH_LOSS_MSE, xf, (float *)y, 1, NULL, (float *)g), MECH_ESTATE);
    double vbad[64];
    for (size_t p = 0; p < P; p++) vbad[p] = p == 3 ? INFINITY : 0;
    ck_assert_fails_with(mech_model_hvp(m, MECH_LOSS_MSE, x, y, 1, vbad, out), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_hvp(m, MECH_LOSS_MSE, x, y, 1, NULL, out), MECH_EINVAL);
    ck_assert_fails_with(mech_model_hvp_f32(m, MECH_LOSS_MSE, xf, (float *)y, 1, (float *)g, (float *)out), MECH_ESTATE);
    ck_assert_fails_with(mech_model_jvp(m, x, 1, vbad, out), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_vjp(m, x, 1, nanx, g), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_ntk(m, x, 0, x, 1, out), MECH_EINVAL);
    ck_assert_fails_with(mech_model_ntk(m, nanx, 1, x, 1, out), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_set_params(m, vbad, P), MECH_ENONFINITE);
    ck_assert_fails_with(mech_model_set_params(m, g, P - 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_get_params(m, g, P + 1), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_get_params_f32(m, (float *)g, P), MECH_ESTATE);
    ck_assert_fails_with(mech_model_set_params_f32(m, (float *)g, P), MECH_ESTATE);
    ck_assert_fails_with(mech_model_layer_info(m, 2, NULL, NULL, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_model_layer_multipliers(m, 2, NULL, NULL), MECH_ERANGE);
    ck_assert_fails_with(mech_model_get_layer_weights(m, 0, g, 3), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_activations(m, x, 1, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_model_save(m, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_model_save(m, "/nonexistent/dir/m.bin"), MECH_EIO);
    /* still usable and unchanged */
    ck_assert_ok(mech_model_get_params(m, g, P));
    for (size_t p = 0; p < P; p++) ck_assert(isfinite(g[p]));
    ck_assert_ok(mech_model_forward(m, x, 4, out));
    mech_model_destroy(m);
    mech_model_destroy(NULL);
    ck_assert_str_eq(mech_model_last_error(NULL), "");

    /* configurations the kind does not allow */
    const struct { mech_model_kind k; size_t w[3]; size_t n; int opt, val; mech_status want; } bad[] = {
        {MECH_MODEL_LINEAR, {3, 4, 2}, 3, -1, 0, MECH_ESHAPE},
        {MECH_MODEL_COMMITTEE, {3, 4, 2}, 3, -1, 0, MECH_ESHAPE},
        {MECH_MODEL_RANDOM_FEATURES, {3, 2}, 2, -1, 0, MECH_ESHAPE},
        {MECH_MODEL_DIAGONAL, {3, 2}, 2, -1, 0, MECH_ESHAPE},
        {MECH_MODEL_DEEP_LINEAR, {3, 4, 2}, 3, MECH_MODEL_BIAS, 1, MECH_EUNSUPPORTED},
        {MECH_MODEL_MLP, {3, 4, 2}, 3, MECH_MODEL_INIT, MECH_INIT_BALANCED, MECH_EUNSUPPORTED},
        {MECH_MODEL_DEEP_LINEAR, {3, 4, 2}, 3, MECH_MODEL_INIT, MECH_INIT_ALIGNED, MECH_ESTATE},
        {MECH_MODEL_DEEP_LINEAR, {3, 1, 2}, 3, MECH_MODEL_INIT, MECH_INIT_BALANCED, MECH_ESHAPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_ok(mech_model_create(&m, NULL, bad[i].k));
        ck_assert_ok(mech_model_set_widths(m, bad[i].w, bad[i].n));
        if (bad[i].opt >= 0) ck_assert_ok(mech_model_set_i64(m, (mech_model_opt)bad[i].opt, bad[i].val));
        ck_assert_fails_with(mech_model_setup(m), bad[i].want);
        mech_model_destroy(m);
    }
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_CALLBACK));
    ck_assert_ok(mech_model_set_widths(m, (size_t[]){3, 2}, 2));
    ck_assert_fails_with(mech_model_set_callbacks(m, 0, cb_forward, cb_vjp, cb_jvp, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_callbacks(m, 3, NULL, cb_vjp, cb_jvp, NULL, NULL), MECH_EINVAL);
    ck_assert_ok(mech_model_set_callbacks(m, 3, cb_forward, cb_vjp, cb_jvp, NULL, NULL));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PRECISION, MECH_PREC_F32));
    ck_assert_fails_with(mech_model_setup(m), MECH_EUNSUPPORTED);
    mech_model_destroy(m);
    /* alignment: shapes, NaN, non-orthonormal */
    ck_assert_ok(mech_model_create(&m, NULL, MECH_MODEL_DEEP_LINEAR));
    ck_assert_ok(mech_model_set_widths(m, w, 3));
    const double u2[4] = {1, 0, 0, 1}, v3[6] = {1, 0, 0, 1, 0, 0}, v3bad[6] = {1, 0, 1, 1, 0, 0};
    ck_assert_fails_with(mech_model_set_alignment(m, u2, v3, 0), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_set_alignment(m, u2, v3, 3), MECH_ESHAPE);
    ck_assert_fails_with(mech_model_set_alignment(m, NULL, v3, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_model_set_alignment(m, u2, v3bad, 2), MECH_ERANGE);
    ck_assert_ok(mech_model_set_alignment(m, u2, v3, 2));
    mech_model_destroy(m);
}
END_TEST

/* Same context and stream: identical; another stream or seed: different. */
START_TEST(init_streams_and_seeds)
{
    const size_t w[3] = {3, 4, 1};
    mech_ctx *ctx = NULL;
    ck_assert_ok(mech_ctx_create(&ctx));
    double p[4][16];
    for (int k = 0; k < 4; k++) {
        if (k == 3) ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, 99));
        mech_model *m = NULL;
        ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_MLP));
        ck_assert_ok(mech_model_set_widths(m, w, 3));
        ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_INIT_STREAM, k == 2 ? 5 : 0));
        ck_assert_ok(mech_model_setup(m));
        ck_assert_ok(mech_model_get_params(m, p[k], 16));
        mech_model_destroy(m);
    }
    ck_assert_mem_eq(p[0], p[1], sizeof p[0]);
    ck_assert(memcmp(p[0], p[2], sizeof p[0]) != 0);
    ck_assert(memcmp(p[0], p[3], sizeof p[0]) != 0);
    mech_ctx_destroy(ctx);
}
END_TEST

START_TEST(option_table_is_registered)
{
    int n, key;
    ck_assert_ok(mech_option_count(MECH_KIND_MODEL, &n));
    ck_assert_int_eq(n, 14);
    ck_assert_ok(mech_option_lookup(MECH_KIND_MODEL, "parametrization", &key));
    ck_assert_int_eq(key, MECH_MODEL_PARAMETRIZATION);
    ck_assert_str_eq(mech_parametrization_name(MECH_PARAM_MUP), "mup");
    ck_assert_str_eq(mech_activation_name(MECH_ACT_SCALED_ERF), "scaled_erf");
    ck_assert_str_eq(mech_model_kind_name(MECH_MODEL_COMMITTEE), "committee");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("models");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mlp_gradients_and_hvps_match_finite_differences);
    tcase_add_test(tc, mlp_linear_layers_derivatives_and_forward);
    tcase_add_test(tc, other_kinds_gradients_and_hvps_match_finite_differences);
    tcase_add_test(tc, jvp_vjp_and_ntk_match_finite_difference_jacobians);
    tcase_add_test(tc, ntk_chunks_over_max_batch);
    tcase_add_test(tc, deep_linear_forward_is_the_matrix_product);
    tcase_add_test(tc, diagonal_network_formula);
    tcase_add_test(tc, committee_formula);
    tcase_add_test(tc, random_features_first_layer_is_frozen);
    tcase_add_test(tc, activations_probe_matches_manual_layer);
    tcase_add_test(tc, float_and_double_agree);
    tcase_add_test(tc, save_load_round_trip_and_corruption);
    tcase_add_test(tc, loads_format_1_models);
    tcase_add_test(tc, refuses_newer_model_files);
    tcase_add_test(tc, param_rules_equal_sp_at_base_and_scale_at_4x);
    tcase_add_test(tc, model_lr_multipliers_follow_the_table);
    tcase_add_test(tc, callback_model_matches_builtin_mlp);
    tcase_add_test(tc, prepared_hvp_equals_hvp);
    tcase_add_test(tc, balanced_and_aligned_inits);
    tcase_add_test(tc, orthogonal_init_has_orthogonal_rows);
    tcase_add_test(tc, init_variance_follows_the_rule);
    tcase_add_test(tc, bad_input_everywhere);
    tcase_add_test(tc, init_streams_and_seeds);
    tcase_add_test(tc, option_table_is_registered);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
