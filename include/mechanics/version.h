/* libmechanics version macros (the version the headers describe). Compare
 * with mech_version() to detect a mismatched shared library at run time. */
#ifndef MECHANICS_VERSION_H
#define MECHANICS_VERSION_H

#define MECH_VERSION_MAJOR 0
#define MECH_VERSION_MINOR 1
#define MECH_VERSION_PATCH 0
#define MECH_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define MECH_VERSION_NUMBER \
    (MECH_VERSION_MAJOR * 10000 + MECH_VERSION_MINOR * 100 + MECH_VERSION_PATCH)

#endif /* MECHANICS_VERSION_H */
