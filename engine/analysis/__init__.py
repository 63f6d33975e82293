"""Single-neuron analyses for the equation playground and the CLI (no Qt).

Every analysis is a pure function of a model (a :class:`~engine.models.base.LibraryModel`
or a :class:`~engine.equations.model.ModelSpec`) and options, and returns a
small frozen dataclass of NumPy arrays whose fields say their units.

Conventions shared by the modules: durations, ``dt`` and stimulus times are
given in seconds (as everywhere in the engine); returned times are in ms;
currents and parameter values are plain numbers in the model's own units (its
unit system: pA, mV, ms, nS, pF for ``nest``); rates are in Hz.

* :mod:`~engine.analysis.stimulus`    stimulus protocols (step, ramp, sine, pulses, noise, spike trains)
* :mod:`~engine.analysis.traces`      one neuron under a protocol
* :mod:`~engine.analysis.fi_curve`    rate against constant current, rheobase
* :mod:`~engine.analysis.phase_plane` vector field, nullclines, trajectory
* :mod:`~engine.analysis.bifurcation` voltage extrema of the attractor against a parameter
* :mod:`~engine.analysis.isi`         ISI statistics, spike-triggered average, rate sensitivity, rate maps
* :mod:`~engine.analysis.precision`   float64 against fixed point, narrowest Q format

Shared machinery: :mod:`~engine.analysis.batch` runs variants of a model (per
current, per parameter value) as one population, with progress and
cancellation; :mod:`~engine.analysis.contour` draws zero contours;
:mod:`~engine.analysis.common` holds the errors (:class:`AnalysisError`,
:class:`Cancelled`) and unit helpers.
"""
