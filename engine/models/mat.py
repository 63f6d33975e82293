"""NEST's multi-timescale adaptive threshold neuron (MAT2)."""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import LibraryModel, ParamInfo

# V_th = omega + V_th_alpha_1 + V_th_alpha_2 is kept as a state (NEST records it); the
# second threshold component is V_th - omega - V_th_alpha_1, so both decay with their own
# time constant and the whole system stays linear (exact integration).
MAT2_PSC_EXP = LibraryModel(
    name="mat2_psc_exp",
    title="MAT2: leaky integrator with a two-timescale adaptive threshold",
    nest_name="mat2_psc_exp",
    family="adaptive threshold",
    description="Non-resetting leaky integrator with exponential synaptic currents and a threshold that "
                "jumps by alpha_1 and alpha_2 at each spike and relaxes back to omega with time constants "
                "tau_1 and tau_2; after a spike no further spike can occur for t_ref.  Integrated exactly.",
    citation=("Kobayashi R, Tsubo Y, Shinomoto S (2009) Made-to-order spiking neuron model equipped with a "
              "multi-timescale adaptive threshold. Front Comput Neurosci 3:9."),
    spec=ModelSpec(
        equations="""
dV_m/dt = -(V_m - E_L)/tau_m + (I_syn_ex + I_syn_in + I_e + I_stim)/C_m : volt
dI_syn_ex/dt = -I_syn_ex/tau_syn_ex : amp
dI_syn_in/dt = -I_syn_in/tau_syn_in : amp
dV_th_alpha_1/dt = -V_th_alpha_1/tau_1 : volt
dV_th/dt = -V_th_alpha_1/tau_1 - (V_th - omega - V_th_alpha_1)/tau_2 : volt
E_L : volt
C_m : farad
tau_m : second
tau_syn_ex : second
tau_syn_in : second
t_ref : second
tau_1 : second
tau_2 : second
alpha_1 : volt
alpha_2 : volt
omega : volt
I_e : amp
I_stim : amp
""",
        threshold="V_m >= V_th",
        reset="V_th += alpha_1 + alpha_2\nV_th_alpha_1 += alpha_1",
        refractory="t_ref",
        method="exact",
        initial={"V_m": "E_L", "V_th": "omega"},
        receptors={"ex": Receptor("I_syn_ex += w"), "in": Receptor("I_syn_in += w")},
        current_input="I_stim",
    ),
    params=(
        ParamInfo("E_L", "-70 mV", "resting membrane potential", "-100 mV", "0 mV"),
        ParamInfo("C_m", "100 pF", "membrane capacitance", "1 pF", "10000 pF"),
        ParamInfo("tau_m", "5 ms", "membrane time constant", "0.1 ms", "1000 ms"),
        ParamInfo("tau_syn_ex", "1 ms", "excitatory synaptic time constant", "0.01 ms", "100 ms"),
        ParamInfo("tau_syn_in", "3 ms", "inhibitory synaptic time constant", "0.01 ms", "100 ms"),
        ParamInfo("t_ref", "2 ms", "period after a spike without further spikes (V_m is not clamped)",
                  "0 ms", "100 ms"),
        ParamInfo("tau_1", "10 ms", "time constant of the short threshold component", "0.1 ms", "1000 ms"),
        ParamInfo("tau_2", "200 ms", "time constant of the long threshold component", "0.1 ms", "10000 ms"),
        ParamInfo("alpha_1", "37 mV", "jump of the short threshold component at a spike", "-100 mV", "100 mV"),
        ParamInfo("alpha_2", "2 mV", "jump of the long threshold component at a spike", "-100 mV", "100 mV"),
        ParamInfo("omega", "-51 mV", "resting threshold (absolute)", "-100 mV", "0 mV"),
        ParamInfo("I_e", "0 pA", "constant external input current", "-10000 pA", "10000 pA"),
    ),
    receptors=("ex", "in"),
    sign_split=("ex", "in"),
)

MODELS = (MAT2_PSC_EXP,)
