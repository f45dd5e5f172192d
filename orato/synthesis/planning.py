"""Steps 3 and 4 of the processing order (api-synthesis.md 3.3): from a request body to turns.

Each turn is addressed (inline or saved voice), its model, voice, speed, instructions and options
are checked against the chosen provider, and only then is the provider's access resolved, so
that the first failing check of the documented order decides the error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from orato.errors import invalid_at
from orato.synthesis.base import Provider
from orato.synthesis.catalogue import VOICE_LANGUAGES, Router
from orato.synthesis.schemas import Addressed

Path = list[str | int]


class SavedVoice(Protocol):
    id: uuid.UUID
    provider: str
    model: str
    voice_ref: str
    provider_options: dict[str, Any]


class VoiceLookup(Protocol):
    def get(self, organisation_id: uuid.UUID, voice_id: uuid.UUID) -> SavedVoice: ...


@dataclass
class TurnPlan:
    provider: Provider
    model: str
    voice_ref: str
    voice_id: uuid.UUID | None
    speed: float
    instructions: str | None
    options: dict[str, Any]
    caller_text: str
    index: int | None = None
    credential: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def language(self) -> str | None:
        return VOICE_LANGUAGES.get(self.voice_ref)

    @property
    def audio_tags(self) -> bool:
        return self.model in self.provider.info.audio_tag_models


@dataclass(frozen=True)
class Defaults:
    """Conversation-level values a turn inherits (3.2): model, speed, providerOptions."""

    model: str | None = None
    speed: float | None = None
    options: dict[str, Any] = field(default_factory=dict)


class Planner:
    def __init__(self, providers: dict[str, Provider], router: Router, voices: VoiceLookup) -> None:
        self.providers = providers
        self.router = router
        self.voices = voices

    def plan(self, organisation_id: uuid.UUID, body: Addressed, at: Path, defaults: Defaults, index: int | None = None) -> TurnPlan:
        saved = self._address(body, at, defaults)
        if saved:
            voice = self.voices.get(organisation_id, body.voiceId)  # type: ignore[arg-type]
            provider, model = self._provider_model(f"{voice.provider}/{voice.model}", [*at, "voiceId"])
            voice_ref, base_options, voice_id = voice.voice_ref, dict(voice.provider_options), voice.id
        else:
            provider, model = self._provider_model(body.model or defaults.model or "", [*at, "model"] if body.model else ["model"])
            voice_ref, base_options, voice_id = body.voice or "", {}, None
            self._check_voice(provider, voice_ref, [*at, "voice"])
        options = {**base_options, **defaults.options, **(body.providerOptions or {})}
        plan = TurnPlan(provider, model, voice_ref, voice_id, body.speed or defaults.speed or 1.0,
                        body.instructions, options, body.text, index)
        self._check_capabilities(plan, body, at)
        return plan

    def authorise(self, organisation_id: uuid.UUID, plan: TurnPlan) -> None:
        """Step 4: provider enabled, then credentials (2.4)."""
        try:
            plan.credential = self.router.credential(organisation_id, plan.provider)
        except Exception as error:
            if plan.index is not None and hasattr(error, "extras"):
                error.extras["turn_index"] = plan.index
            raise

    def _address(self, body: Addressed, at: Path, defaults: Defaults) -> bool:
        """True for a saved voice; the shape decides, ``mode`` only has to agree (3.1)."""
        model = body.model or defaults.model
        if body.voiceId is not None and body.model is not None:
            raise invalid_at([*at, "model"], "must not be combined with voiceId")
        if body.voiceId is not None and body.voice is not None:
            raise invalid_at([*at, "voice"], "must not be combined with voiceId")
        if body.voiceId is None and body.voice is None:
            raise invalid_at(at, "needs either model and voice, or voiceId")
        if body.voiceId is None and model is None:
            raise invalid_at([*at, "model"], "is required with voice")
        saved = body.voiceId is not None
        if body.mode is not None and body.mode != ("voice" if saved else "inline"):
            raise invalid_at([*at, "mode"], "must be inline or voice and agree with the body's shape")
        return saved

    def _provider_model(self, name: str, at: Path) -> tuple[Provider, str]:
        provider_id, _, model = name.partition("/")
        provider = self.providers.get(provider_id)
        if provider is None or model not in provider.info.models:
            raise invalid_at(at, "is not a model this server offers (provider/model)")
        return provider, model

    def _check_voice(self, provider: Provider, voice: str, at: Path) -> None:
        if provider.info.voices is not None and voice not in provider.info.voices:
            raise invalid_at(at, "is not a voice of this provider")

    def _check_capabilities(self, plan: TurnPlan, body: Addressed, at: Path) -> None:
        info = plan.provider.info
        if plan.instructions is not None and plan.model not in info.instructions_models:
            raise invalid_at([*at, "instructions"], "is not supported by this model")
        low, high = info.speed_range
        if not low <= plan.speed <= high:
            raise invalid_at([*at, "speed"], f"must be between {low:g} and {high:g} for this provider")
        problems = plan.provider.option_errors(plan.options)
        if problems:
            sub, message = problems[0]
            raise invalid_at([*at, "providerOptions", *sub], message)
