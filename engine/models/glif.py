"""NEST's glif_cond: the Allen Institute's generalized LIF models GLIF1-5 with alpha conductances.

The three flags choose the variant (as in NEST, other combinations are not
GLIF models): GLIF1 ``False, False, False`` (LIF), GLIF2 ``True, False, False``
(reset rules), GLIF3 ``False, True, False`` (after-spike currents), GLIF4
``True, True, False`` and GLIF5 ``True, True, True`` (adapting threshold) for
``spike_dependent_threshold, after_spike_currents, adapting_threshold``.

NEST integrates ``V_m`` and the conductances with GSL's adaptive RKF45, as the
library does (``NEST_GSL_METHOD``, docs/integration.md), and updates the
threshold components and after-spike currents with exact exponential decay
once per step, from the values at the start of the step; ``V_m`` sees the
after-spike current of the previous step.  The ``run_regularly`` statements
reproduce that order (``I_asc`` is the after-spike current acting on ``V_m`` in
the step, ``V_prev`` the membrane potential at its start, which the reset of
GLIF2/4/5 uses).
"""

from __future__ import annotations

from typing import Sequence

from engine.equations.model import ModelSpec, Receptor
from engine.errors import ModelError
from engine.models.base import NEST_GSL_METHOD, LibraryModel, ParamInfo

_CITATION = ("Teeter C, Iyer R, Menon V, et al. (2018) Generalized leaky integrate-and-fire models classify "
             "multiple neuron types. Nat Commun 9:709. doi:10.1038/s41467-017-02717-4")

_EQUATIONS = """
dV_m/dt = (-g_m*(V_m - E_L){conductances} + I_e + I_stim + I_asc)/C_m : volt (unless refractory)
{ports}asc_mean = {asc_mean} : amp
beta = (I_e + I_stim + ASCurrents_sum)/g_m : volt
phi = th_voltage_index/(th_voltage_decay - g_m/C_m) : 1
th_voltage_step = (phi*(V_m - E_L - beta)*exp(-g_m*dt/C_m)
                   + exp(-th_voltage_decay*dt)*(threshold_voltage - phi*(V_m - E_L - beta)
                                                - th_voltage_index/th_voltage_decay*beta)
                   + th_voltage_index/th_voltage_decay*beta) : volt
{currents}ASCurrents_sum : amp
I_asc : amp
threshold_spike : volt
threshold_voltage : volt
threshold : volt
V_prev : volt
g_m : siemens
E_L : volt
C_m : farad
t_ref : second
V_th : volt
V_reset : volt
th_spike_add : volt
th_spike_decay : 1/second
voltage_reset_fraction : 1
voltage_reset_add : volt
th_voltage_index : 1/second
th_voltage_decay : 1/second
{current_params}{port_params}spike_dependent_threshold : boolean
after_spike_currents : boolean
adapting_threshold : boolean
I_e : amp
I_stim : amp
"""
_PORT = """dg_{k}/dt = dg_{k} - g_{k}/tau_syn_{k} : siemens
ddg_{k}/dt = -dg_{k}/tau_syn_{k} : siemens/second
"""
_CURRENT_PARAMS = """asc_init_{k} : amp
asc_decay_{k} : 1/second
asc_amps_{k} : amp
asc_r_{k} : 1
"""

# Start of each step: NEST's exact updates (made after its ODE step, from start-of-step values).
_RUN_REGULARLY = """
V_prev = V_m
I_asc = ASCurrents_sum
ASCurrents_sum = (asc_mean if not_refractory else ASCurrents_sum) if after_spike_currents else 0*pA
{decays}threshold_spike = (threshold_spike*exp(-th_spike_decay*dt) if not_refractory else threshold_spike) if spike_dependent_threshold else threshold_spike
threshold_voltage = (th_voltage_step if not_refractory else threshold_voltage) if adapting_threshold else threshold_voltage
threshold = V_th + threshold_spike + threshold_voltage
"""
_DECAY = ("ASCurrents_{k} = (ASCurrents_{k}*exp(-asc_decay_{k}*dt) if not_refractory else ASCurrents_{k}) "
          "if after_spike_currents else ASCurrents_{k}\n")

_RESET = """{jumps}V_m = E_L + voltage_reset_fraction*(V_prev - E_L) + voltage_reset_add if spike_dependent_threshold else V_reset
threshold_spike = threshold_spike*exp(-th_spike_decay*t_ref) + th_spike_add if spike_dependent_threshold else threshold_spike
threshold = V_th + threshold_spike + threshold_voltage
"""
_JUMP = ("ASCurrents_{k} = asc_amps_{k} + ASCurrents_{k}*asc_r_{k}*exp(-asc_decay_{k}*t_ref) "
         "if after_spike_currents else ASCurrents_{k}\n")

_PARAMS = (
    ParamInfo("g_m", "9.43 nS", "membrane conductance (NEST docs: g)", "0.1 nS", "1000 nS"),
    ParamInfo("E_L", "-78.85 mV", "resting membrane potential", "-120 mV", "0 mV"),
    ParamInfo("C_m", "58.72 pF", "membrane capacitance", "1 pF", "10000 pF"),
    ParamInfo("t_ref", "3.75 ms", "absolute refractory period (V_m held)", "0.1 ms", "100 ms"),
    ParamInfo("V_th", "-51.68 mV", "instantaneous threshold at rest (th_inf)", "-100 mV", "50 mV"),
    ParamInfo("V_reset", "-78.85 mV", "reset potential of GLIF1/3", "-120 mV", "0 mV"),
    ParamInfo("th_spike_add", "0.37 mV", "threshold jump at a spike (GLIF2/4/5)", "0 mV", "50 mV"),
    ParamInfo("th_spike_decay", "0.009 1/ms", "decay rate of the spike threshold component", "0.0001 1/ms",
              "10 1/ms"),
    ParamInfo("voltage_reset_fraction", "0.2", "fraction of V_m - E_L kept at reset (GLIF2/4/5)", "0", "1"),
    ParamInfo("voltage_reset_add", "18.51 mV", "voltage added at reset (GLIF2/4/5)", "-50 mV", "50 mV"),
    ParamInfo("th_voltage_index", "0.005 1/ms", "coupling a of V_m to the threshold (GLIF5)", "0 1/ms", "10 1/ms"),
    ParamInfo("th_voltage_decay", "0.09 1/ms", "decay rate b of the voltage threshold component (GLIF5)",
              "0.0001 1/ms", "10 1/ms"),
    ParamInfo("spike_dependent_threshold", "false", "threshold jump and reset rule at spikes (GLIF2/4/5)"),
    ParamInfo("after_spike_currents", "false", "after-spike currents (GLIF3/4/5)"),
    ParamInfo("adapting_threshold", "false", "voltage-dependent threshold (GLIF5)"),
    ParamInfo("I_e", "0 pA", "constant external input current", "-10000 pA", "10000 pA"),
)

# NEST's defaults: two receptor ports (excitatory, inhibitory) and two after-spike currents.
_PORTS = (("0.2 ms", "0 mV"), ("2.0 ms", "-85 mV"))
_CURRENTS = (("0 pA", "0.003 1/ms", "-9.18 pA", "1.0"), ("0 pA", "0.1 1/ms", "-198.94 pA", "1.0"))


def glif_cond(tau_syn: Sequence[str] = tuple(p[0] for p in _PORTS),
              E_rev: Sequence[str] = tuple(p[1] for p in _PORTS),
              asc_init: Sequence[str] = tuple(c[0] for c in _CURRENTS),
              asc_decay: Sequence[str] = tuple(c[1] for c in _CURRENTS),
              asc_amps: Sequence[str] = tuple(c[2] for c in _CURRENTS),
              asc_r: Sequence[str] = tuple(c[3] for c in _CURRENTS)) -> LibraryModel:
    """NEST's glif_cond with as many receptor ports as ``tau_syn``/``E_rev`` and after-spike currents as the
    ``asc_*`` lists have entries (quantity strings, NEST's list parameters); port k's values become the
    parameters ``tau_syn_k`` and ``E_rev_k``, current k's ``asc_init_k`` ... ``asc_r_k``."""
    if len(tau_syn) != len(E_rev) or not tau_syn:
        raise ModelError(f"glif_cond needs one E_rev per tau_syn (at least one port), not {len(tau_syn)} "
                         f"tau_syn and {len(E_rev)} E_rev")
    if len({len(asc_init), len(asc_decay), len(asc_amps), len(asc_r)}) != 1:
        raise ModelError("glif_cond needs as many asc_init, asc_decay, asc_amps and asc_r values")
    ports, currents = range(1, len(tau_syn) + 1), range(1, len(asc_init) + 1)
    equations = _EQUATIONS.format(
        conductances="".join(f" - g_{k}*(V_m - E_rev_{k})" for k in ports),
        ports="".join(_PORT.format(k=k) for k in ports),
        asc_mean=" + ".join(f"ASCurrents_{k}*(1 - exp(-asc_decay_{k}*dt))/(asc_decay_{k}*dt)"
                            for k in currents) or "0*pA",
        currents="".join(f"ASCurrents_{k} : amp\n" for k in currents),
        current_params="".join(_CURRENT_PARAMS.format(k=k) for k in currents),
        port_params="".join(f"tau_syn_{k} : second\nE_rev_{k} : volt\n" for k in ports))
    params = _PARAMS
    for k, values in zip(currents, zip(asc_init, asc_decay, asc_amps, asc_r)):
        params += (ParamInfo(f"asc_init_{k}", values[0], f"initial after-spike current {k}", "-1000 pA", "1000 pA"),
                   ParamInfo(f"asc_decay_{k}", values[1], f"decay rate of after-spike current {k}", "0.0001 1/ms",
                             "10 1/ms"),
                   ParamInfo(f"asc_amps_{k}", values[2], f"after-spike current {k} added at a spike", "-1000 pA",
                             "1000 pA"),
                   ParamInfo(f"asc_r_{k}", values[3], f"fraction of after-spike current {k} kept at a spike",
                             "0", "1"))
    for k, tau, e_rev in zip(ports, tau_syn, E_rev):
        params += (ParamInfo(f"tau_syn_{k}", tau, f"rise time of the alpha conductance of port {k}", "0.01 ms",
                             "100 ms"),
                   ParamInfo(f"E_rev_{k}", e_rev, f"reversal potential of port {k}", "-120 mV", "50 mV"))
    initial = {"V_m": "E_L", "V_prev": "E_L", "threshold": "V_th",
               **{f"ASCurrents_{k}": f"asc_init_{k}" for k in currents},
               "ASCurrents_sum": " + ".join(f"asc_init_{k}" for k in currents) or "0 pA",
               "I_asc": " + ".join(f"asc_init_{k}" for k in currents) or "0 pA"}
    return LibraryModel(
        name="glif_cond",
        title="Generalized LIF (GLIF1-5) with alpha conductances",
        nest_name="glif_cond",
        family="integrate-and-fire",
        description="The Allen Institute's generalized leaky integrate-and-fire model as NEST's glif_cond: "
                    "GLIF1 (LIF), GLIF2 (reset rules, spike-dependent threshold), GLIF3 (after-spike currents), "
                    "GLIF4 (both) and GLIF5 (plus a voltage-dependent threshold), chosen by the flags "
                    "spike_dependent_threshold, after_spike_currents and adapting_threshold. "
                    f"{len(ports)} receptor port{'s' if len(ports) > 1 else ''} with alpha-shaped conductances "
                    f"that peak at the weight (nS) tau_syn after a spike, and {len(currents)} after-spike "
                    f"current{'s' if len(currents) != 1 else ''}.",
        citation=_CITATION,
        spec=ModelSpec(
            equations=equations,
            threshold="V_m > threshold",
            reset=_RESET.format(jumps="".join(_JUMP.format(k=k) for k in currents)),
            refractory="t_ref",
            method=NEST_GSL_METHOD,  # in fixed point: rk4, one step per time step
            run_regularly=_RUN_REGULARLY.format(decays="".join(_DECAY.format(k=k) for k in currents)),
            initial=initial,
            receptors={f"port_{k}": Receptor(f"dg_{k} += w*exp(1)/tau_syn_{k}", weight_unit="nS") for k in ports},
            current_input="I_stim",
        ),
        params=params,
        receptors=tuple(f"port_{k}" for k in ports),
    )


GLIF_COND = glif_cond()

MODELS = (GLIF_COND,)
