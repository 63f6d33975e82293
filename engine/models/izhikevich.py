"""NEST's Izhikevich neuron (forward Euler, as NEST's ``consistent_integration``)."""

from __future__ import annotations

from engine.equations.model import ModelSpec, Receptor
from engine.models.base import LibraryModel, ParamInfo

# Izhikevich's equations are in "model units": V_m and U_m in mV, time in ms and the input
# current in mV/ms, i.e. pA across a 1 pF membrane; a and b are plain numbers (a per ms).
IZHIKEVICH = LibraryModel(
    name="izhikevich",
    title="Izhikevich neuron",
    nest_name="izhikevich",
    family="quadratic integrate-and-fire",
    description="Izhikevich's two-variable model, dV_m/dt = 0.04 V_m^2 + 5 V_m + 140 - U_m + I and "
                "dU_m/dt = a (b V_m - U_m), integrated with forward Euler as NEST does.  At V_m >= V_th "
                "V_m is set to c and U_m grows by d.  Input spikes make V_m jump by the weight (mV).  "
                "NEST's V_min (default: no lower bound) is not modelled.",
    citation="Izhikevich EM (2003) Simple model of spiking neurons. IEEE Trans Neural Netw 14:1569-1572.",
    spec=ModelSpec(
        equations="""
dV_m/dt = (0.04/mV*V_m*V_m + 5*V_m + 140*mV - U_m + (I_e + I_stim)/pF*ms)/ms : volt
dU_m/dt = a*(b*V_m - U_m)/ms : volt
a : 1
b : 1
c : volt
d : volt
V_th : volt
I_e : amp
I_stim : amp
""",
        threshold="V_m >= V_th",
        reset="V_m = c\nU_m += d",
        method="euler",
        initial={"V_m": "-65 mV", "U_m": "-13 mV"},
        receptors={"delta": Receptor("V_m += w")},
        current_input="I_stim",
    ),
    params=(
        ParamInfo("a", "0.02", "recovery rate of U_m (per ms)", "0", "1"),
        ParamInfo("b", "0.2", "sensitivity of U_m to V_m", "-1", "1"),
        ParamInfo("c", "-65 mV", "after-spike reset value of V_m", "-100 mV", "0 mV"),
        ParamInfo("d", "8 mV", "after-spike increment of U_m", "-20 mV", "20 mV"),
        ParamInfo("V_th", "30 mV", "spike cut-off", "0 mV", "100 mV"),
        ParamInfo("I_e", "0 pA", "constant input current (model units: 1 pA gives 1 mV/ms)", "-100 pA", "100 pA"),
    ),
    receptors=("delta",),
)

MODELS = (IZHIKEVICH,)
