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

/* Per-step constants shared by every element of one update. */
typedef struct mech__optim_coef {
    double clip;     /* gradient scale from norm clipping (1 = none) */
    double l2;       /* weight decay added to the gradient */
    double decay;    /* decoupled (ADAMW) weight decay */
    double beta, b1, b2, eps;
    double bc1, bc2; /* bias corrections 1 - b1^k, 1 - b2^k */
} mech__optim_coef;

/* Updates parameters lo..hi-1 by the kind's rule at rate lr: p_out[i] from
 * p_in[i] and g[i] (p_out may equal p_in), state m, s in place
 * (update_kernels.h, one instance per precision). */
void mech__optim_update_f64(mech_optimizer_kind kind, const mech__optim_coef *c, double lr,
                            size_t lo, size_t hi, const double *p_in, double *p_out,
                            const double *g, double *m, double *s);
void mech__optim_update_f32(mech_optimizer_kind kind, const mech__optim_coef *c, double lr,
                            size_t lo, size_t hi, const float *p_in, float *p_out,
                            const float *g, double *m, double *s);

/* Checks the cross-option constraints of the current schedule. */
mech_status mech__optim_check_schedule(const mech_optimizer *o);
/* eta(k) under the current options; the schedule must have been checked. */
double mech__optim_lr(const mech_optimizer *o, uint64_t k);

#endif
