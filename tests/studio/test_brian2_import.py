"""Brian2 scripts read into model files (studio/interop/brian2_import.py, `ncstudio import FILE.py`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analysis.traces import trace
from engine.errors import ModelError
from studio.interop.brian2_import import import_brian2
from studio.project.modelfile import load_model_file

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "studio" / "data" / "brian2"
SCRIPT = Path(sys.executable).with_name("ncstudio")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "studio.cli.main"]


def read(name: str):
    return import_brian2((SCRIPTS / name).read_text(), name)


def failure(source: str) -> list[str]:
    with pytest.raises(ModelError) as info:
        import_brian2(source, "model.py")
    return [str(p) for p in info.value.problems]


def test_a_textbook_script_becomes_a_model_with_its_namespace():
    result = read("lif_namespace.py")
    spec = result.spec
    assert result.unread == ()
    assert spec.threshold == "v > v_th" and spec.reset == "v = v_rest"
    assert spec.refractory == "t - lastspike < (2 * ms) - 1.5*dt"  # Brian2's count of the period
    assert spec.method == "euler" and spec.initial == {"v": "v_rest"} and spec.parameters == {}
    assert spec.namespace == {"I0": "1.2 * nA", "R": "20 * Mohm", "f_drive": "5 * Hz", "tau": "10 * ms",
                              "v_rest": "-70 * mV", "v_th": "-50 * mV"}
    assert len(trace(spec, duration=0.2).spike_times) > 5


def test_module_prefixes_equations_and_group_values_are_read():
    spec = read("cobahh.py").spec
    assert spec.parameters == {"I": "700 pA"} and spec.initial == {"v": "El"}
    assert spec.namespace["Cm"] == "1 * ufarad * cm ** (-2) * area" and list(spec.namespace)[0] == "area"
    assert spec.method == "exponential_euler" and spec.refractory == "v > -40*mV"
    assert len(trace(spec, duration=0.1).spike_times) == 9


def test_what_is_not_read_is_named_with_its_line():
    result = read("leftovers.py")
    assert [f"line {p.line}: {p.message}" for p in result.unread] == [
        "line 12: model: the substitution `v_rest=` of Equations(...) is not read",
        "line 13: NeuronGroup's `events=` is not read",
        "line 14: `v` is not read: random initial values are set per population, not in the model",
        "line 15: `G.tau` is not a state or parameter of the model; it is not read",
        "line 16: run_regularly with its own dt or `when` is not read (it runs at the start of every step here)",
        "line 17: only the first NeuronGroup (line 13) is read",
    ]
    assert result.spec.method == "euler" and set(result.spec.namespace) == {"tau", "v_rest", "sigma"}


def test_method_not_given_is_the_one_brian2_would_choose():
    linear = import_brian2("tau = 10*ms\nG = NeuronGroup(1, 'dv/dt = -v/tau : volt')")
    nonlinear = import_brian2("tau = 10*ms\nG = NeuronGroup(1, 'dv/dt = -v**2/(tau*mV) : volt')")
    assert (linear.spec.method, nonlinear.spec.method) == ("exact", "euler")


def test_run_regularly_and_constant_over_dt_and_no_differential_equation():
    spec = import_brian2("""
rate = 20*Hz
G = NeuronGroup(3, '''
r : Hz
x = r*2 : Hz (constant over dt)
''', threshold='rand() < x*dt')
G.r = rate
G.run_regularly('r = rate + 0*Hz')
""").spec
    assert spec.run_regularly == "r = rate + 0*Hz" and spec.parameters == {"r": "20 Hz"}
    assert len(trace(spec, duration=1.0).spike_times) > 10


@pytest.mark.parametrize("source, message", [
    ("G = NeuronGroup(1, 'dv/dt = -v/tau : volt'", r"model.py: line 1, col 16: not Python: '\(' was never closed"),
    ("x = 1", r"model.py: line 1, col 1: no `NeuronGroup\(\.\.\.\)` found"),
    ("G = NeuronGroup(1, model=eqs)", r"model.py: line 1, col 5: the NeuronGroup's model equations cannot be read"),
    ("tau = 10*ms\neqs = '''\ndv/dt = -v/tau : volt\ndu/dt = -u/tau + v : volt\n'''\n"
     "G = NeuronGroup(1, eqs, threshold='v > 1*mV')",
     r"model.py: line 4, col 9: cannot add volt/second and volt in `-u/tau \+ v`"),
    ("tau = 10*ms\nG = NeuronGroup(1, 'dv/dt = -v/tau : volt', threshold='v > 1*mV', reset='v = x')",
     r"model.py: line 2, col 78: unknown name `x`"),
    ("tau = 10*mV\nG = NeuronGroup(1, 'dv/dt = -v/tau : volt')",
     r"model.py: line 2, col 29: dv/dt must have units volt/second, but the right side is 1 \(dimensionless\)"),
])
def test_a_broken_script_is_refused_at_its_line_and_column(source, message):
    found = failure(source)
    assert re.match(message, found[0]), found


def test_ncstudio_import_writes_a_model_file_and_lists_what_it_left_out(tmp_path):
    out = tmp_path / "model.ncsmodel"
    result = subprocess.run([*COMMAND, "import", str(SCRIPTS / "leftovers.py"), "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SCRIPTS / 'leftovers.py'}: line 12, col 13: not read: model: the substitution `v_rest=` " \
                       "of Equations(...) is not read"
    assert lines[-1].endswith(f"-> {out} (3 constants, method euler)")
    assert load_model_file(out).namespace == {"sigma": "2 * mV", "tau": "10 * ms", "v_rest": "-65 * mV"}


def test_ncstudio_import_refuses_a_broken_script_without_writing(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("G = NeuronGroup(1, 'dv/dt = -v/tau : volt')\n")
    out = tmp_path / "model.ncsmodel"
    result = subprocess.run([*COMMAND, "import", str(bad), "-o", str(out), "--json"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and not out.exists()
    assert result.stderr == f"ncstudio: error: 1 problem in {bad}; nothing written\n"
    (problem,) = json.loads(result.stdout)["problems"]
    assert (problem["line"], problem["col"], problem["message"]) == (1, 32, "unknown name `tau`")


EXAMPLES = [p.read_text() for p in sorted(SCRIPTS.glob("*.py"))]
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PIECES = st.sampled_from(["NeuronGroup(", "Equations(", "'''", "'", '"', "(", ")", ",", "=", "\n", " ", "*", "ms",
                          "mV", "dv/dt", ":", "volt", "threshold=", "reset=", "refractory=", "namespace=",
                          "{", "}", "x", "G.", "run_regularly(", "#", "\\", "1", "-", "é", "\x00", "tau"])


def _well_located(source: str) -> None:
    try:
        result = import_brian2(source, "fuzz.py")
    except ModelError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.field == "fuzz.py" and p.line >= 1 and p.col >= 1 and p.message.strip()
        return
    assert all(p.line >= 1 for p in result.unread)


@FUZZ
@given(st.lists(PIECES, max_size=40).map("".join))
def test_random_text_is_refused_with_a_location(source):
    _well_located(source)


@FUZZ
@given(st.sampled_from(EXAMPLES), st.data())
def test_edited_scripts_are_read_or_refused_with_a_location(source, data):
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(source)))
        cut = data.draw(st.integers(0, 6))
        source = source[:at] + data.draw(st.lists(PIECES, max_size=3).map("".join)) + source[at + cut:]
    _well_located(source)


def test_scripts_are_never_run(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w')\nG = NeuronGroup(1, 'dv/dt = -v/(10*ms) : volt')"
    import_brian2(source)
    assert not marker.exists()
    np.testing.assert_equal(import_brian2(source).spec.method, "exact")


def test_the_namespace_is_kept_by_model_files_and_the_playground_text(tmp_path):
    from studio.project.model_text import check_model_text, model_text
    from studio.project.modelfile import write_model_file

    spec = read("lif_namespace.py").spec
    write_model_file(tmp_path / "lif.ncsmodel", spec)
    assert load_model_file(tmp_path / "lif.ncsmodel") == spec
    parsed, checked, problems = check_model_text(model_text(spec))
    assert problems == [] and parsed.spec.namespace == spec.namespace and checked is not None
    text = model_text(spec).replace("tau = 10 * ms", "tau = 10 * mss")
    line = text.split("\n").index("tau = 10 * mss") + 1
    _, _, problems = check_model_text(text)
    assert [(p.line, p.col, p.message) for p in problems] == [(line, 12, "unknown name `mss` — did you mean `ms`?")]
