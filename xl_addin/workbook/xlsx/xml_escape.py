"""XML escaping exactly as ``xml.sax.saxutils`` does it, without importing that module: it
imports urllib.request, http.client and ssl, 30 ms of every refresh's start."""

from __future__ import annotations


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities (``saxutils.escape``)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """``text`` as a quoted attribute value (``saxutils.quoteattr``): escaped, line feed,
    carriage return and tab as character references; in double quotes, or in single quotes
    when it holds a double quote and no single one (else ``"`` becomes ``&quot;``)."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'
