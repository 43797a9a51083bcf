/* Private layout of the optimizer handle, shared by the files of lib/optim. */
#ifndef MECHANICS_OPTIM_INTERNAL_H
#define MECHANICS_OPTIM_INTERNAL_H

#include <stdbool.h>

#include "internal.h"
#include "mechanics/optim.h"

#define MECH_OPTIMIZER_NOPTS 14

struct mech_optimizer {
    mech_err err;
    mech_optimizer_kind kind;
    size_t n;                      /* n_params */
    mech_optval opt[MECH_OPTIMIZER_NOPTS];
    size_t n_groups;               /* >= 1 */
    size_t *group_off;             /* n_groups + 1 offsets, 0 .. n */
    double *group_mult;            /* n_groups multipliers */
    bool ready;                    /* setup done */
    uint64_t t;                    /* steps taken */
    double *m;                     /* velocity or first moment, or NULL */
    double *s;                     /* second moment, or NULL */
};

extern const mech_opttable mech__optimizer_opts;

/* Whether a kind keeps a first-moment / velocity array, a second-moment array. */
bool mech__optim_has_m(mech_optimizer_kind kind);
bool mech__optim_has_s(mech_optimizer_kind kind);

/* Checks the cross-option constraints of the current schedule. */
mech_status mech__optim_check_schedule(const mech_optimizer *o);
/* eta(k) under the current options; the schedule must have been checked. */
double mech__optim_lr(const mech_optimizer *o, uint64_t k);

#endif
