/* Linearized training against real wide networks trained by full-batch
 * gradient descent: an MLP of the models module (one hidden layer,
 * MECH_PARAM_NTK with sigma_w = sqrt(sigma_w2), sigma_b = sqrt(sigma_b2),
 * biases on: the convention of kernels.h; relu and erf) is trained on the
 * 1/2-MSE loss, and its train and test outputs are compared with
 * mech_linearized_* driven by the analytic NTK (mech_nngp_ntk) and the
 * network's own outputs at initialization. Slow suite. */
#include <stdio.h>

#include "compare_fixture.h"

enum { D = 4, N = 12, M = 8, SEEDS = 40, NW = 4, STEPS = 30 };
static const double SW2 = 2.0, SB2 = 0.1;

static mech_model *network(mech_ctx *ctx, uint64_t seed, mech_activation act, size_t width)
{
    size_t widths[3] = {D, width, 1};
    mech_model *m;
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, (int64_t)seed));
    ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(m, widths, 3));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_ACTIVATION, act));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_NTK));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_SIGMA_W, sqrt(SW2)));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_SIGMA_B, sqrt(SB2)));
    ck_assert_ok(mech_model_setup(m));
    return m;
}

/* `steps` plain GD steps params -= eta grad (no optimizer, so no
 * per-layer rate multipliers can enter). */
static void train_gd(mech_model *m, const double *x, const double *y, double eta, int steps)
{
    size_t np = mech_model_num_params(m);
    double *p = malloc(sizeof(double) * np), *g = malloc(sizeof(double) * np);
    ck_assert_ok(mech_model_get_params(m, p, np));
    for (int k = 0; k < steps; k++) {
        ck_assert_ok(mech_model_gradient(m, MECH_LOSS_MSE, x, y, N, NULL, g));
        for (size_t i = 0; i < np; i++) p[i] -= eta * g[i];
        ck_assert_ok(mech_model_set_params(m, p, np));
    }
    free(p);
    free(g);
}

static double fit_slope(const double *lx, const double *ly, size_t n)
{
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += lx[i] / (double)n;
        my += ly[i] / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        sxx += (lx[i] - mx) * (lx[i] - mx);
        sxy += (lx[i] - mx) * (ly[i] - my);
    }
    return sxy / sxx;
}

/* Acceptance: the mean |f_GD - f_linearized| over train and over test
 * points, averaged over 40 seeds, falls like width^{-1/2} (the same rate
 * as the empirical NTK's distance to Theta: both the kernel at
 * initialization and its drift during training are O(width^{-1/2}) in
 * the NTK parametrization): fitted log-log slope -0.5 +- 0.15 over
 * widths 64..4096 (x4 apart). The rate eta = n / lambda_max(Theta) is
 * half the stability limit 2n/lambda_max; 30 steps bring the training
 * loss down by orders of magnitude, so the comparison covers the whole
 * fit, not just the first steps. */
static void width_study(mech_activation act)
{
    const size_t widths[NW] = {64, 256, 1024, 4096};
    double x[N * D], xt[M * D], y[N];
    mech_rng *r;
    ck_assert_ok(mech_rng_create_seeded(&r, 2019, 0));
    ck_assert_ok(mech_rng_normal(r, x, N * D, 0, 1));
    ck_assert_ok(mech_rng_normal(r, xt, M * D, 0, 1));
    mech_rng_destroy(r);
    for (size_t i = 0; i < N; i++) y[i] = sin(x[i * D] + 0.5 * x[i * D + 1]) + 0.3 * x[i * D + 2];
    double th[N * N], tht[M * N], eig[N];
    ck_assert_ok(mech_nngp_ntk(NULL, act, 1, SW2, SB2, x, N, NULL, N, D, NULL, th));
    ck_assert_ok(mech_nngp_ntk(NULL, act, 1, SW2, SB2, xt, M, x, N, D, NULL, tht));
    mech_linearized *probe;
    ck_assert_ok(mech_linearized_create(&probe, NULL, th, NULL, N, 0, NULL, NULL, y, 1));
    ck_assert_ok(mech_linearized_eigenvalues(probe, eig, N));
    mech_linearized_destroy(probe);
    const double eta = (double)N / eig[N - 1];

    mech_ctx *ctx;
    ck_assert_ok(mech_ctx_create(&ctx));
    double lx[NW], ltr[NW], lte[NW], loss_ratio = 0.0;
    /* Outputs after STEPS steps, all seeds, compared through
     * mech_trace_compare_arrays with the entry (seed, point) as the axis:
     * its mean_abs is the mean |f_GD - f_lin| the slope is fitted to. */
    double idx[N * SEEDS], f_all[N * SEEDS], p_all[N * SEEDS], ft_all[M * SEEDS],
        pt_all[M * SEEDS];
    index_axis(idx, N * SEEDS);
    for (size_t w = 0; w < NW; w++) {
        for (int s = 0; s < SEEDS; s++) {
            mech_model *m = network(ctx, 7000 + (uint64_t)s, act, widths[w]);
            double f0[N], f0t[M], *f = f_all + s * N, *ft = ft_all + s * M;
            ck_assert_ok(mech_model_forward(m, x, N, f0));
            ck_assert_ok(mech_model_forward(m, xt, M, f0t));
            train_gd(m, x, y, eta, STEPS);
            ck_assert_ok(mech_model_forward(m, x, N, f));
            ck_assert_ok(mech_model_forward(m, xt, M, ft));
            ck_assert_ok(mech_linearized_predict(NULL, th, tht, N, M, f0, f0t, y, 1, 0.0,
                                                 STEPS, eta, p_all + s * N, pt_all + s * M));
            double l0 = 0, l1 = 0;
            for (size_t i = 0; i < N; i++) {
                l0 += (f0[i] - y[i]) * (f0[i] - y[i]);
                l1 += (f[i] - y[i]) * (f[i] - y[i]);
            }
            if (w == NW - 1) loss_ratio += l1 / l0 / SEEDS;
            mech_model_destroy(m);
        }
        char name[80];
        snprintf(name, sizeof name, "linearized_width %s width %zu train",
                 mech_activation_name(act), widths[w]);
        const double gap_tr =
            compare_pointwise(name, idx, p_all, f_all, NULL, N * SEEDS, 1e-3).mean_abs;
        snprintf(name, sizeof name, "linearized_width %s width %zu test",
                 mech_activation_name(act), widths[w]);
        const double gap_te =
            compare_pointwise(name, idx, pt_all, ft_all, NULL, M * SEEDS, 1e-3).mean_abs;
        lx[w] = log((double)widths[w]);
        ltr[w] = log(gap_tr);
        lte[w] = log(gap_te);
    }
    mech_ctx_destroy(ctx);
    const double s_tr = fit_slope(lx, ltr, NW), s_te = fit_slope(lx, lte, NW);
    printf("# %s slopes: train %.3f, test %.3f; train loss ratio at width %zu: %.3g\n",
           mech_activation_name(act), s_tr, s_te, widths[NW - 1], loss_ratio);
    fflush(stdout);
    ck_assert_msg(loss_ratio < 0.05, "training barely moved (loss ratio %g)", loss_ratio);
    ck_assert_msg(fabs(s_tr + 0.5) <= 0.15, "train slope %.3f, want -0.5 +- 0.15", s_tr);
    ck_assert_msg(fabs(s_te + 0.5) <= 0.15, "test slope %.3f, want -0.5 +- 0.15", s_te);
}

START_TEST(gd_trained_network_approaches_linearized_prediction)
{
    width_study(MECH_ACT_RELU);
    width_study(MECH_ACT_ERF);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linearized_width");
    TCase *tc = tcase_create("width");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, gd_trained_network_approaches_linearized_prediction);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
