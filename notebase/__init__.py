"""notebase: a Zettelkasten vault browser that runs the experiments its notes ask for."""

__version__ = "0.1.0"
