/* Files installed with the command (share/mechanics) and the plotter. */
#ifndef MECH_REPRO_SHARE_H
#define MECH_REPRO_SHARE_H

#include <stddef.h>

/* Finds a data file shipped with the command, in order: $MECHANICS_DATADIR,
 * <executable>/../share/mechanics, the compiled-in datadir, the source tree
 * (running from a build folder). Writes the path into buf; 0 if found. */
int share_find(const char *name, char *buf, size_t cap);

typedef enum plot_status {
    PLOT_OK = 0,
    PLOT_NO_SCRIPT,     /* plot_gallery.py not found */
    PLOT_NO_PYTHON,     /* no python3 to run it */
    PLOT_NO_MATPLOTLIB, /* python3 without matplotlib (script exit code 3) */
    PLOT_FAILED         /* the script failed otherwise */
} plot_status;

/* Runs plot_gallery.py on dir for one reproduction (name) or every figure
 * spec in dir (name NULL). The script writes its messages to stderr. */
plot_status plot_run(const char *dir, const char *name);

#endif
