"""Tracked runs: a `kedro run` with `tracking.enabled` is also an MLflow run (kedro-mlflow, the
`tracking` extra), holding its resolved parameters, model-level metrics, report and figures, so that
runs which overwrite each other's `data/` can still be compared (config.py: the switch; hook.py:
what is logged). mlflow is imported only by a tracked run."""
