"""The HIL workspace: the telemetry panel of a board running the project, beside the engine."""
