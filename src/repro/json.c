#include "json.h"

#include <math.h>

void json_string(FILE *to, const char *s)
{
    fputc('"', to);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(to, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", to);
        else if (*p < 0x20) fprintf(to, "\\u%04x", *p);
        else fputc(*p, to);
    }
    fputc('"', to);
}

void json_number(FILE *to, double v)
{
    if (isfinite(v)) fprintf(to, "%.17g", v);
    else fputs("null", to);
}
