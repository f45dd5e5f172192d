"""The aligner decodes without holding the GIL, to the same alignment (orato.acoustic.sphinx_decoding)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from learner_speech import learner_clip_path

from orato.acoustic import sphinx_decoding
from orato.acoustic.aligner import INT16_SCALE, PRIMING_SEARCH, PhoneAligner, _Decoder
from orato.audio import decode_audio
from orato.scoring.reference import cmudict_words

SCRIPT = "It makes more sense than going to war"


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return decode_audio(learner_clip_path("010330035"), max_seconds=30).samples


def test_the_alignment_is_the_binding_s_own(clip: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    phones = [w.phones for w in cmudict_words(SCRIPT)]
    aligner = PhoneAligner()
    assert sphinx_decoding.native_decoder(aligner._default.decoder) is not None  # the GIL-free path is taken
    released = aligner.align(clip, phones)
    monkeypatch.setattr(sphinx_decoding, "native_decoder", lambda decoder: None)
    held = aligner.align(clip, phones)
    assert released == held and all(w.spoken for w in released.words)


def test_other_threads_run_while_it_decodes(clip: np.ndarray) -> None:
    """One decode of 60 s is one foreign call; a thread that wakes every 5 ms keeps waking meanwhile
    (with the GIL held it woke at most once, after the call)."""
    pcm = (np.tile(clip, 60 * 16_000 // len(clip) + 1) * INT16_SCALE).astype(np.int16).tobytes()
    decoder = _Decoder({}).decoder
    decoder.activate_search(PRIMING_SEARCH)  # a grammar of one silence: a quick search, all of it in C
    wakeups, decoding = [], threading.Event()

    def tick() -> None:
        while not decoding.is_set():
            time.sleep(0.001)
        while decoding.is_set():
            time.sleep(0.005)
            wakeups.append(time.perf_counter())

    ticker = threading.Thread(target=tick)
    ticker.start()
    decoder.start_utt()
    decoding.set()
    started = time.perf_counter()
    sphinx_decoding.process_utterance(decoder, pcm)
    ended = time.perf_counter()
    decoding.clear()
    ticker.join()
    decoder.end_utt()
    during = [t for t in wakeups if started < t < ended]
    assert len(during) >= min(5, (ended - started) / 0.02), (len(during), ended - started)


def test_a_decoder_laid_out_otherwise_is_decoded_by_the_binding() -> None:
    class StandIn:
        config = None

        def __init__(self) -> None:
            self.calls: list[tuple[bytes, bool]] = []

        def process_raw(self, pcm: bytes, full_utt: bool = False) -> None:
            self.calls.append((pcm, full_utt))

    decoder = StandIn()
    assert sphinx_decoding.native_decoder(decoder) is None
    sphinx_decoding.process_utterance(decoder, b"\0\0" * 160)
    assert decoder.calls == [(b"\0\0" * 160, True)]
