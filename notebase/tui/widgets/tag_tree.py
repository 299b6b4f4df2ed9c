"""The nested tag tree: ``ml/meta`` sits under ``ml``; each node shows its note count."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree

from notebase.tui.widgets.row_list import vim_keys

ALL_NOTES = ""
"""Node data of the root: choosing it lists every note again."""


class TagTree(Tree[str]):
    """Tags as a tree; node data is the full tag (``ml/meta``)."""

    BINDINGS = [
        *vim_keys("cursor_down", "cursor_up", "scroll_home", "scroll_end"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(Text("All notes"), data=ALL_NOTES, **kwargs)
        self.show_root = True
        self.guide_depth = 2

    def render_label(self, node, base_style, style) -> Text:
        """The node's label, cut with "…" where the panel ends (wide characters counted)."""
        label = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room > 1 and label.cell_len > room:
            label = label.copy()
            label.truncate(room, overflow="ellipsis")
        return label

    def expanded_tags(self) -> set[str]:
        """Tags whose nodes are open now (kept open across a rebuild)."""
        expanded, stack = set(), [self.root]
        while stack:
            node = stack.pop()
            if node.is_expanded:
                expanded.add(node.data)
            stack.extend(node.children)
        return expanded

    def set_tags(self, tag_counts: list[tuple[str, int]], total: int) -> None:
        """Rebuild from ``[(tag, count)]`` (parents counted for their children's notes too)."""
        expanded = self.expanded_tags()
        self.clear()
        self.root.set_label(Text.assemble("All notes ", (f"({total})", "dim")))
        self.root.data = ALL_NOTES
        counts = dict(tag_counts)
        nodes = {ALL_NOTES: self.root}
        # Every proper prefix of a tag is a parent node (expandable).
        parents = {
            "/".join(tag.split("/")[:depth])
            for tag in counts
            for depth in range(1, tag.count("/") + 1)
        }
        for tag in sorted(counts, key=lambda t: t.casefold()):
            parts = tag.split("/")
            for depth in range(1, len(parts) + 1):
                name = "/".join(parts[:depth])
                if name in nodes:
                    continue
                parent = nodes["/".join(parts[: depth - 1])]
                label = Text.assemble(parts[depth - 1], " ", (f"({counts.get(name, 0)})", "dim"))
                if name in parents or depth < len(parts):
                    nodes[name] = parent.add(label, data=name, expand=name in expanded)
                else:
                    nodes[name] = parent.add_leaf(label, data=name)
        self.root.expand()
