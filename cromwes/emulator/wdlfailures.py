"""Cromwell's cause tree for a WDL document that did not load, without echoing what it read.

miniwdl's syntax errors quote the token they stopped at, and a token can be the rest of the file
(a command that never closes, or a file that is not WDL at all). The run's failures are shown to
whoever can read the run, so a message keeps at most a short excerpt of the submitter's own text,
and nothing of a document fetched from a URL that did not parse.
"""

import re
from collections.abc import Callable

import WDL

from cromwes.emulator.calls import Failure, failure

EXCERPT_CHARACTERS = 40
LINE_CHARACTERS = 160
MESSAGE_CHARACTERS = 1000
TOKEN = re.compile(r"Token\('([^']*)', '((?:[^'\\]|\\.)*)'\)")
"""How lark prints a token in its messages: `Token('TYPE', 'text as a repr')`."""

Submitted = Callable[[str], bool]
"""Whether the document at an absolute path is the submitter's own text."""


def load_failure(exn: BaseException, submitted: Submitted) -> Failure:
    """A failure tree from an exception and its causes, innermost last."""
    causes = [load_failure(exn.__cause__, submitted)] if exn.__cause__ is not None else []
    return failure(_describe(exn, submitted), causes)


def _describe(exn: BaseException, submitted: Submitted) -> str:
    if isinstance(exn, WDL.Error.MultipleValidationErrors):
        return "; ".join(_describe(e, submitted) for e in exn.exceptions)
    position = getattr(exn, "pos", None)
    where = ""
    if position is not None and getattr(position, "line", None):
        where = f" ({position.uri} line {position.line}, column {position.column})"
        if isinstance(exn, WDL.Error.SyntaxError) and not submitted(position.abspath):
            return f"{position.uri} could not be parsed as WDL{where}"
    return _shortened(str(exn) or exn.__class__.__name__) + where


def _shortened(text: str) -> str:
    """Tokens cut to a short excerpt of their first line, lines and the whole message capped."""
    text = TOKEN.sub(lambda m: f"Token('{m[1]}', '{_excerpt(m[2])}')", text)
    lines = [_cut(line, LINE_CHARACTERS) for line in text.rstrip("\n").split("\n")]
    return _cut("\n".join(lines), MESSAGE_CHARACTERS)


def _excerpt(token_text: str) -> str:
    first_line = token_text.split("\\n", 1)[0]
    cut = _cut(first_line, EXCERPT_CHARACTERS)
    return cut if cut != first_line or first_line == token_text else cut + "…"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
