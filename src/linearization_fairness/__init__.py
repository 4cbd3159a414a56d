"""linearization-fairness: the disparate impact of ReLU linearization on group accuracy."""

__version__ = "0.1.0"
