"""The app's screens: main, search, questions, and the small modals."""
