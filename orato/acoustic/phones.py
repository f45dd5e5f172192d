"""The acoustic phone set every evidence source is mapped onto: CMU ARPAbet without stress.

Posterior models emit other inventories (hama: IPA; the CTC head: this one), so each source is
reduced to these 39 phones plus the CTC blank at index 0, and features line up column by
column whatever model produced them.
"""

from __future__ import annotations

PHONES: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
    "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T",
    "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
BLANK = 0  # CTC blank column in every posterior matrix
N_CLASSES = len(PHONES) + 1  # blank + phones
PHONE_INDEX: dict[str, int] = {p: i + 1 for i, p in enumerate(PHONES)}
VOWELS = frozenset(
    {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
)


def phone_ids(phones: tuple[str, ...] | list[str]) -> list[int]:
    """Posterior columns of ``phones``; unknown phones are a caller's bug, so KeyError."""
    return [PHONE_INDEX[p] for p in phones]


def phone_name(column: int) -> str:
    return PHONES[column - 1]
