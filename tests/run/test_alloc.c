/* "A training step allocates nothing" (run.h, model.h), measured: this
 * executable defines malloc, calloc, realloc, free, memalign,
 * aligned_alloc and posix_memalign, forwarding them to glibc's __libc_*
 * entry points; the shared libraries' calls resolve to these definitions
 * and are counted, each attributed by a stack walk to libmechanics, to
 * BLIS (libblis, or libgomp, the OpenMP runtime BLIS runs in), or other.
 * Each check sets a handle up, runs one warm-up execute (BLIS fills its
 * packing-buffer pools on first use), then opens a counting window around
 * 100 more steps (or gradient/HVP calls).
 *
 * What is true (Debian 12, BLIS 0.9.0 openmp): the library's own code
 * path allocates and frees nothing. BLIS does not either, except that
 * with one thread (the context default) each level-3 call
 * (bli_?gemm_ex) opens an OpenMP parallel region and libgomp allocates
 * and frees its one-thread team descriptor (memalign, 1568 bytes) every
 * time: libgomp caches teams only of two or more threads, and with
 * MECH_CTX_THREADS = 2 nothing at all is allocated. So the checks demand
 * zero calls from libmechanics and from anywhere else, and let BLIS's
 * OpenMP runtime only take small blocks it gives back in the window (the
 * count is printed as a TAP comment).
 *
 * Inside a window nothing but library calls runs: Check's assertions
 * allocate (they report progress through a pipe), so statuses are kept
 * and asserted after the window closes. Suite `slow`: sanitizers and
 * valgrind replace malloc themselves (the test is not built with
 * sanitizers, and it skips itself when the interposition is not seen). */
#define _GNU_SOURCE /* dladdr, dl_iterate_phdr, memalign */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>

#include "harness.h"

/* ---------------- the interposer ---------------- */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t size);

/* Who asked: the innermost stack frame that lies in libmechanics, or in
 * BLIS or the OpenMP runtime BLIS runs its level-3 calls in (libblis,
 * libgomp); frames in libc (strdup, ...) are passed over. */
enum { BY_LIBRARY, BY_BLAS, BY_OTHER, N_ORIGINS };
static const char *const ORIGIN[N_ORIGINS] = {"libmechanics", "BLIS/OpenMP", "other"};

typedef struct span {
    uintptr_t lo, hi;
    int origin;
} span;
#define MAX_SPANS 16
static span spans[MAX_SPANS];
static int n_spans;

/* volatile: GCC assumes the built-in malloc and free touch no user
 * variable, and would otherwise keep counts in registers across library
 * calls that do reach these definitions. */
static volatile int counting;
static volatile unsigned long n_alloc[N_ORIGINS], n_free[N_ORIGINS];
static volatile size_t largest[N_ORIGINS];
static void *volatile first_caller[N_ORIGINS];
static _Thread_local int inside; /* backtrace itself must not be counted */

static int origin_of(void *const *frames, int n)
{
    for (int i = 0; i < n; i++)
        for (int s = 0; s < n_spans; s++)
            if ((uintptr_t)frames[i] >= spans[s].lo && (uintptr_t)frames[i] < spans[s].hi)
                return spans[s].origin;
    return BY_OTHER;
}

static void note(bool is_free, size_t size, void *caller)
{
    if (!__atomic_load_n(&counting, __ATOMIC_SEQ_CST) || inside) return;
    inside = 1;
    void *frames[16];
    const int o = origin_of(frames, backtrace(frames, 16));
    __atomic_fetch_add(is_free ? &n_free[o] : &n_alloc[o], 1, __ATOMIC_SEQ_CST);
    if (!is_free && size > largest[o]) largest[o] = size;
    if (!first_caller[o]) first_caller[o] = caller;
    inside = 0;
}

void *malloc(size_t size)
{
    note(false, size, __builtin_return_address(0));
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    note(false, n * size, __builtin_return_address(0));
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    note(false, size, __builtin_return_address(0));
    return __libc_realloc(p, size);
}

void free(void *p)
{
    if (p) note(true, 0, __builtin_return_address(0));
    __libc_free(p);
}

/* libgomp allocates its thread teams with memalign */
void *memalign(size_t alignment, size_t size)
{
    note(false, size, __builtin_return_address(0));
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    note(false, size, __builtin_return_address(0));
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    note(false, size, __builtin_return_address(0));
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

/* Records the executable segments of libmechanics, libblis and libgomp. */
static int add_spans(struct dl_phdr_info *info, size_t size, void *data)
{
    const char *name = info->dlpi_name;
    int origin = strstr(name, "libmechanics") ? BY_LIBRARY
                 : (strstr(name, "libblis") || strstr(name, "libgomp")) ? BY_BLAS
                                                                         : -1;
    for (int i = 0; origin >= 0 && i < info->dlpi_phnum && n_spans < MAX_SPANS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        const uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        spans[n_spans++] = (span){lo, lo + ph->p_memsz, origin};
    }
    return 0;
}

static void window_open(void)
{
    for (int o = 0; o < N_ORIGINS; o++) {
        n_alloc[o] = n_free[o] = largest[o] = 0;
        first_caller[o] = NULL;
    }
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}

static void window_close(void) { __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST); }

/* "libgomp.so.1 GOMP_parallel": the object and nearest symbol of p. */
static const char *where(void *p)
{
    static char buf[256];
    Dl_info info;
    if (!p || !dladdr(p, &info)) return "?";
    const char *obj = info.dli_fname ? info.dli_fname : "?";
    if (strrchr(obj, '/')) obj = strrchr(obj, '/') + 1;
    snprintf(buf, sizeof buf, "%s%s%s", obj, info.dli_sname ? " " : "",
             info.dli_sname ? info.dli_sname : "");
    return buf;
}

/* After a window: nothing allocated or freed on the library's own code
 * path or anywhere else, except what BLIS's OpenMP runtime takes and gives
 * back within the window, each block small (a thread-team descriptor, not
 * a packing buffer: those are MBs and BLIS keeps them in its pools). The
 * BLIS share is printed as a TAP comment. */
static void check_window(const char *what)
{
    for (int o = 0; o < N_ORIGINS; o++)
        if (o != BY_BLAS)
            ck_assert_msg(n_alloc[o] == 0 && n_free[o] == 0,
                          "%s: %lu allocations, %lu frees by %s (first called from %s)", what,
                          n_alloc[o], n_free[o], ORIGIN[o], where(first_caller[o]));
    ck_assert_msg(n_alloc[BY_BLAS] == n_free[BY_BLAS],
                  "%s: BLIS/OpenMP allocated %lu blocks and freed %lu", what,
                  n_alloc[BY_BLAS], n_free[BY_BLAS]);
    ck_assert_msg(largest[BY_BLAS] < 65536, "%s: BLIS/OpenMP allocated %zu bytes in one block",
                  what, (size_t)largest[BY_BLAS]);
    printf("# %s: BLIS/OpenMP: %lu allocations (largest %zu bytes, first from %s)\n", what,
           n_alloc[BY_BLAS], (size_t)largest[BY_BLAS], where(first_caller[BY_BLAS]));
    fflush(stdout);
}

/* ---------------- fixtures ---------------- */

#define IN 64
#define HID 256
#define OUT 8
#define N_TRAIN 256
#define STEPS 100

static uint64_t lcg = 0x2545F4914F6CDD1Dull;
static double uniform_pm1(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) * 0x1p-53 * 2.0 - 1.0;
}

typedef struct fixture {
    mech_ctx *ctx;
    mech_model *model;
    mech_data *train;
    mech_optimizer *opt;
    mech_run *run;
    double x[N_TRAIN * IN], y[N_TRAIN * OUT];
} fixture;

/* A relu MLP IN-HID-HID-OUT with biases on N_TRAIN random examples; chunks
 * of 128 rows make the full-batch evaluation take two GEMM passes large
 * enough for BLIS's packed (not small-matrix) path. */
static void make_model(fixture *f, int threads, mech_precision prec)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < N_TRAIN * IN; i++) f->x[i] = uniform_pm1();
    for (size_t i = 0; i < N_TRAIN * OUT; i++) f->y[i] = uniform_pm1();
    ck_assert_ok(mech_ctx_create(&f->ctx));
    ck_assert_ok(mech_ctx_set_i64(f->ctx, MECH_CTX_THREADS, threads));
    ck_assert_ok(mech_model_create(&f->model, f->ctx, MECH_MODEL_MLP));
    const size_t w[4] = {IN, HID, HID, OUT};
    ck_assert_ok(mech_model_set_widths(f->model, w, 4));
    ck_assert_ok(mech_model_set_i64(f->model, MECH_MODEL_ACTIVATION, MECH_ACT_RELU));
    ck_assert_ok(mech_model_set_i64(f->model, MECH_MODEL_BIAS, 1));
    ck_assert_ok(mech_model_set_i64(f->model, MECH_MODEL_MAX_BATCH, 128));
    ck_assert_ok(mech_model_set_i64(f->model, MECH_MODEL_PRECISION, prec));
    ck_assert_ok(mech_model_setup(f->model));
}

static void make_run(fixture *f, mech_run_mode mode, mech_optimizer_kind kind,
                     mech_precision prec)
{
    make_model(f, 1, prec);
    ck_assert_ok(mech_data_create_arrays(&f->train, f->ctx, f->x, f->y, N_TRAIN, IN, OUT,
                                         MECH_COPY));
    ck_assert_ok(mech_optimizer_create(&f->opt, f->ctx, kind, mech_model_num_params(f->model)));
    ck_assert_ok(mech_optimizer_set_f64(f->opt, MECH_OPTIMIZER_LR, 1e-3));
    ck_assert_ok(mech_run_create(&f->run, f->ctx, f->model, MECH_LOSS_MSE, f->train, f->opt));
    ck_assert_ok(mech_run_set_i64(f->run, MECH_RUN_MODE, mode));
    if (mode == MECH_RUN_MINIBATCH) ck_assert_ok(mech_run_set_i64(f->run, MECH_RUN_BATCH, 32));
    /* Probe rows (a full train-loss evaluation each) every 10 steps: the
     * trace reserves its 1 + 101/10 rows at setup, for the whole run. */
    ck_assert_ok(mech_run_set_i64(f->run, MECH_RUN_PROBE_EVERY, 10));
    ck_assert_ok(mech_run_set_i64(f->run, MECH_RUN_MAX_STEPS, 1 + STEPS));
    ck_assert_ok(mech_run_setup(f->run));
}

static void teardown(fixture *f)
{
    mech_run_destroy(f->run);
    mech_optimizer_destroy(f->opt);
    mech_data_destroy(f->train);
    mech_model_destroy(f->model);
    mech_ctx_destroy(f->ctx);
}

/* Warm-up execute of one step, then STEPS steps inside the window. */
static void check_run(mech_run_mode mode, mech_optimizer_kind kind, mech_precision prec,
                      const char *what)
{
    static fixture f; /* large arrays: not on the stack */
    make_run(&f, mode, kind, prec);
    ck_assert_ok(mech_run_set_i64(f.run, MECH_RUN_MAX_STEPS, 1));
    ck_assert_ok(mech_run_execute(f.run));
    ck_assert_ok(mech_run_set_i64(f.run, MECH_RUN_MAX_STEPS, 1 + STEPS));

    window_open();
    const mech_status st = mech_run_execute(f.run);
    window_close();

    ck_assert_ok(st);
    uint64_t steps = 0;
    ck_assert_ok(mech_run_step_count(f.run, &steps));
    ck_assert_uint_eq(steps, 1 + STEPS);
    const mech_trace *tr = NULL;
    ck_assert_ok(mech_run_trace(f.run, &tr));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 11); /* steps 0, 10, ..., 100 */
    check_window(what);
    teardown(&f);
}

/* ---------------- checks ---------------- */

/* The window sees the library's own allocations: without this the zero
 * counts below would prove nothing. */
static bool interposed(void)
{
    mech_ctx *ctx = NULL;
    window_open();
    const mech_status st = mech_ctx_create(&ctx);
    mech_ctx_destroy(ctx);
    window_close();
    /* the free is a tail call of mech_ctx_destroy: its frame is gone */
    return st == MECH_OK && n_alloc[BY_LIBRARY] > 0 && n_free[BY_OTHER] > 0;
}

START_TEST(window_counts_library_allocations)
{
    ck_assert(interposed());
}
END_TEST

START_TEST(full_batch_gd_step_allocates_nothing_of_its_own)
{
    check_run(MECH_RUN_FULL_BATCH, MECH_OPTIMIZER_GD, MECH_PREC_F64, "full batch, GD");
}
END_TEST

START_TEST(full_batch_adam_step_allocates_nothing_of_its_own)
{
    check_run(MECH_RUN_FULL_BATCH, MECH_OPTIMIZER_ADAM, MECH_PREC_F64, "full batch, Adam");
}
END_TEST

START_TEST(minibatch_sgd_step_allocates_nothing_of_its_own)
{
    /* 101 batches of 32 from 256 examples cross 12 epoch reshuffles */
    check_run(MECH_RUN_MINIBATCH, MECH_OPTIMIZER_SGD, MECH_PREC_F64, "minibatch, SGD");
}
END_TEST

START_TEST(minibatch_adam_step_allocates_nothing_of_its_own)
{
    check_run(MECH_RUN_MINIBATCH, MECH_OPTIMIZER_ADAM, MECH_PREC_F64, "minibatch, Adam");
}
END_TEST

START_TEST(f32_minibatch_adam_step_allocates_nothing_of_its_own)
{
    check_run(MECH_RUN_MINIBATCH, MECH_OPTIMIZER_ADAM, MECH_PREC_F32, "f32 minibatch, Adam");
}
END_TEST

/* Direct model calls: gradient and Hessian-vector product on a full
 * 128-row batch and on a 7-row batch (BLIS's small-matrix path). */
static void check_model_calls(int threads)
{
    static fixture f;
    make_model(&f, threads, MECH_PREC_F64);
    const size_t np = mech_model_num_params(f.model);
    double *g = calloc(np, sizeof *g), *v = calloc(np, sizeof *v), *hv = calloc(np, sizeof *hv);
    for (size_t i = 0; i < np; i++) v[i] = uniform_pm1();
    double loss = 0;
    const size_t batches[2] = {128, 7};
    for (int b = 0; b < 2; b++) { /* warm-up */
        ck_assert_ok(mech_model_gradient(f.model, MECH_LOSS_MSE, f.x, f.y, batches[b], &loss, g));
        ck_assert_ok(mech_model_hvp(f.model, MECH_LOSS_MSE, f.x, f.y, batches[b], v, hv));
    }
    mech_status st = MECH_OK;
    window_open();
    for (int i = 0; i < STEPS && st == MECH_OK; i++) {
        const size_t batch = batches[i % 2];
        st = mech_model_gradient(f.model, MECH_LOSS_MSE, f.x, f.y, batch, &loss, g);
        if (st == MECH_OK) st = mech_model_hvp(f.model, MECH_LOSS_MSE, f.x, f.y, batch, v, hv);
    }
    window_close();
    ck_assert_ok(st);
    check_window(threads > 1 ? "gradient and hvp, 2 threads" : "gradient and hvp");
    free(g);
    free(v);
    free(hv);
    teardown(&f);
}

START_TEST(gradient_and_hvp_allocate_nothing_of_their_own)
{
    check_model_calls(1);
}
END_TEST

START_TEST(gradient_and_hvp_two_threads_allocate_nothing_of_their_own)
{
    check_model_calls(2);
}
END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("steps");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, window_counts_library_allocations);
    tcase_add_test(tc, full_batch_gd_step_allocates_nothing_of_its_own);
    tcase_add_test(tc, full_batch_adam_step_allocates_nothing_of_its_own);
    tcase_add_test(tc, minibatch_sgd_step_allocates_nothing_of_its_own);
    tcase_add_test(tc, minibatch_adam_step_allocates_nothing_of_its_own);
    tcase_add_test(tc, f32_minibatch_adam_step_allocates_nothing_of_its_own);
    tcase_add_test(tc, gradient_and_hvp_allocate_nothing_of_their_own);
    tcase_add_test(tc, gradient_and_hvp_two_threads_allocate_nothing_of_their_own);
    suite_add_tcase(s, tc);
    return s;
}

/* Exit code 77 tells meson the test was skipped. */
int main(void)
{
    dl_iterate_phdr(add_spans, NULL);
    void *frames[4];
    (void)backtrace(frames, 4); /* loads the unwinder before any window */
    if (!interposed()) {
        printf("1..0 # SKIP malloc is not interposed (sanitizer or valgrind?)\n");
        return 77;
    }
    return mech_test_run(alloc_suite());
}
