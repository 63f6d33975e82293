"""The studio's data files (example projects, the project JSON Schema, the window icon), shipped as package data.

Read them with :func:`importlib.resources.files`, e.g. ``files("resources") / "examples"``,
so an installed wheel finds them as a source checkout does.
"""
