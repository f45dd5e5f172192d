"""How much of a recording's voiced speech the script explains (api-scoring.md 9.13 and 9.10).

Interference (another speaker, a television, the learner talking on after the script) and an
off-script answer (fidelity ``FREE_SPEAK``) are the same measurement: voiced speech that lies
outside every aligned script word. Noise is not speech, so a frame counts only when both
detectors agree that someone is talking:

* Silero VAD (the request's speech segments) says the frame is speech; it ignores hum, music
  and broadband noise but pads every segment and bridges short pauses;
* Praat finds a pitch in it (:func:`~orato.acoustic.pitch.prosody_track`); that removes the
  padding, pauses and breaths VAD lets through, and any noise VAD mistook for speech unless
  it is periodic too.

Both quantities are voiced seconds, so their ratio compares like with like: unvoiced
consonants are left out of the target as they are out of the rest.

What this does not see: a second voice *during* the learner's words. Inside a word's extent
every voiced frame is the learner's; telling two overlapping harmonic sources apart needs a
source-separation model that Orato does not have. A competing voice is measured where the
learner is silent: before the first word, in the pauses between words, after the last one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orato.acoustic.pitch import FRAME_SECONDS, ProsodyTrack
from orato.audio import SpeechSegment
from orato.scoring.assessment import WordAssessment

# Voicing this close to an aligned word still belongs to it. Forced-alignment word boundaries
# miss the acoustic ones by a few tens of milliseconds in read speech, more at the edges of an
# utterance and in non-native speech; a final vowel or nasal also rings on past its phone's
# end. 100 ms covers those misses while staying below the shortest syllable a second speaker
# could say in a pause.
ATTRIBUTION_MARGIN_SECONDS = 0.1


@dataclass(frozen=True)
class SpeechAttribution:
    """Voiced speech of one recording, in seconds, split by whether the script explains it."""

    target_seconds: float  # inside the spoken script words (with the margin)
    other_seconds: float  # everywhere else

    @property
    def speaking_seconds(self) -> float:
        return self.target_seconds + self.other_seconds

    @property
    def other_share(self) -> float:
        """The part of the speaking time that no script word explains (0 with no speech)."""
        return self.other_seconds / self.speaking_seconds if self.speaking_seconds else 0.0


def attribute_speech(
    track: ProsodyTrack, speech: Sequence[SpeechSegment], words: Sequence[WordAssessment]
) -> SpeechAttribution:
    """Split the voiced speech of ``track`` between the spoken ``words`` and everything else.

    ``speech`` are the request's VAD segments; ``words`` the engine's verdicts, whose extents
    are in the aligner's 10 ms frames, the track's grid too (unspoken words have zero-width
    extents and explain nothing).
    """
    frames = np.arange(track.n_frames)
    centres = (frames + 0.5) * FRAME_SECONDS
    in_speech = np.zeros(track.n_frames, bool)
    for segment in speech:
        in_speech |= (centres >= segment.start_seconds) & (centres < segment.end_seconds)
    voiced = in_speech & ~np.isnan(track.f0)
    margin = ATTRIBUTION_MARGIN_SECONDS / FRAME_SECONDS
    explained = np.zeros(track.n_frames, bool)
    for word in words:
        if word.spoken:
            explained |= (frames + 1 > word.start_frame - margin) & (frames < word.end_frame + margin)
    return SpeechAttribution(
        target_seconds=float(np.count_nonzero(voiced & explained)) * FRAME_SECONDS,
        other_seconds=float(np.count_nonzero(voiced & ~explained)) * FRAME_SECONDS,
    )
