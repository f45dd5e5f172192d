"""The OpenAPI document: every body and answer, each operation's errors, how to authenticate.

Request bodies and success answers are pydantic models (the synthesis request models, the wire
models of :mod:`orato.api.wire_assessment` and :mod:`orato.api.wire_synthesis`) that routes name
with :func:`json_body` and :func:`reply`; each is rendered once into ``components``. Creates
link to what reads, changes and deletes what they made (OpenAPI links).

Error responses are added to every operation from the path's family, as the renderers in
:mod:`orato.api.errors` write them, so an endpoint added later is documented (and checked by
the schemathesis test) without repeating them. FastAPI's own ``422`` is removed: Orato never
sends it outside the moderation envelope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from orato import errors
from orato.api.errors import Family, family_of

_ERROR_TYPES = [
    cls for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.OratoError) and cls is not errors.OratoError
]
ASSESSMENT_STATUSES = (400, 401, 402, 403, 404, 409, 429, 500, 503)
SYNTHESIS_STATUSES = (400, 401, 403, 404, 429, 500, 503)
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}}

_REF = "#/components/schemas/"
# Component name -> the pydantic model rendered there, and in which mode (requests are read
# in validation mode, responses written in serialization mode).
_MODELS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {}


def _component(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, str]:
    """A reference to ``model``'s schema, which :func:`_document` renders once into components."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)
    known = _MODELS.setdefault(name, (model, mode))
    if known != (model, mode):
        raise ValueError(f"two schemas would be named {name}")
    return {"$ref": _REF + name}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads ``model`` as its JSON body (orato.api.json_body)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": _component(model, "validation")}}}}


def reply(
    model: type[BaseModel], status: int = 200, description: str = "Success", headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``openapi_extra`` of a route whose ``status`` answer is ``model`` as JSON."""
    content = {"application/json": {"schema": _component(model, "serialization")}}
    return {"responses": {str(status): {"description": description, "content": content, **_headers(headers or {})}}}


def audio_reply(
    description: str, *media_types: str, json_model: type[BaseModel] | None = None, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``openapi_extra`` of a route that answers audio bytes (and, for some bodies, JSON)."""
    content: dict[str, Any] = {media: {"schema": {"type": "string", "format": "binary"}} for media in media_types}
    if json_model is not None:
        content["application/json"] = {"schema": _component(json_model, "serialization")}
    return {"responses": {"200": {"description": description, "content": content, **_headers(headers or {})}}}


def form_choice(values: Iterable[str], default: str | None = None) -> dict[str, Any]:
    """The schema of an assessment parameter that takes one of ``values``. An empty value is a
    parameter not sent (api-scoring.md 1.3, :class:`orato.params.Params`), so ``""`` is listed
    too: it is answered as the default (or as missing, where required), never as invalid data."""
    return {"type": "string", "enum": [*values, ""], **({"default": default} if default is not None else {})}


def _headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {"headers": headers} if headers else {}


def merged(*parts: dict[str, Any]) -> dict[str, Any]:
    """Several ``openapi_extra`` parts as one (their responses side by side)."""
    result: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            result[key] = {**result.get(key, {}), **value} if isinstance(value, dict) else value
    return result


SCHEMAS: dict[str, Any] = {
    "AssessmentError": {
        "type": "object",
        "required": ["status", "short_message", "detail_message", "request_id"],
        "properties": {
            "status": {"const": "error"},
            "short_message": {"enum": sorted({cls.short_message for cls in _ERROR_TYPES})},
            "detail_message": {"type": "string", "minLength": 1},
            "request_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "version": {"type": "string", "pattern": r"^9\.[0-9]{1,2}$"},
        },
        "additionalProperties": False,
        "examples": [{  # a real answer (tests/golden/espeak.json)
            "status": "error", "short_message": "error_unknown_words", "detail_message": "Zorblax",
            "request_id": "3f2b8c1d9a4e4f6b8c2d1e3f5a7b9c0d", "version": "9.17",
        }],
    },
    "ModerationBlocked": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "reason", "request_id"],
                "properties": {
                    "code": {"const": "content_moderation_blocked"},
                    "message": {"type": "string"},
                    "reason": {
                        "type": "object",
                        "required": ["type", "detail", "confidence"],
                        "properties": {
                            "type": {"enum": ["category", "custom_rule", "blocklist", "error_fail_closed"]},
                            "detail": {"type": "string"},
                            "confidence": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                            "rule_name": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                    "request_id": {"type": "string", "format": "uuid"},
                    "turn_index": {"type": "integer", "minimum": 0},
                },
                "additionalProperties": False,
            }
        },
        "additionalProperties": False,
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": {"const": "about:blank"},
            "title": {"type": "string", "minLength": 1},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "minLength": 1},
            "code": {"enum": sorted({cls.problem_code for cls in _ERROR_TYPES})},
            "validation": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "message"],
                    "properties": {"path": {"type": "array", "items": {"type": ["string", "integer"]}}, "message": {"type": "string"}},
                },
            },
            "provider": {"type": "string"},
            "upstream_status": {"type": "integer"},
            "upstream_code": {"type": "string"},
            "turn_index": {"type": "integer"},
            "request_id": {"type": "string", "format": "uuid"},
        },
        "additionalProperties": False,
    },
}

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "Orato API key (recommended)."},
    "queryKey": {"type": "apiKey", "in": "query", "name": "key", "description": "The same key, as Speechace clients send it."},
}


# Synthesis operations that may also answer 409 (a duplicate name or the default dictionary,
# errors.md 6.3) or the moderation envelope's 422 (errors.md 6.5).
_CONFLICTING = ("/v1/pronunciation-dictionaries", "/v1/moderation/rulesets")
_MODERATED = ("/v1/audio/speech", "/v1/audio/conversation")


def _error_responses(path: str, method: str) -> dict[str, Any]:
    statuses: tuple[int, ...]
    family = family_of(path)
    if family is Family.ASSESSMENT:
        statuses, media, schema = ASSESSMENT_STATUSES, "application/json", "AssessmentError"
    else:
        statuses, media, schema = SYNTHESIS_STATUSES, "application/problem+json", "Problem"
        if method != "get" and path.startswith(_CONFLICTING):
            statuses = (*statuses, 409)
    responses = {
        str(status): {
            "description": f"Error ({family.value} family rendering, errors.md)",
            "content": {media: {"schema": {"$ref": f"{_REF}{schema}"}}},
            **({"headers": _RETRY_AFTER} if status in (429, 503) else {}),
        }
        for status in sorted(statuses)
    }
    if path.startswith(_MODERATED):
        responses["422"] = {
            "description": "Blocked by content moderation (errors.md 6.5)",
            "content": {"application/json": {"schema": {"$ref": f"{_REF}ModerationBlocked"}}},
        }
    return responses


_TAGS = {Family.ASSESSMENT: "Assessment", Family.SYNTHESIS: "Synthesis"}
TAG_DESCRIPTIONS = [
    {"name": "Assessment", "description": "Pronunciation, speech, task and writing scoring; Speechace-compatible "
                                          "(api-scoring.md)."},
    {"name": "Synthesis", "description": "Speech synthesis and the organisation's resources; Speechbase-compatible "
                                         "(api-synthesis.md)."},
    {"name": "Platform", "description": "The health probe, without a key."},
]
_VERSION_PATTERN = r"^v9(\.(0|[1-9][0-9]?))?$"


def _model_schemas() -> tuple[dict[str, Any], dict[str, str]]:
    """Every registered model's schema, rendered once; and each placeholder's final reference."""
    entries = list(_MODELS.items())
    refs, definitions = models_json_schema([entry for _, entry in entries], ref_template=_REF + "{model}")
    renamed = {_REF + name: refs[entry]["$ref"] for name, entry in entries}
    return definitions.get("$defs", {}), renamed


def _typed_answers(operation: dict[str, Any], renamed: dict[str, str]) -> None:
    """Our schemas replace what FastAPI guessed from a handler's ``dict`` return annotation."""
    for response in operation.get("responses", {}).values():
        for media in response.get("content", {}).values():
            schema = media.get("schema", {})
            if "$ref" in schema:
                media["schema"] = {"$ref": renamed.get(schema["$ref"], schema["$ref"])}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "$ref" in body.get("schema", {}):
        body["schema"] = {"$ref": renamed.get(body["schema"]["$ref"], body["schema"]["$ref"])}


def _document(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    definitions, renamed = _model_schemas()
    components.setdefault("schemas", {}).update({**definitions, **SCHEMAS})
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    components["securitySchemes"] = SECURITY_SCHEMES
    _links(document["paths"])
    document["tags"] = TAG_DESCRIPTIONS
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _typed_answers(operation, renamed)
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if path == "/health":
                operation.setdefault("tags", ["Platform"])
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "version":
                    parameter["schema"]["pattern"] = _VERSION_PATTERN
            operation["security"] = [{"bearer": []}, {"queryKey": []}]
            operation.setdefault("tags", [_TAGS[family_of(path)]])
            for status, response in _error_responses(path, method).items():
                responses.setdefault(status, response)
    return document


_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def _links(paths: dict[str, Any]) -> None:
    """OpenAPI links from each create (or put-by-name) to what reads, changes and deletes the
    resource it made, and to its own collections (a dictionary's rules), so clients and the
    stateful fuzzer can follow a resource's life."""
    for path, operations in paths.items():
        for method, status in (("post", "201"), ("put", "200")):
            made = operations.get(method, {}).get("responses", {}).get(status)
            item_path = path if method == "put" else next((p for p in paths if _is_item_of(p, path)), None)
            if made is None or item_path is None:
                continue
            targets = [
                (target_path, target)
                for target_path in (item_path, *(p for p in paths if _is_child_of(p, item_path)))
                for target in ("get", "put", "post", "delete")
                if target in paths[target_path] and (target_path, target) != (path, method)
            ]
            made["links"] = {
                paths[target_path][target]["operationId"]: {
                    "operationId": paths[target_path][target]["operationId"],
                    "parameters": _link_parameters(path, target_path, made),
                }
                for target_path, target in targets
                if _PATH_PARAMETER.findall(target_path) == _PATH_PARAMETER.findall(item_path)
            }


_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def _is_item_of(candidate: str, collection: str) -> bool:
    rest = candidate.removeprefix(collection + "/")
    return rest != candidate and _PATH_PARAMETER.fullmatch(rest) is not None


def _is_child_of(candidate: str, item: str) -> bool:
    rest = candidate.removeprefix(item + "/")
    return rest != candidate and "/" not in rest and "{" not in rest


def _link_parameters(path: str, target_path: str, made: dict[str, Any]) -> dict[str, str]:
    """The collection's own path parameters come from the request; the new id from the answer."""
    schema = made["content"]["application/json"]["schema"]
    enveloped = "One" in schema.get("$ref", "")
    parameters = {name: f"$request.path.{name}" for name in _PATH_PARAMETER.findall(path)}
    for name in _PATH_PARAMETER.findall(target_path):
        parameters.setdefault(name, "$response.body#/data/id" if enveloped else "$response.body#/id")
    return parameters


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes,
            ))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
