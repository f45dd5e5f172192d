"""Learner recordings for the tests, which the repository itself must not contain.

The speechocean762 clips the tests read come from ``../shared/data/speechocean762-train`` beside the
repository (every developer and CI has it; its files may not be committed, see ``../shared/README.md``).
A clone without ``../shared`` gets the same scripts read by the local Piper voice instead (eSpeak NG's
voice is too far from human speech for the aligner to place "Kate likes lamb"), so every test that
uses these clips still runs. ``ORATO_TEST_SHARED_DATA`` names another data folder, or ``none`` to
hide the shared data and exercise the synthesized path (as CI does for the quick-start tests).
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from voices import wav_bytes

from orato.synthesis.base import Job
from orato.synthesis.piper import VOICE, PiperProvider

SHARED_DATA_ENV = "ORATO_TEST_SHARED_DATA"
DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPUS = "speechocean762-train"

# Utterance id -> what the learner reads (the corpus `text` file, as a script a client would send)
# and the recording's length in seconds, which a synthesized stand-in keeps by padding with silence.
READINGS = {
    "000060082": ("Kate likes lamb.", 3.00),
    "000360036": ("I could do with a break.", 2.96),
    "010330035": ("It makes more sense than going to war.", 3.21),
    "000560159": ("By your leave.", 2.35),
}
# Peak level of a stand-in: a learner's recording is well below full scale, and a-law or mu-law
# encoding of one at full scale would clip.
STAND_IN_PEAK = 0.5
# Learners read more slowly than the voice's default pace ("Kate likes lamb." takes Piper 0.9 s).
STAND_IN_SPEED = 0.75


def shared_data() -> Path | None:
    """The shared data folder, or None where there is none (a clone) or it is hidden on purpose."""
    chosen = os.environ.get(SHARED_DATA_ENV, "")
    if chosen.lower() == "none":
        return None
    root = Path(chosen) if chosen else DEFAULT_SHARED_DATA
    if root.is_dir():
        return root
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must have the shared data at {root} (or set {SHARED_DATA_ENV}=none)")
    return None


def learner_clip_path(uttid: str) -> Path:
    """A file holding utterance ``uttid``: the corpus's FLAC, or a WAV of Piper reading its script."""
    root = shared_data()
    return root / CORPUS / "audio" / f"{uttid}.flac" if root is not None else _stand_in(uttid)


@cache
def _stand_in(uttid: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="orato-learner-")) / f"{uttid}.wav"
    path.write_bytes(synthesized_reading(*READINGS[uttid]))
    return path


def learner_clip(uttid: str) -> bytes:
    return learner_clip_path(uttid).read_bytes()


def synthesized_reading(text: str, seconds: float) -> bytes:
    """``text`` read by the bundled Piper voice in the middle of ``seconds`` of audio, as a 16-bit PCM WAV."""
    rendered = PiperProvider().render(Job(model="piper/default", voice=VOICE, text=text, speed=STAND_IN_SPEED))
    speech = rendered.samples * (STAND_IN_PEAK / max(float(np.abs(rendered.samples).max()), 1e-6))
    padding = max(0, round(seconds * rendered.sample_rate) - len(speech))
    before = np.zeros(padding // 2, np.float32)
    after = np.zeros(padding - padding // 2, np.float32)
    return wav_bytes(before, speech.astype(np.float32), after, rate=rendered.sample_rate)


needs_real_learner_speech = pytest.mark.skipif(
    shared_data() is None, reason=f"needs the learner recordings of ../shared/data ({SHARED_DATA_ENV})"
)
