"""Generate NEST single-neuron reference traces for NeuroCore Studio tests.

Run from the repo root with the NEST venv interpreter:

    /tmp/peers/bin/python tests/data/nest/make_nest_refs.py

Writes ``<model>__<case>.npz`` next to this script (see README.md), or into
the folder given as the first argument.
Protocol: dt = 0.1 ms, 1 thread, fresh ResetKernel per run, 300 ms,
multimeter (interval 0.1 ms, all recordables) + spike_recorder.
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
DT = 0.1
T_SIM = 300.0
T_PAD = 2.0  # extra simulated time, cut off (multimeter lag, see README)

EXC_TIMES = [10.0, 12.0, 50.0, 50.5, 51.0, 120.0, 121.0, 122.0, 123.0, 124.0, 200.0]
INH_TIMES = [60.0, 61.0, 150.0]
SPIKE_DELAY = 1.0
DC_DELAY = 0.1

# GLIF variants (NEST glif_cond docs): flags
# (spike_dependent_threshold, after_spike_currents, adapting_threshold)
GLIF_FLAGS = {
    1: (False, False, False),  # GLIF1  LIF
    2: (True, False, False),   # GLIF2  LIF_R   (spike-dependent threshold / reset rule)
    3: (False, True, False),   # GLIF3  LIF_ASC (after-spike currents)
    4: (True, True, False),    # GLIF4  LIF_R_ASC
    5: (True, True, True),     # GLIF5  LIF_R_ASC_A (voltage-adapting threshold)
}
GLIF_SYN = {"tau_syn": [0.2, 2.0], "E_rev": [0.0, -85.0]}  # = NEST 3.10 defaults, set explicitly

# Per model: dc amplitude (pA, izhikevich: model units), spike-case weight W
# (pA for psc_exp/alpha/hh/mat2; mV jump for iaf_psc_delta & izhikevich; nS for cond models)
# and bias I_e for the spikes case.
CFG = {
    "iaf_psc_delta":   dict(dc=450.0, W=2.0,   bias=200.0),
    "iaf_psc_exp":     dict(dc=450.0, W=300.0, bias=200.0),
    "iaf_psc_alpha":   dict(dc=450.0, W=120.0, bias=200.0),
    "iaf_cond_exp":    dict(dc=300.0, W=40.0,  bias=150.0),
    "iaf_cond_alpha":  dict(dc=300.0, W=12.0,  bias=150.0),
    "aeif_cond_alpha": dict(dc=800.0, W=40.0,  bias=300.0),
    "aeif_cond_exp":   dict(dc=800.0, W=100.0, bias=300.0),
    "izhikevich":      dict(dc=10.0,  W=3.0,   bias=2.0),
    "hh_psc_alpha":    dict(dc=700.0, W=400.0, bias=150.0),
    "mat2_psc_exp":    dict(dc=500.0, W=400.0, bias=200.0),
}
for k in GLIF_FLAGS:
    CFG["glif_cond_%d" % k] = dict(dc=300.0, W=15.0, bias=0.0, glif=k)

WEIGHT_UNITS = {
    "iaf_psc_delta": "mV (instantaneous V_m jump)",
    "izhikevich": "mV (instantaneous V_m jump)",
}
UNITS = {
    "V_m": "mV", "V_th": "mV", "U_m": "mV (izhikevich recovery variable, model units)",
    "I_syn_ex": "pA", "I_syn_in": "pA", "g_ex": "nS", "g_in": "nS", "w": "pA",
    "t_ref_remaining": "ms", "Act_m": "1", "Act_n": "1", "Inact_h": "1",
    "ASCurrents_sum": "pA", "I": "pA", "g_1": "nS", "g_2": "nS",
    "threshold": "mV", "threshold_spike": "mV", "threshold_voltage": "mV",
}


def jsonable(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, (list, tuple)):
        out = [jsonable(x) for x in v]
        return None if any(x is None for x in out) else out
    return None


def nest_model(name):
    return "glif_cond" if name.startswith("glif_cond") else name


def run(name, case, cfg, T=T_SIM, save=True):
    model = nest_model(name)
    nest.ResetKernel()
    nest.set(resolution=DT, local_num_threads=1)
    params = {}
    if "glif" in cfg:
        f = GLIF_FLAGS[cfg["glif"]]
        params.update(spike_dependent_threshold=f[0], after_spike_currents=f[1],
                      adapting_threshold=f[2], **GLIF_SYN)
    has_ie = "I_e" in nest.GetDefaults(model)
    stim = {"dt": DT, "T": T}
    if case == "dc":
        params["I_e"] = cfg["dc"]
        stim.update(I_e=cfg["dc"])
    elif case == "spikes" and has_ie:
        params["I_e"] = cfg["bias"]
        stim.update(I_e=cfg["bias"])
    elif case == "bias_only" and has_ie:  # helper run (not saved)
        params["I_e"] = cfg["bias"]
    n = nest.Create(model, params=params)

    if case == "dcgen":
        g = nest.Create("dc_generator", params={"amplitude": cfg["dc"], "start": 0.0})
        nest.Connect(g, n, syn_spec={"delay": DC_DELAY})
        stim.update(I_e=0.0 if has_ie else None, dc_generator=dict(
            amplitude=cfg["dc"], start=0.0, stop=None, delay=DC_DELAY))
    elif case == "spikes":
        W = cfg["W"]
        ge = nest.Create("spike_generator", params={"spike_times": EXC_TIMES})
        gi = nest.Create("spike_generator", params={"spike_times": INH_TIMES})
        if "glif" in cfg:
            se = {"delay": SPIKE_DELAY, "weight": W, "receptor_type": 1}
            si = {"delay": SPIKE_DELAY, "weight": W / 2, "receptor_type": 2}
        else:
            se = {"delay": SPIKE_DELAY, "weight": W}
            si = {"delay": SPIKE_DELAY, "weight": -W / 2}
        nest.Connect(ge, n, syn_spec=se)
        nest.Connect(gi, n, syn_spec=si)
        wu = WEIGHT_UNITS.get(model, "nS" if ("cond" in model) else "pA")
        stim.update(
            W=W, bias_I_e=cfg["bias"] if has_ie else None, weight_units=wu,
            exc_generator=dict(spike_times=EXC_TIMES, **se),
            inh_generator=dict(spike_times=INH_TIMES, **si),
            note=("glif_cond: positive weights, receptor 1 = excitatory (E_rev 0 mV, tau_syn 0.2 ms),"
                  " receptor 2 = inhibitory (E_rev -85 mV, tau_syn 2.0 ms)") if "glif" in cfg else
                 ("negative weight -> inhibitory synapse (I_syn_in / g_in)"))

    rec = list(nest.GetDefaults(model)["recordables"])
    mm = nest.Create("multimeter", params={"interval": DT, "record_from": rec})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    # NEST delivers multimeter samples one min_delay slice late: after Simulate(T)
    # the last min_delay (= 1.0 ms by default, 0.1 ms once a 0.1 ms connection exists)
    # of samples is missing. Simulate a little longer and cut at T.
    nest.Simulate(T + T_PAD)

    ev = mm.events
    times = np.asarray(ev["times"], float)
    order = np.argsort(times, kind="stable")
    keep = order[times[order] <= T + 1e-9]
    data = {"t": times[keep]}
    for r in rec:
        data[r] = np.asarray(ev[r], float)[keep]
    st = np.asarray(sr.events["times"], float)
    data["spike_times"] = np.sort(st[st <= T + 1e-9])
    assert len(data["t"]) == int(round(T / DT)), (name, case, len(data["t"]))
    if not save:
        return data
    status = {k: jsonable(v) for k, v in n.get().items()}
    status = {k: v for k, v in status.items() if v is not None}
    meta = dict(model=model, name=name, case=case, nest_version=nest.__version__,
                resolution=DT, local_num_threads=1, sim_time=T, simulated_time=T + T_PAD,
                min_delay=nest.GetKernelStatus("min_delay"),
                multimeter_interval=DT, recordables=rec,
                params=status, stimulus=stim,
                units={"t": "ms", "spike_times": "ms", **{r: UNITS.get(r, "?") for r in rec}})
    if "glif" in cfg:
        meta["glif_variant"] = "GLIF%d" % cfg["glif"]
    data["meta"] = np.array(json.dumps(meta))
    fn = os.path.join(OUT, "%s__%s.npz" % (name, case))
    np.savez_compressed(fn, **data)
    return data


def conventions():
    """Empirical checks of NEST timing conventions; returns list of text lines."""
    L = []
    c = CFG["iaf_psc_delta"]
    d = run("iaf_psc_delta", "dc", c, save=False)
    t, v = d["t"], d["V_m"]
    s = d["spike_times"][0]
    i = int(np.argmin(abs(t - s)))
    L.append("(a) iaf_psc_delta dc: first spike stamped %.1f ms; V_m(%.1f)=%.4f, V_m(%.1f)=%.4f "
             "(V_th=-55, V_reset=-70). Sample at spike time already shows V_reset."
             % (s, t[i - 1], v[i - 1], t[i], v[i]))
    for name in ["iaf_psc_delta", "iaf_psc_exp", "iaf_cond_exp", "aeif_cond_alpha", "hh_psc_alpha"]:
        a = run(name, "dc", CFG[name], save=False)
        b = run(name, "dcgen", CFG[name], save=False)
        z = run(name, "none", CFG[name], save=False)
        fa = a["t"][np.argmax(a["V_m"] != z["V_m"])]
        fb = b["t"][np.argmax(b["V_m"] != z["V_m"])]
        k = int(round((fb - fa) / DT))
        same = bool(np.array_equal(b["V_m"][k:], a["V_m"][:-k])) if k > 0 else None
        L.append("(b) %s: first multimeter sample t=%.1f; V_m first differs from no-input run at t=%.1f with I_e, "
                 "at t=%.1f with dc_generator(delay 0.1); dcgen V_m == dc V_m shifted by %d step(s) (bitwise): %s; "
                 "first spikes dc=%s dcgen=%s" % (name, a["t"][0], fa, fb, k, same,
                                                  np.round(a["spike_times"][:2], 1).tolist(),
                                                  np.round(b["spike_times"][:2], 1).tolist()))
    b = run("glif_cond_1", "dcgen", CFG["glif_cond_1"], save=False)
    L.append("(b) glif_cond_1 dcgen: recordable I = %s at t=%s; V_m = %s" % (
        b["I"][:3].tolist(), b["t"][:3].round(1).tolist(), b["V_m"][:3].round(4).tolist()))
    for name in ["iaf_psc_delta", "iaf_psc_exp", "iaf_cond_exp", "glif_cond_1"]:
        a = run(name, "spikes", CFG[name], save=False)
        b = run(name, "bias_only", CFG[name], save=False)
        dv = np.abs(a["V_m"] - b["V_m"]) > 1e-12
        tv = a["t"][np.argmax(dv)]
        extra = ""
        for key in ("I_syn_ex", "g_ex", "g_1"):
            if key in a:
                j = np.argmax(np.abs(a[key]) > 0)
                extra = "; first nonzero %s at t=%.1f (value %.4g; previous sample %.4g)" % (
                    key, a["t"][j], a[key][j], a[key][j - 1])
        L.append("(c) %s: spike at s=10.0 with delay 1.0 -> V_m first differs from bias-only run at t=%.1f%s"
                 % (name, tv, extra))
    a = run("iaf_psc_exp", "dc", CFG["iaf_psc_exp"], save=False)
    tr = nest.GetDefaults("iaf_psc_exp")["t_ref"]
    for s in a["spike_times"][:2]:
        i = int(np.argmin(abs(a["t"] - s)))
        n = 0
        while a["V_m"][i + n] == -70.0:
            n += 1
        L.append("(d) iaf_psc_exp dc (t_ref=%.1f): spike %.1f; V_m == V_reset for %d samples (t=%.1f..%.1f), "
                 "next sample t=%.1f V_m=%.4f" % (tr, s, n, a["t"][i], a["t"][i + n - 1],
                                                  a["t"][i + n], a["V_m"][i + n]))
    for name in ["iaf_psc_delta", "glif_cond_1", "glif_cond_2"]:
        a = run(name, "dcgen", CFG[name], save=False)
        s = a["spike_times"][0]
        i = int(np.argmin(abs(a["t"] - s)))
        vr = a["V_m"][i]
        n = 0
        while a["V_m"][i + n] == vr:
            n += 1
        L.append("(d) %s dcgen (t_ref=%.2f): spike %.1f; V_m(pre)=%.4f, V_m(spike sample)=%.4f held for %d samples "
                 "(t=%.1f..%.1f)" % (name, nest.GetDefaults(nest_model(name))["t_ref"], s, a["V_m"][i - 1], vr, n,
                                    a["t"][i], a["t"][i + n - 1]))
    return L


def main():
    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:
        nest.set_verbosity("M_ERROR")
    summary = []
    for name, cfg in CFG.items():
        cases = ["dcgen", "spikes"] if "glif" in cfg else ["dc", "dcgen", "spikes"]
        for case in cases:
            d = run(name, case, cfg)
            st = d["spike_times"]
            fn = "%s__%s.npz" % (name, case)
            size = os.path.getsize(os.path.join(OUT, fn))
            summary.append("| %s | %d | %s | %.0f kB |" % (
                fn, len(st), ", ".join("%.1f" % x for x in st[:6]), size / 1024))
    print("| file | n_spikes | first spike times (ms) | size |")
    print("|---|---|---|---|")
    print("\n".join(summary))
    print()
    for line in conventions():
        print(line)


if __name__ == "__main__":
    main()
