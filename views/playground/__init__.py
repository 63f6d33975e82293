"""The equation playground workspace: model editor, parameters, stimulus, trace, and the analysis panels."""
