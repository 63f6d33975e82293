"""The hardware workspace: the generated network core (modules, manifest, resources) and its co-simulation."""
