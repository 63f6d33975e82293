"""NEST's leaky integrate-and-fire family (exact integration and conductance-based)."""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import NEST_GSL_METHOD, LibraryModel, ParamInfo

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


def _lif_params(**overrides: tuple[str, str, str, str]) -> tuple[ParamInfo, ...]:
    """The parameters every NEST LIF shares (defaults as in NEST), plus ``overrides``/extra ones."""
    base = {
        "E_L": ("-70 mV", "resting membrane potential", "-100 mV", "0 mV"),
        "C_m": ("250 pF", "membrane capacitance", "1 pF", "10000 pF"),
        "t_ref": ("2 ms", "absolute refractory period", "0 ms", "100 ms"),
        "V_th": ("-55 mV", "spike threshold", "-100 mV", "50 mV"),
        "V_reset": ("-70 mV", "reset potential", "-100 mV", "0 mV"),
        "I_e": ("0 pA", "constant external input current", "-10000 pA", "10000 pA"),
    }
    base.update(overrides)
    return tuple(ParamInfo(name, *info) for name, info in base.items())


IAF_PSC_DELTA = LibraryModel(
    name="iaf_psc_delta",
    title="LIF with delta-shaped post-synaptic potentials",
    nest_name="iaf_psc_delta",
    family="integrate-and-fire",
    description="Leaky integrate-and-fire neuron whose input spikes make V_m jump by the weight (mV); "
                "integrated exactly.  As in NEST (refractory_input = False), spikes arriving during the "
                "refractory period are discarded.  NEST's V_min (default: no lower bound) is not modelled.",
    citation=_NEST_CITATION,
    spec=ModelSpec(
        equations="""
dV_m/dt = -(V_m - E_L)/tau_m + (I_e + I_stim)/C_m : volt (unless refractory)
E_L : volt
C_m : farad
tau_m : second
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
        initial={"V_m": "E_L"},
        receptors={"delta": Receptor("V_m += w if not_refractory else 0*mV")},
        current_input="I_stim",
    ),
    params=_lif_params(tau_m=("10 ms", "membrane time constant", "0.1 ms", "1000 ms")),
    receptors=("delta",),
)

IAF_PSC_ALPHA = LibraryModel(
    name="iaf_psc_alpha",
    title="LIF with alpha-shaped post-synaptic currents",
    nest_name="iaf_psc_alpha",
    family="integrate-and-fire",
    description="Leaky integrate-and-fire neuron with alpha-function synaptic currents (a current of "
                "weight w peaks at w after tau_syn), integrated exactly; positive weights go to the "
                "excitatory current, negative to the inhibitory one.  NEST's V_min is not modelled.",
    citation=_NEST_CITATION,
    spec=ModelSpec(
        equations="""
dV_m/dt = -(V_m - E_L)/tau_m + (I_syn_ex + I_syn_in + I_e + I_stim)/C_m : volt (unless refractory)
dI_syn_ex/dt = dI_syn_ex - I_syn_ex/tau_syn_ex : amp
ddI_syn_ex/dt = -dI_syn_ex/tau_syn_ex : amp/second
dI_syn_in/dt = dI_syn_in - I_syn_in/tau_syn_in : amp
ddI_syn_in/dt = -dI_syn_in/tau_syn_in : amp/second
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
        initial={"V_m": "E_L"},
        receptors={"ex": Receptor("dI_syn_ex += w*exp(1)/tau_syn_ex", weight_unit="pA"),
                   "in": Receptor("dI_syn_in += w*exp(1)/tau_syn_in", weight_unit="pA")},
        current_input="I_stim",
    ),
    params=_lif_params(
        tau_m=("10 ms", "membrane time constant", "0.1 ms", "1000 ms"),
        tau_syn_ex=("2 ms", "rise time of the excitatory synaptic alpha function", "0.01 ms", "100 ms"),
        tau_syn_in=("2 ms", "rise time of the inhibitory synaptic alpha function", "0.01 ms", "100 ms"),
    ),
    receptors=("ex", "in"),
    sign_split=("ex", "in"),
)

# NEST integrates the conductance-based models with adaptive RKF45 (GSL), and so does the
# library (NEST_GSL_METHOD).  While refractory, V_m is clamped to V_reset; outside it the
# currents see V_m bounded by the threshold, as in NEST.
_COND_EQUATIONS = """
dV_m/dt = (-g_L*(V_b - E_L) - g_ex*(V_b - E_ex) - g_in*(V_b - E_in) + I_e + I_stim)/C_m : volt (unless refractory)
V_b = V_m if V_m < V_th else V_th : volt
E_L : volt
C_m : farad
g_L : siemens
E_ex : volt
E_in : volt
tau_syn_ex : second
tau_syn_in : second
t_ref : second
V_th : volt
V_reset : volt
I_e : amp
I_stim : amp
"""
_COND_PARAMS = _lif_params(
    V_reset=("-60 mV", "reset potential", "-100 mV", "0 mV"),
    g_L=("16.6667 nS", "leak conductance", "0.1 nS", "1000 nS"),
    E_ex=("0 mV", "excitatory reversal potential", "-50 mV", "50 mV"),
    E_in=("-85 mV", "inhibitory reversal potential", "-120 mV", "-40 mV"),
    tau_syn_ex=("0.2 ms", "excitatory synaptic time constant", "0.01 ms", "100 ms"),
    tau_syn_in=("2 ms", "inhibitory synaptic time constant", "0.01 ms", "100 ms"),
)
_COND_CITATION = ("Meffin H, Burkitt AN, Grayden DB (2004) An analytical model for the large, fluctuating "
                  "synaptic conductance state typical of neocortical neurons in vivo. J Comput Neurosci "
                  "16:159-175.")

IAF_COND_EXP = LibraryModel(
    name="iaf_cond_exp",
    title="LIF with exponential synaptic conductances",
    nest_name="iaf_cond_exp",
    family="integrate-and-fire",
    description="Leaky integrate-and-fire neuron with exponentially decaying excitatory and inhibitory "
                "conductances; a negative weight opens the inhibitory conductance by |w|.",
    citation=_COND_CITATION,
    spec=ModelSpec(
        equations=_COND_EQUATIONS + """
dg_ex/dt = -g_ex/tau_syn_ex : siemens
dg_in/dt = -g_in/tau_syn_in : siemens
""",
        threshold="V_m >= V_th",
        reset="V_m = V_reset",
        refractory="t_ref",
        method=NEST_GSL_METHOD,
        substeps=2,  # the fixed-point form: rk4 in 2 substeps (docs/integration.md)
        initial={"V_m": "E_L"},
        receptors={"ex": Receptor("g_ex += w"), "in": Receptor("g_in += w")},
        current_input="I_stim",
    ),
    params=_COND_PARAMS,
    receptors=("ex", "in"),
    sign_split=("ex", "in"),
    negate_negative=True,
)

IAF_COND_ALPHA = LibraryModel(
    name="iaf_cond_alpha",
    title="LIF with alpha-shaped synaptic conductances",
    nest_name="iaf_cond_alpha",
    family="integrate-and-fire",
    description="Leaky integrate-and-fire neuron with alpha-function conductances (a weight w peaks at "
                "w nS after tau_syn); a negative weight opens the inhibitory conductance by |w|.  "
                "t_ref_remaining is the refractory time left, as NEST records it.",
    citation=_COND_CITATION,
    spec=ModelSpec(
        equations=_COND_EQUATIONS + """
dg_ex/dt = dg_ex - g_ex/tau_syn_ex : siemens
ddg_ex/dt = -dg_ex/tau_syn_ex : siemens/second
dg_in/dt = dg_in - g_in/tau_syn_in : siemens
ddg_in/dt = -dg_in/tau_syn_in : siemens/second
dt_ref_remaining/dt = 0 if not_refractory else -1 : second
""",
        threshold="V_m >= V_th",
        reset="V_m = V_reset\nt_ref_remaining = t_ref",
        refractory="t_ref",
        method=NEST_GSL_METHOD,
        substeps=2,  # the fixed-point form: rk4 in 2 substeps (docs/integration.md)
        initial={"V_m": "E_L"},
        receptors={"ex": Receptor("dg_ex += w*exp(1)/tau_syn_ex", weight_unit="nS"),
                   "in": Receptor("dg_in += w*exp(1)/tau_syn_in", weight_unit="nS")},
        current_input="I_stim",
    ),
    params=_COND_PARAMS,
    receptors=("ex", "in"),
    sign_split=("ex", "in"),
    negate_negative=True,
)

MODELS = (IAF_PSC_EXP, IAF_PSC_DELTA, IAF_PSC_ALPHA, IAF_COND_EXP, IAF_COND_ALPHA)
