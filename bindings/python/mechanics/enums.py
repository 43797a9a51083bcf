"""Enum values by name: "relu" for MECH_ACT_RELU, "adamw" for
MECH_OPTIMIZER_ADAMW, ...

Names come from the library's own name function where the header has one
(mech_activation_name, mech_model_kind_name, ...), otherwise from the
member name in the generated _abi module without its prefix, lower-cased
(MECH_LR_COSINE -> "cosine")."""
import functools

from . import _abi
from ._loader import lib

# enum -> (member prefix, name function of the library or None)
_SOURCES = {
    "mech_activation": ("MECH_ACT_", "mech_activation_name"),
    "mech_axis": ("MECH_AXIS_", "mech_axis_name"),
    "mech_committee_act": ("MECH_COMMITTEE_", None),
    "mech_committee_integral": ("MECH_COMMITTEE_", None),
    "mech_gauss_moment": ("MECH_MOMENT_", None),
    "mech_init": ("MECH_INIT_", None),
    "mech_input_kind": ("MECH_INPUT_", None),
    "mech_layer_role": ("MECH_ROLE_", None),
    "mech_loss": ("MECH_LOSS_", "mech_loss_name"),
    "mech_lanczos_which": ("MECH_LANCZOS_", None),
    "mech_lr_schedule": ("MECH_LR_", None),
    "mech_model_kind": ("MECH_MODEL_", "mech_model_kind_name"),
    "mech_ode_method": ("MECH_ODE_", None),
    "mech_ode_stop": ("MECH_ODE_STOP_", None),
    "mech_optimizer_family": ("MECH_OPTFAM_", None),
    "mech_optimizer_kind": ("MECH_OPTIMIZER_", "mech_optimizer_kind_name"),
    "mech_ownership": ("MECH_", None),
    "mech_parametrization": ("MECH_PARAM_", "mech_parametrization_name"),
    "mech_powerlaw_kind": ("MECH_POWERLAW_", None),
    "mech_precision": ("MECH_PREC_", None),
    "mech_probe_kind": ("MECH_PROBE_", "mech_probe_kind_name"),
    "mech_run_mode": ("MECH_RUN_", "mech_run_mode_name"),
    "mech_run_stop": ("MECH_RUN_STOP_", None),
    "mech_sampling": ("MECH_SAMPLE_", None),
    "mech_trace_format": ("MECH_TRACE_", None),
}


@functools.lru_cache(maxsize=None)
def table(enum):
    """{name: value} of a C enum (e.g. table("mech_activation")["relu"] == 1)."""
    prefix, namer = _SOURCES[enum]
    out = {}
    for member, value in _abi.ENUMS[enum].items():
        name = None
        if namer is not None:
            raw = getattr(lib(), namer)(value)
            name = raw.decode("ascii") if raw else None
        out[name or member[len(prefix):].lower()] = value
    return out


def value(enum, name, what=None):
    """The enum value for a name (case-insensitive) or an int passed through;
    ValueError listing the accepted names otherwise."""
    if isinstance(name, str):
        try:
            return table(enum)[name.lower()]
        except KeyError:
            raise ValueError(f"unknown {what or enum} {name!r}; expected one of "
                             f"{', '.join(sorted(table(enum)))}") from None
    if isinstance(name, bool) or not hasattr(name, "__index__"):
        raise TypeError(f"{what or enum}: expected a name or an enum value, got {name!r}")
    return name.__index__()


def name(enum, value_):
    """The name of an enum value (the int itself if unknown)."""
    for key, v in table(enum).items():
        if v == value_:
            return key
    return value_
