/* libmechanics: the umbrella header. Users write #include <mechanics.h>. */
#ifndef MECHANICS_H
#define MECHANICS_H

#include "mechanics/version.h"
#include "mechanics/core.h"
#include "mechanics/loss.h"
#include "mechanics/model.h"
#include "mechanics/rng.h"
#include "mechanics/linalg.h"
#include "mechanics/trace.h"
#include "mechanics/data.h"
#include "mechanics/optim.h"
#include "mechanics/ode.h"
#include "mechanics/committee.h"
#include "mechanics/eigenlearning.h"
#include "mechanics/laws.h"

#endif /* MECHANICS_H */
