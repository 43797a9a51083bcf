/* Trains a two-layer tanh network on data from a linear teacher with
 * minibatch SGD, records train and test loss in a trace, and saves it.
 *
 *   train_teacher [out.csv]
 *
 * Build against an installed library:
 *   cc train_teacher.c $(pkg-config --cflags --libs mechanics) -o train_teacher */
#include <math.h>
#include <stdio.h>

#include <mechanics.h>

#define D 20   /* input dimension */
#define N 512  /* training examples */

static int fail(const char *what)
{
    fprintf(stderr, "train_teacher: %s: %s\n", what, mech_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *out = argc > 1 ? argv[1] : "train_teacher.csv";
    mech_ctx *ctx = NULL;
    mech_data *gen = NULL, *train = NULL, *test = NULL;
    mech_model *model = NULL;
    mech_optimizer *opt = NULL;
    mech_run *run = NULL;
    int rc = 1;
    double w[D];
    for (int i = 0; i < D; i++) w[i] = (i % 2 ? 1.0 : -1.0) / (1.0 + i);

    const size_t widths[3] = {D, 64, 1};
    if (mech_ctx_create(&ctx) || mech_ctx_set_i64(ctx, MECH_CTX_SEED, 7)) {
        rc = fail("context");
        goto done;
    }
    /* Gaussian inputs, y = w.x + noise; a finite training set and a test set. */
    if (mech_data_create_generator(&gen, ctx, MECH_INPUT_GAUSSIAN, D) ||
        mech_data_set_linear_teacher(gen, w, 1, 0.1) ||
        mech_data_materialize(gen, N, &train) || mech_data_materialize(gen, N, &test)) {
        rc = fail("data");
        goto done;
    }
    if (mech_model_create(&model, ctx, MECH_MODEL_MLP) ||
        mech_model_set_widths(model, widths, 3) ||
        mech_model_set_i64(model, MECH_MODEL_ACTIVATION, MECH_ACT_TANH) ||
        mech_model_set_i64(model, MECH_MODEL_MAX_BATCH, N) || mech_model_setup(model)) {
        rc = fail("model");
        goto done;
    }
    if (mech_optimizer_create(&opt, ctx, MECH_OPTIMIZER_SGD, mech_model_num_params(model)) ||
        mech_optimizer_set_f64(opt, MECH_OPTIMIZER_LR, 0.05)) {
        rc = fail("optimizer");
        goto done;
    }
    if (mech_run_create(&run, ctx, model, MECH_LOSS_MSE, train, opt) ||
        mech_run_set_i64(run, MECH_RUN_MODE, MECH_RUN_MINIBATCH) ||
        mech_run_set_i64(run, MECH_RUN_BATCH, 32) ||
        mech_run_set_i64(run, MECH_RUN_MAX_STEPS, 2000) ||
        mech_run_set_i64(run, MECH_RUN_PROBE_EVERY, 200) || mech_run_set_test_data(run, test) ||
        mech_run_setup(run) || mech_run_execute(run)) {
        rc = fail("run");
        goto done;
    }
    const mech_trace *tr = NULL;
    size_t rows, train_col, test_col;
    if (mech_run_trace(run, &tr) || mech_trace_column_index(tr, "train_loss", &train_col) ||
        mech_trace_column_index(tr, "test_loss", &test_col)) {
        rc = fail("trace");
        goto done;
    }
    rows = mech_trace_n_rows(tr);
    printf("%8s %12s %12s\n", "step", "train_loss", "test_loss");
    for (size_t r = 0; r < rows; r++) {
        double a = NAN, b = NAN;
        mech_trace_value(tr, r, train_col, &a);
        mech_trace_value(tr, r, test_col, &b);
        printf("%8zu %12.6f %12.6f\n", r * 200, a, b);
    }
    if (mech_trace_save(tr, out, MECH_TRACE_AUTO)) {
        rc = fail("save");
        goto done;
    }
    printf("trace written to %s\n", out);
    rc = 0;
done:
    mech_run_destroy(run);
    mech_optimizer_destroy(opt);
    mech_model_destroy(model);
    mech_data_destroy(test);
    mech_data_destroy(train);
    mech_data_destroy(gen);
    mech_ctx_destroy(ctx);
    return rc;
}
