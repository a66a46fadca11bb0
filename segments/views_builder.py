"""The segment builder's form: flat form fields <-> a definition's condition tree (pure, no database).

Each node of the tree has a position path ("0", "1.0", ...): a condition posts `n-<path>-field`,
`-op`, `-value` (repeated for lists), `-value2` (the high end of `between`); a group posts
`n-<path>-match`; the root posts `match`. Values are passed on as typed, so segments.rules reports
what is wrong at the definition path ("conditions[1].conditions[0].value") the form shows it by.
Structural edits ("add condition", "remove") are submit buttons named `edit`, so the builder works
without JavaScript; the page's script only adds the live count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _default
from typing import Any

from segments.models import RfmSegment, Subject
from segments.rfm import SEGMENT_LABELS
from segments.rules import FIELDS, Kind

OPERATOR_LABELS = {
    "eq": "is",
    "ne": "is not",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "between": "is between",
    "in": "is any of",
    "not_in": "is none of",
    "has": "has",
    "has_not": "does not have",
    "before": "is before",
    "after": "is after",
    "within_last_days": "is within the last (days)",
    "not_within_last_days": "is not within the last (days)",
    "is_set": "is known",
    "is_not_set": "is unknown",
}
# Operators in the order a merchant reads them; each field shows the ones it accepts.
OPERATOR_ORDER = tuple(OPERATOR_LABELS)
NEW_CONDITION: dict[str, Any] = {"field": "orders_count", "op": "gte", "value": "2"}
DEFAULT_DEFINITION: dict[str, Any] = {"match": "all", "conditions": [dict(NEW_CONDITION)]}
MAX_NODES = 60  # a form with more fields than a definition may hold is refused, not parsed
_NAME = re.compile(r"^n-((?:\d{1,2}\.){0,4}\d{1,2})-(field|op|value|value2|match|prev)$")
_LIST_KINDS = (Kind.SEGMENT, Kind.ID)  # chosen from a list, not typed


def operators(field_name: str) -> list[tuple[str, str]]:
    """(operator, label) pairs the field accepts, in reading order."""
    spec = FIELDS.get(field_name)
    allowed = spec.operators() if spec else frozenset()
    return [(op, OPERATOR_LABELS[op]) for op in OPERATOR_ORDER if op in allowed]


def fields_for(subject: Subject) -> list[tuple[str, str]]:
    """(field, label) pairs of the fields a segment of this subject can use."""
    return [(f.name, f.label) for f in FIELDS.values() if subject in f.subjects]


def field_spec(subject: Subject) -> dict[str, Any]:
    """What the page's script needs to offer each field's operators."""
    return {
        f.name: {"kind": f.kind.value, "ops": [op for op, _ in operators(f.name)]}
        for f in FIELDS.values()
        if subject in f.subjects
    }


def _typed(kind: Kind | None, op: str, raw: str) -> Any:
    """The JSON value of one typed input: ints where the rules want ints, text otherwise."""
    text = raw.strip()
    wants_int = kind in (Kind.SCORE, Kind.ID) or (
        kind is Kind.DATE and op in ("within_last_days", "not_within_last_days")
    )
    if wants_int and text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    if kind is Kind.BOOLEAN:
        return {"true": True, "false": False}.get(text, text)
    return text


def _value(spec: Any, op: str, values: list[str], high: str) -> Any:
    kind = spec.kind if spec else None
    if op in ("is_set", "is_not_set"):
        return None
    if op in ("in", "not_in"):
        if kind in _LIST_KINDS:
            items = [v for v in values if v.strip()]
        else:
            # Typed lists ("DE, AT" or "3, 4, 5") are comma-separated.
            items = [part for v in values for part in v.split(",") if part.strip()]
        return [_typed(kind, op, v) for v in items]
    first = values[0] if values else ""
    if op == "between":
        return [_typed(kind, op, first), _typed(kind, op, high)]
    return _typed(kind, op, first)


@dataclass
class _Node:
    match: str | None = None
    field: str | None = None
    op: str | None = None
    prev: str | None = None
    values: list[str] = _default(default_factory=list)
    high: str = ""
    children: dict[int, _Node] = _default(default_factory=dict)


def _tree(form: Mapping[str, Any], getlist: Any) -> _Node:
    root = _Node(match=str(form.get("match", "all")))
    seen = 0
    for name in form:
        found = _NAME.match(name)
        if not found:
            continue
        seen += 1
        if seen > MAX_NODES * 4:
            break
        node = root
        for part in found.group(1).split("."):
            node = node.children.setdefault(int(part), _Node())
        attr = found.group(2)
        if attr == "value":
            node.values = [str(v) for v in getlist(name)]
        elif attr == "value2":
            node.high = str(form.get(name, ""))
        else:
            setattr(node, attr, str(form.get(name, "")))
    return root


def _definition(node: _Node) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = []
    for _, child in sorted(node.children.items()):
        if child.match is not None:
            conditions.append(_definition(child))
            continue
        name = child.field or ""
        spec = FIELDS.get(name)
        op = child.op or ""
        if child.prev is not None and child.prev != name and spec is not None:
            # The field was just changed: its old operator and value rarely fit the new one.
            ops = [o for o, _ in operators(name)]
            op = op if op in ops else ops[0]
            conditions.append({"field": name, "op": op, "value": _blank(spec.kind, op)})
            continue
        conditions.append({"field": name, "op": op, "value": _value(spec, op, child.values, child.high)})
    return {"match": node.match or "all", "conditions": conditions}


def _blank(kind: Kind, op: str) -> Any:
    if op in ("is_set", "is_not_set"):
        return None
    if op in ("in", "not_in"):
        return []
    if op == "between":
        return ["", ""]
    return True if kind is Kind.BOOLEAN else ""


def definition_from_form(form: Any) -> dict[str, Any]:
    """The definition the form describes (unchecked: segments.rules checks it)."""
    return _definition(_tree(form, form.getlist))


def _at(definition: dict[str, Any], path: str) -> tuple[list[Any], int | None]:
    """The conditions list a path points into, and the index in it (None: the list itself)."""
    items: list[Any] = definition["conditions"]
    parts = [int(p) for p in path.split(".")] if path else []
    for part in parts[:-1]:
        items = items[part]["conditions"]
    return items, (parts[-1] if parts else None)


def apply_edit(definition: dict[str, Any], edit: str) -> dict[str, Any]:
    """A structural edit from a builder button: "add:<group path>", "group:<group path>", "remove:<path>"."""
    action, _, path = edit.partition(":")
    if not re.fullmatch(r"(?:\d{1,2}(?:\.\d{1,2}){0,4})?", path):
        return definition
    try:
        if action in ("add", "group"):
            items, index = _at(definition, path)
            target = items if index is None else items[index]["conditions"]
            if len(target) < 20:
                new = (
                    dict(NEW_CONDITION)
                    if action == "add"
                    else {"match": "any", "conditions": [dict(NEW_CONDITION)]}
                )
                target.append(new)
        elif action == "remove" and path:
            items, index = _at(definition, path)
            if index is not None and index < len(items):
                del items[index]
    except (IndexError, KeyError, TypeError):
        return definition
    return definition


def definition_path(path: str) -> str:
    """The rules' path of a form position: "1.0" -> "conditions[1].conditions[0]"."""
    return ".".join(f"conditions[{part}]" for part in path.split(".")) if path else ""


@dataclass
class NodeView:
    """One condition or group as the builder template draws it."""

    path: str
    rules_path: str
    is_group: bool
    match: str = "all"
    field: str = ""
    op: str = ""
    kind: str = ""
    text: str = ""  # the value of a single input (or a comma list)
    high: str = ""
    chosen: list[str] = _default(default_factory=list)  # the values of a list input
    operators: list[tuple[str, str]] = _default(default_factory=list)
    children: list[NodeView] = _default(default_factory=list)
    error: str = ""  # a rules error about this condition or group
    label: str = ""  # "1", "2.1": how the page numbers it


def _owns(node_path: str, error_path: str) -> bool:
    return error_path == node_path or error_path.startswith((node_path + ".", node_path + "["))


def attach_error(nodes: list[NodeView], path: str, message: str) -> bool:
    """Put the error on the deepest node its path names; False when it names none (the root)."""
    for node in nodes:
        if _owns(node.rules_path, path):
            if not attach_error(node.children, path, message):
                node.error = message
            return True
    return False


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def node_views(definition: Any, prefix: str = "") -> list[NodeView]:
    """The condition tree for the template; tolerant of a broken definition (it is being fixed)."""
    items = definition.get("conditions") if isinstance(definition, Mapping) else None
    views: list[NodeView] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        path = f"{prefix}.{index}" if prefix else str(index)
        if not isinstance(item, Mapping):
            continue
        if "conditions" in item:
            views.append(
                NodeView(
                    path=path,
                    label=".".join(str(int(p) + 1) for p in path.split(".")),
                    rules_path=definition_path(path),
                    is_group=True,
                    match=str(item.get("match", "all")),
                    children=node_views(item, path),
                )
            )
            continue
        name = str(item.get("field", ""))
        spec = FIELDS.get(name)
        value = item.get("value")
        view = NodeView(
            path=path,
            label=".".join(str(int(p) + 1) for p in path.split(".")),
            rules_path=definition_path(path),
            is_group=False,
            field=name,
            op=str(item.get("op", "")),
            kind=spec.kind.value if spec else "",
            operators=operators(name),
        )
        if isinstance(value, list):
            if view.op == "between":
                view.text = _text(value[0]) if value else ""
                view.high = _text(value[1]) if len(value) > 1 else ""
            elif spec is not None and spec.kind in _LIST_KINDS:
                view.chosen = [_text(v) for v in value]
            else:
                view.text = ", ".join(_text(v) for v in value)
        else:
            view.text = _text(value)
        views.append(view)
    return views


SEGMENT_CHOICES = [(s.value, SEGMENT_LABELS[s]) for s in RfmSegment]
