"""The names findings and claims speak about, apart from the fits so that checking a spec's
claims (every time a spec loads) does not import numpy."""

MODELS = ("constant", "linear", "exponential")
"""Growth models a finding chooses between and a growth claim may expect."""
METRICS = ("seconds_per_iteration", "peak_memory_bytes", "tasks_per_second")
"""The cost metrics findings and claims speak about."""
