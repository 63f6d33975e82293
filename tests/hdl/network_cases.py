"""Networks the co-simulation tests run: every library model as one Poisson-driven population, and CUBA."""

from engine.equations.model import ModelSpec, Receptor, check_model
from engine.equations.units import format_dimension
from engine.models import LIBRARY, get_model
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from tests.engine.network.test_simulation import CUBA_LIF

# A model using every fixed-point rule the program has: tables, division by a variable, clip, ceil,
# int, sign, floor, rand and randn, t, lastspike, i and N, refractoriness.
KITCHEN_SINK = ModelSpec(
    equations="""
dv/dt = (E_L - v + D*exp((v - V_T)/D) - u + I_stim*R)/tau : volt (unless refractory)
du/dt = (a*(v - E_L) - u)/tau_u + sigma*randn()/ms : volt
dz/dt = (clip(v/(abs(u) + 1*mV), -4, 4) - z + ceil(z) - int(z) + sign(u/mV)*(floor(z) if (v > E_L and u < 0*mV) or not (z > 1) else 0.5) + 0.01*i + 0.001*N)/ms : 1
dy/dt = ((t - lastspike)/ms - y)/(5*ms) + sqrt(abs(y))/ms - tanh(z)/ms : 1
E_L : volt
V_T : volt
D : volt
R : ohm
tau : second
tau_u : second
a : 1
sigma : volt
V_r : volt
I_stim : amp
""",
    threshold="v >= -40*mV",
    reset="v = V_r; u += 2*mV; z = -z",
    refractory="1*ms",
    method="euler",
    parameters={"E_L": "-65 mV", "V_T": "-50 mV", "D": "2 mV", "R": "0.2 Gohm", "tau": "10 ms",
                "tau_u": "50 ms", "a": 0.5, "sigma": "0.5 mV", "V_r": "-60 mV"},
    initial={"v": "-65 mV", "u": "0 mV", "z": 0.5, "y": 0},
    receptors={"ex": Receptor("v += w*rand()")},
    current_input="I_stim",
)


# A Poisson weight and a dc amplitude per receptor / current dimension that make each model fire.
WEIGHTS = {"amp": "60 pA", "siemens": "4 nS", "volt": "1 mV", "1 (dimensionless)": "0.1"}
DC_AMPLITUDE = "150 pA"  # for the models whose injected current is a current


# rk4 models whose step needs hundreds of multipliers: the planner refuses them by name.
TOO_LARGE = ("aeif_cond_alpha", "aeif_cond_exp", "hh_psc_alpha")


def library_models(names=None, size: int = 12, seed: int = 5) -> NetworkDef:
    """Each library model as its own population, driven by its own Poisson generator (and a dc current);
    a multimeter records every state variable of three neurons."""
    pops, devices = [], []
    for name in names or [*(n for n in LIBRARY if n not in TOO_LARGE), "every_rule"]:
        model = get_model(name) if name in LIBRARY else KITCHEN_SINK
        spec = model.spec if name in LIBRARY else model
        checked = check_model(spec)
        receptor, dim = next(iter(checked.receptor_dims.items()))
        pops.append(PopulationDef(name, model, size))
        devices.append(DeviceDef(f"drive_{name}", "poisson_generator", name, {"rate": "3 kHz"},
                                 weight=WEIGHTS[format_dimension(dim)], delay="0.5 ms", receptor=receptor))
        if format_dimension(checked.parameters[spec.current_input].dim) == "amp":
            devices.append(DeviceDef(f"dc_{name}", "dc_generator", name, {"amplitude": DC_AMPLITUDE},
                                     delay="0.1 ms"))
        devices.append(DeviceDef(f"meter_{name}", "multimeter", name,
                                 {"record_from": list(checked.states), "interval": "0.1 ms"}, neurons=(0, 5, size - 1)))
    return NetworkDef(tuple(pops), (), tuple(devices), seed=seed)


def cuba_1000(seed: int = 2) -> NetworkDef:
    """CUBA (Vogels & Abbott) with 800 E / 200 I neurons, 2% connectivity and delays of 15 and 7 steps."""
    start = "Vr + rand()*(Vt - Vr)"
    pops = (PopulationDef("E", CUBA_LIF, 800, initial={"v": start}),
            PopulationDef("I", CUBA_LIF, 200, initial={"v": start}))
    synapses = (("E", "1.62 mV", "ge += w", "1.5 ms"), ("I", "-9 mV", "gi += w", "0.7 ms"))
    projections = tuple(ProjectionDef(f"{s}{t}", s, t, Rule("pairwise_bernoulli", p=0.02), w, delay, on_pre=on_pre)
                        for s, w, on_pre, delay in synapses for t in ("E", "I"))
    meter = DeviceDef("vm", "voltmeter", "E", {"record_from": ["v", "ge", "gi"], "interval": "0.1 ms"},
                      neurons=(0, 17, 799))
    return NetworkDef(pops, projections, (meter,), seed=seed)
