"""RFC 8785 (JCS) bytes of decoded JSON, faster than the ``rfc8785`` library and byte-identical
to it, which stays the reference: anything outside the plain cases below is handed to it.

The plain cases are what ``orjson.loads`` returns for ordinary messages: dicts with ASCII keys,
lists, strings, booleans, None, integers within ±(2**53 - 1) and finite floats whose shortest
repr has no exponent. For those the reference writes a float as its repr without a trailing
``.0``, a string between quotes with the same escapes, and orders keys by their UTF-16 code
units, which for ASCII keys is plain string order. Everything else (other types, subclasses,
non-ASCII keys, exponents, NaN, out-of-range integers, strings that are not UTF-8) goes to
``rfc8785.dumps``, result or exception. ``tests/unit/test_jcs.py`` compares the two on
generated values.

For the plain cases orjson writes the same bytes as the reference (sorted ASCII keys, the same
escapes, UTF-8), all but the floats: a first pass puts each float's text in an
``orjson.Fragment`` (copying only the containers that hold one) and orjson writes the rest.
Where that pass or orjson refuses (a string that is not UTF-8), the writer in Python below
decides, as before.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import rfc8785

_INT_MAX = 2**53 - 1
_ESCAPE = re.compile(r'[\x00-\x1f\\"\b\f\n\r\t]')  # the reference's
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
            "\t": "\\t"}  # fmt: skip
for _code in range(0x20):
    _ESCAPES.setdefault(chr(_code), f"\\u{_code:04x}")


class _NotPlain(Exception):
    """A value the fast path leaves to the reference."""


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group(0)]


def _string(text: str, out: list[str]) -> None:
    out.append('"')
    out.append(_ESCAPE.sub(_escape, text) if _ESCAPE.search(text) else text)
    out.append('"')


def _float(value: float) -> str:
    if value == 0:
        return "0"
    text = repr(value)
    if "e" in text or "n" in text:  # an exponent, inf or nan
        raise _NotPlain
    return text[:-2] if text.endswith(".0") else text


def _swap(value: Any) -> Any:
    """``value`` with every float in an ``orjson.Fragment`` of its text; _NotPlain when it is
    not plain. Containers without a float are returned as they are."""
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        keyed = kind is dict
        copy: Any = None
        for key, item in value.items() if keyed else enumerate(value):
            if keyed and (type(key) is not str or not key.isascii()):
                raise _NotPlain
            of = type(item)
            if of is str or item is None or of is bool:
                continue
            if of is int:
                if not -_INT_MAX <= item <= _INT_MAX:
                    raise _NotPlain
                continue
            new = _swap(item)
            if new is not item:
                if copy is None:
                    copy = dict(value) if keyed else list(value)
                copy[key] = new
        return value if copy is None else copy
    if kind is float:
        return orjson.Fragment(_float(value))
    if kind is str or value is None or kind is bool:
        return value
    if kind is int and -_INT_MAX <= value <= _INT_MAX:
        return value
    raise _NotPlain


def _write(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        _string(value, out)
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        keys = list(value)
        for key in keys:
            if type(key) is not str or not key.isascii():
                raise _NotPlain
        keys.sort()
        sep = "{"
        for key in keys:
            out.append(sep)
            _string(key, out)
            out.append(":")
            _write(value[key], out)
            sep = ","
        out.append("}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        sep = "["
        for item in value:
            out.append(sep)
            _write(item, out)
            sep = ","
        out.append("]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        if not -_INT_MAX <= value <= _INT_MAX:
            raise _NotPlain
        out.append(str(value))
    elif kind is float:
        out.append(_float(value))
    else:
        raise _NotPlain


def dumps(value: Any) -> bytes:
    """``rfc8785.dumps(value)``: the same bytes, or the same exception."""
    try:
        return orjson.dumps(_swap(value), option=orjson.OPT_SORT_KEYS)
    except (_NotPlain, orjson.JSONEncodeError, RecursionError):
        pass
    out: list[str] = []
    try:
        _write(value, out)
        return "".join(out).encode("utf-8")
    except (_NotPlain, UnicodeEncodeError, RecursionError):
        return rfc8785.dumps(value)
