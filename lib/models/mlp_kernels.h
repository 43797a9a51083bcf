/* Forward, backward and R-operator passes of the network kinds and of the
 * diagonal linear network, written once over a REAL type. Included by
 * mlp_f64.c and mlp_f32.c, which define:
 *   REAL  element type;  SFX(name)  name with a precision suffix;
 *   GEMM  mech_gemm or mech_gemm_f32.
 * Batches are rows: every layer is one GEMM over batch x width matrices.
 *
 * Notation (layer l, multipliers a = w_mult, c = b_mult, in = h_{l-1}):
 *   forward   Z = a in W^T + c b,                 H = phi(Z)
 *   backward  gW = a D^T in, gb = c sum_rows D,   dH_{l-1} = a D W,
 *             D_{l-1} = dH_{l-1} . phi'(Z_{l-1})
 *   R-forward RZ = a (R{in} W^T + in V^T) + c Vb, RH = phi'(Z) . RZ
 *   R-backward R{gW} = a (RD^T in + D^T R{in}),   R{dH} = a (RD W + D V),
 *             RD_{l-1} = R{dH} . phi'(Z) + dH . phi''(Z) . RZ
 * where V is the direction's block for W (zero for frozen layers). */

#define WS(m, off) ((REAL *)(m)->ws + (off))

static const REAL *SFX(weights)(const mech_model *m, const mech__layer *L)
{
    return (const REAL *)(L->trainable ? m->theta : m->frozen) + L->w_off;
}

static const REAL *SFX(bias)(const mech_model *m, const mech__layer *L)
{
    return (const REAL *)(L->trainable ? m->theta : m->frozen) + L->b_off;
}

/* Z[i][j] += c * b[j] over batch rows. */
static void SFX(add_bias)(REAL *z, const REAL *b, double c, size_t batch, size_t n)
{
    for (size_t i = 0; i < batch; i++)
        for (size_t j = 0; j < n; j++) z[i * n + j] += (REAL)(c * b[j]);
}

/* gb[j] = c * sum_i d[i][j]. */
static void SFX(sum_rows)(REAL *gb, const REAL *d, double c, size_t batch, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t i = 0; i < batch; i++) s += d[i * n + j];
        gb[j] = (REAL)(c * s);
    }
}

static const REAL *SFX(layer_input)(const mech_model *m, size_t l, const REAL *x)
{
    return l == 0 ? x : WS(m, m->layers[l - 1].h_off);
}

static mech_status SFX(mlp_forward)(mech_model *m, const void *xv, size_t batch)
{
    const REAL *x = xv;
    for (size_t l = 0; l < m->n_layers; l++) {
        const mech__layer *L = &m->layers[l];
        REAL *z = WS(m, L->z_off);
        MECH_TRY(GEMM(m->ctx, false, true, batch, L->rows, L->cols, (REAL)L->w_mult,
                      SFX(layer_input)(m, l, x), L->cols, SFX(weights)(m, L), L->cols,
                      (REAL)0, z, L->rows));
        if (L->b_off != SIZE_MAX) SFX(add_bias)(z, SFX(bias)(m, L), L->b_mult, batch, L->rows);
        if (l + 1 < m->n_layers) {
            REAL *h = WS(m, L->h_off);
            for (size_t i = 0; i < batch * L->rows; i++)
                h[i] = (REAL)mech__act(L->act, z[i]);
        }
    }
    return MECH_OK;
}

static mech_status SFX(mlp_rforward)(mech_model *m, const void *xv, size_t batch,
                                     const void *vv)
{
    const REAL *x = xv, *v = vv;
    for (size_t l = 0; l < m->n_layers; l++) {
        const mech__layer *L = &m->layers[l];
        REAL *rz = WS(m, L->rz_off);
        const bool rin = l > m->first_trainable; /* R{in} is nonzero */
        if (rin)
            MECH_TRY(GEMM(m->ctx, false, true, batch, L->rows, L->cols, (REAL)L->w_mult,
                          WS(m, m->layers[l - 1].rh_off), L->cols, SFX(weights)(m, L),
                          L->cols, (REAL)0, rz, L->rows));
        if (L->trainable) {
            MECH_TRY(GEMM(m->ctx, false, true, batch, L->rows, L->cols, (REAL)L->w_mult,
                          SFX(layer_input)(m, l, x), L->cols, v + L->w_off, L->cols,
                          (REAL)(rin ? 1 : 0), rz, L->rows));
            if (L->b_off != SIZE_MAX) SFX(add_bias)(rz, v + L->b_off, L->b_mult, batch, L->rows);
        } else if (!rin) {
            for (size_t i = 0; i < batch * L->rows; i++) rz[i] = 0;
        }
        if (l + 1 < m->n_layers) {
            const REAL *z = WS(m, L->z_off);
            REAL *rh = WS(m, L->rh_off);
            for (size_t i = 0; i < batch * L->rows; i++)
                rh[i] = (REAL)(mech__act_d1(L->act, z[i]) * rz[i]);
        }
    }
    return MECH_OK;
}

/* One backward pass; with rdout (and v) not NULL also the R-backward
 * pass, writing R{grad} to out instead of the gradient. */
static mech_status SFX(mlp_back)(mech_model *m, const REAL *x, size_t batch,
                                 const REAL *dout, const REAL *rdout, const REAL *v,
                                 REAL *out)
{
    const bool r = rdout != NULL;
    REAL *d = WS(m, m->d_off), *dh = WS(m, m->dh_off);
    REAL *rd = WS(m, m->rd_off), *rdh = WS(m, m->rdh_off);
    const size_t nout = batch * m->out_dim;
    for (size_t i = 0; i < nout; i++) d[i] = dout[i];
    if (r)
        for (size_t i = 0; i < nout; i++) rd[i] = rdout[i];
    for (size_t l = m->n_layers; l-- > m->first_trainable;) {
        const mech__layer *L = &m->layers[l];
        const REAL *in = SFX(layer_input)(m, l, x);
        const REAL *W = SFX(weights)(m, L);
        const bool rin = r && l > m->first_trainable;
        if (L->trainable) {
            REAL *gw = out + L->w_off;
            MECH_TRY(GEMM(m->ctx, true, false, L->rows, L->cols, batch, (REAL)L->w_mult,
                          r ? rd : d, L->rows, in, L->cols, (REAL)0, gw, L->cols));
            if (rin)
                MECH_TRY(GEMM(m->ctx, true, false, L->rows, L->cols, batch, (REAL)L->w_mult,
                              d, L->rows, WS(m, m->layers[l - 1].rh_off), L->cols, (REAL)1,
                              gw, L->cols));
            if (L->b_off != SIZE_MAX)
                SFX(sum_rows)(out + L->b_off, r ? rd : d, L->b_mult, batch, L->rows);
        }
        if (l == m->first_trainable) break;
        MECH_TRY(GEMM(m->ctx, false, false, batch, L->cols, L->rows, (REAL)L->w_mult, d,
                      L->rows, W, L->cols, (REAL)0, dh, L->cols));
        if (r) {
            MECH_TRY(GEMM(m->ctx, false, false, batch, L->cols, L->rows, (REAL)L->w_mult, rd,
                          L->rows, W, L->cols, (REAL)0, rdh, L->cols));
            if (L->trainable)
                MECH_TRY(GEMM(m->ctx, false, false, batch, L->cols, L->rows,
                              (REAL)L->w_mult, d, L->rows, v + L->w_off, L->cols, (REAL)1,
                              rdh, L->cols));
        }
        const mech__layer *P = &m->layers[l - 1];
        const REAL *z = WS(m, P->z_off), *rz = WS(m, P->rz_off);
        for (size_t i = 0; i < batch * P->rows; i++) {
            double d1 = mech__act_d1(P->act, z[i]);
            if (r)
                rd[i] = (REAL)(rdh[i] * d1 + dh[i] * mech__act_d2(P->act, z[i]) * rz[i]);
            d[i] = (REAL)(dh[i] * d1);
        }
    }
    return MECH_OK;
}

static mech_status SFX(mlp_backward)(mech_model *m, const void *x, size_t batch,
                                     const void *dout, void *grad)
{
    return SFX(mlp_back)(m, x, batch, dout, NULL, NULL, grad);
}

static mech_status SFX(mlp_rbackward)(mech_model *m, const void *x, size_t batch,
                                      const void *dout, const void *rdout, const void *v,
                                      void *hv)
{
    return SFX(mlp_back)(m, x, batch, dout, rdout, v, hv);
}

const mech__kernels SFX(mech__mlp) = {SFX(mlp_forward), SFX(mlp_backward),
                                      SFX(mlp_rforward), SFX(mlp_rbackward)};

/* ---------------- diagonal linear network ----------------
 * theta = (w+, w-), beta = w+^2 - w-^2, f = X beta. Workspace: f_off and
 * rf_off hold f and J v (batch), d_off beta, dh_off s = X^T D,
 * rd_off X^T RD, rdh_off R{beta} (d entries each). */

static mech_status SFX(diag_forward)(mech_model *m, const void *xv, size_t batch)
{
    const size_t n = m->in_dim;
    const REAL *wp = (const REAL *)m->theta, *wm = wp + n;
    REAL *beta = WS(m, m->d_off);
    for (size_t i = 0; i < n; i++) beta[i] = wp[i] * wp[i] - wm[i] * wm[i];
    return GEMM(m->ctx, false, false, batch, 1, n, (REAL)1, xv, n, beta, 1, (REAL)0,
                WS(m, m->f_off), 1);
}

static mech_status SFX(diag_rforward)(mech_model *m, const void *xv, size_t batch,
                                      const void *vv)
{
    const size_t n = m->in_dim;
    const REAL *wp = (const REAL *)m->theta, *wm = wp + n, *vp = vv, *vm = vp + n;
    REAL *rbeta = WS(m, m->rdh_off);
    for (size_t i = 0; i < n; i++) rbeta[i] = 2 * (wp[i] * vp[i] - wm[i] * vm[i]);
    return GEMM(m->ctx, false, false, batch, 1, n, (REAL)1, xv, n, rbeta, 1, (REAL)0,
                WS(m, m->rf_off), 1);
}

static mech_status SFX(diag_backward)(mech_model *m, const void *xv, size_t batch,
                                      const void *dout, void *gv)
{
    const size_t n = m->in_dim;
    const REAL *wp = (const REAL *)m->theta, *wm = wp + n;
    REAL *s = WS(m, m->dh_off), *g = gv;
    MECH_TRY(GEMM(m->ctx, true, false, n, 1, batch, (REAL)1, xv, n, dout, 1, (REAL)0, s, 1));
    for (size_t i = 0; i < n; i++) {
        g[i] = 2 * wp[i] * s[i];
        g[n + i] = -2 * wm[i] * s[i];
    }
    return MECH_OK;
}

static mech_status SFX(diag_rbackward)(mech_model *m, const void *xv, size_t batch,
                                       const void *dout, const void *rdout, const void *vv,
                                       void *hvv)
{
    const size_t n = m->in_dim;
    const REAL *wp = (const REAL *)m->theta, *wm = wp + n, *vp = vv, *vm = vp + n;
    REAL *s = WS(m, m->dh_off), *rs = WS(m, m->rd_off), *hv = hvv;
    MECH_TRY(GEMM(m->ctx, true, false, n, 1, batch, (REAL)1, xv, n, dout, 1, (REAL)0, s, 1));
    MECH_TRY(GEMM(m->ctx, true, false, n, 1, batch, (REAL)1, xv, n, rdout, 1, (REAL)0, rs, 1));
    for (size_t i = 0; i < n; i++) {
        hv[i] = 2 * (vp[i] * s[i] + wp[i] * rs[i]);
        hv[n + i] = -2 * (vm[i] * s[i] + wm[i] * rs[i]);
    }
    return MECH_OK;
}

const mech__kernels SFX(mech__diag) = {SFX(diag_forward), SFX(diag_backward),
                                       SFX(diag_rforward), SFX(diag_rbackward)};

#undef WS
