/* Central flow against real full-batch GD at the edge of stability.
 *
 * A tanh MLP {5, 16, 16, 1} on 50 random +-1 labels, GD with eta = 0.2
 * (2/eta = 10; the sharpness starts near 3.3 and gradient flow would push
 * it past 13). GD first overshoots and catapults; by step ~450 it hovers
 * at 2/eta in a period-2 oscillation. The flows start at the midpoint of
 * GD's iterates K0 and K0+1 (the centre of the oscillation; t = 0 is step
 * K0 + 1/2) and are compared, over the next steps, with GD's moving
 * averages (over an even window, which cancels the period-2 oscillation):
 * the central flow's L + sigma^2/eta and S against GF's L and S.
 * Tiny networks enter the edge late (GD damps the top-eigenvector
 * component to ~1e-9 while S < 2/eta, so the instability needs many steps
 * to grow back and first overshoots in a catapult): that transient is why
 * the flows start inside the edge-of-stability phase, not at init. */
#include <stdio.h>

#include "central_flow_fixture.h"

enum { K0 = 500, N_STEPS = 300, WIN = 20, N_OUT = 31 };
static const double ETA = 0.2, DT_OUT = 2.0;

static int hvp(const double *v, double *out, size_t n, void *ud)
{
    cf_problem *p = ud;
    (void)n;
    return mech_model_hvp(p->model, MECH_LOSS_MSE, p->x, p->y, p->n, v, out) < 0 ? -1 : 0;
}

static void gd_step(cf_problem *p, double *w, double *g, double *loss)
{
    ck_assert_ok(mech_model_set_params(p->model, w, p->P));
    ck_assert_ok(mech_model_gradient(p->model, MECH_LOSS_MSE, p->x, p->y, p->n, loss, g));
    for (size_t i = 0; i < p->P; i++) w[i] -= ETA * g[i];
}

/* Flow prediction trace (columns loss_avg_pred, sharpness) from w0. */
static mech_trace *flow(cf_problem *p, const double *w0, int gradient_flow, double *t_enter)
{
    mech_central_flow *cf = NULL;
    mech_trace *tr = NULL;
    double t[N_OUT];
    for (int i = 0; i < N_OUT; i++) t[i] = DT_OUT * i;
    ck_assert_ok(mech_model_set_params(p->model, w0, p->P));
    ck_assert_ok(mech_central_flow_create(&cf, p->ctx, p->model, MECH_LOSS_MSE, p->x, p->y,
                                          p->n, ETA));
    ck_assert_ok(mech_central_flow_set_i64(cf, MECH_CENTRAL_FLOW_GRADIENT_FLOW,
                                           gradient_flow));
    ck_assert_ok(mech_trace_create(&tr, p->ctx, MECH_AXIS_TIME));
    ck_assert_ok(mech_central_flow_solve(cf, t, N_OUT, NULL, NULL, NULL, NULL, tr));
    double evals = 0;
    ck_assert_ok(mech_central_flow_get_stat(cf, MECH_CENTRAL_FLOW_STAT_RHS_EVALS, &evals));
    ck_assert_ok(mech_central_flow_get_stat(cf, MECH_CENTRAL_FLOW_STAT_T_ENTER, t_enter));
    double hv = 0;
    ck_assert_ok(mech_central_flow_get_stat(cf, MECH_CENTRAL_FLOW_STAT_HVPS, &hv));
    fprintf(stderr, "# %s: %.0f flow evaluations, %.0f HVPs\n", gradient_flow ? "GF" : "CF", evals, hv);
    mech_central_flow_destroy(cf);
    return tr;
}

START_TEST(central_flow_beats_gradient_flow_at_eos)
{
    cf_problem p;
    cf_problem_init(&p, 50, 5, 16, 3);
    size_t P = p.P;
    double *w = malloc(P * sizeof(double)), *g = malloc(P * sizeof(double));
    double *w0 = malloc(P * sizeof(double));
    ck_assert_ok(mech_model_get_params(p.model, w, P));
    double loss;
    for (int k = 0; k < K0; k++) gd_step(&p, w, g, &loss);
    /* w = w_K0; the flows start at (w_K0 + w_K0+1) / 2 */
    memcpy(w0, w, P * sizeof(double));
    /* GD from K0 on: loss and sharpness at every step */
    mech_lanczos *lz = NULL;
    ck_assert_ok(mech_lanczos_create(&lz, p.ctx, P, 1, 0));
    static double L[N_STEPS], S[N_STEPS];
    for (int j = 0; j < N_STEPS; j++) {
        ck_assert_ok(mech_model_set_params(p.model, w, P));
        ck_assert_ok(mech_lanczos_solve(lz, hvp, &p, &S[j], NULL, NULL, NULL));
        gd_step(&p, w, g, &L[j]);
        if (j == 0)
            for (size_t i = 0; i < P; i++) w0[i] = 0.5 * (w0[i] + w[i]);
    }
    mech_lanczos_destroy(lz);
    /* moving averages over WIN steps j0 .. j0+WIN-1, centred at j0 + (WIN-1)/2,
     * i.e. at time eta (j0 + (WIN-1)/2 - 1/2) after the flows' start */
    mech_trace *gd = NULL;
    size_t c_loss, c_sharp;
    ck_assert_ok(mech_trace_create(&gd, p.ctx, MECH_AXIS_TIME));
    ck_assert_ok(mech_trace_add_column(gd, "loss_avg", &c_loss));
    ck_assert_ok(mech_trace_add_column(gd, "sharpness_avg", &c_sharp));
    double s_lo = INFINITY, s_hi = -INFINITY;
    for (int j0 = 0; j0 + WIN <= N_STEPS; j0++) {
        double la = 0, sa = 0;
        for (int j = j0; j < j0 + WIN; j++) la += L[j] / WIN, sa += S[j] / WIN;
        s_lo = fmin(s_lo, sa);
        s_hi = fmax(s_hi, sa);
        ck_assert_ok(mech_trace_begin_row(gd, ETA * (j0 + 0.5 * (WIN - 1) - 0.5)));
        ck_assert_ok(mech_trace_put(gd, c_loss, la));
        ck_assert_ok(mech_trace_put(gd, c_sharp, sa));
    }
    fprintf(stderr, "# GD averaged sharpness in [%.4f, %.4f], 2/eta = %.4f\n", s_lo, s_hi,
            2 / ETA);
    /* GD is at the edge of stability over the whole window */
    ck_assert(s_lo > 0.97 * 2 / ETA && s_hi < 1.03 * 2 / ETA);

    double te_cf, te_gf;
    mech_trace *cf = flow(&p, w0, 0, &te_cf), *gf = flow(&p, w0, 1, &te_gf);
    mech_comparison c[4];
    for (int i = 0; i < 4; i++) c[i].size = sizeof c[i];
    ck_assert_ok(mech_trace_compare(cf, "loss_avg_pred", gd, "loss_avg", NAN, NAN, 0, &c[0]));
    ck_assert_ok(mech_trace_compare(gf, "loss", gd, "loss_avg", NAN, NAN, 0, &c[1]));
    ck_assert_ok(mech_trace_compare(cf, "sharpness", gd, "sharpness_avg", NAN, NAN, 0, &c[2]));
    ck_assert_ok(mech_trace_compare(gf, "sharpness", gd, "sharpness_avg", NAN, NAN, 0, &c[3]));
    fprintf(stderr, "# t in [%.1f, %.1f], %zu points; CF at the edge from t = %g\n",
            c[0].t_lo, c[0].t_hi, c[0].n_points, te_cf);
    fprintf(stderr, "# loss:      mean rel err CF %.4f  GF %.4f  (ratio %.1f); max CF %.4f GF %.4f\n",
            c[0].mean_rel, c[1].mean_rel, c[1].mean_rel / c[0].mean_rel, c[0].max_rel,
            c[1].max_rel);
    fprintf(stderr, "# sharpness: mean rel err CF %.4f  GF %.4f  (ratio %.1f); max CF %.4f GF %.4f\n",
            c[2].mean_rel, c[3].mean_rel, c[3].mean_rel / c[2].mean_rel, c[2].max_rel,
            c[3].max_rel);
    /* Measured (seed 0): loss CF 0.015 vs GF 1.28, sharpness CF 0.0008 vs
     * GF 0.062, both ratios ~80. GF misses the oscillation's loss
     * sigma^2/eta (its loss is too low by a factor ~2-3) and keeps
     * sharpening; the central flow's residual error is the moving-average
     * smoothing and GD's small catapults. The bounds leave a 3x-8x margin
     * for BLAS rounding differences, which GD at the edge amplifies. */
    /* the constraint holds along the edge-of-stability phase: S stays on
     * 2/eta. The start (S(w0) = 10.03) relaxes onto it at rate 1/eta, so
     * rows from t = 2 on (e^-10 later) are checked; measured deviation
     * 1.5e-7, bounded by the Lanczos and integrator tolerances. */
    size_t ns = mech_trace_n_rows(cf), c_s, c_s2;
    ck_assert_ok(mech_trace_column_index(cf, "sharpness", &c_s));
    ck_assert_ok(mech_trace_column_index(cf, "sigma2", &c_s2));
    double dev = 0;
    for (size_t r = 1; r < ns; r++) {
        double sr, s2r;
        ck_assert_ok(mech_trace_value(cf, r, c_s, &sr));
        ck_assert_ok(mech_trace_value(cf, r, c_s2, &s2r));
        if (s2r > 0) dev = fmax(dev, fabs(sr * ETA / 2 - 1));
    }
    fprintf(stderr, "# CF: max |S eta/2 - 1| on the edge %.2e\n", dev);
    ck_assert(dev < 1e-5);
    ck_assert(isnan(te_gf));
    ck_assert_msg(10 * c[0].mean_rel <= c[1].mean_rel, "loss: CF not 10x better than GF");
    ck_assert_msg(10 * c[2].mean_rel <= c[3].mean_rel, "sharpness: CF not 10x better");
    ck_assert(c[0].mean_rel < 0.05 && c[2].mean_rel < 0.005);

    mech_trace_destroy(cf);
    mech_trace_destroy(gf);
    mech_trace_destroy(gd);
    free(w);
    free(g);
    free(w0);
    cf_problem_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("central_flow_eos");
    TCase *tc = tcase_create("eos");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, central_flow_beats_gradient_flow_at_eos);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}
