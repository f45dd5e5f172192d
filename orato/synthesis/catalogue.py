"""The providers this server offers, and how a request reaches one (api-synthesis.md 2.1-2.4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from orato.errors import NoApiKeyError, ProviderDisabledError
from orato.settings import Settings
from orato.synthesis.base import Provider
from orato.synthesis.elevenlabs import ElevenLabsProvider
from orato.synthesis.espeak import EspeakProvider
from orato.synthesis.openai import OpenAIProvider
from orato.synthesis.piper import PiperProvider

PROVIDER_IDS = ("espeak-ng", "piper", "openai", "elevenlabs")
# Language of each local voice, for the aligner; remote voices leave Whisper to detect it.
VOICE_LANGUAGES = {"en-us": "en", "en-gb": "en", "fr-fr": "fr", "es-es": "es", "es-mx": "es", "en_US-joe-medium": "en"}


def build_providers(settings: Settings) -> dict[str, Provider]:
    timeout = settings.upstream_timeout_seconds
    providers: list[Provider] = [
        EspeakProvider(),
        PiperProvider(),
        OpenAIProvider(settings.openai_base_url, timeout),
        ElevenLabsProvider(settings.elevenlabs_base_url, timeout),
    ]
    return {p.info.id: p for p in providers}


class ProviderFlags(Protocol):
    """An organisation's switches for one provider (2.3)."""

    @property
    def enabled(self) -> bool: ...

    @property
    def managed_allowed(self) -> bool: ...


class ProviderStates(Protocol):
    """Where the switches are kept (the store, above this layer, implements it)."""

    def flags(self, organisation_id: uuid.UUID, provider: str) -> ProviderFlags: ...


class ProviderKeys(Protocol):
    """Where BYOK keys are kept (the store implements it): whether one exists, and it in clear."""

    def has(self, organisation_id: uuid.UUID, provider: str) -> bool: ...

    def secret(self, organisation_id: uuid.UUID, provider: str) -> str | None: ...


@dataclass(frozen=True)
class Access:
    enabled: bool
    byok: bool
    managed: bool


class Router:
    """Provider state and credential resolution, in the contract's fixed order."""

    def __init__(self, settings: Settings, keys: ProviderKeys, states: ProviderStates) -> None:
        self._settings = settings
        self.keys = keys
        self.states = states

    def access(self, organisation_id: uuid.UUID, provider: Provider) -> Access:
        flags = self.states.flags(organisation_id, provider.info.id)
        if provider.info.local:
            return Access(flags.enabled, False, True)
        managed = flags.managed_allowed and bool(self._settings.managed_keys.get(provider.info.id))
        return Access(flags.enabled, self.keys.has(organisation_id, provider.info.id), managed)

    def credential(self, organisation_id: uuid.UUID, provider: Provider) -> str | None:
        """Steps 2-6 of 2.4: disabled, local, BYOK, managed, else no key. Never a fallback."""
        provider_id = provider.info.id
        flags = self.states.flags(organisation_id, provider_id)
        if not flags.enabled:
            raise ProviderDisabledError(provider=provider_id)
        if provider.info.local:
            return None
        own = self.keys.secret(organisation_id, provider_id)
        if own is not None:
            return own
        managed = self._settings.managed_keys.get(provider_id)
        if managed and flags.managed_allowed:
            return managed
        raise NoApiKeyError(provider=provider_id)
