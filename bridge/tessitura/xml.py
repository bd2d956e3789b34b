"""Reading TessituraService XML safely and by local name; writing the two request bodies we send.

Tessitura's namespaces differ between types (some roots carry a DataContract default namespace,
nested types may switch with prefixes), so elements are matched by local name only. The parser has
entities, DTD loading and the network off, and any DOCTYPE is refused: a billion-laughs or XXE
answer fails at once with :class:`~bridge.errors.MalformedResponseError` and reads no file.
Which children form a list and which an object is taken from the target pydantic model.

XML carries only text, so the reader converts it to the type the model declares, and nothing more
liberal than the models' strict JSON reading: an ``int`` field takes a plain integer literal
(``12``, ``-1``; not ``1.0``, ``1e3``, ``true`` or ``""``), a ``bool`` field ``true`` or
``false``. Text that does not convert is passed on as text, so strict validation refuses it with
the field's name; dates stay text for the models' own date parser.

lxml is imported by the functions that use it: a bridge on Tessitura's JSON never loads it.
"""

from __future__ import annotations

import re
import types
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from bridge.errors import MalformedResponseError

if TYPE_CHECKING:
    from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
VENDOR = "tessitura"
#: xs:int as DataContract writes it: optional sign, ASCII digits, surrounding whitespace allowed.
#: At most 18 digits: Tessitura's ids are 32-bit, and longer text never reaches int().
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_BOOLEANS = {"true": True, "false": False}


def parse_document(body: bytes) -> etree._Element:
    """The root element of a response body; hostile or broken XML is a MalformedResponseError."""
    from lxml import etree

    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _malformed("the answer declares a DOCTYPE; refused", body)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _malformed(f"the answer is not well-formed XML ({exc})", body) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise _malformed("the answer declares a DOCTYPE; refused", body)
    return root


def _malformed(message: str, body: bytes) -> MalformedResponseError:
    return MalformedResponseError(
        message, vendor=VENDOR, body=body[:10_000].decode("utf-8", "replace")
    )


def local_name(element: etree._Element) -> str:
    from lxml import etree

    return etree.QName(element).localname


def elements(parent: etree._Element) -> list[etree._Element]:
    """Child elements, skipping comments and processing instructions."""
    return [c for c in parent if isinstance(c.tag, str)]


def is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI}}}nil") == "true"


def object_data(element: etree._Element, model: type[BaseModel]) -> dict[str, Any]:
    """An element's children as the alias-keyed dict ``model`` validates; unknown names skipped.

    A known member given twice is a MalformedResponseError: picking either value would be a guess.
    """
    fields = {(f.alias or name): f.annotation for name, f in model.model_fields.items()}
    out: dict[str, Any] = {}
    for c in elements(element):
        name = local_name(c)
        if name in fields:
            if name in out:
                raise MalformedResponseError(
                    f"{model.__name__}: {name} appears twice in one element", vendor=VENDOR
                )
            out[name] = _value(c, fields[name])
    return out


def collection_data(root: etree._Element, model: type[BaseModel]) -> list[dict[str, Any]]:
    """A pluralised root's items, whatever the root and item elements are called.

    Only a collection is read as one: a root named like one (``...s``, ``ArrayOf...``), with no
    text of its own and items of one kind. A gateway's ``<string>Service unavailable</string>``
    or an empty ``<html/>`` is a malformed answer, never an empty list of holds."""
    from lxml import etree

    name = etree.QName(root).localname
    if not (name.endswith("s") or name.startswith("ArrayOf")):
        raise _malformed(f"expected a collection of {model.__name__}, got <{name}>", b"")
    if (root.text or "").strip():
        raise _malformed(f"expected a collection of {model.__name__}, <{name}> holds text", b"")
    items = elements(root)
    kinds = {etree.QName(c).localname for c in items}
    if len(kinds) > 1:
        raise _malformed(f"<{name}> mixes elements: {', '.join(sorted(kinds))}", b"")
    return [object_data(c, model) for c in items]


def _value(element: etree._Element, annotation: Any) -> Any:
    if is_nil(element):
        return None
    target = _concrete(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return object_data(element, target)
    if get_origin(target) in (list, tuple):
        (item, *_) = get_args(target)
        return [_value(c, item) for c in elements(element)]
    if elements(element):
        return {}  # an object where a scalar belongs: strict validation refuses it by name
    return _scalar(element.text or "", target)


def _scalar(text: str, target: Any) -> Any:
    """Element text as the declared scalar type; text that is not one is left for strict
    validation to refuse (by field name), never guessed at."""
    if target is bool:
        return _BOOLEANS.get(text.strip(), text)
    if target is int:
        stripped = text.strip()
        return int(stripped) if _INTEGER.fullmatch(stripped) else text
    return text


def _concrete(annotation: Any) -> Any:
    """``X`` out of ``X | None`` and ``Annotated[X, ...]``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _concrete(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _concrete(options[0]) if len(options) == 1 else annotation
    return annotation


# -- request bodies ----------------------------------------------------------------------------


def _element(parent: etree._Element, name: str, value: Any) -> None:
    from lxml import etree

    child = etree.SubElement(parent, name)
    if value is None:
        child.set(f"{{{XSI}}}nil", "true")
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, datetime):
        child.text = value.isoformat()
    else:
        child.text = str(value)


def update_request_xml(
    lines: Sequence[tuple[int, int]],
    *,
    replace_mode: int,
    only_affect_available: bool,
    hold_until: datetime | None,
) -> bytes:
    """UpdateSeatHoldRequest under the root the reference page shows, members in DataContract order."""
    from lxml import etree

    root = etree.Element("UpdateHoldCodeRequest", nsmap={"i": XSI})
    _element(root, "HoldUntilDate", hold_until)
    _element(root, "OnlyAffectAvailable", only_affect_available)
    _element(root, "ReplaceMode", replace_mode)
    holds = etree.SubElement(root, "SeatHolds")
    for seat_id, hold_code_id in lines:
        line = etree.SubElement(holds, "SeatHoldRequest")
        _element(line, "HoldCodeId", hold_code_id)
        _element(line, "SeatId", seat_id)
    body: bytes = etree.tostring(root, encoding="utf-8")
    return body


def search_request_xml(fields: dict[str, str]) -> bytes:
    """PerformanceSearchRequest with the given members, in alphabetical order."""
    from lxml import etree

    root = etree.Element("PerformanceSearchRequest", nsmap={"i": XSI})
    for name in sorted(fields):
        _element(root, name, fields[name])
    body: bytes = etree.tostring(root, encoding="utf-8")
    return body
