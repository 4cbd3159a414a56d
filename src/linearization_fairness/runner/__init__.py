"""Running the sweep on more than one process: Kedro's nodes as Ray tasks (`kedro run --runner=ray`,
see ray_runner.py). Ray is imported only by a run that uses it."""

RAY_RUNNER = "linearization_fairness.runner.ray_runner.RayRunner"


class SweepFailed(RuntimeError):
    """Some nodes failed; the others that could run did. The message is the summary."""
