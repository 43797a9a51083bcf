/* Shared between the committee integrals and its ODE. */
#ifndef MECHANICS_COMMITTEE_INTERNAL_H
#define MECHANICS_COMMITTEE_INTERNAL_H

#include "mechanics/committee.h"
#include "internal.h"

double mech__committee_i2(mech_committee_act act, double c11, double c12, double c22);
double mech__committee_j2(mech_committee_act act, double c11, double c12, double c22);
double mech__committee_i3(mech_committee_act act, double c[3][3]);
double mech__committee_i4(mech_committee_act act, double c[4][4]);
mech_status mech__committee_check_act(mech_committee_act act);

#endif
