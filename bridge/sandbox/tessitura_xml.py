"""XML the way TessituraService (a WCF DataContract serialiser) writes it, and a safe reader.

Writing: a collection is a pluralised root around one element per item; members appear in
alphabetical (ordinal) order; every root declares ``xmlns:i`` and nulls are ``i:nil="true"``; some
types also put their elements in a default DataContract namespace.

Reading: request bodies are parsed with entities, DTDs and the network off; any DOCTYPE is refused,
so a billion-laughs or XXE body fails fast and reads nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
TXN_NAMESPACE = "http://schemas.datacontract.org/2004/07/Tessitura.Service.Client.Txn"


class XmlBodyError(ValueError):
    """A request body that is not XML we are willing to read."""


def render(
    root: str, data: Mapping[str, Any] | Sequence[Any], *, item: str = "", namespace: str = ""
) -> bytes:
    """One object (``data`` a mapping) or a collection (``data`` a list of ``item`` elements)."""
    nsmap: dict[str | None, str] = {"i": XSI}
    if namespace:
        nsmap[None] = namespace
    element = etree.Element(_qname(root, namespace), nsmap=nsmap)  # type: ignore[arg-type]
    if isinstance(data, Mapping):
        _fill(element, data, namespace)
    else:
        if not item:
            raise ValueError("a collection needs an item element name")
        for value in data:
            _append(element, item, value, namespace)
    body: bytes = etree.tostring(element, xml_declaration=False, encoding="utf-8")
    return body


def _qname(name: str, namespace: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


def _fill(element: etree._Element, data: Mapping[str, Any], namespace: str) -> None:
    for key in sorted(data):
        _append(element, key, data[key], namespace)


def _append(parent: etree._Element, name: str, value: Any, namespace: str) -> None:
    child = etree.SubElement(parent, _qname(name, namespace))
    if value is None:
        child.set(f"{{{XSI}}}nil", "true")
    elif isinstance(value, Mapping):
        _fill(child, value, namespace)
    elif isinstance(value, list | tuple):
        singular = name[:-1] if name.endswith("s") else name
        for v in value:
            _append(child, singular, v, namespace)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)


# -- reading -----------------------------------------------------------------------------------


def parse_body(body: bytes) -> etree._Element:
    """Parse a request body, refusing DTDs and entities; raises :class:`XmlBodyError`."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise XmlBodyError("DOCTYPE and entity declarations are not accepted")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlBodyError(f"the body is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise XmlBodyError("DOCTYPE declarations are not accepted")
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child with this local name, whatever its namespace."""
    for c in element:
        if isinstance(c.tag, str) and local_name(c) == name:
            return c
    return None


def children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def text_of(element: etree._Element, name: str) -> str | None:
    """Text of a child by local name; None when absent or ``i:nil``."""
    c = child(element, name)
    if c is None or c.get(f"{{{XSI}}}nil") == "true":
        return None
    return (c.text or "").strip()
