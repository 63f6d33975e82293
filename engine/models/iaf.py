"""NEST's leaky integrate-and-fire family (exact integration and conductance-based)."""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import LibraryModel, ParamInfo

_NEST_CITATION = ("Rotter S, Diesmann M (1999) Exact digital simulation of time-invariant linear systems "
                  "with applications to neuronal modeling. Biol Cybern 81:381-402.")

IAF_PSC_EXP = LibraryModel(
    name="iaf_psc_exp",
    title="LIF with exponential post-synaptic currents",
    nest_name="iaf_psc_exp",
    family="integrate-and-fire",
    description="Leaky integrate-and-fire neuron with exponentially decaying synaptic currents, "
                "integrated exactly; positive weights go to the excitatory current, negative to the "
                "inhibitory one.",
    citation=_NEST_CITATION,
    spec=ModelSpec(
        equations="""
dV_m/dt = -(V_m - E_L)/tau_m + (I_syn_ex + I_syn_in + I_e + I_stim)/C_m : volt (unless refractory)
dI_syn_ex/dt = -I_syn_ex/tau_syn_ex : amp
dI_syn_in/dt = -I_syn_in/tau_syn_in : amp
E_L : volt
C_m : farad
tau_m : second
tau_syn_ex : second
tau_syn_in : second
t_ref : second
V_th : volt
V_reset : volt
I_e : amp
I_stim : amp
""",
        threshold="V_m >= V_th",
        reset="V_m = V_reset",
        refractory="t_ref",
        method="exact",
        parameters={"E_L": "-70 mV", "C_m": "250 pF", "tau_m": "10 ms", "tau_syn_ex": "2 ms",
                    "tau_syn_in": "2 ms", "t_ref": "2 ms", "V_th": "-55 mV", "V_reset": "-70 mV",
                    "I_e": "0 pA"},
        initial={"V_m": "E_L"},
        receptors={"ex": Receptor("I_syn_ex += w"), "in": Receptor("I_syn_in += w")},
        current_input="I_stim",
    ),
    params=(
        ParamInfo("E_L", "-70 mV", "resting membrane potential", "-100 mV", "0 mV"),
        ParamInfo("C_m", "250 pF", "membrane capacitance", "1 pF", "10000 pF"),
        ParamInfo("tau_m", "10 ms", "membrane time constant", "0.1 ms", "1000 ms"),
        ParamInfo("tau_syn_ex", "2 ms", "excitatory synaptic time constant", "0.01 ms", "100 ms"),
        ParamInfo("tau_syn_in", "2 ms", "inhibitory synaptic time constant", "0.01 ms", "100 ms"),
        ParamInfo("t_ref", "2 ms", "absolute refractory period", "0 ms", "100 ms"),
        ParamInfo("V_th", "-55 mV", "spike threshold", "-100 mV", "50 mV"),
        ParamInfo("V_reset", "-70 mV", "reset potential", "-100 mV", "0 mV"),
        ParamInfo("I_e", "0 pA", "constant external input current", "-10000 pA", "10000 pA"),
    ),
    receptors=("ex", "in"),
    sign_split=("ex", "in"),
)

MODELS = (IAF_PSC_EXP,)
