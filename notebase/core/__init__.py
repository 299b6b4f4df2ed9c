"""The domain: notes, links, citations, questions and the vault that holds them.

Imports no textual, torch or whoosh (a test proves it): the app, the CLI and the
experiment runner all stand on this package, never the other way round.
"""
