/* libmechanics: the umbrella header. Users write #include <mechanics.h>. */
#ifndef MECHANICS_H
#define MECHANICS_H

#include "mechanics/version.h"
#include "mechanics/core.h"
#include "mechanics/loss.h"
#include "mechanics/model.h"

#endif /* MECHANICS_H */
