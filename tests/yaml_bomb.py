"""A YAML alias bomb, shared by the tests that feed one to the parser (in tests/)."""

from __future__ import annotations


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A note whose frontmatter has ``levels`` lists of ``width`` aliases of the list before
    (width**levels strings once expanded), titled ``폭탄``."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"a: &a [{','.join(['lol'] * width)}]"]
    for level in range(1, levels):
        name, previous = names[level], names[level - 1]
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * width)}]")
    return "---\n" + "\n".join(lines) + "\n---\n# 폭탄\n"
