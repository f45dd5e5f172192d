"""Step 3 of scoring: per-phone and per-utterance feature vectors from the raw evidence.

Features come in named groups so that training can measure what each source adds and the
engine computes only the groups the shipped scorer was trained with (the weights file lists
them). Every group is ``[n_phones, width]`` in the expected phone order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orato.acoustic.aligner import Alignment
from orato.acoustic.phones import BLANK, phone_ids
from orato.registry import models as registry
from orato.scoring.ctc_head import CtcHeads
from orato.scoring.evidence import Evidence
from orato.scoring.gop import LOG_FLOOR, competitor_posteriors, insertion_log_probs
from orato.scoring.script_span import ALIGN_FRAMES_PER_ENCODER_FRAME

# GOP runs on stretches of at most this many 20 ms frames (8 s, cut between words): its cost
# is frames x phones, so shorter stretches make a 2-minute passage several times cheaper, and
# a phone's competitors only matter near where it was said. (The shipped scorer was fitted
# with 1,000-frame stretches, which left all but 129 of the 2,500 training clips whole.)
MAX_GOP_FRAMES = 400
FRAMES_PER_SECOND = 100  # alignment frames
PAUSE_FRAMES = 20  # a gap between words at least this long (200 ms) counts as a pause


@dataclass(frozen=True)
class PhoneFeatures:
    groups: dict[str, np.ndarray]  # name -> [n_phones, width]
    utterance: np.ndarray  # [UTTERANCE_WIDTH] fluency-style figures
    phone_index: np.ndarray  # [n_phones] phone column (1..39), for the phone embedding
    word_of_phone: np.ndarray  # [n_phones] index of the word each phone belongs to
    # Per phone, the head's competitor shares (deletion in column BLANK): sound_most_like.
    head_shares: np.ndarray
    # Per phone, the head's log-odds of each phone inserted after it (inserted_phones);
    # empty when not asked for (training does not use it).
    head_insertions: np.ndarray


def gop_features(shares: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``[N, 43]``: the expected phone's share, the best rival's, deletion's, then all 40."""
    rows = np.arange(len(labels))
    own = shares[rows, labels]
    rivals = shares.copy()
    rivals[rows, labels] = LOG_FLOOR
    rivals[:, BLANK] = LOG_FLOOR
    summary = np.stack([own, rivals.max(axis=1), shares[:, BLANK]], axis=1)
    return np.concatenate([summary, np.exp(shares)], axis=1)


def per_stretch(
    logp: np.ndarray,
    labels: np.ndarray,
    alignment: Alignment,
    table: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """``table(frames, labels)`` (one row per phone), computed on stretches of at most
    MAX_GOP_FRAMES frames so that its frames x phones cost stays linear in the clip."""
    if len(logp) <= MAX_GOP_FRAMES:
        return table(logp, labels)
    parts, first_phone = [], 0
    for first, last, start, end in _stretches(alignment):
        count = sum(len(w.phones) for w in alignment.words[first:last])
        frames = logp[
            start // ALIGN_FRAMES_PER_ENCODER_FRAME : math.ceil(end / ALIGN_FRAMES_PER_ENCODER_FRAME)
        ]
        parts.append(table(frames, labels[first_phone : first_phone + count]))
        first_phone += count
    return np.concatenate(parts)


def insertions_by_phone(logp: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``[N, C]``: log-odds of each class inserted next to phone i (after it; the gap before
    the first phone counts for the first phone) against the expected sequence."""
    gaps = insertion_log_probs(logp, labels)
    rows = gaps[1:].copy()
    rows[0] = np.maximum(rows[0], gaps[0])
    return rows


def _stretches(alignment: Alignment) -> list[tuple[int, int, int, int]]:
    """Word ranges ``[first, last)`` with their 10 ms frame extents, cut midway between two
    words, each at most MAX_GOP_FRAMES long unless one word alone is longer."""
    limit = MAX_GOP_FRAMES * ALIGN_FRAMES_PER_ENCODER_FRAME
    words = alignment.words
    stretches, first, cut = [], 0, 0
    for w in range(1, len(words)):
        if words[w].end - cut > limit:
            boundary = (words[w - 1].end + words[w].start) // 2
            stretches.append((first, w, cut, boundary))
            first, cut = w, boundary
    stretches.append((first, len(words), cut, alignment.n_frames))
    return stretches


def extents_20ms(alignment: Alignment, n_frames: int) -> np.ndarray:
    """``[N, 2]`` half-open phone extents in 20 ms frames, at least one frame each."""
    rows = []
    for phone in alignment.phones:
        start = min(phone.start // ALIGN_FRAMES_PER_ENCODER_FRAME, max(n_frames - 1, 0))
        end = max(start + 1, math.ceil(phone.end / ALIGN_FRAMES_PER_ENCODER_FRAME))
        rows.append((start, min(end, n_frames)))
    return np.asarray(rows, np.int64).reshape(-1, 2)


def _pooled(frames: np.ndarray, extents: np.ndarray) -> np.ndarray:
    """Mean of ``frames`` over each extent (cumulative sums: one pass whatever the count)."""
    cumulative = np.concatenate([np.zeros((1, frames.shape[1])), np.cumsum(frames, axis=0)])
    counts = np.maximum(extents[:, 1] - extents[:, 0], 1)[:, None]
    return (cumulative[extents[:, 1]] - cumulative[extents[:, 0]]) / counts


def segment_features(logp: np.ndarray, labels: np.ndarray, extents: np.ndarray) -> np.ndarray:
    """``[N, 3]``: inside the aligned extent, mean and best log-posterior of the expected
    phone, and the mean log-posterior of the best other phone (alignment-bound evidence)."""
    rows = np.arange(len(labels))
    pooled = _pooled(logp, extents)
    best = np.array([logp[s:e, c].max() for (s, e), c in zip(extents, labels, strict=False)])
    others = pooled.copy()
    others[rows, labels] = -np.inf
    others[:, BLANK] = -np.inf
    return np.stack([pooled[rows, labels], best, others.max(axis=1)], axis=1)


def alignment_features(evidence: Evidence) -> np.ndarray:
    """``[N, 6]``: HMM log-likelihood per frame, log duration, the word's spoken flag and
    reference-token log-probabilities, and the phone's position in its word (start/end)."""
    rows = []
    for word, lp in zip(evidence.alignment.words, evidence.word_log_probs, strict=False):
        for k, phone in enumerate(word.phones):
            frames = max(phone.frames, 1)
            rows.append((
                phone.score / frames if word.spoken else 0.0,
                math.log(frames) if word.spoken else 0.0,
                float(word.spoken), lp[0], lp[1],
                (k == 0) - (k == len(word.phones) - 1),
            ))  # fmt: skip
    return np.asarray(rows, np.float64)


UTTERANCE_WIDTH = 6


def utterance_features(alignment: Alignment) -> np.ndarray:
    """Fluency-style figures: speech rate, pauses and the share of words said.

    Speech is counted as at least one frame (its words may all be aligned to zero frames) and
    the recording as at least as long as its speech, so every logarithm has a positive input.
    """
    spoken = [w for w in alignment.words if w.spoken]
    if not spoken:
        return np.zeros(UTTERANCE_WIDTH)
    speech = max(spoken[-1].end - spoken[0].start, 1)
    recording = max(alignment.n_frames, speech)
    gaps = [b.start - a.end for a, b in zip(spoken, spoken[1:], strict=False)]
    pauses = [g for g in gaps if g >= PAUSE_FRAMES]
    n_phones = sum(len(w.phones) for w in spoken)
    return np.array([
        math.log(n_phones / speech * FRAMES_PER_SECOND),
        len(pauses) / max(len(spoken) - 1, 1),
        sum(pauses) / speech,
        math.log(speech / FRAMES_PER_SECOND),
        len(spoken) / len(alignment.words),
        math.log(recording / speech),
    ])  # fmt: skip


def phone_features(
    evidence: Evidence,
    head_logp: np.ndarray,
    head_hidden: np.ndarray,
    groups: frozenset[str],
    insertions: bool = False,
    middle_logp: np.ndarray | None = None,
) -> PhoneFeatures:
    """The feature groups named in ``groups`` (see FEATURE_GROUPS) for one utterance;
    ``middle_logp`` is the second head's (on the encoder's block 3), for the ``middle_`` groups.

    The GOP tables (the head's competitors and insertions, hama's competitors, and the second
    head's competitors where asked) are most of the cost and independent of each other; numpy
    releases the GIL in their recursions, so two of them run on the ``gop`` workers while this
    thread computes the others (on a 60 s answer the alignment before them leaves the second
    core idle).
    """
    alignment = evidence.alignment
    labels = np.asarray(phone_ids([p.phone for p in alignment.phones]))
    extents = extents_20ms(alignment, len(head_logp))
    head = head_logp.astype(np.float64)
    workers = registry.executor("gop", 2)
    pending_inserted = (
        workers.submit(per_stretch, head, labels, alignment, insertions_by_phone) if insertions else None
    )
    # hama's posteriors may still be on their way (see gather_evidence): a worker waits for them.
    pending_hama = workers.submit(_hama_shares, evidence, labels) if "hama_gop" in groups else None
    shares = per_stretch(head, labels, alignment, competitor_posteriors)
    inserted = pending_inserted.result() if pending_inserted else np.zeros((0, 0))
    out: dict[str, np.ndarray] = {}
    if "head_gop" in groups:
        out["head_gop"] = gop_features(shares, labels)
    if "head_segment" in groups:
        out["head_segment"] = segment_features(head_logp, labels, extents)
    if "head_hidden" in groups:
        out["head_hidden"] = _pooled(head_hidden, extents)
    if "alignment" in groups:
        out["alignment"] = alignment_features(evidence)
    if "whisper_states" in groups:
        out["whisper_states"] = _pooled(evidence.states, extents_20ms(alignment, len(evidence.states)))
    if groups & {"middle_gop", "middle_segment"}:
        assert middle_logp is not None, "the middle groups need the second head's posteriors"
        if "middle_gop" in groups:
            middle = per_stretch(middle_logp.astype(np.float64), labels, alignment, competitor_posteriors)
            out["middle_gop"] = gop_features(middle, labels)
        if "middle_segment" in groups:
            out["middle_segment"] = segment_features(middle_logp, labels, extents_20ms(alignment, len(middle_logp)))
    if pending_hama is not None:
        out["hama_gop"] = gop_features(pending_hama.result(), labels)
    if "hama_segment" in groups:
        hama_extents = extents_20ms(alignment, len(evidence.hama))
        out["hama_segment"] = segment_features(evidence.hama, labels, hama_extents)
    word_of_phone = np.asarray([w.index for w in alignment.words for _ in w.phones])
    return PhoneFeatures(
        {k: v.astype(np.float32) for k, v in out.items()},
        utterance_features(alignment).astype(np.float32),
        labels,
        word_of_phone,
        shares,
        inserted,
    )


def heard_features(
    evidence: Evidence, heads: CtcHeads, groups: frozenset[str], insertions: bool = False
) -> PhoneFeatures:
    """:func:`phone_features` after each head has heard its states."""
    logp, hidden = heads.output(evidence.states)
    middle = heads.middle(evidence.middle_states)[0] if heads.middle is not None else None
    return phone_features(evidence, logp, hidden, groups, insertions, middle)


def _hama_shares(evidence: Evidence, labels: np.ndarray) -> np.ndarray:
    return per_stretch(evidence.hama.astype(np.float64), labels, evidence.alignment, competitor_posteriors)


FEATURE_GROUPS = (
    "head_gop", "head_segment", "head_hidden", "hama_gop", "hama_segment", "alignment",
    "whisper_states", "middle_gop", "middle_segment",
)  # fmt: skip
