"""The app's own widgets: note list, tag tree, note view, side panel, run panel."""
