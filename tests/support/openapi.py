"""Validate request bodies against LINE's official Messaging API OpenAPI document."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml
from jsonschema import Draft202012Validator

try:  # the C loader parses the 180 KB document about ten times faster
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "line-openapi" / "messaging-api.yml"

_SCHEMAS_POINTER = "#/components/schemas/"
_BASE_SUFFIX = "__base"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_MAX_MESSAGE_CHARS = 300


class RecordedLike(Protocol):
    """What validate_recorded needs from a recorded request (read-only attributes)."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def json(self) -> Any: ...


def messaging_spec_path() -> Path | None:
    """Return the path of shared/line-openapi/messaging-api.yml beside the repository, or None."""
    return SPEC_PATH if SPEC_PATH.is_file() else None


@functools.cache
def _load_spec(path: Path) -> dict[str, Any]:
    """Parse the OpenAPI document and rewrite its schemas for jsonschema (cached per path)."""
    with path.open(encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=_Loader)
    schemas = spec["components"]["schemas"]
    _rewrite_nullable(schemas)
    _rewrite_discriminators(schemas)
    _add_reference_rules(schemas)
    return spec


def _rewrite_nullable(node: Any) -> None:
    """Turn OpenAPI 3.0 `nullable: true` into a JSON Schema type list that admits null."""
    if isinstance(node, dict):
        if node.get("nullable") is True:
            if isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
        for value in node.values():
            _rewrite_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _rewrite_nullable(value)


def _rewrite_discriminators(schemas: dict[str, Any]) -> None:
    """Make every discriminated base schema dispatch on its discriminator property.

    jsonschema ignores `discriminator`; without this rewrite a Flex component of any shape
    would validate against the bare base schema (`{type: string}`) and nothing inside a message
    would be checked. Subtypes reference the base through `allOf`, so they are repointed at a
    copy of the base without the dispatch, otherwise the dispatch would recurse forever.
    """
    bases = [
        name for name, schema in schemas.items() if isinstance(schema.get("discriminator"), dict)
    ]
    tags_by_subtype: dict[str, tuple[str, list[str]]] = {}
    for base_name in bases:
        base = schemas[base_name]
        discriminator = base.pop("discriminator")
        prop = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator.get("mapping") or {}
        schemas[base_name + _BASE_SUFFIX] = copy.deepcopy(base)
        for value, target in mapping.items():
            tags_by_subtype.setdefault(target, (prop, []))[1].append(value)
            _repoint_base(schemas[_schema_name(target)], base_name)
        if mapping:
            schemas[base_name] = _dispatcher(prop, mapping)
    for target, (prop, values) in tags_by_subtype.items():
        # A subtype used directly (e.g. FlexBubble.header -> FlexBox) must still carry its own tag.
        subtype = schemas[_schema_name(target)]
        subtype.setdefault("allOf", []).append({"properties": {prop: {"enum": values}}})


def _schema_name(ref: str) -> str:
    """Return the component name a local `#/components/schemas/...` reference points at."""
    if not ref.startswith(_SCHEMAS_POINTER):
        raise ValueError(f"unsupported discriminator mapping target {ref!r}")
    return ref.removeprefix(_SCHEMAS_POINTER)


def _repoint_base(subtype: dict[str, Any], base_name: str) -> None:
    """Point the subtype's `allOf` reference to the base at the base's non-dispatching copy."""
    base_ref = _SCHEMAS_POINTER + base_name
    for part in subtype.get("allOf", []):
        if part.get("$ref") == base_ref:
            part["$ref"] = base_ref + _BASE_SUFFIX


def _dispatcher(prop: str, mapping: dict[str, str]) -> dict[str, Any]:
    """Build a schema that requires a known discriminator value and applies the mapped subtype."""
    branches = [
        {
            "if": {"properties": {prop: {"const": value}}, "required": [prop]},
            "then": {"$ref": target},
        }
        for value, target in mapping.items()
    ]
    return {
        "type": "object",
        # OpenAPI requires the discriminator property to be present on a polymorphic payload.
        "required": [prop],
        "properties": {prop: {"enum": list(mapping)}},
        "allOf": branches,
    }


def _add_reference_rules(schemas: dict[str, Any]) -> None:
    """Add rules the official API reference states but the OpenAPI document leaves out."""
    # Reference (#f-text): a text component needs `text` unless it has `contents` (spans).
    schemas["FlexText"].setdefault("allOf", []).append(
        {"if": {"not": {"required": ["contents"]}}, "then": {"required": ["text"]}}
    )


@dataclass(frozen=True)
class _Operation:
    """One method on one path template of the document."""

    template: str
    method: str
    definition: dict[str, Any]


class MessagingApiValidator:
    """Checks request bodies against the operations of messaging-api.yml."""

    def __init__(self, spec_path: Path | None = None) -> None:
        """Load (once per process) and prepare the document at spec_path or the shared default."""
        path = spec_path or messaging_spec_path()
        if path is None:
            raise FileNotFoundError(f"LINE OpenAPI document not found at {SPEC_PATH}")
        self._spec = _load_spec(path.resolve())
        self._routes = _compile_routes(self._spec["paths"])
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}

    def validate(self, method: str, path: str, body: Any) -> None:
        """Raise AssertionError listing every schema violation of `body` for `method path`."""
        operation = self._operation(method, path)
        request_body = operation.definition.get("requestBody")
        where = f"{method.upper()} {path}"
        if request_body is None:
            if body is not None:
                raise AssertionError(f"{where}: the operation takes no request body")
            return
        content = request_body.get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return  # binary uploads (rich menu images, audience files) are not JSON
        if body is None:
            if request_body.get("required", False):
                raise AssertionError(f"{where}: a JSON request body is required")
            return
        errors = list(_describe_errors(self._validator(operation, schema).iter_errors(body)))
        if errors:
            listing = "\n".join(f"  - {error}" for error in errors)
            raise AssertionError(
                f"{where}: request body does not match {_schema_label(schema)}"
                f" in messaging-api.yml ({len(errors)} error(s)):\n{listing}"
            )

    def _operation(self, method: str, path: str) -> _Operation:
        """Find the operation for a concrete path, preferring literal segments over templates."""
        bare_path = path.split("?", 1)[0]
        for template, pattern in self._routes:
            if pattern.fullmatch(bare_path):
                item = self._spec["paths"][template]
                definition = item.get(method.lower())
                if method.lower() not in _HTTP_METHODS or definition is None:
                    allowed = sorted(m.upper() for m in item if m in _HTTP_METHODS)
                    raise AssertionError(
                        f"{method.upper()} {path}: method not in messaging-api.yml for"
                        f" {template} (allowed: {', '.join(allowed)})"
                    )
                return _Operation(template, method.lower(), definition)
        raise AssertionError(f"{method.upper()} {path}: path not in messaging-api.yml")

    def _validator(self, operation: _Operation, schema: dict[str, Any]) -> Draft202012Validator:
        """Return a cached jsonschema validator for the operation's request schema."""
        key = (operation.template, operation.method)
        validator = self._validators.get(key)
        if validator is None:
            # Local refs ("#/components/schemas/X") resolve against this root document.
            root = {**schema, "components": self._spec["components"]}
            validator = Draft202012Validator(root)
            self._validators[key] = validator
        return validator


def _compile_routes(paths: dict[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """Compile path templates to regexes, most specific (fewest parameters) first."""
    routes = []
    for template in paths:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        routes.append((template, re.compile(pattern)))
    routes.sort(key=lambda route: (route[0].count("{"), route[0]))
    return routes


def _schema_label(schema: dict[str, Any]) -> str:
    """Name the request schema for error messages."""
    ref = schema.get("$ref", "")
    return ref.removeprefix(_SCHEMAS_POINTER) if ref else "the inline request schema"


def _describe_errors(errors: Iterable[Any]) -> Iterator[str]:
    """Yield unique 'JSON pointer: message' lines sorted by pointer."""
    seen: set[tuple[str, str]] = set()
    for error in errors:
        pointer = "".join(
            "/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path
        )
        message = error.message
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[: _MAX_MESSAGE_CHARS - 3] + "..."
        seen.add((pointer or "/", message))
    for pointer, message in sorted(seen):
        yield f"{pointer}: {message}"


@functools.cache
def _shared_validator() -> MessagingApiValidator:
    """Return the process-wide validator for the shared document."""
    return MessagingApiValidator()


def require_validator() -> MessagingApiValidator:
    """Return the shared validator, or skip the calling test when the document is absent."""
    if messaging_spec_path() is None:
        import pytest  # only test code reaches this; keep the module importable without pytest

        pytest.skip(f"LINE OpenAPI documents not found at {SPEC_PATH}: request validation skipped")
    return _shared_validator()


def validate_recorded(requests: Iterable[RecordedLike]) -> None:
    """Validate every recorded fake-LINE request against the document, skipping /_sandbox/."""
    validator = _shared_validator()
    failures = []
    for request in requests:
        if request.path.startswith("/_sandbox/"):
            continue
        try:
            validator.validate(request.method, request.path, request.json)
        except AssertionError as error:
            failures.append(str(error))
    if failures:
        raise AssertionError("\n".join(failures))
