"""One folder per stage: thin node functions (nodes.py) and their wiring (pipeline.py)."""
