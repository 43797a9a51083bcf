/* Losses: value, output gradient and output-space Hessian products. */
#include <math.h>

#include "internal.h"
#include "mechanics/loss.h"

/* Validates the shared arguments of every loss entry point. */
static mech_status check_args(mech_loss loss, const double *f, const double *y,
                              size_t batch, size_t out_dim, const char *fn)
{
    if (!f || !y) return mech__fail(NULL, MECH_EINVAL, "%s: f or y is NULL", fn);
    if (batch == 0 || out_dim == 0)
        return mech__fail(NULL, MECH_EINVAL, "%s: batch and out_dim must be > 0", fn);
    size_t n;
    MECH_TRY(mech__mul(batch, out_dim, &n, NULL));
    switch (loss) {
    case MECH_LOSS_MSE: break;
    case MECH_LOSS_SOFTMAX_CE:
        if (out_dim < 2)
            return mech__fail(NULL, MECH_ESHAPE, "%s: softmax_ce needs out_dim >= 2", fn);
        break;
    case MECH_LOSS_LOGISTIC:
        if (out_dim != 1)
            return mech__fail(NULL, MECH_ESHAPE, "%s: logistic needs out_dim = 1", fn);
        break;
    default: return mech__fail(NULL, MECH_EINVAL, "%s: unknown loss %d", fn, (int)loss);
    }
    MECH_TRY(mech__check_finite(f, n, "f", NULL));
    MECH_TRY(mech__check_finite(y, n, "y", NULL));
    for (size_t i = 0; i < n; i++) {
        if (loss == MECH_LOSS_SOFTMAX_CE && y[i] < 0)
            return mech__fail(NULL, MECH_ERANGE, "%s: softmax_ce target y[%zu] < 0", fn, i);
        if (loss == MECH_LOSS_LOGISTIC && y[i] != -1.0 && !(y[i] >= 0 && y[i] <= 1))
            return mech__fail(NULL, MECH_ERANGE,
                              "%s: logistic target y[%zu] = %g is not -1 or in [0, 1]",
                              fn, i, y[i]);
    }
    return MECH_OK;
}

static double logistic_target(double y) { return y == -1.0 ? 0.0 : y; }

/* log(1 + e^z) without overflow. */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

static double sigmoid(double z)
{
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* Softmax of one row into p; returns logsumexp. */
static double softmax_row(const double *f, size_t k, double *p)
{
    double mx = f[0];
    for (size_t o = 1; o < k; o++) mx = fmax(mx, f[o]);
    double s = 0;
    for (size_t o = 0; o < k; o++) s += exp(f[o] - mx);
    double lse = mx + log(s);
    if (p)
        for (size_t o = 0; o < k; o++) p[o] = exp(f[o] - lse);
    return lse;
}

MECH_API mech_status mech_loss_eval(mech_loss loss, const double *f, const double *y,
                                    size_t batch, size_t out_dim, double *value,
                                    double *per_example, double *dl_df)
{
    MECH_CHECK_PTR(NULL, value);
    MECH_TRY(check_args(loss, f, y, batch, out_dim, __func__));
    const double inv_n = 1.0 / (double)batch;
    double total = 0;
    for (size_t i = 0; i < batch; i++) {
        const double *fi = f + i * out_dim, *yi = y + i * out_dim;
        double *gi = dl_df ? dl_df + i * out_dim : NULL;
        double li = 0;
        switch (loss) {
        case MECH_LOSS_MSE:
            for (size_t o = 0; o < out_dim; o++) {
                double r = fi[o] - yi[o];
                li += 0.5 * r * r;
                if (gi) gi[o] = r * inv_n;
            }
            break;
        case MECH_LOSS_SOFTMAX_CE: {
            /* dl_df = p * sum(y) - y; gi holds p first. */
            double lse = softmax_row(fi, out_dim, gi), ysum = 0;
            for (size_t o = 0; o < out_dim; o++) {
                li += yi[o] * (lse - fi[o]);
                ysum += yi[o];
            }
            if (gi)
                for (size_t o = 0; o < out_dim; o++) gi[o] = (gi[o] * ysum - yi[o]) * inv_n;
            break;
        }
        case MECH_LOSS_LOGISTIC: {
            double t = logistic_target(yi[0]);
            li = softplus(fi[0]) - t * fi[0];
            if (gi) gi[0] = (sigmoid(fi[0]) - t) * inv_n;
            break;
        }
        }
        if (per_example) per_example[i] = li;
        total += li;
    }
    *value = total * inv_n;
    return MECH_OK;
}

MECH_API mech_status mech_loss_hvp_output(mech_loss loss, const double *f, const double *y,
                                          size_t batch, size_t out_dim, const double *r,
                                          double *out)
{
    MECH_CHECK_PTR(NULL, r);
    MECH_CHECK_PTR(NULL, out);
    MECH_TRY(check_args(loss, f, y, batch, out_dim, __func__));
    MECH_TRY(mech__check_finite(r, batch * out_dim, "r", NULL));
    const double inv_n = 1.0 / (double)batch;
    for (size_t i = 0; i < batch; i++) {
        const double *fi = f + i * out_dim, *yi = y + i * out_dim, *ri = r + i * out_dim;
        double *hi = out + i * out_dim;
        switch (loss) {
        case MECH_LOSS_MSE:
            for (size_t o = 0; o < out_dim; o++) hi[o] = ri[o] * inv_n;
            break;
        case MECH_LOSS_SOFTMAX_CE: {
            /* H = sum(y) (diag p - p p^T); hi holds p first, so out must
             * not alias r (documented). */
            double ysum = 0, pr = 0;
            softmax_row(fi, out_dim, hi);
            for (size_t o = 0; o < out_dim; o++) {
                ysum += yi[o];
                pr += hi[o] * ri[o];
            }
            for (size_t o = 0; o < out_dim; o++)
                hi[o] = ysum * hi[o] * (ri[o] - pr) * inv_n;
            break;
        }
        case MECH_LOSS_LOGISTIC: {
            double s = sigmoid(fi[0]);
            hi[0] = s * (1 - s) * ri[0] * inv_n;
            break;
        }
        }
    }
    return MECH_OK;
}

static size_t argmax_row(const double *v, size_t k)
{
    size_t best = 0;
    for (size_t o = 1; o < k; o++)
        if (v[o] > v[best]) best = o;
    return best;
}

MECH_API mech_status mech_loss_accuracy(mech_loss loss, const double *f, const double *y,
                                        size_t batch, size_t out_dim, double *accuracy)
{
    MECH_CHECK_PTR(NULL, accuracy);
    MECH_TRY(check_args(loss, f, y, batch, out_dim, __func__));
    size_t hits = 0;
    for (size_t i = 0; i < batch; i++) {
        const double *fi = f + i * out_dim, *yi = y + i * out_dim;
        bool ok;
        if (out_dim > 1)
            ok = argmax_row(fi, out_dim) == argmax_row(yi, out_dim);
        else if (loss == MECH_LOSS_LOGISTIC)
            ok = (fi[0] > 0) == (logistic_target(yi[0]) > 0.5);
        else
            ok = (fi[0] > 0) == (yi[0] > 0);
        hits += ok;
    }
    *accuracy = (double)hits / (double)batch;
    return MECH_OK;
}

MECH_API const char *mech_loss_name(mech_loss loss)
{
    switch (loss) {
    case MECH_LOSS_MSE: return "mse";
    case MECH_LOSS_SOFTMAX_CE: return "softmax_ce";
    case MECH_LOSS_LOGISTIC: return "logistic";
    }
    return "unknown";
}
