/* The committee-machine ODE against online SGD on the library's own
 * committee models (Saad & Solla 1995): K = M = 2 students and teachers,
 * scaled_erf, fixed second layers v = A = 1, N = 500, small initial weights
 * so the run sits on the unspecialized plateau before escaping. */
#include <stdio.h>

#include "harness.h"

#define N 500
#define K 2
#define SEEDS 10
#define LR 0.5
#define ALPHA_MAX 160.0
#define N_ALPHA 161 /* eps_g recorded at alpha = 0, 1, ..., ALPHA_MAX */

static mech_model *committee(mech_ctx *ctx, double init_scale, int64_t stream)
{
    mech_model *m;
    size_t widths[3] = {N, K, 1};
    ck_assert_ok(mech_model_create(&m, ctx, MECH_MODEL_COMMITTEE));
    ck_assert_ok(mech_model_set_widths(m, widths, 3));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, init_scale));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_INIT_STREAM, stream));
    ck_assert_ok(mech_model_set_i64(m, MECH_MODEL_MAX_BATCH, 1));
    ck_assert_ok(mech_model_setup(m));
    return m;
}

/* Q = w w^T / N and R = w B^T / N of first-layer weights. */
static void overlaps(const double *w, const double *b, double *out, size_t rows_b)
{
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < rows_b; j++) {
            double s = 0.0;
            for (size_t p = 0; p < N; p++) s += w[i * N + p] * b[j * N + p];
            out[i * rows_b + j] = s / N;
        }
}

START_TEST(ode_follows_online_sgd_through_the_plateau)
{
    static double sim[SEEDS][N_ALPHA], ode[SEEDS][N_ALPHA];
    double alphas[N_ALPHA];
    for (size_t a = 0; a < N_ALPHA; a++) alphas[a] = ALPHA_MAX * (double)a / (N_ALPHA - 1);
    const double ones[K] = {1.0, 1.0};

    for (int seed = 0; seed < SEEDS; seed++) {
        mech_ctx *ctx;
        ck_assert_ok(mech_ctx_create(&ctx));
        ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, 1000 + seed));
        mech_model *teacher = committee(ctx, 1.0, 1), *student = committee(ctx, 0.1, 2);
        mech_rng *rng;
        ck_assert_ok(mech_rng_create(&rng, ctx, 77));
        mech_optimizer *opt;
        size_t np = mech_model_num_params(student);
        ck_assert_ok(mech_optimizer_create(&opt, ctx, MECH_OPTIMIZER_SGD, np));
        ck_assert_ok(mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, LR));
        ck_assert_ok(mech_optimizer_setup(opt));

        double b[K * N], w[K * N], t[K * K], q[K * K], r[K * K];
        ck_assert_ok(mech_model_get_layer_weights(teacher, 0, b, K * N));
        overlaps(b, b, t, K);
        double x[N], y, *params = malloc(sizeof(double) * np), *grad = malloc(sizeof(double) * np);
        ck_assert_ok(mech_model_get_params(student, params, np));

        for (size_t a = 0; a < N_ALPHA; a++) {
            ck_assert_ok(mech_model_get_layer_weights(student, 0, w, K * N));
            overlaps(w, w, q, K);
            overlaps(w, b, r, K);
            if (a == 0) /* the ODE starts from this run's own order parameters */
                ck_assert_ok(mech_committee_ode(NULL, MECH_COMMITTEE_SCALED_ERF, K, K, q, r, t,
                                                ones, ones, LR, 0.0, 0.0, 0.0, alphas, N_ALPHA,
                                                ode[seed], NULL, NULL, NULL));
            ck_assert_ok(mech_committee_eps_g(MECH_COMMITTEE_SCALED_ERF, K, K, q, r, t, ones,
                                              ones, &sim[seed][a]));
            if (a + 1 == N_ALPHA) break;
            /* N fresh samples per unit of alpha, one SGD step each */
            size_t steps = (size_t)llround((alphas[a + 1] - alphas[a]) * N);
            for (size_t s = 0; s < steps; s++) {
                ck_assert_ok(mech_rng_normal(rng, x, N, 0.0, 1.0));
                ck_assert_ok(mech_model_forward(teacher, x, 1, &y));
                ck_assert_ok(mech_model_gradient(student, MECH_LOSS_MSE, x, &y, 1, NULL, grad));
                ck_assert_ok(mech_optimizer_step(opt, params, grad));
                ck_assert_ok(mech_model_set_params(student, params, np));
            }
        }
        free(params);
        free(grad);
        mech_optimizer_destroy(opt);
        mech_rng_destroy(rng);
        mech_model_destroy(student);
        mech_model_destroy(teacher);
        mech_ctx_destroy(ctx);
    }

    /* Mean over seeds of simulation and of the per-seed ODE predictions. */
    double mean_sim[N_ALPHA], mean_ode[N_ALPHA];
    for (size_t a = 0; a < N_ALPHA; a++) {
        mean_sim[a] = mean_ode[a] = 0.0;
        for (int s = 0; s < SEEDS; s++) {
            mean_sim[a] += sim[s][a] / SEEDS;
            mean_ode[a] += ode[s][a] / SEEDS;
        }
    }
    /* Plateau value: the ODE's eps_g where it changes least (after the
     * initial drop), then the window ends where it has fallen 10% below. */
    size_t flat = 1;
    for (size_t a = 2; a + 1 < N_ALPHA; a++)
        if (fabs(mean_ode[a + 1] - mean_ode[a - 1]) < fabs(mean_ode[flat + 1] - mean_ode[flat - 1]))
            flat = a;
    double plateau = mean_ode[flat];
    size_t end = flat;
    while (end + 1 < N_ALPHA && mean_ode[end] > 0.9 * plateau) end++;
    ck_assert_msg(end + 1 < N_ALPHA, "the ODE never left its plateau (%g at alpha %g)", plateau,
                  alphas[flat]);
    ck_assert_msg(end > flat + 2, "no plateau before the escape");

    /* Compare on a common axis through the trace comparison. */
    mech_trace *pred, *meas;
    size_t col;
    ck_assert_ok(mech_trace_create(&pred, NULL, MECH_AXIS_ALPHA));
    ck_assert_ok(mech_trace_create(&meas, NULL, MECH_AXIS_ALPHA));
    ck_assert_ok(mech_trace_add_column(pred, "eps_g", &col));
    ck_assert_ok(mech_trace_add_column(meas, "eps_g", &col));
    for (size_t a = 0; a < N_ALPHA; a++) {
        ck_assert_ok(mech_trace_append(pred, alphas[a], &mean_ode[a], 1));
        ck_assert_ok(mech_trace_append(meas, alphas[a], &mean_sim[a], 1));
    }
    mech_comparison cmp = {.size = sizeof cmp};
    ck_assert_ok(mech_trace_compare(pred, "eps_g", meas, "eps_g", 0.0, alphas[end], 0.0, &cmp));
    fprintf(stderr, "# committee: plateau %.4f at alpha %.0f, window to alpha %.0f, "
                    "max relative error %.3f, mean %.3f over %zu points\n",
            plateau, alphas[flat], alphas[end], cmp.max_rel, cmp.mean_rel, cmp.n_points);
    /* Acceptance: within 10% of the simulation's mean over >= 10 seeds. The
     * theory's own error here is O(1/sqrt N) ~ 4.5% per run at N = 500. */
    ck_assert_msg(cmp.max_rel <= 0.10, "max relative error %.3f", cmp.max_rel);
    mech_trace_destroy(pred);
    mech_trace_destroy(meas);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("committee_sgd");
    TCase *tc = tcase_create("committee_sgd");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, ode_follows_online_sgd_through_the_plateau);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
