"""Case-insensitive phrase search without sre's per-character case folding.

A long ``re.IGNORECASE`` alternation (the prompt phrases are 3k characters) folds the case of
every character it tries: ~0.7 ms per line, a fifth of cleaning. Searching the lowercased line
with the same pattern compiled case-sensitively is 3-6x faster and finds the same lines when

- the pattern's literals are lowercase (checked here, once, when the pattern is wrapped);
- lowercasing keeps the line's length (one character for one: "İ" becomes two);
- the lowered line holds none of the odd members of sre's case-equivalence classes that the
  pattern's letters admit ("ı" and "ſ" for "i" and "s", "ᲀ" for "в", "ς" for "σ"): sre matches
  them under IGNORECASE, but lowercasing does not turn them into the pattern's letter.

A line that fails a condition is searched with the IGNORECASE pattern itself, so the answer is
always the one sre gives. ``tests/test_folded.py`` checks over every code point the facts this
relies on: one-character lowercasing agrees with sre's simple case mapping and keeps ``\\w``,
``\\s`` and ``\\d`` classes.
"""

from __future__ import annotations

import re
from re import _casefix, _constants, _parser  # type: ignore[attr-defined]

_EXTRA: dict[int, tuple[int, ...]] = _casefix._EXTRA_CASES


class FoldedPattern:
    """An IGNORECASE pattern whose ``found`` searches the lowercased text case-sensitively."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        if not pattern.flags & re.IGNORECASE:
            raise ValueError(f"not an IGNORECASE pattern: {pattern.pattern[:60]!r}")
        self.pattern = pattern
        self._sensitive = re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)
        odd = _admitted_odd_cases(pattern)
        self._odd = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(odd)) + "]") if odd else None

    def found(self, text: str) -> bool:
        """Whether ``self.pattern.search(text)`` finds a match."""
        lowered = text.lower()
        if len(lowered) != len(text) or (self._odd is not None and self._odd.search(lowered)):
            return self.pattern.search(text) is not None
        return self._sensitive.search(lowered) is not None


def _admitted_odd_cases(pattern: re.Pattern[str]) -> set[int]:
    """The characters sre matches, under IGNORECASE, against the pattern's letters although they
    do not lowercase to them. Raises on what lowercasing cannot stand in for: an uppercase
    literal, a scoped flag that turns IGNORECASE off, a backreference."""
    odd: set[int] = set()

    def letter(code: int) -> None:
        if chr(code).lower() != chr(code):
            raise ValueError(f"uppercase {chr(code)!r} in {pattern.pattern[:60]!r}: write it lowercase")
        odd.update(_EXTRA.get(code, ()))

    def walk(items: object) -> None:
        for op, av in items:  # type: ignore[attr-defined]
            if op in (_constants.LITERAL, _constants.NOT_LITERAL):
                letter(av)
            elif op is _constants.RANGE:
                for code in range(av[0], av[1] + 1):
                    if not av[0] <= ord(chr(code).lower()[0]) <= av[1]:
                        raise ValueError(
                            f"range {av} in {pattern.pattern[:60]!r} is not closed under lowercasing"
                        )
                    odd.update(_EXTRA.get(code, ()))
            elif op is _constants.IN:
                walk(av)
            elif op is _constants.SUBPATTERN:
                if av[2] & re.IGNORECASE:  # del_flags
                    raise ValueError(f"(?-i:...) in {pattern.pattern[:60]!r}")
                walk(av[3])
            elif op is _constants.BRANCH:
                for branch in av[1]:
                    walk(branch)
            elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
                walk(av[2])
            elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
                walk(av[1])
            elif op is _constants.ATOMIC_GROUP:
                walk(av)
            elif op in (_constants.GROUPREF, _constants.GROUPREF_EXISTS):
                raise ValueError(f"backreference in {pattern.pattern[:60]!r}")

    walk(_parser.parse(pattern.pattern, pattern.flags))
    return odd
