"""From a city's own data: read a CAD export, fit a scenario to it, and make synthetic exports.

This layer produces scenarios (plain data validated by sim.scenario); it reads sim.scenario,
sim.engine (the synthetic export runs the model) and sim.analysis, never sim.outputs.
"""
