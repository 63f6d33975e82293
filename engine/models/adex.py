"""NEST's adaptive exponential integrate-and-fire neurons (AdEx) with conductance synapses."""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import LibraryModel, ParamInfo

_CITATION = ("Brette R, Gerstner W (2005) Adaptive exponential integrate-and-fire model as an effective "
             "description of neuronal activity. J Neurophysiol 94:3637-3642.")

# As in NEST: while refractory V_m is clamped to V_reset; otherwise the currents see V_m
# bounded by V_peak, which keeps the exponential finite in the integrator's stages; the
# spike is detected at V_peak (at V_th when Delta_T = 0, which switches the exponential off).
# NEST integrates with GSL's adaptive RKF45 and tests the threshold after each of its steps;
# method rkf45 does the same (docs/integration.md).
_EQUATIONS = """
dV_m/dt = (-g_L*(V_b - E_L) + I_spike - g_ex*(V_b - E_ex) - g_in*(V_b - E_in) - w + I_e + I_stim)/C_m : volt (unless refractory)
dw/dt = (a*(V_b - E_L) - w)/tau_w : amp
V_b = V_m if V_m < V_peak else V_peak : volt
I_spike = g_L*Delta_T*exp((V_b - V_th)/Delta_T) if Delta_T > 0*mV else 0*pA : amp
C_m : farad
g_L : siemens
E_L : volt
V_th : volt
Delta_T : volt
V_peak : volt
V_reset : volt
t_ref : second
a : siemens
b : amp
tau_w : second
E_ex : volt
E_in : volt
tau_syn_ex : second
tau_syn_in : second
I_e : amp
I_stim : amp
"""

_PARAMS = (
    ParamInfo("C_m", "281 pF", "membrane capacitance", "1 pF", "10000 pF"),
    ParamInfo("g_L", "30 nS", "leak conductance", "0.1 nS", "1000 nS"),
    ParamInfo("E_L", "-70.6 mV", "leak reversal potential", "-100 mV", "0 mV"),
    ParamInfo("V_th", "-50.4 mV", "spike initiation threshold (centre of the exponential)", "-100 mV", "0 mV"),
    ParamInfo("Delta_T", "2 mV", "slope factor of the exponential (0: integrate-and-fire)", "0 mV", "20 mV"),
    ParamInfo("V_peak", "0 mV", "spike detection threshold", "-60 mV", "50 mV"),
    ParamInfo("V_reset", "-60 mV", "reset potential", "-100 mV", "0 mV"),
    ParamInfo("t_ref", "0 ms", "absolute refractory period", "0 ms", "100 ms"),
    ParamInfo("a", "4 nS", "subthreshold adaptation conductance", "-100 nS", "100 nS"),
    ParamInfo("b", "80.5 pA", "spike-triggered adaptation current increment", "-1000 pA", "1000 pA"),
    ParamInfo("tau_w", "144 ms", "adaptation time constant", "1 ms", "10000 ms"),
    ParamInfo("E_ex", "0 mV", "excitatory reversal potential", "-50 mV", "50 mV"),
    ParamInfo("E_in", "-85 mV", "inhibitory reversal potential", "-120 mV", "-40 mV"),
    ParamInfo("tau_syn_ex", "0.2 ms", "excitatory synaptic time constant", "0.01 ms", "100 ms"),
    ParamInfo("tau_syn_in", "2 ms", "inhibitory synaptic time constant", "0.01 ms", "100 ms"),
    ParamInfo("I_e", "0 pA", "constant external input current", "-10000 pA", "10000 pA"),
)


def _adex(name: str, title: str, shape: str, synapses: str, receptors: dict[str, Receptor]) -> LibraryModel:
    return LibraryModel(
        name=name,
        title=title,
        nest_name=name,
        family="adaptive exponential integrate-and-fire",
        description=f"Adaptive exponential integrate-and-fire neuron with {shape} excitatory and inhibitory "
                    "conductances; a negative weight opens the inhibitory conductance by |w|.  When V_m "
                    "reaches V_peak it resets to V_reset and w grows by b; as in NEST the model is "
                    "integrated with adaptive RKF45, the threshold is tested after each of its steps and "
                    "the rest of the time step continues from the reset.",
        citation=_CITATION,
        spec=ModelSpec(
            equations=_EQUATIONS + synapses,
            threshold="V_m >= (V_peak if Delta_T > 0*mV else V_th)",
            reset="V_m = V_reset\nw += b",
            refractory="t_ref",
            method="rkf45",
            substeps=25,  # the fixed-point form: rk4 in 4 us substeps (docs/integration.md)
            substep_reset=True,
            initial={"V_m": "E_L"},
            receptors=receptors,
            current_input="I_stim",
        ),
        params=_PARAMS,
        receptors=("ex", "in"),
        sign_split=("ex", "in"),
        negate_negative=True,
    )


AEIF_COND_ALPHA = _adex(
    "aeif_cond_alpha", "AdEx with alpha-shaped synaptic conductances", "alpha-function",
    """
dg_ex/dt = dg_ex - g_ex/tau_syn_ex : siemens
ddg_ex/dt = -dg_ex/tau_syn_ex : siemens/second
dg_in/dt = dg_in - g_in/tau_syn_in : siemens
ddg_in/dt = -dg_in/tau_syn_in : siemens/second
""",
    {"ex": Receptor("dg_ex += w*exp(1)/tau_syn_ex", weight_unit="nS"),
     "in": Receptor("dg_in += w*exp(1)/tau_syn_in", weight_unit="nS")},
)

AEIF_COND_EXP = _adex(
    "aeif_cond_exp", "AdEx with exponential synaptic conductances", "exponentially decaying",
    """
dg_ex/dt = -g_ex/tau_syn_ex : siemens
dg_in/dt = -g_in/tau_syn_in : siemens
""",
    {"ex": Receptor("g_ex += w"), "in": Receptor("g_in += w")},
)

MODELS = (AEIF_COND_ALPHA, AEIF_COND_EXP)
