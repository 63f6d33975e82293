"""Classic textbook neuron models (not NEST's), with the names and units of their papers.

FitzHugh-Nagumo and Hindmarsh-Rose are dimensionless in the literature: here
their variables stay dimensionless and one unit of their time is 1 ms (``tau``).
Morris-Lecar's per-area values (uF/cm2, mS/cm2, uA/cm2) are read for a
100 um2 patch, so the same numbers appear as pF, nS and pA.  Models without a
reset count a spike when the voltage crosses ``v_th`` upwards (they are
refractory while above it).
"""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import LibraryModel, ParamInfo


_LIF_PARAMS = (
    ParamInfo("v_rest", "-70 mV", "resting potential", "-100 mV", "0 mV"),
    ParamInfo("v_th", "-50 mV", "spike threshold", "-100 mV", "50 mV"),
    ParamInfo("v_reset", "-70 mV", "reset potential", "-100 mV", "0 mV"),
    ParamInfo("tau", "10 ms", "membrane time constant", "0.1 ms", "1000 ms"),
    ParamInfo("R", "10 Mohm", "membrane resistance", "1 Mohm", "10000 Mohm"),
    ParamInfo("t_ref", "2 ms", "absolute refractory period", "0 ms", "100 ms"),
    ParamInfo("I", "0 nA", "constant input current", "-10 nA", "10 nA"),
)

LIF = LibraryModel(
    name="lif",
    title="Leaky integrate-and-fire (Brian2 style)",
    family="integrate-and-fire",
    description="The leaky integrate-and-fire neuron as written in Brian2's tutorials: the membrane relaxes "
                "to v_rest with time constant tau, fires at v_th and is held at v_reset for t_ref. Input "
                "spikes make v jump by the weight.",
    citation="Lapicque L (1907) Recherches quantitatives sur l'excitation electrique des nerfs traitee comme "
             "une polarisation. J Physiol Pathol Gen 9:620-635; Stimberg M, Brette R, Goodman DFM (2019) "
             "Brian 2, an intuitive and efficient neural simulator. eLife 8:e47314.",
    spec=ModelSpec(
        equations="""
dv/dt = (v_rest - v + R*(I + I_stim))/tau : volt (unless refractory)
v_rest : volt
v_th : volt
v_reset : volt
tau : second
R : ohm
t_ref : second
I : amp
I_stim : amp
""",
        threshold="v > v_th",
        reset="v = v_reset",
        refractory="t_ref",
        method="exact",
        initial={"v": "v_rest"},
        receptors={"syn": Receptor("v += w")},
        current_input="I_stim",
    ),
    params=_LIF_PARAMS,
    receptors=("syn",),
)

_FHN_PARAMS = (
    ParamInfo("a", "0.7", "offset of the recovery nullcline", "-2", "2"),
    ParamInfo("b", "0.8", "slope factor of the recovery variable u", "0", "2"),
    ParamInfo("tau", "1 ms", "time unit of the fast variable", "0.01 ms", "100 ms"),
    ParamInfo("tau_w", "12.5 ms", "recovery time constant (12.5 time units)", "0.1 ms", "1000 ms"),
    ParamInfo("I", "0", "constant input (dimensionless)", "-5", "5"),
    ParamInfo("v_th", "1.0", "upward crossing counted as a spike", "-2", "2"),
)

FITZHUGH_NAGUMO = LibraryModel(
    name="fitzhugh_nagumo",
    title="FitzHugh-Nagumo",
    family="oscillator",
    description="Two-variable reduction of Hodgkin-Huxley: a cubic fast variable v and a linear recovery "
                "variable u (the papers' w; w names synaptic weights here), both dimensionless; one unit of "
                "the paper's time is tau = 1 ms. Oscillates for I between about 0.33 and 1.42.",
    citation="FitzHugh R (1961) Impulses and physiological states in theoretical models of nerve membrane. "
             "Biophys J 1:445-466; Nagumo J, Arimoto S, Yoshizawa S (1962) An active pulse transmission line "
             "simulating nerve axon. Proc IRE 50:2061-2070.",
    spec=ModelSpec(
        equations="""
dv/dt = (v - v**3/3 - u + I + I_stim)/tau : 1
du/dt = (v + a - b*u)/tau_w : 1
a : 1
b : 1
tau : second
tau_w : second
I : 1
v_th : 1
I_stim : 1
""",
        threshold="v > v_th",
        refractory="v > v_th",
        method="rk4",
        initial={"v": "-1.2", "u": "-0.625"},
        receptors={"syn": Receptor("v += w")},
        current_input="I_stim",
    ),
    params=_FHN_PARAMS,
    receptors=("syn",),
)

_ML_PARAMS = (
    ParamInfo("C", "20 pF", "membrane capacitance (20 uF/cm2)", "1 pF", "1000 pF"),
    ParamInfo("g_L", "2 nS", "leak conductance (2 mS/cm2)", "0 nS", "100 nS"),
    ParamInfo("g_Ca", "4.4 nS", "calcium conductance (4.4 mS/cm2)", "0 nS", "100 nS"),
    ParamInfo("g_K", "8 nS", "potassium conductance (8 mS/cm2)", "0 nS", "100 nS"),
    ParamInfo("E_L", "-60 mV", "leak reversal potential", "-100 mV", "0 mV"),
    ParamInfo("E_Ca", "120 mV", "calcium reversal potential", "0 mV", "200 mV"),
    ParamInfo("E_K", "-84 mV", "potassium reversal potential", "-120 mV", "0 mV"),
    ParamInfo("v1", "-1.2 mV", "half-activation of the calcium current", "-50 mV", "50 mV"),
    ParamInfo("v2", "18 mV", "slope of the calcium activation", "1 mV", "100 mV"),
    ParamInfo("v3", "2 mV", "half-activation of the potassium current", "-50 mV", "50 mV"),
    ParamInfo("v4", "30 mV", "slope of the potassium activation", "1 mV", "100 mV"),
    ParamInfo("phi", "0.04 1/ms", "rate of the potassium gate n", "0.001 1/ms", "1 1/ms"),
    ParamInfo("I", "0 pA", "constant input current (uA/cm2 for the patch)", "-500 pA", "500 pA"),
    ParamInfo("v_th", "0 mV", "upward crossing counted as a spike", "-60 mV", "60 mV"),
)

MORRIS_LECAR = LibraryModel(
    name="morris_lecar",
    title="Morris-Lecar",
    family="conductance-based",
    description="Calcium-potassium model of the barnacle muscle fibre with an instantaneous calcium gate and "
                "a slow potassium gate n (the papers' w), in Rinzel and Ermentrout's parameters (class II "
                "excitability, oscillations from about I = 90 pA).",
    citation="Morris C, Lecar H (1981) Voltage oscillations in the barnacle giant muscle fiber. Biophys J "
             "35:193-213; Rinzel J, Ermentrout GB (1989) Analysis of neural excitability and oscillations. "
             "In: Koch C, Segev I (eds) Methods in Neuronal Modeling. MIT Press.",
    spec=ModelSpec(
        equations="""
dv/dt = (I + I_stim - g_L*(v - E_L) - g_Ca*m_inf*(v - E_Ca) - g_K*n*(v - E_K))/C : volt
dn/dt = phi*(n_inf - n)*cosh_n : 1
m_inf = 0.5*(1 + tanh((v - v1)/v2)) : 1
n_inf = 0.5*(1 + tanh((v - v3)/v4)) : 1
cosh_n = (exp((v - v3)/(2*v4)) + exp(-(v - v3)/(2*v4)))/2 : 1
C : farad
g_L : siemens
g_Ca : siemens
g_K : siemens
E_L : volt
E_Ca : volt
E_K : volt
v1 : volt
v2 : volt
v3 : volt
v4 : volt
phi : 1/second
I : amp
v_th : volt
I_stim : amp
""",
        threshold="v > v_th",
        refractory="v > v_th",
        method="rk4",
        initial={"v": "E_L", "n": "0.5*(1 + tanh((E_L - v3)/v4))"},
        receptors={"syn": Receptor("v += w")},
        current_input="I_stim",
    ),
    params=_ML_PARAMS,
    receptors=("syn",),
)

_HR_PARAMS = (
    ParamInfo("a", "1", "cubic coefficient", "0", "5"),
    ParamInfo("b", "3", "quadratic coefficient", "0", "5"),
    ParamInfo("c", "1", "recovery offset", "-5", "5"),
    ParamInfo("d", "5", "recovery quadratic coefficient", "0", "10"),
    ParamInfo("r", "0.006", "ratio of the slow adaptation time scale", "0.0001", "0.1"),
    ParamInfo("s", "4", "adaptation coupling", "0", "10"),
    ParamInfo("x_R", "-1.6", "resting x of the adaptation", "-3", "0"),
    ParamInfo("tau", "1 ms", "time unit", "0.01 ms", "100 ms"),
    ParamInfo("I", "0", "constant input (dimensionless)", "-5", "10"),
    ParamInfo("x_th", "1.0", "upward crossing counted as a spike", "-2", "2"),
)

HINDMARSH_ROSE = LibraryModel(
    name="hindmarsh_rose",
    title="Hindmarsh-Rose",
    family="bursting",
    description="Three-variable bursting model: membrane potential x, fast recovery y and slow adaptation z, "
                "dimensionless; one unit of the paper's time is tau = 1 ms. Bursts for I around 1.5-3.",
    citation="Hindmarsh JL, Rose RM (1984) A model of neuronal bursting using three coupled first order "
             "differential equations. Proc R Soc Lond B 221:87-102.",
    spec=ModelSpec(
        equations="""
dx/dt = (y - a*x**3 + b*x**2 - z + I + I_stim)/tau : 1
dy/dt = (c - d*x**2 - y)/tau : 1
dz/dt = r*(s*(x - x_R) - z)/tau : 1
a : 1
b : 1
c : 1
d : 1
r : 1
s : 1
x_R : 1
tau : second
I : 1
x_th : 1
I_stim : 1
""",
        threshold="x > x_th",
        refractory="x > x_th",
        method="rk4",
        initial={"x": "x_R", "y": "c - d*x_R**2", "z": "0"},
        receptors={"syn": Receptor("x += w")},
        current_input="I_stim",
    ),
    params=_HR_PARAMS,
    receptors=("syn",),
)

_QIF_PARAMS = (
    ParamInfo("v_rest", "-65 mV", "resting potential (stable fixed point)", "-100 mV", "0 mV"),
    ParamInfo("v_c", "-50 mV", "critical potential (unstable fixed point)", "-100 mV", "0 mV"),
    ParamInfo("v_peak", "0 mV", "spike cut-off", "-40 mV", "50 mV"),
    ParamInfo("v_reset", "-70 mV", "reset potential", "-100 mV", "0 mV"),
    ParamInfo("tau", "10 ms", "membrane time constant", "0.1 ms", "1000 ms"),
    ParamInfo("R", "10 Mohm", "membrane resistance", "1 Mohm", "10000 Mohm"),
    ParamInfo("t_ref", "2 ms", "absolute refractory period", "0 ms", "100 ms"),
    ParamInfo("I", "0 nA", "constant input current", "-10 nA", "10 nA"),
)

QUADRATIC_IF = LibraryModel(
    name="quadratic_if",
    title="Quadratic integrate-and-fire",
    family="integrate-and-fire",
    description="Integrate-and-fire neuron with a quadratic spike-generating term that has the leaky "
                "slope -1/tau at v_rest; rheobase R*I = (v_c - v_rest)/4.",
    citation="Latham PE, Richmond BJ, Nelson PG, Nirenberg S (2000) Intrinsic dynamics in neuronal networks. "
             "I. Theory. J Neurophysiol 83:808-827; Ermentrout B (1996) Type I membranes, phase resetting "
             "curves, and synchrony. Neural Comput 8:979-1001.",
    spec=ModelSpec(
        equations="""
dv/dt = ((v - v_rest)*(v - v_c)/(v_c - v_rest) + R*(I + I_stim))/tau : volt (unless refractory)
v_rest : volt
v_c : volt
v_peak : volt
v_reset : volt
tau : second
R : ohm
t_ref : second
I : amp
I_stim : amp
""",
        threshold="v > v_peak",
        reset="v = v_reset",
        refractory="t_ref",
        method="rk4",
        initial={"v": "v_rest"},
        receptors={"syn": Receptor("v += w")},
        current_input="I_stim",
    ),
    params=_QIF_PARAMS,
    receptors=("syn",),
)

_EIF_PARAMS = (
    ParamInfo("v_rest", "-65 mV", "resting potential", "-100 mV", "0 mV"),
    ParamInfo("v_t", "-50 mV", "threshold of the exponential term", "-100 mV", "0 mV"),
    ParamInfo("delta_t", "2 mV", "slope factor", "0.1 mV", "10 mV"),
    ParamInfo("v_peak", "-40 mV", "spike cut-off (v_t + 5 delta_t)", "-60 mV", "50 mV"),
    ParamInfo("v_reset", "-70 mV", "reset potential", "-100 mV", "0 mV"),
    ParamInfo("tau", "10 ms", "membrane time constant", "0.1 ms", "1000 ms"),
    ParamInfo("R", "10 Mohm", "membrane resistance", "1 Mohm", "10000 Mohm"),
    ParamInfo("t_ref", "2 ms", "absolute refractory period", "0 ms", "100 ms"),
    ParamInfo("I", "0 nA", "constant input current", "-10 nA", "10 nA"),
)

EXPONENTIAL_IF = LibraryModel(
    name="exponential_if",
    title="Exponential integrate-and-fire",
    family="integrate-and-fire",
    description="Leaky integrate-and-fire neuron with an exponential spike-initiation current of slope "
                "delta_t around v_t; the upswing is cut at v_peak.",
    citation="Fourcaud-Trocme N, Hansel D, van Vreeswijk C, Brunel N (2003) How spike generation mechanisms "
             "determine the neuronal response to fluctuating inputs. J Neurosci 23:11628-11640.",
    spec=ModelSpec(
        equations="""
dv/dt = (v_rest - v + delta_t*exp((v - v_t)/delta_t) + R*(I + I_stim))/tau : volt (unless refractory)
v_rest : volt
v_t : volt
delta_t : volt
v_peak : volt
v_reset : volt
tau : second
R : ohm
t_ref : second
I : amp
I_stim : amp
""",
        threshold="v > v_peak",
        reset="v = v_reset",
        refractory="t_ref",
        method="rk4",
        initial={"v": "v_rest"},
        receptors={"syn": Receptor("v += w")},
        current_input="I_stim",
    ),
    params=_EIF_PARAMS,
    receptors=("syn",),
)

MODELS = (LIF, FITZHUGH_NAGUMO, MORRIS_LECAR, HINDMARSH_ROSE, QUADRATIC_IF, EXPONENTIAL_IF)
