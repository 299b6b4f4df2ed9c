"""The Textual app: browse, search, read citations and questions, run a note's experiment.

Importing this package imports no torch and no whoosh; see ``notebase.tui.app``.
"""
