/* SDE scaling rules on online linear regression (slow): loss curves against
 * samples seen for batch sizes x1, x2, x4 (B = 4, 8, 16) with
 * hyperparameters rescaled by mech_sde_scale (square-root rule for Adam,
 * linear rule for SGD) agree within 3 combined standard errors of 32-seed
 * ensembles at each of the 9 probe points (samples 0, 1024, ..., 8192):
 *   max_t |m_k(t) - m_1(t)| / sqrt(se_k(t)^2 + se_1(t)^2) <= 3,
 * with independent seeds per batch size (so the standard errors add; 32
 * seeds rather than 8 so the estimated standard errors are themselves
 * accurate and 9 points at 3 sigma rarely trip by chance). The rules are
 * first-order statements for noise-dominated gradients (B well below the
 * critical batch): label noise sd 2 against a teacher of norm ~0.7 keeps
 * tr(Sigma)/|G|^2 >~ 100 from the start. With noise sd 0.5 or 1 the early
 * x4 Adam curve lags measurably (max z ~3.5), as the SDE picture says.
 * The same comparison with unscaled hyperparameters at x4 must fail, so
 * the check has the power to see a wrong rule. */
#include <stdio.h>

#include "harness.h"

enum { DIM = 16, B0 = 4, SEEDS = 32, MAX_SAMPLES = 8192, PROBES = 8 };

typedef struct setup {
    mech_ctx *ctx;
    mech_data *gen, *test;
} setup;

static void make_setup(setup *s)
{
    double w[DIM];
    for (int i = 0; i < DIM; i++) w[i] = 0.25 * cos(1.0 + i);
    mech_data *testgen;
    ck_assert_ok(mech_ctx_create(&s->ctx));
    ck_assert_ok(mech_data_create_generator(&s->gen, s->ctx, MECH_INPUT_GAUSSIAN, DIM));
    ck_assert_ok(mech_data_set_linear_teacher(s->gen, w, 1, 2.0));
    ck_assert_ok(mech_data_create_generator(&testgen, s->ctx, MECH_INPUT_GAUSSIAN, DIM));
    ck_assert_ok(mech_data_set_linear_teacher(testgen, w, 1, 0.0));
    ck_assert_ok(mech_data_set_i64(testgen, MECH_DATA_STREAM, 1u << 30));
    ck_assert_ok(mech_data_materialize(testgen, 2000, &s->test));
    mech_data_destroy(testgen);
}

static void free_setup(setup *s)
{
    mech_data_destroy(s->gen);
    mech_data_destroy(s->test);
    mech_ctx_destroy(s->ctx);
}

typedef struct hyper {
    double lr, beta1, beta2, eps;
} hyper;

/* Ensemble mean and standard error of the test loss at the PROBES + 1 rows
 * (samples 0, 1024, ..., 8192) for batch kappa B0 and hyperparameters h. */
static void curve(setup *s, mech_optimizer_kind kind, int kappa, hyper h, uint64_t seed0,
                  double *mean, double *se)
{
    mech_model *m;
    mech_optimizer *o;
    mech_run *r;
    mech_trace *ens;
    ck_assert_ok(mech_model_create(&m, s->ctx, MECH_MODEL_LINEAR));
    const size_t wd[2] = {DIM, 1};
    ck_assert_ok(mech_model_set_widths(m, wd, 2));
    ck_assert_ok(mech_model_set_f64(m, MECH_MODEL_INIT_SCALE, 0.25));
    ck_assert_ok(mech_model_setup(m));
    ck_assert_ok(mech_optimizer_create(&o, s->ctx, kind, mech_model_num_params(m)));
    ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, h.lr));
    if (kind == MECH_OPTIMIZER_ADAM) {
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA1, h.beta1));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_BETA2, h.beta2));
        ck_assert_ok(mech_optimizer_set_f64(o, MECH_OPTIMIZER_EPS, h.eps));
    }
    ck_assert_ok(mech_run_create(&r, s->ctx, m, MECH_LOSS_MSE, s->gen, o));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MODE, MECH_RUN_ONLINE));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_BATCH, B0 * kappa));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_MAX_SAMPLES, MAX_SAMPLES));
    ck_assert_ok(mech_run_set_i64(r, MECH_RUN_AXIS, MECH_AXIS_SAMPLES));
    double probes[PROBES];
    for (int i = 0; i < PROBES; i++) probes[i] = (i + 1.0) * MAX_SAMPLES / PROBES;
    ck_assert_ok(mech_run_set_probe_times(r, probes, PROBES));
    ck_assert_ok(mech_run_set_test_data(r, s->test));
    ck_assert_ok(mech_run_setup(r));
    uint64_t seeds[SEEDS];
    for (int i = 0; i < SEEDS; i++) seeds[i] = seed0 + (uint64_t)i;
    ck_assert_ok(mech_run_ensemble(r, seeds, SEEDS, &ens));
    ck_assert_uint_eq(mech_trace_n_rows(ens), PROBES + 1);
    size_t c, cse;
    ck_assert_ok(mech_trace_column_index(ens, "test_loss", &c));
    ck_assert_ok(mech_trace_column_index(ens, "test_loss_se", &cse));
    ck_assert_ok(mech_trace_column(ens, c, mean, PROBES + 1));
    ck_assert_ok(mech_trace_column(ens, cse, se, PROBES + 1));
    mech_trace_destroy(ens);
    mech_run_destroy(r);
    mech_optimizer_destroy(o);
    mech_model_destroy(m);
}

static double max_z(const double *m1, const double *s1, const double *m2, const double *s2)
{
    double z = 0.0;
    for (int i = 0; i <= PROBES; i++)
        z = fmax(z, fabs(m2[i] - m1[i]) / sqrt(s1[i] * s1[i] + s2[i] * s2[i]));
    return z;
}

static void check_rule(mech_optimizer_kind kind, hyper base)
{
    setup s;
    make_setup(&s);
    double m1[PROBES + 1], s1[PROBES + 1], m[PROBES + 1], se[PROBES + 1];
    curve(&s, kind, 1, base, 1000, m1, s1);
    /* the run learns: a curve that stayed flat would agree trivially */
    ck_assert_msg(m1[PROBES] < 0.2 * m1[0], "loss %g -> %g", m1[0], m1[PROBES]);
    for (int kappa = 2; kappa <= 4; kappa *= 2) {
        hyper h = base;
        ck_assert_ok(mech_sde_scale(kind, kappa, &h.lr, &h.beta1, &h.beta2, &h.eps));
        curve(&s, kind, kappa, h, 1000 + 100 * (uint64_t)kappa, m, se);
        double z = max_z(m1, s1, m, se);
        printf("# %s x%d: lr %g beta1 %g beta2 %g eps %g: final %g vs %g, max z %.2f\n",
               mech_optimizer_kind_name(kind), kappa, h.lr, h.beta1, h.beta2, h.eps,
               m[PROBES], m1[PROBES], z);
        fflush(stdout);
        ck_assert_msg(z <= 3.0, "%s x%d: max z %g", mech_optimizer_kind_name(kind), kappa, z);
    }
    curve(&s, kind, 4, base, 2000, m, se); /* x4 batch, unscaled */
    double z = max_z(m1, s1, m, se);
    printf("# %s x4 unscaled: max z %.2f\n", mech_optimizer_kind_name(kind), z);
    ck_assert_msg(z > 3.0, "unscaled %s at x4 agrees too (max z %g): no power",
                  mech_optimizer_kind_name(kind), z);
    free_setup(&s);
}

START_TEST(sgd_linear_rule)
{
    check_rule(MECH_OPTIMIZER_SGD, (hyper){0.005, 0.0, 0.0, 0.0});
}
END_TEST

START_TEST(adam_square_root_rule)
{
    check_rule(MECH_OPTIMIZER_ADAM, (hyper){0.002, 0.9, 0.99, 1e-8});
}
END_TEST

static Suite *sde_suite(void)
{
    Suite *s = suite_create("sde_scaling");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, sgd_linear_rule);
    tcase_add_test(tc, adam_square_root_rule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(sde_suite()); }
