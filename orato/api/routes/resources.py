"""Organisation resources of the synthesis family: voices, provider keys, pronunciation
dictionaries and rules, moderation rulesets (api-synthesis.md 8-11). Thin: parse, call a store,
render; every look-up is scoped to the caller's organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from starlette.concurrency import run_in_threadpool

from orato.api.auth import authenticate
from orato.api.json_body import read_json
from orato.api.openapi import json_body, merged, reply
from orato.api.routes.platform import iso_timestamp
from orato.api.wire_synthesis import Dictionary, Listing, One, ProviderKey, Rule, Ruleset, Voice
from orato.errors import InvalidParametersError, NotFoundError, invalid_at
from orato.moderation.config import RulesetConfig
from orato.store.pages import Page
from orato.synthesis.schemas import Strict, _options_size

router = APIRouter()


def page_params(request: Request) -> tuple[int, str | None]:
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        message = "must be an integer from 1 to 200"
        raise InvalidParametersError("limit", validation=[{"path": ["query", "limit"], "message": message}])
    return int(raw), request.query_params.get("cursor") or None


async def _org(request: Request) -> Any:
    return (await authenticate(request, "synthesis")).organisation_id


def _stores(request: Request) -> Any:
    return request.app.state.services


def _one(item: Any, render: Callable[[Any], dict[str, Any]], status: int = 200) -> JSONResponse:
    return JSONResponse({"data": render(item)}, status_code=status)


def _list(page: Page, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return page.envelope(render)


def _stamps(row: Any) -> dict[str, str]:
    return {"created_at": iso_timestamp(row.created_at), "updated_at": iso_timestamp(row.updated_at)}


# --- voices -------------------------------------------------------------------------------

Tag = Annotated[str, Field(min_length=1, max_length=50)]


# A member that may be left out but not sent as null: `_sent` and `_voice_columns` refuse null.
NotNull = SkipJsonSchema[None]


def required(*names: str) -> ConfigDict:
    """A create's required members, for the schema; the route checks them (``_sent``) in its words."""
    return ConfigDict(json_schema_extra={"required": list(names)})


def required_members(model: type[Strict]) -> tuple[str, ...]:
    extra = model.model_config.get("json_schema_extra")
    names = extra.get("required") if isinstance(extra, dict) else None
    return tuple(str(name) for name in names) if isinstance(names, list) else ()


class VoiceFields(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)] | NotNull = None
    provider: str | NotNull = None
    model: str | None = None
    voice_id: Annotated[str, Field(min_length=1, max_length=256)] | NotNull = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    gender: Literal["male", "female"] | None = None
    description: Annotated[str, Field(max_length=1000)] | None = None
    provider_options: dict[str, Any] | None = None

    _options = field_validator("provider_options")(lambda v: v if v is None else _options_size(v))


def voice_json(voice: Any) -> dict[str, Any]:
    return {
        "id": str(voice.id), "org_id": str(voice.organisation_id), "title": voice.title,
        "provider": voice.provider, "model": voice.model, "voice_id": voice.voice_ref, "tags": voice.tags,
        "gender": voice.gender, "description": voice.description, "provider_options": voice.provider_options,
        **_stamps(voice),
    }


def _voice_columns(request: Request, body: VoiceFields, current: dict[str, Any] | None) -> dict[str, Any]:
    """Validated like a create, whether created or re-skinned (9.2)."""
    sent = body.model_dump(exclude_unset=True)
    merged = {**(current or {}), **sent}
    for name in required_members(VoiceCreate):
        if merged.get(name) is None:
            raise invalid_at([name], "is required")
    provider = _stores(request).providers.get(merged["provider"])
    if provider is None:
        raise invalid_at(["provider"], "is not a provider this server offers")
    model = merged.get("model") if "model" in sent or current else None
    model = model or provider.info.models[0]
    if model not in provider.info.models:
        raise invalid_at(["model"], "is not a model of this provider")
    if provider.info.voices is not None and merged["voice_id"] not in provider.info.voices:
        raise invalid_at(["voice_id"], "is not a voice of this provider")
    options = merged.get("provider_options") or {}
    problems = provider.option_errors(options)
    if problems:
        raise invalid_at(["provider_options", *problems[0][0]], problems[0][1])
    return {
        "title": merged["title"], "provider": provider.info.id, "model": model, "voice_ref": merged["voice_id"],
        "tags": merged.get("tags") or [], "gender": merged.get("gender"), "description": merged.get("description"),
        "provider_options": options,
    }


class VoiceCreate(VoiceFields):
    model_config = required("title", "provider", "voice_id")
    mediaId: SkipJsonSchema[Any] = None  # cloning is not offered: any value is refused

    @field_validator("mediaId")
    @classmethod
    def _no_cloning(cls, value: Any) -> Any:
        raise ValueError("voice cloning is not offered")


@router.get("/v1/voices", openapi_extra=reply(Listing[Voice]))
async def list_voices(request: Request) -> dict[str, Any]:
    org = await _org(request)
    limit, cursor = page_params(request)
    return _list(await run_in_threadpool(_stores(request).voices.page, org, limit, cursor), voice_json)


@router.post("/v1/voices", status_code=201, openapi_extra=merged(json_body(VoiceCreate), reply(One[Voice], 201)))
async def create_voice(request: Request) -> JSONResponse:
    org = await _org(request)
    body = await read_json(request, VoiceCreate)
    columns = _voice_columns(request, body, None)
    return _one(await run_in_threadpool(_stores(request).voices.create, org, columns), voice_json, 201)


@router.get("/v1/voices/{voice_id}", openapi_extra=reply(One[Voice]))
async def get_voice(request: Request, voice_id: str) -> JSONResponse:
    org = await _org(request)
    return _one(await run_in_threadpool(_stores(request).voices.get, org, voice_id), voice_json)


@router.put("/v1/voices/{voice_id}", openapi_extra=merged(json_body(VoiceFields), reply(One[Voice])))
async def update_voice(request: Request, voice_id: str) -> JSONResponse:
    org = await _org(request)
    voices = _stores(request).voices
    current = voice_json(await run_in_threadpool(voices.get, org, voice_id))
    body = await read_json(request, VoiceFields)
    columns = _voice_columns(request, body, current)
    return _one(await run_in_threadpool(voices.update, org, voice_id, columns), voice_json)


@router.delete("/v1/voices/{voice_id}", status_code=204)
async def delete_voice(request: Request, voice_id: str) -> Response:
    org = await _org(request)
    await run_in_threadpool(_stores(request).voices.delete, org, voice_id)
    return Response(status_code=204)


# --- provider keys ------------------------------------------------------------------------


class KeyBody(Strict):
    keyValue: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^\S+$")]


def key_json(key: Any) -> dict[str, Any]:
    return {"providerId": key.provider, "lastFour": key.last_four, "updatedAt": iso_timestamp(key.updated_at)}


def _remote_provider(request: Request, provider_id: str) -> str:
    provider = _stores(request).providers.get(provider_id)
    if provider is None:
        raise NotFoundError("No such provider.")
    if provider.info.local:
        raise invalid_at(["providerId"], "local providers take no key")
    return provider_id


@router.get("/v1/api-keys", openapi_extra=reply(Listing[ProviderKey]))
async def list_keys(request: Request) -> dict[str, Any]:
    org = await _org(request)
    limit, cursor = page_params(request)
    return _list(await run_in_threadpool(_stores(request).provider_keys.page, org, limit, cursor), key_json)


@router.put("/v1/api-keys/{provider_id}", openapi_extra=merged(json_body(KeyBody), reply(One[ProviderKey])))
async def put_key(request: Request, provider_id: str) -> JSONResponse:
    org = await _org(request)
    _remote_provider(request, provider_id)
    body = await read_json(request, KeyBody)
    stored = await run_in_threadpool(_stores(request).provider_keys.put, org, provider_id, body.keyValue)
    return _one(stored, key_json)


@router.delete("/v1/api-keys/{provider_id}", status_code=204)
async def delete_key(request: Request, provider_id: str) -> Response:
    org = await _org(request)
    _remote_provider(request, provider_id)
    await run_in_threadpool(_stores(request).provider_keys.delete, org, provider_id)
    return Response(status_code=204)


# --- pronunciation dictionaries and rules -------------------------------------------------


class DictionaryFields(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)] | NotNull = None
    description: Annotated[str, Field(max_length=1000)] | None = None
    is_default: bool | NotNull = None


class DictionaryCreate(DictionaryFields):
    model_config = required("name")


class RuleFields(Strict):
    word: Annotated[str, Field(min_length=1, max_length=100)] | NotNull = None
    replacement: Annotated[str, Field(min_length=1, max_length=200)] | NotNull = None
    case_sensitive: bool | NotNull = None


class RuleCreate(RuleFields):
    model_config = required("word", "replacement")


def _sent(body: Strict, nullable: tuple[str, ...] = ("description",)) -> dict[str, Any]:
    """Members sent: the body model's required ones (:func:`required`), null only where the
    member is optional."""
    sent = body.model_dump(exclude_unset=True)
    for name in required_members(type(body)):
        if name not in sent:
            raise invalid_at([name], "is required")
    for name, value in sent.items():
        if value is None and name not in nullable:
            raise invalid_at([name], "must not be null")
    return sent


def dictionary_json(row: Any, rule_count: int) -> dict[str, Any]:
    return {"id": str(row.id), "org_id": str(row.organisation_id), "name": row.name, "description": row.description,
            "is_default": row.is_default, "rule_count": rule_count, **_stamps(row)}


def _dictionary_renderer(request: Request) -> Callable[[Any], dict[str, Any]]:
    store = _stores(request).dictionaries
    return lambda row: dictionary_json(row, store.rule_count(row.id))


def rule_json(rule: Any) -> dict[str, Any]:
    return {"id": str(rule.id), "dictionary_id": str(rule.dictionary_id), "word": rule.word,
            "replacement": rule.replacement, "case_sensitive": rule.case_sensitive, **_stamps(rule)}


DICTIONARIES = "/v1/pronunciation-dictionaries"


@router.get(DICTIONARIES, openapi_extra=reply(Listing[Dictionary]))
async def list_dictionaries(request: Request) -> dict[str, Any]:
    org = await _org(request)
    limit, cursor = page_params(request)
    page = await run_in_threadpool(_stores(request).dictionaries.page, org, limit, cursor)
    return await run_in_threadpool(_list, page, _dictionary_renderer(request))


@router.post(DICTIONARIES, status_code=201, openapi_extra=merged(json_body(DictionaryCreate), reply(One[Dictionary], 201)))
async def create_dictionary(request: Request) -> JSONResponse:
    org = await _org(request)
    fields = _sent(await read_json(request, DictionaryCreate))
    fields.setdefault("is_default", False)
    row = await run_in_threadpool(_stores(request).dictionaries.create, org, fields)
    return _one(row, _dictionary_renderer(request), 201)


@router.get(DICTIONARIES + "/{dictionary_id}", openapi_extra=reply(One[Dictionary]))
async def get_dictionary(request: Request, dictionary_id: str) -> JSONResponse:
    org = await _org(request)
    row = await run_in_threadpool(_stores(request).dictionaries.get, org, dictionary_id)
    return _one(row, _dictionary_renderer(request))


@router.put(DICTIONARIES + "/{dictionary_id}", openapi_extra=merged(json_body(DictionaryFields), reply(One[Dictionary])))
async def update_dictionary(request: Request, dictionary_id: str) -> JSONResponse:
    org = await _org(request)
    await run_in_threadpool(_stores(request).dictionaries.get, org, dictionary_id)
    fields = _sent(await read_json(request, DictionaryFields))
    row = await run_in_threadpool(_stores(request).dictionaries.update, org, dictionary_id, fields)
    return _one(row, _dictionary_renderer(request))


@router.delete(DICTIONARIES + "/{dictionary_id}", status_code=204)
async def delete_dictionary(request: Request, dictionary_id: str) -> Response:
    org = await _org(request)
    await run_in_threadpool(_stores(request).dictionaries.delete, org, dictionary_id)
    return Response(status_code=204)


@router.get(DICTIONARIES + "/{dictionary_id}/rules", openapi_extra=reply(Listing[Rule]))
async def list_rules(request: Request, dictionary_id: str) -> dict[str, Any]:
    org = await _org(request)
    limit, cursor = page_params(request)
    page = await run_in_threadpool(_stores(request).dictionaries.rule_page, org, dictionary_id, limit, cursor)
    return _list(page, rule_json)


@router.post(DICTIONARIES + "/{dictionary_id}/rules", status_code=201,
             openapi_extra=merged(json_body(RuleCreate), reply(One[Rule], 201)))
async def create_rule(request: Request, dictionary_id: str) -> JSONResponse:
    org = await _org(request)
    await run_in_threadpool(_stores(request).dictionaries.get, org, dictionary_id)
    fields = _sent(await read_json(request, RuleCreate), ())
    fields.setdefault("case_sensitive", False)
    rule = await run_in_threadpool(_stores(request).dictionaries.add_rule, org, dictionary_id, fields)
    return _one(rule, rule_json, 201)


@router.get(DICTIONARIES + "/{dictionary_id}/rules/{rule_id}", openapi_extra=reply(One[Rule]))
async def get_rule(request: Request, dictionary_id: str, rule_id: str) -> JSONResponse:
    org = await _org(request)
    return _one(await run_in_threadpool(_stores(request).dictionaries.get_rule, org, dictionary_id, rule_id), rule_json)


@router.put(DICTIONARIES + "/{dictionary_id}/rules/{rule_id}",
            openapi_extra=merged(json_body(RuleFields), reply(One[Rule])))
async def update_rule(request: Request, dictionary_id: str, rule_id: str) -> JSONResponse:
    org = await _org(request)
    store = _stores(request).dictionaries
    await run_in_threadpool(store.get_rule, org, dictionary_id, rule_id)
    fields = _sent(await read_json(request, RuleFields), ())
    return _one(await run_in_threadpool(store.update_rule, org, dictionary_id, rule_id, fields), rule_json)


@router.delete(DICTIONARIES + "/{dictionary_id}/rules/{rule_id}", status_code=204)
async def delete_rule(request: Request, dictionary_id: str, rule_id: str) -> Response:
    org = await _org(request)
    await run_in_threadpool(_stores(request).dictionaries.delete_rule, org, dictionary_id, rule_id)
    return Response(status_code=204)


# --- moderation rulesets ------------------------------------------------------------------


class RulesetFields(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)] | NotNull = None
    description: Annotated[str, Field(max_length=1000)] | None = None
    is_default: bool | NotNull = None
    config: RulesetConfig | NotNull = None


class RulesetCreate(RulesetFields):
    model_config = required("name")


def ruleset_json(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "org_id": str(row.organisation_id), "name": row.name, "description": row.description,
            "is_default": row.is_default, "config": row.config, **_stamps(row)}


def _ruleset_fields(body: RulesetFields) -> dict[str, Any]:
    fields = _sent(body)
    if "config" in fields:
        fields["config"] = (body.config or RulesetConfig()).model_dump(exclude_none=True)
    return fields


RULESETS = "/v1/moderation/rulesets"


@router.get(RULESETS, openapi_extra=reply(Listing[Ruleset]))
async def list_rulesets(request: Request) -> dict[str, Any]:
    org = await _org(request)
    limit, cursor = page_params(request)
    return _list(await run_in_threadpool(_stores(request).rulesets.page, org, limit, cursor), ruleset_json)


@router.post(RULESETS, status_code=201, openapi_extra=merged(json_body(RulesetCreate), reply(Ruleset, 201)))
async def create_ruleset(request: Request) -> JSONResponse:
    """The one create that answers with the bare object (decision 4)."""
    org = await _org(request)
    fields = _ruleset_fields(await read_json(request, RulesetCreate))
    fields.setdefault("config", RulesetConfig().model_dump(exclude_none=True))
    fields.setdefault("is_default", False)
    row = await run_in_threadpool(_stores(request).rulesets.create, org, fields)
    return JSONResponse(ruleset_json(row), status_code=201)


@router.get(RULESETS + "/{ruleset_id}", openapi_extra=reply(One[Ruleset]))
async def get_ruleset(request: Request, ruleset_id: str) -> JSONResponse:
    org = await _org(request)
    return _one(await run_in_threadpool(_stores(request).rulesets.get, org, ruleset_id), ruleset_json)


@router.put(RULESETS + "/{ruleset_id}", openapi_extra=merged(json_body(RulesetFields), reply(One[Ruleset])))
async def update_ruleset(request: Request, ruleset_id: str) -> JSONResponse:
    org = await _org(request)
    await run_in_threadpool(_stores(request).rulesets.get, org, ruleset_id)
    fields = _ruleset_fields(await read_json(request, RulesetFields))
    return _one(await run_in_threadpool(_stores(request).rulesets.update, org, ruleset_id, fields), ruleset_json)


@router.delete(RULESETS + "/{ruleset_id}", status_code=204)
async def delete_ruleset(request: Request, ruleset_id: str) -> Response:
    org = await _org(request)
    await run_in_threadpool(_stores(request).rulesets.delete, org, ruleset_id)
    return Response(status_code=204)
