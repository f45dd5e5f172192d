"""Step 2 of training: CTC phone heads on frozen Whisper-base states, one per speaker fold.

Each fold's head is trained on the other folds' speakers (with a few of them kept apart to
pick the epoch of lowest validation CTC loss) and run on its own fold's speakers, so every
utterance gets head posteriors from a head that never heard its speaker: the scorers are then
fitted on the features they will really see. Canonical phones are the CTC targets; an
utterance with a badly rated word is down-weighted, since its canonical phones are partly
not what was said.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from orato.acoustic.phones import BLANK, N_CLASSES, phone_ids
from orato.scoring.ctc_head import BLOCKS, KERNEL, WIDTH
from orato.scoring.evidence import Evidence
from orato.scoring.script_span import ALIGN_FRAMES_PER_ENCODER_FRAME
from training.corpus import Utterance

STATE_DIM = 512
BAD_WORD_ACCURACY = 5.0  # a word the experts scored below this is mostly mispronounced
BAD_UTTERANCE_WEIGHT = 0.2
VALIDATION_SHARE = 0.1  # of a fold's training speakers, for choosing the epoch
MAX_EPOCHS = 8  # with early stopping on the validation loss (research saw it rise after epoch 5)
PATIENCE = 2  # epochs without a better validation loss before stopping
# Frames kept around the aligned speech: the leading and trailing silences teach nothing
# and cost a third of the training time.
SILENCE_MARGIN_FRAMES = 10
BATCH_FRAMES = 8000  # frames per batch (padded): keeps CPU steps short and even
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-2
DROPOUT = 0.1
TIME_MASKS = 2  # SpecAugment-style masks over the input states
TIME_MASK_FRAMES = 8

log = logging.getLogger("training.heads")


class ConvBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(WIDTH)
        self.conv = nn.Conv1d(WIDTH, WIDTH, KERNEL, padding=KERNEL // 2)
        self.act = nn.GELU(approximate="tanh")
        self.drop = nn.Dropout(DROPOUT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, T, C]
        y = self.conv(self.norm(x).transpose(1, 2)).transpose(1, 2)
        return x + self.drop(self.act(y))


class TorchCtcHead(nn.Module):
    """The torch twin of :class:`orato.scoring.ctc_head.CtcHead` (same parameter names).

    ``n_classes`` is blank + the phone set: 40 for English ARPAbet, 1 + len(UNITS) for the
    French/Spanish head (``training.fres_heads``); both sets put the blank at 0.
    """

    def __init__(self, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(STATE_DIM)
        self.proj = nn.Linear(STATE_DIM, WIDTH)
        self.blocks = nn.ModuleList(ConvBlock() for _ in range(BLOCKS))
        self.out = nn.Linear(WIDTH, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(self.norm(x))
        for block in self.blocks:
            h = block(h)
        return torch.log_softmax(self.out(h), dim=-1)


@dataclass(frozen=True)
class HeadExample:
    uttid: str
    states: np.ndarray  # [T, 512] float16
    targets: np.ndarray  # canonical phone columns
    weight: float


def head_example(utt: Utterance, evidence: Evidence, middle: bool = False) -> HeadExample:
    """The utterance's aligned speech for a head on the encoder's output, or with ``middle`` on
    its block 3 (the second head)."""
    bad = min(w.accuracy for w in utt.words) < BAD_WORD_ACCURACY
    targets = np.asarray(phone_ids([p for w in utt.words for p in w.phones]), np.int64)
    phones = evidence.alignment.phones
    start = max(phones[0].start // ALIGN_FRAMES_PER_ENCODER_FRAME - SILENCE_MARGIN_FRAMES, 0)
    end = phones[-1].end // ALIGN_FRAMES_PER_ENCODER_FRAME + SILENCE_MARGIN_FRAMES
    states = (evidence.middle_states if middle else evidence.states)[start:end].astype(np.float16)
    return HeadExample(utt.uttid, states, targets, BAD_UTTERANCE_WEIGHT if bad else 1.0)


def _batches(examples: list[HeadExample], rng: random.Random | None) -> list[list[HeadExample]]:
    """Length-sorted batches of at most BATCH_FRAMES padded frames (shuffled when rng given)."""
    ordered = sorted(examples, key=lambda e: len(e.states))
    batches: list[list[HeadExample]] = [[]]
    for example in ordered:
        if (len(batches[-1]) + 1) * len(example.states) > BATCH_FRAMES and batches[-1]:
            batches.append([])
        batches[-1].append(example)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _tensors(batch: list[HeadExample], augment: random.Random | None):
    longest = max(len(e.states) for e in batch)
    x = torch.zeros(len(batch), longest, STATE_DIM)
    for i, example in enumerate(batch):
        states = torch.from_numpy(example.states.astype(np.float32))
        if augment is not None:
            for _ in range(TIME_MASKS):
                width = augment.randint(0, TIME_MASK_FRAMES)
                start = augment.randint(0, max(0, len(states) - width))
                states[start : start + width] = 0.0
        x[i, : len(states)] = states
    lengths = torch.tensor([len(e.states) for e in batch])
    targets = torch.from_numpy(np.concatenate([e.targets for e in batch]))
    target_lengths = torch.tensor([len(e.targets) for e in batch])
    weights = torch.tensor([e.weight for e in batch])
    return x, lengths, targets, target_lengths, weights


def _loss(model: TorchCtcHead, batch: list[HeadExample], augment: random.Random | None):
    x, lengths, targets, target_lengths, weights = _tensors(batch, augment)
    log_probs = model(x).transpose(0, 1)  # CTC wants [T, B, C]
    losses = nn.functional.ctc_loss(
        log_probs, targets, lengths, target_lengths, blank=BLANK,
        reduction="none", zero_infinity=True,
    )  # fmt: skip
    per_target = losses / target_lengths.clamp(min=1)
    return (per_target * weights).sum(), weights.sum()


def _validation_loss(model: TorchCtcHead, examples: list[HeadExample]) -> float:
    model.eval()
    total = count = 0.0
    with torch.no_grad():
        for batch in _batches(examples, None):
            loss, weight = _loss(model, batch, None)
            total, count = total + float(loss), count + float(weight)
    return total / max(count, 1e-9)


def train_head(
    train: list[HeadExample],
    validation: list[HeadExample],
    seed: int,
    n_classes: int = N_CLASSES,
    max_epochs: int = MAX_EPOCHS,
) -> dict[str, np.ndarray]:
    """Fit one head; returns the state dict (numpy) of the epoch with the lowest validation loss."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = TorchCtcHead(n_classes)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps = max_epochs * len(_batches(train, None))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=LEARNING_RATE, total_steps=steps, pct_start=0.15
    )
    best, best_loss, stale = None, math.inf, 0
    for epoch in range(max_epochs):
        model.train()
        for batch in _batches(train, rng):
            loss, weight = _loss(model, batch, rng)
            optimiser.zero_grad()
            (loss / weight).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            schedule.step()
        val = _validation_loss(model, validation)
        log.info("epoch %d validation CTC loss per phone %.4f", epoch + 1, val)
        if val < best_loss:
            best_loss, stale = val, 0
            best = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= PATIENCE:
                break
    assert best is not None
    return best


def split_validation(
    examples: list[HeadExample], speakers: dict[str, str], seed: int
) -> tuple[list[HeadExample], list[HeadExample]]:
    """Hold out VALIDATION_SHARE of the speakers of ``examples`` for epoch selection."""
    names = sorted({speakers[e.uttid] for e in examples})
    random.Random(seed).shuffle(names)
    held = set(names[: max(1, round(len(names) * VALIDATION_SHARE))])
    return (
        [e for e in examples if speakers[e.uttid] not in held],
        [e for e in examples if speakers[e.uttid] in held],
    )


def save_weights(weights: dict[str, np.ndarray], path: Path, dtype: type = np.float32) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{k: v.astype(dtype) for k, v in weights.items()})
