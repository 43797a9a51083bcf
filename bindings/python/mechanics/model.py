"""Model: networks with exact gradients, Hessian-vector products, JVP/VJP
and the empirical NTK (mechanics/model.h), including models whose forward
pass and derivatives are Python callables (Model.from_callbacks).

Arrays are row-major: inputs x batch x in_dim, outputs batch x out_dim,
parameter-shaped arrays n_params long. Enum-valued options and arguments
take names: kind "mlp", activation "relu", parametrization "mup",
init "balanced", precision "f32", loss "mse", ..."""
import ctypes
import os

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .callbacks import Guard, store, view
from .errors import ShapeError, check
from .handle import Handle, ctx_handle, new_handle


def param_rule(parametrization, family, role, fan_in, fan_out, base_fan_in=None,
               base_fan_out=None):
    """The parametrization table (mech_param_rule): {'init_var',
    'multiplier', 'lr_scale'} for one tensor. parametrization "sp", "ntk",
    "mup", "meanfield"; family "sgd" or "adam"; role "input", "hidden",
    "output", "bias". Base fans default to the actual fans."""
    init_var, mult, lr_scale = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check(lib().mech_param_rule(
        enums.value("mech_parametrization", parametrization, "parametrization"),
        enums.value("mech_optimizer_family", family, "optimizer family"),
        enums.value("mech_layer_role", role, "layer role"), fan_in, fan_out,
        fan_in if base_fan_in is None else base_fan_in,
        fan_out if base_fan_out is None else base_fan_out,
        ctypes.byref(init_var), ctypes.byref(mult), ctypes.byref(lr_scale)))
    return {"init_var": init_var.value, "multiplier": mult.value, "lr_scale": lr_scale.value}


class Model(Handle):
    """Model(kind, widths, ctx=None, **options): creates, configures and sets
    up a model. kind: "linear", "deep_linear", "mlp", "committee",
    "random_features", "diagonal" (callback models: Model.from_callbacks).
    widths: [in_dim, hidden..., out_dim]. options by name (see
    Model.option_names()): activation, bias, parametrization, base_width,
    output_mult, init_scale, init, max_batch, precision,
    train_second_layer, sigma_w, sigma_b, init_stream, linear_layers (the
    first hidden layers without activation: an embedding before the
    MLP). alignment=(u, v)
    supplies the target singular vectors for init="aligned". ctx (a
    Context) is kept alive by the model."""

    _prefix = "model"
    _enum_options = {"activation": "mech_activation",
                     "parametrization": "mech_parametrization",
                     "init": "mech_init", "precision": "mech_precision"}

    def __init__(self, kind, widths, ctx=None, *, alignment=None, **options):
        super().__init__(new_handle(_abi.mech_model, lib().mech_model_create,
                                    ctx_handle(ctx),
                                    enums.value("mech_model_kind", kind, "model kind")))
        self._ctx = ctx
        self._guard = Guard()
        try:
            self._set_widths(widths)
            self._set_all(options)
            if alignment is not None:
                u, v = alignment
                du, (_, rank) = as_input(u, "u", 2)
                dv, _ = as_input(v, "v", 2)
                check(lib().mech_model_set_alignment(self.handle, du, dv, rank))
            self._setup()
        except BaseException:
            self.close()
            raise

    def _set_widths(self, widths):
        widths = [int(w) for w in widths]
        arr = (ctypes.c_size_t * len(widths))(*widths)
        check(lib().mech_model_set_widths(self.handle, arr, len(widths)))

    def _setup(self):
        check(lib().mech_model_setup(self.handle))

    @classmethod
    def _adopt(cls, ptr, ctx=None):
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr)
        obj._ctx, obj._guard = ctx, Guard()
        return obj

    @classmethod
    def from_callbacks(cls, n_params, in_dim, out_dim, forward, vjp, jvp, hvp2=None,
                       ctx=None, params=None, **options):
        """A model defined by Python callables over arrays (numpy arrays when
        numpy is installed, else memoryviews; inputs read-only and valid
        only during the call):
          forward(params, x) -> f               (batch x out_dim)
          vjp(params, x, u) -> J^T u            (n_params)
          jvp(params, x, v) -> J v              (batch x out_dim)
          hvp2(params, x, g, v) -> sum_io g_io (d^2 f_io/dparams^2) v   (optional;
              without it hvp() is the Gauss-Newton product)
        An exception in a callback aborts the library call, which raises
        CallbackError chained to it. Parameters start at zero (or params)."""
        obj = cls.__new__(cls)
        Handle.__init__(obj, new_handle(_abi.mech_model, lib().mech_model_create,
                                        ctx_handle(ctx), _abi.MECH_MODEL_CALLBACK))
        obj._ctx, obj._guard = ctx, Guard()
        try:
            obj._set_widths([in_dim, out_dim])
            obj._set_all(options)
            obj._thunks = _callback_thunks(obj._guard, forward, vjp, jvp, hvp2)
            check(lib().mech_model_set_callbacks(obj.handle, n_params, *obj._thunks, None))
            obj._setup()
            if params is not None:
                obj.params = params
        except BaseException:
            obj.close()
            raise
        return obj

    # ---- structure ----
    @property
    def num_params(self):
        return lib().mech_model_num_params(self.handle)

    @property
    def num_layers(self):
        return lib().mech_model_num_layers(self.handle)

    @property
    def dims(self):
        """(in_dim, out_dim)."""
        i, o = ctypes.c_size_t(), ctypes.c_size_t()
        check(lib().mech_model_dims(self.handle, ctypes.byref(i), ctypes.byref(o)))
        return i.value, o.value

    @property
    def in_dim(self):
        return self.dims[0]

    @property
    def out_dim(self):
        return self.dims[1]

    @property
    def kind(self):
        k, p = _abi.mech_model_kind(), _abi.mech_parametrization()
        check(lib().mech_model_info(self.handle, ctypes.byref(k), ctypes.byref(p)))
        return enums.name("mech_model_kind", k.value)

    @property
    def parametrization(self):
        return self.get("parametrization")

    def layer(self, index):
        """{'offset', 'rows', 'cols', 'bias_offset', 'weight_mult',
        'bias_mult'} of a weight layer; offsets are None for frozen layers
        or absent biases."""
        off, rows, cols, boff = (ctypes.c_size_t() for _ in range(4))
        check(lib().mech_model_layer_info(self.handle, index, ctypes.byref(off),
                                          ctypes.byref(rows), ctypes.byref(cols),
                                          ctypes.byref(boff)))
        wm, bm = ctypes.c_double(), ctypes.c_double()
        check(lib().mech_model_layer_multipliers(self.handle, index, ctypes.byref(wm),
                                                 ctypes.byref(bm)))
        none = ctypes.c_size_t(-1).value
        return {"offset": None if off.value == none else off.value, "rows": rows.value,
                "cols": cols.value, "bias_offset": None if boff.value == none else boff.value,
                "weight_mult": wm.value, "bias_mult": bm.value}

    @property
    def layer_info(self):
        """layer(i) for every weight layer."""
        return [self.layer(i) for i in range(self.num_layers)]

    def layer_weights(self, index):
        """Stored weights of a layer (frozen ones too), rows x cols."""
        info = self.layer(index)
        out = Array((info["rows"], info["cols"]))
        check(lib().mech_model_get_layer_weights(self.handle, index, out.ctypes_data,
                                                 out.size))
        return out

    def lr_multipliers(self, family="sgd"):
        """(group_offsets, multipliers) of the parametrization's per-tensor
        learning rates, ready for Optimizer.set_groups."""
        n = lib().mech_model_num_lr_groups(self.handle)
        offsets = (ctypes.c_size_t * (n + 1))()
        mult = Array((n,))
        check(lib().mech_model_lr_multipliers(
            self.handle, enums.value("mech_optimizer_family", family, "optimizer family"),
            offsets, mult.ctypes_data, n))
        return list(offsets), mult

    # ---- parameters ----
    @property
    def params(self):
        """A copy of the trainable parameters (Array); assign any array of
        n_params doubles to replace them."""
        out = Array((self.num_params,))
        check(lib().mech_model_get_params(self.handle, out.ctypes_data, out.size))
        return out

    @params.setter
    def params(self, value):
        data, shape = as_input(value, "params", 1)
        check(lib().mech_model_set_params(self.handle, data, shape[0]))

    def reinit(self, stream):
        """Draws every parameter again, as a fresh model with
        init_stream=stream would have them (not for callback models)."""
        check(lib().mech_model_reinit(self.handle, stream))

    # ---- execution ----
    def _x(self, x, name="x"):
        data, shape = as_input(x, name)
        in_dim = self.in_dim
        if len(shape) == 1 and in_dim == 1:
            shape = (shape[0], 1)
        if len(shape) != 2 or shape[1] != in_dim:
            raise ShapeError(f"{name}: expected shape (batch, {in_dim}), got {shape}")
        return data, shape[0]

    def _rows(self, a, batch, name):
        """An input of shape batch x out_dim."""
        data, shape = as_input(a, name)
        out_dim = self.out_dim
        if tuple(shape) not in ((batch, out_dim),) + (((batch,),) if out_dim == 1 else ()):
            raise ShapeError(f"{name}: expected shape ({batch}, {out_dim}), got {shape}")
        return data

    def _vec(self, v, name):
        data, shape = as_input(v, name, 1)
        if shape[0] != self.num_params:
            raise ShapeError(f"{name}: expected {self.num_params} entries, got {shape[0]}")
        return data

    def _call(self, fn, *args):
        return self._guard.call(fn, self.handle, *args)

    def forward(self, x):
        """f(x), batch x out_dim (batch <= max_batch)."""
        dx, batch = self._x(x)
        out = Array((batch, self.out_dim))
        self._call(lib().mech_model_forward, dx, batch, out.ctypes_data)
        return out

    def __call__(self, x):
        return self.forward(x)

    def gradient(self, x, y, loss="mse"):
        """(loss value, gradient Array) of the batch loss ("mse" is
        (1/2n) sum (f - y)^2; "softmax_ce", "logistic")."""
        dx, batch = self._x(x)
        dy = self._rows(y, batch, "y")
        value, grad = ctypes.c_double(), Array((self.num_params,))
        self._call(lib().mech_model_gradient, enums.value("mech_loss", loss, "loss"),
                   dx, dy, batch, ctypes.byref(value), grad.ctypes_data)
        return value.value, grad

    def loss(self, x, y, loss="mse"):
        """The batch loss value."""
        return self.gradient(x, y, loss)[0]

    def hvp(self, x, y, v, loss="mse"):
        """Hessian-vector product of the batch loss (exact; Gauss-Newton for
        callback models without hvp2)."""
        dx, batch = self._x(x)
        dy = self._rows(y, batch, "y")
        out = Array((self.num_params,))
        self._call(lib().mech_model_hvp, enums.value("mech_loss", loss, "loss"), dx, dy,
                   batch, self._vec(v, "v"), out.ctypes_data)
        return out

    def hvp_prepare(self, x, y, loss="mse"):
        """Prepares many Hessian-vector products on one batch at the current
        parameters: runs the forward pass once and keeps copies of x and y.
        hvp_apply(v) then equals hvp(x, y, v, loss) bit for bit, faster.
        Any other execution call or parameter change ends the preparation
        (hvp_apply then raises StateError)."""
        dx, batch = self._x(x)
        dy = self._rows(y, batch, "y")
        self._call(lib().mech_model_hvp_prepare, enums.value("mech_loss", loss, "loss"), dx, dy,
                   batch)

    def hvp_apply(self, v):
        """H v on the batch given to hvp_prepare."""
        out = Array((self.num_params,))
        self._call(lib().mech_model_hvp_apply, self._vec(v, "v"), out.ctypes_data)
        return out

    def jvp(self, x, v):
        """J v, batch x out_dim."""
        dx, batch = self._x(x)
        out = Array((batch, self.out_dim))
        self._call(lib().mech_model_jvp, dx, batch, self._vec(v, "v"), out.ctypes_data)
        return out

    def vjp(self, x, u):
        """J^T u for u batch x out_dim, n_params long."""
        dx, batch = self._x(x)
        out = Array((self.num_params,))
        self._call(lib().mech_model_vjp, dx, batch, self._rows(u, batch, "u"),
                   out.ctypes_data)
        return out

    def ntk(self, x1, x2=None):
        """Empirical NTK J(x1) J(x2)^T, (n1 out_dim) x (n2 out_dim); x2
        defaults to x1."""
        d1, n1 = self._x(x1, "x1")
        d2, n2 = (d1, n1) if x2 is None else self._x(x2, "x2")
        o = self.out_dim
        out = Array((n1 * o, n2 * o))
        self._call(lib().mech_model_ntk, d1, n1, d2, n2, out.ctypes_data)
        return out

    def activations(self, x, layer):
        """Post-activations of hidden layer `layer`, batch x width."""
        dx, batch = self._x(x)
        width = self.layer(layer)["rows"]
        out = Array((batch, width))
        self._call(lib().mech_model_activations, dx, batch, layer, out.ctypes_data)
        return out

    # ---- files ----
    def save(self, path):
        """Writes structure, options and parameters (not callback models)."""
        check(lib().mech_model_save(self.handle, os.fspath(path).encode("utf-8")))

    @classmethod
    def load(cls, path, ctx=None):
        """A set-up model from a file written by save()."""
        return cls._adopt(new_handle(_abi.mech_model, lib().mech_model_load,
                                     ctx_handle(ctx), os.fspath(path).encode("utf-8")), ctx)


def _callback_thunks(guard, forward, vjp, jvp, hvp2):
    """The four CFUNCTYPE objects of a callback model (hvp2 NULL if None)."""
    def c_forward(params, n_params, x, batch, in_dim, out, out_dim, _ud):
        f = forward(view(params, (n_params,)), view(x, (batch, in_dim)))
        store(out, (batch, out_dim), f, "forward")

    def c_vjp(params, n_params, x, batch, in_dim, u, out_dim, grad, _ud):
        g = vjp(view(params, (n_params,)), view(x, (batch, in_dim)),
                view(u, (batch, out_dim)))
        store(grad, (n_params,), g, "vjp")

    def c_jvp(params, n_params, x, batch, in_dim, v, out, out_dim, _ud):
        f = jvp(view(params, (n_params,)), view(x, (batch, in_dim)), view(v, (n_params,)))
        store(out, (batch, out_dim), f, "jvp")

    def c_hvp2(params, n_params, x, batch, in_dim, g, out_dim, v, hv, _ud):
        h = hvp2(view(params, (n_params,)), view(x, (batch, in_dim)),
                 view(g, (batch, out_dim)), view(v, (n_params,)))
        store(hv, (n_params,), h, "hvp2")

    return (_abi.mech_model_forward_fn(guard.wrap(c_forward)),
            _abi.mech_model_vjp_fn(guard.wrap(c_vjp)),
            _abi.mech_model_jvp_fn(guard.wrap(c_jvp)),
            _abi.mech_model_hvp2_fn(guard.wrap(c_hvp2)) if hvp2 is not None
            else _abi.mech_model_hvp2_fn())
