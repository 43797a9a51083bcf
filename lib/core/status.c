/* Status codes: static descriptions and symbolic names. */
#include "internal.h"

typedef struct status_entry {
    int code;
    const char *name;
    const char *text;
} status_entry;

static const status_entry STATUS[] = {
    {MECH_OK, "MECH_OK", "success"},
    {MECH_STOPPED, "MECH_STOPPED", "stopped early by a callback"},
    {MECH_EINVAL, "MECH_EINVAL", "invalid argument"},
    {MECH_ENOMEM, "MECH_ENOMEM", "out of memory"},
    {MECH_ESHAPE, "MECH_ESHAPE", "array shapes do not agree"},
    {MECH_ERANGE, "MECH_ERANGE", "value out of range"},
    {MECH_ENONFINITE, "MECH_ENONFINITE", "NaN or infinite value"},
    {MECH_EOVERFLOW, "MECH_EOVERFLOW", "size overflow"},
    {MECH_EIO, "MECH_EIO", "input/output error"},
    {MECH_EFORMAT, "MECH_EFORMAT", "malformed or truncated data"},
    {MECH_ENOTFOUND, "MECH_ENOTFOUND", "not found"},
    {MECH_ESTATE, "MECH_ESTATE", "invalid in the current state"},
    {MECH_ENOCONV, "MECH_ENOCONV", "did not converge"},
    {MECH_EDIVERGED, "MECH_EDIVERGED", "training diverged"},
    {MECH_ECALLBACK, "MECH_ECALLBACK", "a callback aborted"},
    {MECH_ELINALG, "MECH_ELINALG", "linear algebra failure"},
    {MECH_EUNSUPPORTED, "MECH_EUNSUPPORTED", "not supported"},
    {MECH_EVERSION, "MECH_EVERSION", "version mismatch"},
};

static const status_entry *find(int status)
{
    for (size_t i = 0; i < sizeof STATUS / sizeof STATUS[0]; i++)
        if (STATUS[i].code == status) return &STATUS[i];
    return NULL;
}

MECH_API const char *mech_status_str(int status)
{
    const status_entry *s = find(status);
    return s ? s->text : "unknown status";
}

MECH_API const char *mech_status_name(int status)
{
    const status_entry *s = find(status);
    return s ? s->name : "MECH_UNKNOWN";
}
