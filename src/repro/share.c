#include "share.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MECH_DATADIR
#define MECH_DATADIR "/usr/local/share/mechanics"
#endif

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int try_dir(const char *dir, const char *name, char *buf, size_t cap)
{
    if (!dir || !dir[0]) return 1;
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap || !is_file(buf);
}

/* <folder of the running executable>/../share/mechanics */
static int try_exe_relative(const char *name, char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 1;
    *slash = '\0';
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/../share/mechanics", exe);
    return try_dir(dir, name, buf, cap);
}

int share_find(const char *name, char *buf, size_t cap)
{
    if (!try_dir(getenv("MECHANICS_DATADIR"), name, buf, cap)) return 0;
    if (!try_exe_relative(name, buf, cap)) return 0;
    if (!try_dir(MECH_DATADIR, name, buf, cap)) return 0;
#ifdef MECH_SOURCE_SHARE
    static const char *const source_dirs[] = {MECH_SOURCE_SHARE};
    for (size_t i = 0; i < sizeof source_dirs / sizeof source_dirs[0]; i++)
        if (!try_dir(source_dirs[i], name, buf, cap)) return 0;
#endif
    return 1;
}

/* /usr/bin/python3 (Debian's, which has python3-matplotlib), else the
 * first python3 on PATH. */
static const char *python(void)
{
    if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
    const char *path = getenv("PATH");
    static char found[PATH_MAX];
    while (path && *path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && len + 9 < sizeof found) {
            snprintf(found, sizeof found, "%.*s/python3", (int)len, path);
            if (access(found, X_OK) == 0) return found;
        }
        path += len + (path[len] == ':');
    }
    return NULL;
}

plot_status plot_run(const char *dir, const char *name)
{
    char script[PATH_MAX];
    if (share_find("plot_gallery.py", script, sizeof script)) return PLOT_NO_SCRIPT;
    const char *py = python();
    if (!py) return PLOT_NO_PYTHON;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return PLOT_FAILED;
    if (pid == 0) {
        /* The child writes nothing to stdout: results stay machine-readable. */
        dup2(STDERR_FILENO, STDOUT_FILENO);
        char *argv[] = {(char *)py, script, (char *)dir, (char *)name, NULL};
        execv(py, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return PLOT_FAILED;
    if (!WIFEXITED(status)) return PLOT_FAILED;
    switch (WEXITSTATUS(status)) {
    case 0: return PLOT_OK;
    case 3: return PLOT_NO_MATPLOTLIB;
    case 127: return PLOT_NO_PYTHON;
    default: return PLOT_FAILED;
    }
}
