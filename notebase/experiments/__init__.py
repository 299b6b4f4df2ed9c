"""Meta-learning experiments: specs, task distributions, algorithms, the runner and its records.

Importing this package loads no torch; `runner`, `tasks` and `algorithms` import it when used.
"""
