/* libmechanics: the umbrella header. Users write #include <mechanics.h>. */
#ifndef MECHANICS_H
#define MECHANICS_H

#include "mechanics/version.h"
#include "mechanics/core.h"
#include "mechanics/rng.h"
#include "mechanics/linalg.h"
#include "mechanics/trace.h"
#include "mechanics/loss.h"
#include "mechanics/model.h"
#include "mechanics/data.h"
#include "mechanics/optim.h"
#include "mechanics/ode.h"
#include "mechanics/run.h"
#include "mechanics/central_flow.h"
#include "mechanics/committee.h"
#include "mechanics/deep_linear.h"
#include "mechanics/diagonal.h"
#include "mechanics/eigenlearning.h"
#include "mechanics/kernels.h"
#include "mechanics/laws.h"
#include "mechanics/linreg.h"
#include "mechanics/metrics.h"
#include "mechanics/operator.h"
#include "mechanics/probe.h"
#include "mechanics/stability.h"

#endif /* MECHANICS_H */
