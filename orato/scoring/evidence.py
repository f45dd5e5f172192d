"""Step 1-2 of scoring: align the expected phones, then collect every model's raw evidence.

The result is model output only (extents, posteriors, states, log-probabilities), nothing
fitted, so training can cache it on disk once and refit the scorers from it many times; the
engine computes the same thing for one request.

Evidence comes from the script's own part of the recording. When the recording holds speech
before or after the script (a client that sends only the first words of what was read), the
part is found with the recogniser (:mod:`orato.scoring.script_span`) and the models see the
recording without the rest, as if the reader had said just the script: the CTC
GOP would otherwise force the script's phones over the unscripted speech and name its
sounds as the script's rivals, and Whisper's decoder would read the script against words it
does not hold (issue 12 item 3: "Taylor had" in the Taylor sentence scored 78 and 50
instead of 100). A reading of the whole script keeps the whole recording, so its evidence,
and the scorer trained on it, are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
from faster_whisper import WhisperModel

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment, PhoneAligner
from orato.acoustic.hama_posteriors import HamaPhonePosteriors
from orato.acoustic.whisper import EncodedAudio, WhisperFeatures
from orato.acoustic.whisper_layers import WhisperLowerLayers
from orato.errors import WordAlignmentError
from orato.registry import models as registry
from orato.scoring.script_span import (
    ALIGN_FRAMES_PER_ENCODER_FRAME,
    SAMPLES_PER_ALIGN_FRAME,
    Hearing,
    ScriptPart,
    find_script_parts,
    pronounced_in_english,
    script_log_probs,
)

# A reading the aligner ended early (its stop path) is aligned again without the stop when
# Whisper's decoder, forced with the script, gives the first unsaid word at least this mean
# log-probability per token (one in four). The aligner left 26 words of 21 speechocean762
# training readings unsaid at their end, 13 of them rated 8-10 by the experts: the rule gives
# back BIRD, GIRL, YOUR and DO (and the LEAVE after YOUR, rated 5) and none of the 11 rated 3 or
# less. In 58 readings cut 100 ms after a word's aligned end, 6 first unsaid words reached it (the
# cut keeps the onset of the next word when no pause comes between them). MODEL_CARD.md,
# "Unspoken words: Whisper's second opinion on a stop".
HEARD_AFTER_STOP = math.log(0.25)
STATE_WIDTH = 512


def no_states() -> np.ndarray:
    return np.zeros((0, STATE_WIDTH), np.float32)


@dataclass(frozen=True)
class Evidence:
    alignment: Alignment  # frames counted from the window's start
    # [frames, 40] hama log-posteriors (20 ms) of the whole recording, or their computation
    # still under way: the features that need no hama are computed meanwhile.
    pending_hama: np.ndarray | Future[np.ndarray]
    states: np.ndarray  # [frames, 512] Whisper-base encoder states of the window, 20 ms
    word_log_probs: np.ndarray  # [words, 2] mean and min reference-token log-probability
    # Half-open 10 ms frames of the recording the evidence covers: None for all of it, else
    # the script's part (starting on a 20 ms frame), without the speech outside the script.
    window: tuple[int, int] | None = None
    # [frames, 512] the output of the encoder's block 3 over the window, 20 ms, for the second
    # CTC head (orato.acoustic.whisper_layers); empty where the scorer does not read it.
    middle_states: np.ndarray = field(default_factory=no_states)

    @property
    def hama(self) -> np.ndarray:
        """hama's posteriors over the window."""
        full = self.pending_hama.result() if isinstance(self.pending_hama, Future) else self.pending_hama
        if self.window is None:
            return full
        start, end = self.window
        return full[start // ALIGN_FRAMES_PER_ENCODER_FRAME : math.ceil(end / ALIGN_FRAMES_PER_ENCODER_FRAME)]

    @property
    def offset(self) -> int:
        """10 ms frames of the recording before the window: add to the alignment's frames."""
        return 0 if self.window is None else self.window[0]


class Listening:
    """What the models hear in a recording whatever its script: hama's posteriors and Whisper's
    encoder states, each started on its own thread as the listening starts (both native
    engines release the GIL, so on two cores their cost hides behind other work: the
    alignment, the transcription).

    Every script scored on the recording shares one (multiple choice's options), and a caller
    with other work to do first starts it before that work: score speech listens while it
    transcribes. On a 60 s answer, hama had still been running 2.8 s after the rest of the
    evidence was done; started before the transcription, it took 1.5-2 s off score speech's
    15-17 s, and the encoder started with it another 1.0 s (``MODEL_CARD.md``).
    """

    def __init__(
        self,
        samples: np.ndarray,
        whisper: WhisperFeatures,
        hama: HamaPhonePosteriors | None,
        middle: WhisperLowerLayers | None = None,
    ) -> None:
        self.samples = samples
        # One worker each: hama's session is not known to be reentrant, and the encoder's model
        # runs one call at a time anyway, so requests take turns on them. The middle layers
        # wait behind the encoder on its worker: two encoders at once would only share the cores.
        encoder = registry.executor("whisper-encoder", 1)
        self._encoded = encoder.submit(whisper.encode, samples)
        self._middle = encoder.submit(middle.states, samples) if middle is not None else None
        # [frames, 40] log-posteriors, 20 ms; empty without hama (the shipped scorer needs it).
        self.hama: np.ndarray | Future[np.ndarray] = (
            registry.executor("hama", 1).submit(hama.log_posteriors, samples)
            if hama is not None
            else np.zeros((0, 0), np.float32)
        )

    @property
    def encoded(self) -> EncodedAudio:
        """Whisper-base's encoder states of the whole recording (waits for them)."""
        return self._encoded.result()

    @property
    def middle_states(self) -> np.ndarray:
        """Block 3's states of the whole recording (waits for them); empty without the model."""
        return self._middle.result() if self._middle is not None else no_states()


@dataclass(frozen=True)
class EvidenceModels:
    aligner: PhoneAligner
    hama: HamaPhonePosteriors | None  # None: the shipped scorer does not use it
    whisper: WhisperFeatures
    # Finds the script's part of a recording that holds more (script_span) where the caller
    # gives no Hearing; None: the whole recording is taken for the script.
    transcriber: WhisperModel | None = None
    middle: WhisperLowerLayers | None = None  # None: the shipped scorer does not read block 3

    def listen(self, samples: np.ndarray) -> Listening:
        return Listening(samples, self.whisper, self.hama, self.middle)


def gather_evidence(
    models: EvidenceModels,
    samples: np.ndarray,
    texts: Sequence[str],
    phones: Sequence[Sequence[str]],
    hearing: Hearing | None = None,
    listening: Listening | None = None,
) -> Evidence:
    """Raises :class:`~orato.errors.WordAlignmentError` when the phones cannot be aligned.

    ``listening``: what the models already hear in ``samples`` (:class:`Listening`), else
    they start listening here. hama may still be running on return: the features that need
    it come last.
    """
    listening = listening or models.listen(samples)
    hama = listening.hama
    alignment = models.aligner.align(samples, phones)
    encoded = listening.encoded
    log_probs = script_log_probs(models.whisper, encoded, texts, alignment)
    if _stop_doubted(alignment, log_probs):
        alignment, log_probs = _without_stop(models, samples, texts, phones, encoded, alignment, log_probs)
    parts = _script_parts(models, samples, texts, phones, alignment, hearing, log_probs)
    middle = listening.middle_states
    if not parts:
        return Evidence(alignment, hama, encoded.states, log_probs, middle_states=middle)
    # Of the candidate parts, one where the aligner found every word (a part cut too short
    # leaves one unspoken), and of those the one where Whisper's decoder, forced with the
    # script, finds its words likeliest: they are likeliest where they were said. It reads the
    # part alone, which is all the script text can describe; the CTC head reads the whole
    # recording's encoder states (the same frames give the same posteriors whatever the script).
    part, part_encoded, log_probs = max(
        (_listened(models, samples, texts, part) for part in parts),
        key=lambda heard: (sum(w.spoken for w in heard[0].alignment.words), float(heard[2][:, 0].mean())),
    )
    first = part.window[0] // ALIGN_FRAMES_PER_ENCODER_FRAME
    frames = slice(first, first + len(part_encoded.states))
    return Evidence(part.alignment, hama, encoded.states[frames], log_probs, part.window, middle[frames])


def _stop_doubted(alignment: Alignment, log_probs: np.ndarray) -> bool:
    """The aligner ended the reading early, but Whisper's decoder, forced with the script, hears
    the first word it left unsaid (mean token probability HEARD_AFTER_STOP or more)."""
    said = [w.index for w in alignment.words if w.spoken]
    first_unsaid = said[-1] + 1 if said else 0
    return first_unsaid < len(alignment.words) and bool(log_probs[first_unsaid, 0] >= HEARD_AFTER_STOP)


def _without_stop(
    models: EvidenceModels,
    samples: np.ndarray,
    texts: Sequence[str],
    phones: Sequence[Sequence[str]],
    encoded: EncodedAudio,
    alignment: Alignment,
    log_probs: np.ndarray,
) -> tuple[Alignment, np.ndarray]:
    """The alignment in which the reader says every word, and its log-probabilities; the given
    ones where no such path exists (speech of another language, say): the stop stands."""
    try:
        whole = models.aligner.align(samples, phones, may_stop=False)
    except WordAlignmentError:
        return alignment, log_probs
    return whole, script_log_probs(models.whisper, encoded, texts, whole)


def _script_parts(
    models: EvidenceModels,
    samples: np.ndarray,
    texts: Sequence[str],
    phones: Sequence[Sequence[str]],
    alignment: Alignment,
    hearing: Hearing | None,
    log_probs: np.ndarray,
) -> list[ScriptPart]:
    """Where the script may have been said in a recording that holds more; none: all of it."""
    if hearing is None and models.transcriber is not None:
        hearing = Hearing.by(models.transcriber, samples)
    return find_script_parts(models.aligner, samples, phones, texts, hearing, alignment, log_probs, pronounced_in_english)


def _listened(
    models: EvidenceModels, samples: np.ndarray, texts: Sequence[str], part: ScriptPart
) -> tuple[ScriptPart, EncodedAudio, np.ndarray]:
    """The part's encoder states and the script's word log-probabilities in it."""
    start, end = part.window
    encoded = models.whisper.encode(samples[start * SAMPLES_PER_ALIGN_FRAME : end * SAMPLES_PER_ALIGN_FRAME])
    return part, encoded, script_log_probs(models.whisper, encoded, texts, part.alignment)


def evidence_to_arrays(evidence: Evidence) -> dict[str, np.ndarray]:
    """A flat dict of arrays (for ``np.savez``); phone names come back from the script."""
    table = [
        (w.index, int(w.spoken), p.start, p.end, p.score)
        for w in evidence.alignment.words
        for p in w.phones
    ]
    return {
        "phones": np.asarray(table, np.float64).reshape(-1, 5),
        "n_frames": np.asarray(evidence.alignment.n_frames),
        "wide_beams": np.asarray(evidence.alignment.wide_beams),
        "hama": evidence.hama.astype(np.float16),
        "states": evidence.states.astype(np.float16),
        "word_log_probs": evidence.word_log_probs,
        "middle_states": evidence.middle_states.astype(np.float16),
    }


def evidence_from_arrays(arrays: dict[str, np.ndarray], phones: Sequence[Sequence[str]]) -> Evidence:
    rows = iter(arrays["phones"])
    words = []
    for index, names in enumerate(phones):
        extents = []
        spoken = True
        for name in names:
            word, said, start, end, score = next(rows)
            assert int(word) == index
            spoken = bool(said)
            extents.append(AlignedPhone(name, int(start), int(end), float(score)))
        words.append(AlignedWord(index, spoken, tuple(extents)))
    alignment = Alignment(tuple(words), int(arrays["n_frames"]), bool(arrays["wide_beams"]))
    return Evidence(
        alignment,
        arrays["hama"].astype(np.float32),
        arrays["states"].astype(np.float32),
        arrays["word_log_probs"].astype(np.float32),
        middle_states=arrays["middle_states"].astype(np.float32) if "middle_states" in arrays else no_states(),
    )
