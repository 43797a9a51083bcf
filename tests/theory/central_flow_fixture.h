/* Shared setup of the central-flow tests: a small tanh MLP with biases on
 * random +-1 labels (a task it fits slowly, so full-batch GD sharpens
 * progressively), and full-batch GD with Lanczos sharpness. */
#ifndef TEST_CENTRAL_FLOW_FIXTURE_H
#define TEST_CENTRAL_FLOW_FIXTURE_H

#include "harness.h"

typedef struct cf_problem {
    mech_ctx *ctx;
    mech_model *model;
    double *x, *y;
    size_t n, d, P;
} cf_problem;

/* widths {d, hidden (depth-1 times), 1}; labels sign(sin(3 x.v)). */
static inline void cf_problem_init(cf_problem *p, size_t n, size_t d, size_t hidden,
                                   size_t depth)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->d = d;
    ck_assert_ok(mech_ctx_create(&p->ctx));
    mech_rng *rng = NULL;
    ck_assert_ok(mech_rng_create(&rng, p->ctx, 7));
    p->x = malloc(n * d * sizeof(double));
    p->y = malloc(n * sizeof(double));
    double v[16];
    ck_assert(d <= 16);
    ck_assert_ok(mech_rng_normal(rng, p->x, n * d, 0, 1));
    ck_assert_ok(mech_rng_normal(rng, v, d, 0, 1));
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++) s += p->x[i * d + j] * v[j];
        p->y[i] = sin(3 * s) > 0 ? 1 : -1;
    }
    mech_rng_destroy(rng);
    size_t widths[8];
    ck_assert(depth >= 1 && depth < 8);
    widths[0] = d;
    for (size_t l = 1; l < depth; l++) widths[l] = hidden;
    widths[depth] = 1;
    ck_assert_ok(mech_model_create(&p->model, p->ctx, MECH_MODEL_MLP));
    ck_assert_ok(mech_model_set_widths(p->model, widths, depth + 1));
    ck_assert_ok(mech_model_set_i64(p->model, MECH_MODEL_ACTIVATION, MECH_ACT_TANH));
    ck_assert_ok(mech_model_set_i64(p->model, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_setup(p->model));
    p->P = mech_model_num_params(p->model);
}

static inline void cf_problem_free(cf_problem *p)
{
    mech_model_destroy(p->model);
    mech_ctx_destroy(p->ctx);
    free(p->x);
    free(p->y);
}

#endif
