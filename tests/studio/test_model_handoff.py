"""Handing a playground model on: into a project's models (undoable) and to hardware as a datapath."""

from dataclasses import replace

import numpy as np

from engine.analysis.stimulus import Step
from engine.analysis.traces import trace
from engine.fixedpoint import QFormat
from engine.models import get_model
from studio.document.document import Document
from studio.playground.handoff import LoweringError, add_model_command, emit_verilog, model_entry
from studio.project.project_doc import InlineModel, LibraryRef


def test_a_library_model_with_new_values_stays_a_library_reference():
    lif = get_model("lif").with_parameters(tau="15 ms")
    entry = model_entry(lif, {"v_th": "-52 mV"})
    assert entry == LibraryRef("lif", {"tau": "15 ms", "v_th": "-52 mV"})


def test_an_edited_model_goes_inline_with_its_values():
    lif = get_model("lif")
    edited = replace(lif, spec=replace(lif.spec, threshold="v > v_th + 1*mV"))
    entry = model_entry(edited, {"tau": "15 ms"})
    assert isinstance(entry, InlineModel)
    assert entry.spec.threshold == "v > v_th + 1*mV" and entry.spec.parameters["tau"] == "15 ms"


def test_adding_a_model_is_one_undoable_edit_and_not_repeated():
    doc = Document()
    model = get_model("lif").with_parameters(tau="15 ms")
    name, command = add_model_command(doc, model, base="lif")
    assert name == "lif_2"  # the library's own name stays the library's
    command.redo()
    assert doc.settings["models"] == {"lif_2": LibraryRef("lif", {"tau": "15 ms"})}
    again, none = add_model_command(doc, model, base="lif")
    assert (again, none) == ("lif_2", None)
    command.undo()
    assert doc.settings["models"] == {}


def test_verilog_comes_with_the_fixed_point_trace_of_the_same_protocol():
    model, fmt = get_model("iaf_psc_exp"), QFormat.parse("Q8.8")
    stimuli = (Step(100.0, onset=0.01),)
    preview = emit_verilog(model, fmt, duration=0.1, stimuli=stimuli, module="nc_test")
    assert preview.verilog.module == "nc_test" and "module nc_test" in preview.verilog.text
    assert preview.verilog.fmt == fmt
    run = trace(model, duration=0.1, stimuli=stimuli, fixed=fmt)
    np.testing.assert_array_equal(preview.fixed.values["V_m"], run.values["V_m"])
    assert preview.fixed.fmt == fmt


def test_a_lowering_error_says_it_cannot_lower_and_where():
    assert str(LoweringError("no rule for `**`", "instruction 3", "x**a")) == (
        "cannot lower instruction 3: no rule for `**`\n    in `x**a`")
    assert str(LoweringError("too many registers", "module", "")) == "cannot lower module: too many registers"
