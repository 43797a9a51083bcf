/*
 * The gallery commands: `list`, `reproduce NAME|all` and `plot DIR`
 * (docs/gallery.md). Results go to files in the output folder and to
 * stdout; progress, warnings and errors to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "repro/runner.h"
#include "repro/share.h"

#define DEFAULT_OUT "mechanics-gallery"

int cmd_list(const cli *opts, int argc, char **argv)
{
    (void)opts;
    if (argc > 0) {
        fprintf(stderr, "mechanics list: unexpected argument '%s'\n", argv[0]);
        return 2;
    }
    printf("%-14s %-60s %s\n", "name", "compares", "source");
    for (size_t i = 0; i < N_REPROS; i++)
        printf("%-14s %-60s %s\n", REPROS[i]->name, REPROS[i]->summary, REPROS[i]->reference);
    printf("\nquick sizes (--quick):\n");
    for (size_t i = 0; i < N_REPROS; i++)
        printf("  %-12s %s\n", REPROS[i]->name, REPROS[i]->quick_size);
    printf("full sizes:\n");
    for (size_t i = 0; i < N_REPROS; i++)
        printf("  %-12s %s\n", REPROS[i]->name, REPROS[i]->full_size);
    return 0;
}

static const repro *find_repro(const char *name)
{
    for (size_t i = 0; i < N_REPROS; i++)
        if (strcmp(REPROS[i]->name, name) == 0) return REPROS[i];
    return NULL;
}

/* mkdir -p dir, then proves it writable by creating and removing a file. */
static int prepare_out_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        fprintf(stderr, "mechanics reproduce: output folder name too long\n");
        return 1;
    }
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "mechanics reproduce: cannot create output folder '%s': %s\n",
                        path, strerror(errno));
                return 1;
            }
            if (end) break;
            *p = '/';
        }
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.mechanics-write-test-XXXXXX", dir);
    int fd = mkstemp(probe);
    if (fd < 0) {
        fprintf(stderr, "mechanics reproduce: cannot write to output folder '%s': %s\n", dir,
                strerror(errno));
        return 1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

static const char *plot_problem(plot_status st)
{
    switch (st) {
    case PLOT_NO_SCRIPT: return "plot_gallery.py is not installed (looked in $MECHANICS_DATADIR, "
                                "<bindir>/../share/mechanics and the configured datadir)";
    case PLOT_NO_PYTHON: return "python3 was not found";
    case PLOT_NO_MATPLOTLIB: return "matplotlib is not installed "
                                    "(Debian: apt-get install python3-matplotlib)";
    default: return "the plotting script failed (its message is above)";
    }
}

typedef struct reproduce_args {
    const char *name, *out;
    bool quick, json;
    int64_t seed, threads;
} reproduce_args;

static int parse_reproduce(const cli *opts, int argc, char **argv, reproduce_args *a)
{
    *a = (reproduce_args){.out = DEFAULT_OUT, .seed = opts->seed, .threads = opts->threads};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--quick") == 0) a->quick = true;
        else if (strcmp(arg, "--json") == 0) a->json = true;
        else if (strcmp(arg, "--out") == 0 || strcmp(arg, "--seed") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                fprintf(stderr, "mechanics reproduce: %s needs a value\n", arg);
                return 2;
            }
            if (arg[2] == 'o') a->out = argv[++i];
            else if (cli_parse_i64("--seed", argv[++i], &a->seed)) return 2;
        } else if (arg[0] == '-') {
            fprintf(stderr, "mechanics reproduce: unknown option '%s'\n", arg);
            return 2;
        } else if (a->name) {
            fprintf(stderr, "mechanics reproduce: one NAME or 'all' (got '%s' and '%s')\n",
                    a->name, arg);
            return 2;
        } else a->name = arg;
    }
    if (!a->name) {
        fprintf(stderr, "usage: mechanics reproduce NAME|all [--quick] [--out DIR] [--json] "
                        "[--seed S]\n(names: 'mechanics list')\n");
        return 2;
    }
    if (strcmp(a->name, "all") != 0 && !find_repro(a->name)) {
        fprintf(stderr, "mechanics reproduce: unknown reproduction '%s'; the names are:",
                a->name);
        for (size_t i = 0; i < N_REPROS; i++) fprintf(stderr, " %s", REPROS[i]->name);
        fprintf(stderr, " (or 'all')\n");
        return 2;
    }
    return 0;
}

/* Runs one reproduction, draws its figure when it can, prints its result.
 * *plotting is cleared after the first plotting problem (warned once). */
static bool reproduce_one(const repro *def, const reproduce_args *a, bool *plotting)
{
    repro_run *r = repro_run_create(def, a->seed, a->threads, a->quick, a->out,
                                    isatty(STDERR_FILENO));
    if (!r) return false;
    int rc = repro_run_execute(r);
    if (*plotting) {
        plot_status st = plot_run(a->out, def->name);
        char png[4200];
        snprintf(png, sizeof png, "%s/%s.png", a->out, def->name);
        if (st == PLOT_OK) repro_run_add_artifact(r, png);
        else {
            fprintf(stderr, "mechanics: warning: no figure for %s: %s; the data are kept in "
                            "'%s' (draw later with 'mechanics plot %s')\n",
                    def->name, plot_problem(st), a->out, a->out);
            if (st != PLOT_FAILED) *plotting = false;
        }
    }
    if (a->json) {
        repro_run_write_json(r, stdout);
        putchar('\n');
    } else {
        repro_run_write_text(r, stdout);
    }
    fflush(stdout);
    if (rc && repro_run_error(r)[0])
        fprintf(stderr, "mechanics: %s: %s\n", def->name, repro_run_error(r));
    bool passed = repro_run_passed(r);
    repro_run_destroy(r);
    return passed;
}

int cmd_reproduce(const cli *opts, int argc, char **argv)
{
    reproduce_args a;
    int rc = parse_reproduce(opts, argc, argv, &a);
    if (rc) return rc;
    if (prepare_out_dir(a.out)) return 1;
    bool all = strcmp(a.name, "all") == 0, plotting = true;
    size_t failed = 0, ran = 0;
    for (size_t i = 0; i < N_REPROS; i++) {
        if (!all && strcmp(REPROS[i]->name, a.name) != 0) continue;
        ran++;
        if (!reproduce_one(REPROS[i], &a, &plotting)) failed++;
    }
    if (all || failed)
        fprintf(stderr, "mechanics: %zu of %zu reproductions passed; results in '%s'\n",
                ran - failed, ran, a.out);
    return failed ? 1 : 0;
}

int cmd_plot(const cli *opts, int argc, char **argv)
{
    (void)opts;
    if (argc != 1) {
        fprintf(stderr, "usage: mechanics plot DIR (a folder written by 'mechanics reproduce')\n");
        return 2;
    }
    struct stat st;
    if (stat(argv[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mechanics plot: '%s' is not a folder\n", argv[0]);
        return 1;
    }
    plot_status ps = plot_run(argv[0], NULL);
    if (ps != PLOT_OK) {
        fprintf(stderr, "mechanics plot: cannot draw the figures: %s\n", plot_problem(ps));
        return 1;
    }
    return 0;
}
