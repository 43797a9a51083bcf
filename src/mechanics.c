/*
 * The mechanics command: a thin front end over the public API.
 *
 *   mechanics [--threads N] [--seed S] COMMAND
 *
 * Results go to stdout, progress and errors to stderr. Each command is one
 * entry in COMMANDS; adding a command means adding a function and a row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mechanics.h>

#include "cli.h"

typedef struct command {
    const char *name;
    command_fn run;
    const char *summary;
} command;

static int cmd_help(const cli *opts, int argc, char **argv);
static int cmd_version(const cli *opts, int argc, char **argv);
static int cmd_demo(const cli *opts, int argc, char **argv);

static const command COMMANDS[] = {
    {"help", cmd_help, "list the commands"},
    {"version", cmd_version, "library, BLIS and header versions; thread count"},
    {"demo", cmd_demo, "short smoke run of the library's main pieces"},
    {"list", cmd_list, "the gallery of reproductions, their sources and sizes"},
    {"reproduce", cmd_reproduce,
     "NAME|all [--quick] [--out DIR] [--json] [--seed S]: theory vs experiment"},
    {"plot", cmd_plot, "DIR: draw the figures of a reproduce output folder"},
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

/* Reports a failed library call on stderr; returns the exit code 1. */
static int fail(const char *what, int status, const char *message)
{
    fprintf(stderr, "mechanics: %s: %s (%s)\n", what,
            message && message[0] ? message : mech_status_str(status),
            mech_status_name(status));
    return 1;
}

/* Creates a context configured from the global options. */
static int open_ctx(const cli *opts, mech_ctx **ctx)
{
    int st = mech_ctx_create(ctx);
    if (st != MECH_OK) return fail("creating the context", st, mech_last_error());
    if ((st = mech_ctx_set_i64(*ctx, MECH_CTX_THREADS, opts->threads)) != MECH_OK ||
        (st = mech_ctx_set_i64(*ctx, MECH_CTX_SEED, opts->seed)) != MECH_OK) {
        int rc = fail("configuring the context", st, mech_ctx_last_error(*ctx));
        mech_ctx_destroy(*ctx);
        *ctx = NULL;
        return rc;
    }
    return 0;
}

static int no_arguments(const char *name, int argc, char **argv)
{
    if (argc == 0) return 0;
    fprintf(stderr, "mechanics %s: unexpected argument '%s'\n", name, argv[0]);
    return 2;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: mechanics [--threads N] [--seed S] COMMAND\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(to, "\noptions:\n"
                "  --threads N  threads BLIS may use per call (default 1)\n"
                "  --seed S     master seed of the random streams (default 0)\n");
}

static int cmd_help(const cli *opts, int argc, char **argv)
{
    (void)opts;
    int rc = no_arguments("help", argc, argv);
    if (rc) return rc;
    usage(stdout);
    return 0;
}

static int cmd_version(const cli *opts, int argc, char **argv)
{
    int rc = no_arguments("version", argc, argv);
    if (rc) return rc;
    mech_ctx *ctx = NULL;
    if ((rc = open_ctx(opts, &ctx))) return rc;
    int64_t threads = 0;
    int st = mech_ctx_get_i64(ctx, MECH_CTX_THREADS, &threads);
    if (st != MECH_OK) rc = fail("reading the thread count", st, mech_ctx_last_error(ctx));
    else {
        printf("libmechanics %s (headers %s)\n", mech_version_string(), MECH_VERSION_STRING);
        printf("BLIS %s\n", mech_blis_version());
        printf("threads %" PRId64 "\n", threads);
    }
    mech_ctx_destroy(ctx);
    return rc;
}

/* Prints every option of a handle kind with its bounds and description. */
static int print_options(mech_kind kind, const char *label)
{
    int count = 0;
    int st = mech_option_count(kind, &count);
    if (st != MECH_OK) return fail("counting options", st, mech_last_error());
    printf("%s options:\n", label);
    for (int key = 0; key < count; key++) {
        const char *name = NULL, *doc = NULL;
        double lo = 0, hi = 0;
        if ((st = mech_option_name(kind, key, &name)) != MECH_OK ||
            (st = mech_option_doc(kind, key, &doc)) != MECH_OK ||
            (st = mech_option_bounds(kind, key, &lo, &hi)) != MECH_OK)
            return fail("describing an option", st, mech_last_error());
        printf("  %-10s [%g, %g]  %s\n", name, lo, hi, doc);
    }
    return 0;
}

/* Draws normal samples on stream 0 of the context's seed and prints their
 * sample mean and variance (about 0 and 1, within a few times 1/sqrt(n)). */
static int demo_rng(const mech_ctx *ctx, int64_t seed)
{
    enum { N = 10000 };
    static double x[N];
    mech_rng *rng = NULL;
    int st = mech_rng_create(&rng, ctx, 0);
    if (st != MECH_OK) return fail("creating a generator", st, mech_last_error());
    st = mech_rng_normal(rng, x, N, 0.0, 1.0);
    if (st != MECH_OK) {
        int rc = fail("drawing normal samples", st, mech_rng_last_error(rng));
        mech_rng_destroy(rng);
        return rc;
    }
    mech_rng_destroy(rng);
    double mean = 0, var = 0;
    for (int i = 0; i < N; i++) mean += x[i] / N;
    for (int i = 0; i < N; i++) var += (x[i] - mean) * (x[i] - mean) / (N - 1);
    printf("%d normal draws (seed %" PRId64 "): first %.6f, mean %.4f, variance %.4f\n",
           N, seed, x[0], mean, var);
    return 0;
}

/* Runs what the library offers so far; each step reports on stderr. */
static int cmd_demo(const cli *opts, int argc, char **argv)
{
    int rc = no_arguments("demo", argc, argv);
    if (rc) return rc;
    fprintf(stderr, "demo: creating a context\n");
    mech_ctx *ctx = NULL;
    if ((rc = open_ctx(opts, &ctx))) return rc;
    printf("libmechanics %s on BLIS %s\n", mech_version_string(), mech_blis_version());

    fprintf(stderr, "demo: listing the context's options\n");
    if ((rc = print_options(MECH_KIND_CTX, "context"))) goto done;

    /* A rejected setting must come back as a status with a message while
     * the context stays usable. */
    fprintf(stderr, "demo: checking that bad input is reported\n");
    int st = mech_ctx_set_i64(ctx, MECH_CTX_THREADS, 0);
    if (st == MECH_OK) {
        fprintf(stderr, "mechanics demo: threads = 0 was accepted\n");
        rc = 1;
        goto done;
    }
    printf("threads = 0 rejected: %s: %s\n", mech_status_name(st), mech_ctx_last_error(ctx));
    int64_t threads = 0;
    if ((st = mech_ctx_get_i64(ctx, MECH_CTX_THREADS, &threads)) != MECH_OK) {
        rc = fail("reading the thread count", st, mech_ctx_last_error(ctx));
        goto done;
    }
    printf("context still usable: threads = %" PRId64 "\n", threads);

    fprintf(stderr, "demo: drawing normal samples from the context's seed\n");
    if ((rc = demo_rng(ctx, opts->seed))) goto done;
    fprintf(stderr, "demo: done\n");
done:
    mech_ctx_destroy(ctx);
    return rc;
}

int cli_parse_i64(const char *flag, const char *text, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = text ? strtoll(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < 0) {
        fprintf(stderr, "mechanics: %s needs a non-negative integer, got '%s'\n", flag,
                text ? text : "");
        return 2;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    cli opts = {.threads = 1, .seed = 0};
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        int64_t *slot = strcmp(argv[i], "--threads") == 0 ? &opts.threads
                      : strcmp(argv[i], "--seed") == 0    ? &opts.seed
                                                          : NULL;
        if (!slot) {
            if (strcmp(argv[i], "--help") == 0) return cmd_help(&opts, 0, NULL);
            fprintf(stderr, "mechanics: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
        int rc = cli_parse_i64(argv[i], i + 1 < argc ? argv[i + 1] : NULL, slot);
        if (rc) return rc;
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (strcmp(argv[i], COMMANDS[c].name) == 0)
            return COMMANDS[c].run(&opts, argc - i - 1, argv + i + 1);
    fprintf(stderr, "mechanics: unknown command '%s' (try 'mechanics help')\n", argv[i]);
    return 2;
}
