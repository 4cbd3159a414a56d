"""Running the sweep on more than one process: Kedro's nodes as Ray tasks."""
