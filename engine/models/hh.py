"""NEST's Hodgkin-Huxley neuron with alpha-shaped synaptic currents."""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import NEST_GSL_METHOD, LibraryModel, ParamInfo

# The rate functions of Hodgkin & Huxley (1952) with V in mV and rates per ms;
# x/(1 - exp(-x)) is written 1/exprel(-x), which stays finite at x = 0.
# NEST sends a spike when V_m is at least 0 mV and has fallen during the step (the peak
# has passed) and not within t_ref of the last spike; nothing is clamped or reset.
HH_PSC_ALPHA = LibraryModel(
    name="hh_psc_alpha",
    title="Hodgkin-Huxley neuron with alpha-shaped post-synaptic currents",
    nest_name="hh_psc_alpha",
    family="conductance-based",
    description="Hodgkin-Huxley sodium, potassium and leak currents with alpha-function synaptic "
                "currents (a current of weight w peaks at w after tau_syn); positive weights go to the "
                "excitatory current, negative to the inhibitory one.  A spike is emitted at the step in "
                "which V_m, above 0 mV, starts to fall, at most once per t_ref.",
    citation=("Hodgkin AL, Huxley AF (1952) A quantitative description of membrane current and its "
              "application to conduction and excitation in nerve. J Physiol 117:500-544."),
    spec=ModelSpec(
        equations="""
dV_m/dt = (-(I_Na + I_K + I_L) + I_syn_ex + I_syn_in + I_e + I_stim)/C_m : volt
dAct_m/dt = alpha_m*(1 - Act_m) - beta_m*Act_m : 1
dInact_h/dt = alpha_h*(1 - Inact_h) - beta_h*Inact_h : 1
dAct_n/dt = alpha_n*(1 - Act_n) - beta_n*Act_n : 1
dI_syn_ex/dt = dI_syn_ex - I_syn_ex/tau_syn_ex : amp
ddI_syn_ex/dt = -dI_syn_ex/tau_syn_ex : amp/second
dI_syn_in/dt = dI_syn_in - I_syn_in/tau_syn_in : amp
ddI_syn_in/dt = -dI_syn_in/tau_syn_in : amp/second
I_Na = g_Na*Act_m**3*Inact_h*(V_m - E_Na) : amp
I_K = g_K*Act_n**4*(V_m - E_K) : amp
I_L = g_L*(V_m - E_L) : amp
alpha_n = 0.1/ms/exprel(-(V_m/mV + 55)/10) : 1/second
beta_n = 0.125/ms*exp(-(V_m/mV + 65)/80) : 1/second
alpha_m = 1/ms/exprel(-(V_m/mV + 40)/10) : 1/second
beta_m = 4/ms*exp(-(V_m/mV + 65)/18) : 1/second
alpha_h = 0.07/ms*exp(-(V_m/mV + 65)/20) : 1/second
beta_h = 1/ms/(1 + exp(-(V_m/mV + 35)/10)) : 1/second
V_m_old : volt
t_ref : second
g_Na : siemens
g_K : siemens
g_L : siemens
C_m : farad
E_Na : volt
E_K : volt
E_L : volt
tau_syn_ex : second
tau_syn_in : second
I_e : amp
I_stim : amp
""",
        run_regularly="V_m_old = V_m",
        threshold="V_m >= 0*mV and V_m < V_m_old",
        refractory="t_ref",
        method=NEST_GSL_METHOD,
        substeps=4,  # the fixed-point form: rk4 in 4 substeps (docs/integration.md)
        # V_m = -65 mV with the gates at their steady state there, as in NEST.
        initial={"V_m": "-65 mV", "V_m_old": "-65 mV", "Act_m": 0.05293248525724958,
                 "Inact_h": 0.5961207535084603, "Act_n": 0.3176769140606974},
        receptors={"ex": Receptor("dI_syn_ex += w*exp(1)/tau_syn_ex", weight_unit="pA"),
                   "in": Receptor("dI_syn_in += w*exp(1)/tau_syn_in", weight_unit="pA")},
        current_input="I_stim",
    ),
    params=(
        ParamInfo("t_ref", "2 ms", "time after a spike without further spikes", "0 ms", "100 ms"),
        ParamInfo("g_Na", "12000 nS", "sodium peak conductance", "0 nS", "100000 nS"),
        ParamInfo("g_K", "3600 nS", "potassium peak conductance", "0 nS", "100000 nS"),
        ParamInfo("g_L", "30 nS", "leak conductance", "0 nS", "1000 nS"),
        ParamInfo("C_m", "100 pF", "membrane capacitance", "1 pF", "10000 pF"),
        ParamInfo("E_Na", "50 mV", "sodium reversal potential", "0 mV", "100 mV"),
        ParamInfo("E_K", "-77 mV", "potassium reversal potential", "-120 mV", "-50 mV"),
        ParamInfo("E_L", "-54.402 mV", "leak reversal potential", "-100 mV", "0 mV"),
        ParamInfo("tau_syn_ex", "0.2 ms", "rise time of the excitatory synaptic alpha function",
                  "0.01 ms", "100 ms"),
        ParamInfo("tau_syn_in", "2 ms", "rise time of the inhibitory synaptic alpha function",
                  "0.01 ms", "100 ms"),
        ParamInfo("I_e", "0 pA", "constant external input current", "-10000 pA", "10000 pA"),
    ),
    receptors=("ex", "in"),
    sign_split=("ex", "in"),
)

MODELS = (HH_PSC_ALPHA,)
