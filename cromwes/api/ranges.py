"""HTTP byte ranges (RFC 9110 §14): one range is served, several or unsatisfiable ones are 416."""

import re

from cromwes.errors import RangeNotSatisfiable

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_BEYOND_ANY_FILE = 2**63
"""What a position of more than 18 digits stands for: RFC 9110 puts no bound on them, and
Python refuses to convert more than 4300 digits, but every such position lies past every file."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte to send, or None to send the whole file.

    A header that is not a bytes range is ignored, as RFC 9110 allows; several ranges and ranges
    that start past the end are refused with 416.
    """
    if header is None or not header.strip().lower().startswith("bytes"):
        return None
    if "," in header:
        raise RangeNotSatisfiable("Only a single byte range is served.", size=size)
    match = _RANGE.match(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text or _position(last_text) == 0:
            raise RangeNotSatisfiable(f"Range {header.strip()} selects no bytes.", size=size)
        length = min(_position(last_text), size)
        if size == 0:
            raise RangeNotSatisfiable("The file is empty.", size=size)
        return size - length, size - 1
    first = _position(first_text)
    last = _position(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable(
            f"Range {header.strip()} starts beyond the end of the {size}-byte file.", size=size
        )
    return first, min(last, size - 1)


def _position(digits: str) -> int:
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 18 else _BEYOND_ANY_FILE
