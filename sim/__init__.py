"""crisis-sim: what happens when behavioural-health responders join crisis response.

    import sim
    scenarios = [sim.load_scenario(p) for p in ("scenarios/police_only.yaml", "scenarios/peer_embedded.yaml")]
    exp = sim.run_experiment(scenarios, replications=10, workers=2)
    exp.metrics, exp.comparison   # tidy DataFrames
    exp.save("results/my_run")
"""

from .designs.experiment import Experiment, run_experiment
from .engine.model import simulate
from .errors import ScenarioError
from .outputs.results import load_results
from .scenario.loading import load_scenario
from .scenario.schema import Scenario

__all__ = ["Experiment", "Scenario", "ScenarioError", "load_results", "load_scenario", "run_experiment", "simulate"]
__version__ = "0.1.0"
