/* Activation functions and their first two derivatives (evaluated in
 * double for both precisions). */
#include <math.h>

#include "activation.h"

static const double INV_SQRT2 = 0.70710678118654752440;
static const double INV_SQRT2PI = 0.39894228040143267794;
static const double TWO_OVER_SQRTPI = 1.12837916709551257390;

static double sigmoid(double z)
{
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

double mech__act(mech_activation a, double z)
{
    switch (a) {
    case MECH_ACT_IDENTITY: return z;
    case MECH_ACT_RELU: return z > 0 ? z : 0;
    case MECH_ACT_TANH: return tanh(z);
    case MECH_ACT_ERF: return erf(z);
    case MECH_ACT_SCALED_ERF: return erf(z * INV_SQRT2);
    case MECH_ACT_GELU: return 0.5 * z * (1 + erf(z * INV_SQRT2));
    case MECH_ACT_SOFTPLUS: return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
    case MECH_ACT_QUADRATIC: return z * z;
    }
    return z;
}

double mech__act_d1(mech_activation a, double z)
{
    switch (a) {
    case MECH_ACT_IDENTITY: return 1;
    case MECH_ACT_RELU: return z > 0 ? 1 : 0;
    case MECH_ACT_TANH: {
        double t = tanh(z);
        return 1 - t * t;
    }
    case MECH_ACT_ERF: return TWO_OVER_SQRTPI * exp(-z * z);
    case MECH_ACT_SCALED_ERF: return 2 * INV_SQRT2PI * exp(-0.5 * z * z);
    case MECH_ACT_GELU:
        return 0.5 * (1 + erf(z * INV_SQRT2)) + z * INV_SQRT2PI * exp(-0.5 * z * z);
    case MECH_ACT_SOFTPLUS: return sigmoid(z);
    case MECH_ACT_QUADRATIC: return 2 * z;
    }
    return 1;
}

double mech__act_d2(mech_activation a, double z)
{
    switch (a) {
    case MECH_ACT_IDENTITY:
    case MECH_ACT_RELU: return 0;
    case MECH_ACT_TANH: {
        double t = tanh(z);
        return -2 * t * (1 - t * t);
    }
    case MECH_ACT_ERF: return -2 * z * TWO_OVER_SQRTPI * exp(-z * z);
    case MECH_ACT_SCALED_ERF: return -z * 2 * INV_SQRT2PI * exp(-0.5 * z * z);
    case MECH_ACT_GELU: return INV_SQRT2PI * exp(-0.5 * z * z) * (2 - z * z);
    case MECH_ACT_SOFTPLUS: {
        double s = sigmoid(z);
        return s * (1 - s);
    }
    case MECH_ACT_QUADRATIC: return 2;
    }
    return 0;
}

MECH_API const char *mech_activation_name(mech_activation a)
{
    switch (a) {
    case MECH_ACT_IDENTITY: return "identity";
    case MECH_ACT_RELU: return "relu";
    case MECH_ACT_TANH: return "tanh";
    case MECH_ACT_ERF: return "erf";
    case MECH_ACT_SCALED_ERF: return "scaled_erf";
    case MECH_ACT_GELU: return "gelu";
    case MECH_ACT_SOFTPLUS: return "softplus";
    case MECH_ACT_QUADRATIC: return "quadratic";
    }
    return "unknown";
}
