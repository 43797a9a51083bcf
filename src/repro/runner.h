/*
 * Running one reproduction: the run record behind repro_run, its JSON
 * result (the contract of `mechanics reproduce --json`) and the files it
 * leaves in the output folder. Used by src/gallery.c.
 */
#ifndef MECH_REPRO_RUNNER_H
#define MECH_REPRO_RUNNER_H

#include <stdio.h>

#include "repro.h"

/* Creates a run of def (seed, BLIS threads, quick mode, output folder
 * borrowed; the folder must exist). tty: draw a progress bar instead of
 * lines. Returns
 * NULL when out of memory or the context cannot be made (message on
 * stderr). */
repro_run *repro_run_create(const repro *def, int64_t seed, int64_t threads, bool quick,
                            const char *out_dir, bool tty);
void repro_run_destroy(repro_run *r);

/* Runs the reproduction, times it and writes <out>/<name>.plot.json and
 * <out>/<name>.json. Returns 0 when it ran (checks may fail). */
int repro_run_execute(repro_run *r);
/* Adds a file path (copied) to the artifacts and rewrites <name>.json. */
int repro_run_add_artifact(repro_run *r, const char *path);

/* True when it ran without error and every check passed. */
bool repro_run_passed(const repro_run *r);
/* The recorded error ("" if none). */
const char *repro_run_error(const repro_run *r);

/* The JSON object of the contract on one line (no newline). */
void repro_run_write_json(const repro_run *r, FILE *to);
/* A human-readable summary: a header line and one line per check. */
void repro_run_write_text(const repro_run *r, FILE *to);

#endif
