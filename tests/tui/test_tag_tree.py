"""The tag tree keeps the nodes a person opened when it is rebuilt."""

from __future__ import annotations

from textual.app import App, ComposeResult

from notebase.tui.widgets.tag_tree import TagTree

TAGS = [("ml", 3), ("ml/meta", 2), ("ml/meta/maml", 1), ("life", 1), ("비용", 1)]


class TreeApp(App):
    def compose(self) -> ComposeResult:
        yield TagTree()


async def test_opened_tags_stay_open_after_a_rebuild():
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(TagTree)
        tree.set_tags(TAGS, total=4)
        await pilot.pause()
        assert tree.expanded_tags() == {""}  # only the root
        ml = next(node for node in tree.root.children if node.data == "ml")
        ml.expand()
        next(node for node in ml.children if node.data == "ml/meta").expand()
        assert tree.expanded_tags() == {"", "ml", "ml/meta"}
        tree.set_tags([*TAGS, ("ml/new", 1)], total=5)
        await pilot.pause()
        assert tree.expanded_tags() == {"", "ml", "ml/meta"}
        ml = next(node for node in tree.root.children if node.data == "ml")
        assert sorted(node.data for node in ml.children) == ["ml/meta", "ml/new"]
