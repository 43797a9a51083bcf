/* Minimal JSON writing for the gallery's results and figure specs. */
#ifndef MECH_REPRO_JSON_H
#define MECH_REPRO_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal (quoted, escaped). */
void json_string(FILE *to, const char *s);
/* Writes a number with 17 significant digits (exact round trip); NaN and
 * infinities, which JSON lacks, as null. */
void json_number(FILE *to, double v);

#endif
