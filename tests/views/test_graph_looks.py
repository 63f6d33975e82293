"""What an edge of the graph says: short values as written, long ones as what they come to."""

from engine.equations.units import AMP, Quantity
from studio.project.project_doc import ProjectionDoc, RuleDoc
from views.graph.looks import brief, projection_look

CONSTANTS = {"S_big": Quantity(123456.0), "scale": Quantity(0.1), "w_E": Quantity(87.81, AMP),
             "w_rel_std": Quantity(0.1)}


def test_a_short_value_is_shown_as_written():
    assert brief("0.02", CONSTANTS) == "=0.02"
    assert brief("-4*w_E", CONSTANTS) == "=-4*w_E"


def test_a_long_expression_shows_what_it_comes_to_over_the_constants():
    assert brief("floor(S_big*scale + 0.5)", CONSTANTS) == "=12,346"
    assert brief("w_E*(1 + w_rel_std)*scale", CONSTANTS) == "=9.659 pA"


def test_a_drawn_value_shows_the_centre_of_its_draws():
    assert brief("redraw(w_E*(1 + w_rel_std*randn()), 0*pA)", CONSTANTS) == "≈87.81 pA"
    assert brief("-redraw(4*w_E*(1 + w_rel_std*randn()), 0*pA)", CONSTANTS) == "≈-351.2 pA"


def test_a_long_value_that_does_not_evaluate_shows_its_start():
    assert brief("floor(S_unknown*scale + 0.5)", CONSTANTS) == "=floor(S_unknown…"


def test_the_edge_label_keeps_the_whole_text_in_its_tooltip():
    proj = ProjectionDoc("L4E_to_L23E", "L4E", "L23E", RuleDoc("fixed_total_number", n="floor(S_big*scale + 0.5)"),
                         weight="redraw(w_E*(1 + w_rel_std*randn()), 0*pA)")
    look = projection_look(proj, (), constants=CONSTANTS)
    assert look.label == "N=12,346 · w≈87.81 pA"
    assert "floor(S_big*scale + 0.5)" in look.tooltip and "redraw(w_E*(1 + w_rel_std*randn()), 0*pA)" in look.tooltip
