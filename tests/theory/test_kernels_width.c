/* Infinite-width kernels against finite random networks of the models
 * module (MLP, MECH_PARAM_NTK with sigma_w = sqrt(sigma_w2), sigma_b =
 * sqrt(sigma_b2), biases on: the convention of kernels.h). Slow suite. */
#include <stdio.h>

#include "compare_fixture.h"

enum { D = 4, NX = 3 };
static const double SW2 = 2.0, SB2 = 0.1;

static void inputs(double *x)
{
    mech_rng *r;
    ck_assert_ok(mech_rng_create_seeded(&r, 99, 0));
    ck_assert_ok(mech_rng_normal(r, x, NX * D, 0, 1));
    mech_rng_destroy(r);
}

/* An initialized MLP with `depth` hidden layers of `width` units. */
static mech_model *network(mech_ctx *ctx, uint64_t seed, mech_activation act, size_t depth,
                           size_t width, size_t out)
{
    size_t widths[8];
    ck_assert(depth + 2 <= 8);
    widths[0] = D;
    for (size_t l = 1; l <= depth; l++) widths[l] = width;
    widths[depth + 1] = out;
    mech_model *m;
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, (int64_t)seed));
    ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(m, widths, depth + 2));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_ACTIVATION, act));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_PARAMETRIZATION, MECH_PARAM_NTK));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_SIGMA_W, sqrt(SW2)));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_SIGMA_B, sqrt(SB2)));
    ck_assert_ok(mech_model_setup(m));
    return m;
}

/* Mean over seeds of each kernel entry against the theory kernel, through
 * mech_trace_compare_arrays with the entry index as the axis: max_z <= 4
 * with an allowance of rel |theory| in the standard errors states
 * |mean - theory| <= 4 se + rel |theory| + abs entrywise. */
static void check_entries(const char *name, const double *theory, const double *sum,
                          const double *sum2, int seeds, double rel, double abs)
{
    double idx[NX * NX], mean[NX * NX], se[NX * NX];
    index_axis(idx, NX * NX);
    for (size_t e = 0; e < NX * NX; e++) {
        mean[e] = sum[e] / seeds;
        se[e] = sqrt((sum2[e] / seeds - mean[e] * mean[e]) / (seeds - 1));
    }
    allowance_se(se, theory, NX * NX, 4.0, rel, abs, se);
    ck_assert_double_le(compare_pointwise(name, idx, theory, mean, se, NX * NX, 0.0).max_z, 4.0);
}

/* NNGP = E[f(x) f(x')] over initializations. Each seed gives OUT outputs
 * (exchangeable, averaged within the seed); the standard error comes from
 * the spread over seeds. Depth 1 is exact at any width (the hidden
 * pre-activations are exactly Gaussian with covariance K^1): tolerance 4
 * standard errors. Depth 2 adds an O(1/width) finite-width bias: 4 SE plus
 * 4 |K| / width. */
static void nngp_monte_carlo(mech_activation act, size_t depth, size_t width, int seeds)
{
    enum { OUT = 8 };
    double x[NX * D], k[NX * NX], f[NX * OUT];
    double sum[NX * NX] = {0}, sum2[NX * NX] = {0};
    inputs(x);
    ck_assert_ok(mech_nngp_ntk(NULL, act, depth, SW2, SB2, x, NX, NULL, NX, D, k, NULL));
    mech_ctx *ctx;
    ck_assert_ok(mech_ctx_create(&ctx));
    for (int s = 0; s < seeds; s++) {
        mech_model *m = network(ctx, 1000 + (uint64_t)s, act, depth, width, OUT);
        ck_assert_ok(mech_model_forward(m, x, NX, f));
        for (size_t i = 0; i < NX; i++)
            for (size_t j = 0; j < NX; j++) {
                double c = 0;
                for (size_t o = 0; o < OUT; o++) c += f[i * OUT + o] * f[j * OUT + o];
                c /= OUT;
                sum[i * NX + j] += c;
                sum2[i * NX + j] += c * c;
            }
        mech_model_destroy(m);
    }
    mech_ctx_destroy(ctx);
    char name[96];
    snprintf(name, sizeof name, "kernels_width NNGP %s depth %zu width %zu (z with allowance)",
             mech_activation_name(act), depth, width);
    check_entries(name, k, sum, sum2, seeds, depth > 1 ? 4.0 / (double)width : 0.0, 0.0);
}

START_TEST(nngp_is_the_output_covariance)
{
    nngp_monte_carlo(MECH_ACT_RELU, 1, 64, 800);
    nngp_monte_carlo(MECH_ACT_ERF, 1, 64, 800);
    nngp_monte_carlo(MECH_ACT_TANH, 2, 256, 400);
}
END_TEST

/* Acceptance: the relative Frobenius error of the empirical NTK, averaged
 * over 20 seeds, falls like width^{-1/2} (CLT over the hidden units):
 * fitted log-log slope -0.5 +- 0.15 over widths 64..4096. Depth 1 also
 * has an unbiased mean at every width: the mean over seeds is within 4
 * standard errors of Theta entrywise. */
START_TEST(empirical_ntk_converges_at_rate_one_over_sqrt_width)
{
    enum { SEEDS = 20, NW = 4 };
    const size_t widths[NW] = {64, 256, 1024, 4096};
    double x[NX * D], th[NX * NX], emp[NX * NX];
    inputs(x);
    ck_assert_ok(mech_nngp_ntk(NULL, MECH_ACT_RELU, 1, SW2, SB2, x, NX, NULL, NX, D, NULL, th));
    double norm = 0;
    for (size_t e = 0; e < NX * NX; e++) norm += th[e] * th[e];
    norm = sqrt(norm);
    mech_ctx *ctx;
    ck_assert_ok(mech_ctx_create(&ctx));
    double lx[NW], ly[NW], idx[NX * NX];
    index_axis(idx, NX * NX);
    for (size_t w = 0; w < NW; w++) {
        double err = 0, sum[NX * NX] = {0}, sum2[NX * NX] = {0};
        for (int s = 0; s < SEEDS; s++) {
            mech_model *m = network(ctx, 5000 + (uint64_t)s, MECH_ACT_RELU, 1, widths[w], 1);
            ck_assert_ok(mech_model_ntk(m, x, NX, x, NX, emp));
            for (size_t e = 0; e < NX * NX; e++) {
                sum[e] += emp[e];
                sum2[e] += emp[e] * emp[e];
            }
            /* Frobenius distance = rms over the entries * sqrt(NX^2) */
            err += compare_quiet(idx, th, NX * NX, idx, emp, NULL, NX * NX, 0.0).rms * NX /
                   norm;
            mech_model_destroy(m);
        }
        fprintf(stderr, "# kernels_width NTK relu width %zu: mean relative Frobenius error %.4g "
                "(%d comparisons)\n", widths[w], err / SEEDS, SEEDS);
        char name[96];
        snprintf(name, sizeof name, "kernels_width mean NTK relu depth 1 width %zu (z with 1e-12)",
                 widths[w]);
        check_entries(name, th, sum, sum2, SEEDS, 0.0, 1e-12);
        lx[w] = log((double)widths[w]);
        ly[w] = log(err / SEEDS);
    }
    mech_ctx_destroy(ctx);
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (size_t w = 0; w < NW; w++) {
        mx += lx[w] / NW;
        my += ly[w] / NW;
    }
    for (size_t w = 0; w < NW; w++) {
        sxx += (lx[w] - mx) * (lx[w] - mx);
        sxy += (lx[w] - mx) * (ly[w] - my);
    }
    const double slope = sxy / sxx;
    printf("# empirical NTK error slope %.3f (errors %.3g .. %.3g)\n", slope, exp(ly[0]),
           exp(ly[NW - 1]));
    fflush(stdout);
    ck_assert_msg(fabs(slope + 0.5) <= 0.15, "slope %.3f, want -0.5 +- 0.15", slope);
}
END_TEST

/* Depth 2: the mean empirical NTK over seeds matches Theta^3 (exercising
 * the recursion through a hidden-to-hidden layer) within 4 standard
 * errors plus an O(1/width) finite-width bias allowance of 4 |Theta|/width. */
static void ntk_mean_depth2(mech_activation act, size_t width, int seeds)
{
    double x[NX * D], th[NX * NX], emp[NX * NX], sum[NX * NX] = {0}, sum2[NX * NX] = {0};
    inputs(x);
    ck_assert_ok(mech_nngp_ntk(NULL, act, 2, SW2, SB2, x, NX, NULL, NX, D, NULL, th));
    mech_ctx *ctx;
    ck_assert_ok(mech_ctx_create(&ctx));
    for (int s = 0; s < seeds; s++) {
        mech_model *m = network(ctx, 9000 + (uint64_t)s, act, 2, width, 1);
        ck_assert_ok(mech_model_ntk(m, x, NX, x, NX, emp));
        for (size_t e = 0; e < NX * NX; e++) {
            sum[e] += emp[e];
            sum2[e] += emp[e] * emp[e];
        }
        mech_model_destroy(m);
    }
    mech_ctx_destroy(ctx);
    char name[96];
    snprintf(name, sizeof name, "kernels_width mean NTK %s depth 2 width %zu (z with allowance)",
             mech_activation_name(act), width);
    check_entries(name, th, sum, sum2, seeds, 4.0 / (double)width, 0.0);
}

START_TEST(mean_empirical_ntk_matches_theta_at_depth_two)
{
    ntk_mean_depth2(MECH_ACT_RELU, 512, 40);
    ntk_mean_depth2(MECH_ACT_TANH, 512, 40);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_width");
    TCase *tc = tcase_create("width");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, nngp_is_the_output_covariance);
    tcase_add_test(tc, empirical_ntk_converges_at_rate_one_over_sqrt_width);
    tcase_add_test(tc, mean_empirical_ntk_matches_theta_at_depth_two);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
