/* Training-step micro-driver for bench/run_all.py: times full-batch SGD
 * steps (forward + backward + update) of a relu MLP with biases, ½-MSE on
 * one-hot labels, without Python in the loop.
 *
 *   train_step f64|f32 THREADS BATCH STEPS REPEATS WIDTH0 WIDTH1 ...
 *
 * Two ways of stepping, each timed REPEATS times over STEPS steps after two
 * warm-up steps; the minimum per-step time is printed, as wall time and as
 * CPU time of the calling thread (with THREADS = 1 all work runs there, and
 * that time does not count waiting for a core on a loaded machine):
 *   run  mech_run_execute in FULL_BATCH mode over a BATCH-example set (what
 *        a user of run.h gets; no probe rows inside the timed blocks);
 *   raw  mech_model_gradient + mech_optimizer_step + mech_model_set_params
 *        in a loop (the same three steps a PyTorch loop performs).
 * Output: "key value" lines (params, run_wall_s, run_cpu_s, raw_wall_s,
 * raw_cpu_s). Exit status 1
 * with a message on stderr if a library call fails. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mechanics.h>

#define MAX_LAYERS 16

typedef struct stamp {
    double wall, cpu;
} stamp;

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static stamp now(void)
{
    return (stamp){seconds(CLOCK_MONOTONIC), seconds(CLOCK_THREAD_CPUTIME_ID)};
}

/* Keeps in *best the smallest per-step times of the block started at t0. */
static void keep_best(stamp *best, stamp t0, int steps)
{
    const stamp t1 = now();
    const double wall = (t1.wall - t0.wall) / steps, cpu = (t1.cpu - t0.cpu) / steps;
    if (wall < best->wall) best->wall = wall;
    if (cpu < best->cpu) best->cpu = cpu;
}

static int fail(const char *what, mech_status st)
{
    fprintf(stderr, "train_step: %s: %s (%s)\n", what, mech_status_name(st), mech_last_error());
    exit(1);
}

#define TRY(expr)                                  \
    do {                                           \
        mech_status st_ = (expr);                  \
        if (st_ != MECH_OK) fail(#expr, st_);      \
    } while (0)

typedef struct bench {
    bool f32;
    size_t batch, in, out, np;
    mech_ctx *ctx;
    mech_model *model;
    double *x, *y;
} bench;

/* Inputs uniform in [-1, 1), one-hot labels: a fixed LCG, no library RNG
 * (the values do not matter to the timing, only their shapes). */
static void make_data(bench *b)
{
    b->x = malloc(b->batch * b->in * sizeof *b->x);
    b->y = calloc(b->batch * b->out, sizeof *b->y);
    if (!b->x || !b->y) exit(1);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < b->batch * b->in; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b->x[i] = (double)(s >> 11) * 0x1p-52 - 1.0;
    }
    for (size_t i = 0; i < b->batch; i++) b->y[i * b->out + i % b->out] = 1.0;
}

static mech_optimizer *make_sgd(const bench *b)
{
    mech_optimizer *o = NULL;
    TRY(mech_optimizer_create(&o, b->ctx, MECH_OPTIMIZER_SGD, b->np));
    TRY(mech_optimizer_set_f64(o, MECH_OPTIMIZER_LR, 1e-3));
    return o;
}

static stamp time_run(bench *b, int steps, int repeats)
{
    mech_data *d = NULL;
    TRY(mech_data_create_arrays(&d, b->ctx, b->x, b->y, b->batch, b->in, b->out, MECH_BORROW));
    mech_optimizer *o = make_sgd(b);
    mech_run *r = NULL;
    TRY(mech_run_create(&r, b->ctx, b->model, MECH_LOSS_MSE, d, o));
    TRY(mech_run_set_i64(r, MECH_RUN_MODE, MECH_RUN_FULL_BATCH));
    TRY(mech_run_set_i64(r, MECH_RUN_EVAL_TRAIN_FULL, 0));
    const int64_t total = 2 + (int64_t)steps * repeats;
    TRY(mech_run_set_i64(r, MECH_RUN_PROBE_EVERY, total + 1)); /* only the step-0 row */
    TRY(mech_run_set_i64(r, MECH_RUN_MAX_STEPS, 2));
    TRY(mech_run_setup(r));
    TRY(mech_run_execute(r));
    stamp best = {1e300, 1e300};
    for (int k = 0; k < repeats; k++) {
        TRY(mech_run_set_i64(r, MECH_RUN_MAX_STEPS, 2 + (int64_t)steps * (k + 1)));
        const stamp t0 = now();
        TRY(mech_run_execute(r));
        keep_best(&best, t0, steps);
    }
    mech_run_destroy(r);
    mech_optimizer_destroy(o);
    mech_data_destroy(d);
    return best;
}

static void raw_step(bench *b, mech_optimizer *o, void *params, void *grad, const float *xf,
                     const float *yf)
{
    double loss = 0;
    if (b->f32) {
        TRY(mech_model_gradient_f32(b->model, MECH_LOSS_MSE, xf, yf, b->batch, &loss, grad));
        TRY(mech_optimizer_step_f32(o, params, grad));
        TRY(mech_model_set_params_f32(b->model, params, b->np));
    } else {
        TRY(mech_model_gradient(b->model, MECH_LOSS_MSE, b->x, b->y, b->batch, &loss, grad));
        TRY(mech_optimizer_step(o, params, grad));
        TRY(mech_model_set_params(b->model, params, b->np));
    }
}

static stamp time_raw(bench *b, int steps, int repeats)
{
    const size_t elem = b->f32 ? sizeof(float) : sizeof(double);
    void *params = malloc(b->np * elem), *grad = malloc(b->np * elem);
    float *xf = malloc(b->batch * b->in * sizeof *xf), *yf = malloc(b->batch * b->out * sizeof *yf);
    if (!params || !grad || !xf || !yf) exit(1);
    for (size_t i = 0; i < b->batch * b->in; i++) xf[i] = (float)b->x[i];
    for (size_t i = 0; i < b->batch * b->out; i++) yf[i] = (float)b->y[i];
    if (b->f32)
        TRY(mech_model_get_params_f32(b->model, params, b->np));
    else
        TRY(mech_model_get_params(b->model, params, b->np));
    mech_optimizer *o = make_sgd(b);
    TRY(mech_optimizer_setup(o)); /* mech_run_setup does this for a run */
    for (int i = 0; i < 2; i++) raw_step(b, o, params, grad, xf, yf);
    stamp best = {1e300, 1e300};
    for (int k = 0; k < repeats; k++) {
        const stamp t0 = now();
        for (int i = 0; i < steps; i++) raw_step(b, o, params, grad, xf, yf);
        keep_best(&best, t0, steps);
    }
    mech_optimizer_destroy(o);
    free(params);
    free(grad);
    free(xf);
    free(yf);
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 8 || argc - 6 > MAX_LAYERS + 1 ||
        (strcmp(argv[1], "f64") != 0 && strcmp(argv[1], "f32") != 0)) {
        fprintf(stderr, "usage: train_step f64|f32 THREADS BATCH STEPS REPEATS WIDTH0 WIDTH1 ...\n");
        return 2;
    }
    bench b = {.f32 = strcmp(argv[1], "f32") == 0};
    const int threads = atoi(argv[2]), steps = atoi(argv[4]), repeats = atoi(argv[5]);
    b.batch = (size_t)strtoull(argv[3], NULL, 10);
    size_t widths[MAX_LAYERS + 1];
    const size_t n_widths = (size_t)(argc - 6);
    for (size_t i = 0; i < n_widths; i++) widths[i] = (size_t)strtoull(argv[6 + i], NULL, 10);
    if (threads < 1 || steps < 1 || repeats < 1 || b.batch < 1) {
        fprintf(stderr, "train_step: THREADS, BATCH, STEPS and REPEATS must be >= 1\n");
        return 2;
    }
    b.in = widths[0];
    b.out = widths[n_widths - 1];

    TRY(mech_ctx_create(&b.ctx));
    TRY(mech_ctx_set_i64(b.ctx, MECH_CTX_THREADS, threads));
    TRY(mech_model_create(&b.model, b.ctx, MECH_MODEL_MLP));
    TRY(mech_model_set_widths(b.model, widths, n_widths));
    TRY(mech_model_set_i64(b.model, MECH_MODEL_ACTIVATION, MECH_ACT_RELU));
    TRY(mech_model_set_i64(b.model, MECH_MODEL_BIAS, 1));
    TRY(mech_model_set_i64(b.model, MECH_MODEL_MAX_BATCH, (int64_t)b.batch));
    TRY(mech_model_set_i64(b.model, MECH_MODEL_PRECISION, b.f32 ? MECH_PREC_F32 : MECH_PREC_F64));
    TRY(mech_model_setup(b.model));
    b.np = mech_model_num_params(b.model);
    make_data(&b);

    printf("params %zu\n", b.np);
    const stamp run = time_run(&b, steps, repeats), raw = time_raw(&b, steps, repeats);
    printf("run_wall_s %.9g\nrun_cpu_s %.9g\n", run.wall, run.cpu);
    printf("raw_wall_s %.9g\nraw_cpu_s %.9g\n", raw.wall, raw.cpu);

    mech_model_destroy(b.model);
    mech_ctx_destroy(b.ctx);
    free(b.x);
    free(b.y);
    return 0;
}
