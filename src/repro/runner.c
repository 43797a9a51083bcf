/* The run record of one reproduction and everything a reproduction calls
 * (repro.h): checks, errors, artifacts, the figure spec, progress. */
#include "runner.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

enum { MAX_CHECKS = 32, MAX_ARTIFACTS = 24, MAX_PANELS = 6, MAX_SERIES = 64, PATH_LEN = 4096 };

typedef struct check_rec {
    char metric[96];
    double value, tolerance;
    repro_cmp cmp;
    bool pass;
} check_rec;

typedef struct panel_rec {
    char title[128], xlabel[96], ylabel[96], xscale[8], yscale[8];
} panel_rec;

typedef struct series_rec {
    size_t panel;
    char stem[64], x[64], y[64], kind[16], label[96];
} series_rec;

struct repro_run {
    const repro *def;
    mech_ctx *ctx;
    int64_t seed;
    bool quick, tty, ran;
    const char *out_dir;
    double seconds;
    char error[512];
    char message[128]; /* the last progress message */
    check_rec checks[MAX_CHECKS];
    size_t n_checks;
    char artifacts[MAX_ARTIFACTS][PATH_LEN];
    size_t n_artifacts;
    panel_rec panels[MAX_PANELS];
    size_t n_panels;
    series_rec series[MAX_SERIES];
    size_t n_series;
};

/* Copies src into a fixed buffer; 1 (and repro_fail) if it does not fit. */
static int copy_field(repro_run *r, char *dst, size_t cap, const char *src, const char *what)
{
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= cap) return repro_fail(r, "%s '%.40s...' is too long", what, src);
    memcpy(dst, src, n + 1);
    return 0;
}

repro_run *repro_run_create(const repro *def, int64_t seed, int64_t threads, bool quick,
                            const char *out_dir, bool tty)
{
    repro_run *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "mechanics: out of memory\n");
        return NULL;
    }
    *r = (repro_run){.def = def, .seed = seed, .quick = quick, .tty = tty, .out_dir = out_dir};
    mech_status st = mech_ctx_create(&r->ctx);
    if (st == MECH_OK) st = mech_ctx_set_i64(r->ctx, MECH_CTX_SEED, seed);
    if (st == MECH_OK) st = mech_ctx_set_i64(r->ctx, MECH_CTX_THREADS, threads);
    if (st != MECH_OK) {
        fprintf(stderr, "mechanics: creating a context: %s\n", mech_last_error());
        repro_run_destroy(r);
        return NULL;
    }
    return r;
}

void repro_run_destroy(repro_run *r)
{
    if (!r) return;
    mech_ctx_destroy(r->ctx);
    free(r);
}

bool repro_quick(const repro_run *r) { return r->quick; }
int64_t repro_seed(const repro_run *r) { return r->seed; }
const mech_ctx *repro_ctx(const repro_run *r) { return r->ctx; }

bool repro_check(repro_run *r, const char *metric, double value, double tolerance,
                 repro_cmp cmp)
{
    bool pass = cmp == REPRO_AT_MOST ? value <= tolerance : value >= tolerance;
    if (r->n_checks == MAX_CHECKS) {
        repro_fail(r, "more than %d checks", MAX_CHECKS);
        return false;
    }
    check_rec *c = &r->checks[r->n_checks];
    if (copy_field(r, c->metric, sizeof c->metric, metric, "check name")) return false;
    c->value = value;
    c->tolerance = tolerance;
    c->cmp = cmp;
    c->pass = pass; /* false for NaN either way */
    r->n_checks++;
    return pass;
}

int repro_fail(repro_run *r, const char *fmt, ...)
{
    if (r->error[0]) return 1; /* keep the first (root) cause */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    return 1;
}

int repro_ok(repro_run *r, mech_status st, const char *what)
{
    if (st == MECH_OK) return 0;
    const char *msg = mech_last_error();
    return repro_fail(r, "%s: %s (%s)", what, msg && msg[0] ? msg : mech_status_str(st),
                      mech_status_name(st));
}

/* <out>/<name><suffix> into buf; 1 if it does not fit. */
static int out_path(repro_run *r, char *buf, size_t cap, const char *name, const char *suffix)
{
    int n = snprintf(buf, cap, "%s/%s%s", r->out_dir, name, suffix);
    if (n < 0 || (size_t)n >= cap) return repro_fail(r, "output path too long");
    return 0;
}

static int add_artifact(repro_run *r, const char *path)
{
    for (size_t i = 0; i < r->n_artifacts; i++)
        if (strcmp(r->artifacts[i], path) == 0) return 0;
    if (r->n_artifacts == MAX_ARTIFACTS) return repro_fail(r, "too many artifacts");
    if (copy_field(r, r->artifacts[r->n_artifacts], PATH_LEN, path, "artifact path")) return 1;
    r->n_artifacts++;
    return 0;
}

int repro_save_trace(repro_run *r, mech_trace *tr, const char *stem)
{
    if (repro_ok(r, mech_trace_set_meta(tr, "reproduction", r->def->name), "trace metadata") ||
        repro_ok(r, mech_trace_set_meta(tr, "reference", r->def->reference), "trace metadata") ||
        repro_ok(r, mech_trace_set_meta(tr, "quick", r->quick ? "1" : "0"), "trace metadata"))
        return 1;
    static const char *const ext[] = {".csv", ".npz"};
    static const mech_trace_format fmt[] = {MECH_TRACE_CSV, MECH_TRACE_NPZ};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_LEN];
        if (out_path(r, path, sizeof path, stem, ext[i])) return 1;
        if (repro_ok(r, mech_trace_save(tr, path, fmt[i]), path) || add_artifact(r, path))
            return 1;
    }
    return 0;
}

int repro_panel(repro_run *r, const char *title, const char *xlabel, const char *ylabel,
                const char *xscale, const char *yscale)
{
    if (r->n_panels == MAX_PANELS) return repro_fail(r, "more than %d panels", MAX_PANELS);
    panel_rec *p = &r->panels[r->n_panels];
    if (copy_field(r, p->title, sizeof p->title, title, "panel title") ||
        copy_field(r, p->xlabel, sizeof p->xlabel, xlabel, "x label") ||
        copy_field(r, p->ylabel, sizeof p->ylabel, ylabel, "y label") ||
        copy_field(r, p->xscale, sizeof p->xscale, xscale, "x scale") ||
        copy_field(r, p->yscale, sizeof p->yscale, yscale, "y scale"))
        return 1;
    r->n_panels++;
    return 0;
}

int repro_series(repro_run *r, const char *stem, const char *x, const char *y,
                 const char *kind, const char *label)
{
    if (r->n_panels == 0) return repro_fail(r, "a series needs a panel first");
    if (r->n_series == MAX_SERIES) return repro_fail(r, "more than %d series", MAX_SERIES);
    series_rec *s = &r->series[r->n_series];
    s->panel = r->n_panels - 1;
    if (copy_field(r, s->stem, sizeof s->stem, stem, "series file") ||
        copy_field(r, s->x, sizeof s->x, x, "x column") ||
        copy_field(r, s->y, sizeof s->y, y, "y column") ||
        copy_field(r, s->kind, sizeof s->kind, kind, "series kind") ||
        copy_field(r, s->label, sizeof s->label, label, "series label"))
        return 1;
    r->n_series++;
    return 0;
}

void repro_progress(repro_run *r, double fraction, const char *message)
{
    bool new_message = strncmp(r->message, message, sizeof r->message - 1) != 0;
    snprintf(r->message, sizeof r->message, "%s", message);
    if (r->tty) {
        enum { WIDTH = 24 };
        double f = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
        int filled = (int)(f * WIDTH + 0.5);
        fprintf(stderr, "\r%-14s [%.*s%*s] %3d%% %.60s\033[K", r->def->name, filled,
                "########################", WIDTH - filled, "", (int)(100 * f + 0.5),
                message);
        fflush(stderr);
    } else if (new_message) {
        fprintf(stderr, "%s: %s\n", r->def->name, message);
    }
}

int repro_compare(repro_run *r, const mech_trace *tr, const char *pred, const char *meas,
                  double rel_floor, mech_comparison *out)
{
    *out = (mech_comparison){.size = sizeof *out};
    char what[160];
    snprintf(what, sizeof what, "comparing %s with %s", meas, pred);
    return repro_ok(r, mech_trace_compare(tr, pred, tr, meas, NAN, NAN, rel_floor, out), what);
}

int repro_trace(repro_run *r, mech_trace **out, mech_axis axis, const char *const *cols)
{
    *out = NULL;
    if (repro_ok(r, mech_trace_create(out, r->ctx, axis), "creating a trace")) return 1;
    for (size_t i = 0; cols && cols[i]; i++)
        if (repro_ok(r, mech_trace_add_column(*out, cols[i], NULL), "adding a trace column")) {
            mech_trace_destroy(*out);
            *out = NULL;
            return 1;
        }
    return 0;
}

/* <out>/<name>.plot.json: which file and columns each curve comes from. */
static int write_plot_spec(repro_run *r)
{
    if (r->n_panels == 0) return 0;
    char path[PATH_LEN];
    if (out_path(r, path, sizeof path, r->def->name, ".plot.json")) return 1;
    FILE *f = fopen(path, "w");
    if (!f) return repro_fail(r, "cannot write %s", path);
    fprintf(f, "{\"name\":");
    json_string(f, r->def->name);
    fprintf(f, ",\"reference\":");
    json_string(f, r->def->reference);
    fprintf(f, ",\"summary\":");
    json_string(f, r->def->summary);
    fprintf(f, ",\"panels\":[");
    for (size_t p = 0; p < r->n_panels; p++) {
        const panel_rec *pr = &r->panels[p];
        fprintf(f, "%s\n {\"title\":", p ? "," : "");
        json_string(f, pr->title);
        fprintf(f, ",\"xlabel\":");
        json_string(f, pr->xlabel);
        fprintf(f, ",\"ylabel\":");
        json_string(f, pr->ylabel);
        fprintf(f, ",\"xscale\":");
        json_string(f, pr->xscale);
        fprintf(f, ",\"yscale\":");
        json_string(f, pr->yscale);
        fprintf(f, ",\"series\":[");
        bool first = true;
        for (size_t i = 0; i < r->n_series; i++) {
            const series_rec *s = &r->series[i];
            if (s->panel != p) continue;
            fprintf(f, "%s\n  {\"file\":", first ? "" : ",");
            first = false;
            char file[96];
            snprintf(file, sizeof file, "%s.csv", s->stem);
            json_string(f, file);
            fprintf(f, ",\"x\":");
            json_string(f, s->x);
            fprintf(f, ",\"y\":");
            json_string(f, s->y);
            fprintf(f, ",\"kind\":");
            json_string(f, s->kind);
            fprintf(f, ",\"label\":");
            json_string(f, s->label);
            fputc('}', f);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "]}\n");
    if (fclose(f) != 0) return repro_fail(r, "cannot write %s", path);
    return add_artifact(r, path);
}

/* <out>/<name>.json: the contract object. */
static int write_result(repro_run *r)
{
    char path[PATH_LEN];
    if (out_path(r, path, sizeof path, r->def->name, ".json")) return 1;
    FILE *f = fopen(path, "w");
    if (!f) return repro_fail(r, "cannot write %s", path);
    repro_run_write_json(r, f);
    fputc('\n', f);
    if (fclose(f) != 0) return repro_fail(r, "cannot write %s", path);
    return 0;
}

int repro_run_execute(repro_run *r)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    repro_progress(r, 0.0, "starting");
    int rc = r->def->run(r);
    if (rc && !r->error[0]) repro_fail(r, "failed without a message");
    if (r->n_checks == 0 && !r->error[0]) repro_fail(r, "recorded no checks");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    r->ran = true;
    repro_progress(r, 1.0, r->error[0] ? "error" : "done");
    if (r->tty) fputc('\n', stderr);
    /* Keep whatever was computed: the spec and result are written even
     * after an error. */
    int wrote = write_plot_spec(r);
    char path[PATH_LEN];
    if (!out_path(r, path, sizeof path, r->def->name, ".json")) add_artifact(r, path);
    wrote |= write_result(r);
    return rc || wrote || r->error[0];
}

int repro_run_add_artifact(repro_run *r, const char *path)
{
    return add_artifact(r, path) || write_result(r);
}

bool repro_run_passed(const repro_run *r)
{
    if (!r->ran || r->error[0] || r->n_checks == 0) return false;
    for (size_t i = 0; i < r->n_checks; i++)
        if (!r->checks[i].pass) return false;
    return true;
}

const char *repro_run_error(const repro_run *r) { return r->error; }

static void write_check(FILE *to, const check_rec *c)
{
    fprintf(to, "{\"metric\":");
    json_string(to, c->metric);
    fprintf(to, ",\"value\":");
    json_number(to, c->value);
    fprintf(to, ",\"tolerance\":");
    json_number(to, c->tolerance);
    fprintf(to, ",\"comparison\":\"%s\",\"pass\":%s}", c->cmp == REPRO_AT_MOST ? "<=" : ">=",
            c->pass ? "true" : "false");
}

void repro_run_write_json(const repro_run *r, FILE *to)
{
    const check_rec *primary = r->n_checks ? &r->checks[0] : NULL;
    fprintf(to, "{\"name\":");
    json_string(to, r->def->name);
    fprintf(to, ",\"reference\":");
    json_string(to, r->def->reference);
    fprintf(to, ",\"metric\":");
    if (primary) json_string(to, primary->metric);
    else fputs("null", to);
    fprintf(to, ",\"value\":");
    json_number(to, primary ? primary->value : NAN);
    fprintf(to, ",\"tolerance\":");
    json_number(to, primary ? primary->tolerance : NAN);
    fprintf(to, ",\"pass\":%s,\"checks\":[", repro_run_passed(r) ? "true" : "false");
    for (size_t i = 0; i < r->n_checks; i++) {
        if (i) fputc(',', to);
        write_check(to, &r->checks[i]);
    }
    fprintf(to, "],\"seconds\":");
    json_number(to, r->seconds);
    fprintf(to, ",\"artifacts\":[");
    for (size_t i = 0; i < r->n_artifacts; i++) {
        if (i) fputc(',', to);
        json_string(to, r->artifacts[i]);
    }
    fprintf(to, "],\"seed\":%lld,\"quick\":%s,\"error\":", (long long)r->seed,
            r->quick ? "true" : "false");
    if (r->error[0]) json_string(to, r->error);
    else fputs("null", to);
    fputc('}', to);
}

void repro_run_write_text(const repro_run *r, FILE *to)
{
    fprintf(to, "%-14s %s  %.1f s  (%s)\n", r->def->name,
            repro_run_passed(r) ? "PASS" : r->error[0] ? "ERROR" : "FAIL", r->seconds,
            r->def->reference);
    for (size_t i = 0; i < r->n_checks; i++) {
        const check_rec *c = &r->checks[i];
        fprintf(to, "  %-4s %-52s %-12.4g %s %.4g\n", c->pass ? "ok" : "FAIL", c->metric,
                c->value, c->cmp == REPRO_AT_MOST ? "<=" : ">=", c->tolerance);
    }
    if (r->error[0]) fprintf(to, "  error: %s\n", r->error);
}
