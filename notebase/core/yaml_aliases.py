"""How big (and how deep) loaded YAML really is once its aliases are followed.

YAML aliases (``&a`` / ``*a``) let a few hundred bytes describe a value of billions of
items: PyYAML shares the aliased objects, so loading stays cheap, but everything that
walks the value (the notes cache, JSON output, the app) expands it. Nine levels of nine
aliases, 369 bytes, made ``notebase tags`` run 80 s at 6 GB. An alias can also make a
value contain itself, which no walk ends.

``alias_problem`` measures the expanded size without expanding (each shared object is
counted once, then multiplied), so it costs one pass over the objects PyYAML built. It also
refuses nesting deeper than ``MAX_DEPTH``: a value the cache and JSON output cannot walk.
"""

from __future__ import annotations

MAX_EXPANDED_VALUES = 100_000
"""The most values (scalars and containers) frontmatter may expand to through aliases.
Ordinary frontmatter has tens; a list of 10,000 tags still fits, with or without aliases."""
MAX_DEPTH = 100
"""The deepest nesting of lists and mappings kept (ordinary frontmatter has 2 or 3): past
~500 levels, walking the value recursively (pickle, JSON) fails."""


def alias_problem(value: object, limit: int = MAX_EXPANDED_VALUES) -> str | None:
    """None when ``value`` (as loaded by PyYAML) is a finite tree at most ``MAX_DEPTH``
    deep that expands through aliases to at most ``limit`` values; else why it is
    refused, in words for a note's error list. Frontmatter without aliases is never
    refused for its size: that is its text's."""
    known: dict[int, tuple[int, int]] = {}
    """id(container) -> (expanded size, levels of containers from it down), once known."""
    open_ids: set[int] = set()
    """Containers whose children are being measured: meeting one again is a cycle."""
    shared = False
    stack: list[tuple[object, int, int]] = [(value, -1, 0)]
    """(item, -1, depth) to measure; (container, number of children, depth) once they
    are measured."""
    results: list[tuple[int, int]] = []
    """(size, height) of what was measured, children before their container."""
    too_deep = f"frontmatter nests deeper than {MAX_DEPTH} levels; it is ignored"
    while stack:
        item, count, depth = stack.pop()
        if count >= 0:
            children = results[len(results) - count :]
            del results[len(results) - count :]
            measured = (
                1 + sum(size for size, _ in children),
                1 + max((height for _, height in children), default=0),
            )
            open_ids.discard(id(item))
            known[id(item)] = measured
            results.append(measured)
            continue
        if not isinstance(item, list | dict):
            results.append((1, 0))
            continue
        key = id(item)
        if key in known:
            shared = True
            if depth + known[key][1] > MAX_DEPTH:
                return too_deep
            results.append(known[key])
            continue
        if key in open_ids:
            return "frontmatter contains itself through a YAML alias; it is ignored"
        if depth >= MAX_DEPTH:
            return too_deep
        open_ids.add(key)
        children = list(item.values()) if isinstance(item, dict) else item
        stack.append((item, len(children), depth))
        stack.extend((child, -1, depth + 1) for child in reversed(children))
    if shared and results[-1][0] > limit:
        return (
            f"frontmatter aliases expand to more than {limit:,} values "
            "(a YAML alias bomb?); the frontmatter is ignored"
        )
    return None
