/* Version of the loaded library and of the BLIS underneath it. */
#include <blis.h>

#include "internal.h"

MECH_API int mech_version(void) { return MECH_VERSION_NUMBER; }

MECH_API const char *mech_version_string(void) { return MECH_VERSION_STRING; }

MECH_API const char *mech_blis_version(void) { return bli_info_get_version_str(); }
