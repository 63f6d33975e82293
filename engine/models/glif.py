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

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import NEST_GSL_METHOD, LibraryModel, ParamInfo

_CITATION = ("Teeter C, Iyer R, Menon V, et al. (2018) Generalized leaky integrate-and-fire models classify "
             "multiple neuron types. Nat Commun 9:709. doi:10.1038/s41467-017-02717-4")

_EQUATIONS = """
dV_m/dt = (-g_m*(V_m - E_L) - g_1*(V_m - E_rev_1) - g_2*(V_m - E_rev_2) + I_stim + I_asc)/C_m : volt (unless refractory)
dg_1/dt = dg_1 - g_1/tau_syn_1 : siemens
ddg_1/dt = -dg_1/tau_syn_1 : siemens/second
dg_2/dt = dg_2 - g_2/tau_syn_2 : siemens
ddg_2/dt = -dg_2/tau_syn_2 : siemens/second
asc_mean = (ASCurrents_1*(1 - exp(-asc_decay_1*dt))/(asc_decay_1*dt)
            + ASCurrents_2*(1 - exp(-asc_decay_2*dt))/(asc_decay_2*dt)) : amp
beta = (I_stim + ASCurrents_sum)/g_m : volt
phi = th_voltage_index/(th_voltage_decay - g_m/C_m) : 1
th_voltage_step = (phi*(V_m - E_L - beta)*exp(-g_m*dt/C_m)
                   + exp(-th_voltage_decay*dt)*(threshold_voltage - phi*(V_m - E_L - beta)
                                                - th_voltage_index/th_voltage_decay*beta)
                   + th_voltage_index/th_voltage_decay*beta) : volt
ASCurrents_1 : amp
ASCurrents_2 : amp
ASCurrents_sum : amp
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
asc_init_1 : amp
asc_init_2 : amp
asc_decay_1 : 1/second
asc_decay_2 : 1/second
asc_amps_1 : amp
asc_amps_2 : amp
asc_r_1 : 1
asc_r_2 : 1
tau_syn_1 : second
tau_syn_2 : second
E_rev_1 : volt
E_rev_2 : volt
spike_dependent_threshold : boolean
after_spike_currents : boolean
adapting_threshold : boolean
I_stim : amp
"""

# Start of each step: NEST's exact updates (made after its ODE step, from start-of-step values).
_RUN_REGULARLY = """
V_prev = V_m
I_asc = ASCurrents_sum
ASCurrents_sum = (asc_mean if not_refractory else ASCurrents_sum) if after_spike_currents else 0*pA
ASCurrents_1 = (ASCurrents_1*exp(-asc_decay_1*dt) if not_refractory else ASCurrents_1) if after_spike_currents else ASCurrents_1
ASCurrents_2 = (ASCurrents_2*exp(-asc_decay_2*dt) if not_refractory else ASCurrents_2) if after_spike_currents else ASCurrents_2
threshold_spike = (threshold_spike*exp(-th_spike_decay*dt) if not_refractory else threshold_spike) if spike_dependent_threshold else threshold_spike
threshold_voltage = (th_voltage_step if not_refractory else threshold_voltage) if adapting_threshold else threshold_voltage
threshold = V_th + threshold_spike + threshold_voltage
"""

_RESET = """
ASCurrents_1 = asc_amps_1 + ASCurrents_1*asc_r_1*exp(-asc_decay_1*t_ref) if after_spike_currents else ASCurrents_1
ASCurrents_2 = asc_amps_2 + ASCurrents_2*asc_r_2*exp(-asc_decay_2*t_ref) if after_spike_currents else ASCurrents_2
V_m = E_L + voltage_reset_fraction*(V_prev - E_L) + voltage_reset_add if spike_dependent_threshold else V_reset
threshold_spike = threshold_spike*exp(-th_spike_decay*t_ref) + th_spike_add if spike_dependent_threshold else threshold_spike
threshold = V_th + threshold_spike + threshold_voltage
"""

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
    ParamInfo("asc_init_1", "0 pA", "initial after-spike current 1", "-1000 pA", "1000 pA"),
    ParamInfo("asc_init_2", "0 pA", "initial after-spike current 2", "-1000 pA", "1000 pA"),
    ParamInfo("asc_decay_1", "0.003 1/ms", "decay rate of after-spike current 1", "0.0001 1/ms", "10 1/ms"),
    ParamInfo("asc_decay_2", "0.1 1/ms", "decay rate of after-spike current 2", "0.0001 1/ms", "10 1/ms"),
    ParamInfo("asc_amps_1", "-9.18 pA", "after-spike current 1 added at a spike", "-1000 pA", "1000 pA"),
    ParamInfo("asc_amps_2", "-198.94 pA", "after-spike current 2 added at a spike", "-1000 pA", "1000 pA"),
    ParamInfo("asc_r_1", "1.0", "fraction of after-spike current 1 kept at a spike", "0", "1"),
    ParamInfo("asc_r_2", "1.0", "fraction of after-spike current 2 kept at a spike", "0", "1"),
    ParamInfo("tau_syn_1", "0.2 ms", "rise time of the alpha conductance of port 1", "0.01 ms", "100 ms"),
    ParamInfo("tau_syn_2", "2.0 ms", "rise time of the alpha conductance of port 2", "0.01 ms", "100 ms"),
    ParamInfo("E_rev_1", "0 mV", "reversal potential of port 1", "-120 mV", "50 mV"),
    ParamInfo("E_rev_2", "-85 mV", "reversal potential of port 2", "-120 mV", "50 mV"),
    ParamInfo("spike_dependent_threshold", "false", "threshold jump and reset rule at spikes (GLIF2/4/5)"),
    ParamInfo("after_spike_currents", "false", "after-spike currents (GLIF3/4/5)"),
    ParamInfo("adapting_threshold", "false", "voltage-dependent threshold (GLIF5)"),
)

GLIF_COND = LibraryModel(
    name="glif_cond",
    title="Generalized LIF (GLIF1-5) with alpha conductances",
    nest_name="glif_cond",
    family="integrate-and-fire",
    description="The Allen Institute's generalized leaky integrate-and-fire model as NEST's glif_cond: "
                "GLIF1 (LIF), GLIF2 (reset rules, spike-dependent threshold), GLIF3 (after-spike currents), "
                "GLIF4 (both) and GLIF5 (plus a voltage-dependent threshold), chosen by the flags "
                "spike_dependent_threshold, after_spike_currents and adapting_threshold. Two receptor ports "
                "with alpha-shaped conductances that peak at the weight (nS) tau_syn after a spike.",
    citation=_CITATION,
    spec=ModelSpec(
        equations=_EQUATIONS,
        threshold="V_m > threshold",
        reset=_RESET,
        refractory="t_ref",
        method=NEST_GSL_METHOD,  # in fixed point: rk4, one step per time step
        run_regularly=_RUN_REGULARLY,
        initial={"V_m": "E_L", "V_prev": "E_L", "threshold": "V_th", "ASCurrents_1": "asc_init_1",
                 "ASCurrents_2": "asc_init_2", "ASCurrents_sum": "asc_init_1 + asc_init_2",
                 "I_asc": "asc_init_1 + asc_init_2"},
        receptors={"port_1": Receptor("dg_1 += w*exp(1)/tau_syn_1", weight_unit="nS"),
                   "port_2": Receptor("dg_2 += w*exp(1)/tau_syn_2", weight_unit="nS")},
        current_input="I_stim",
    ),
    params=_PARAMS,
    receptors=("port_1", "port_2"),
)

MODELS = (GLIF_COND,)
