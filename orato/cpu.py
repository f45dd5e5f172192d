"""What this machine's CPU is, as its int8 kernels see it (read once from ``/proc/cpuinfo``).

Orato's int8 weights are multiplied by onnxruntime (the graphs :mod:`orato.onnx_graphs` builds)
and by CTranslate2 (the recogniser). On x86, VNNI (AVX-512 VNNI or AVX-VNNI) multiplies uint8
by int8 and sums into 32 bits in one instruction: exact, and the fastest way there is. Without
it, their int8 kernels fall back on AVX2's pairwise 16-bit sums, which can saturate. Each caller
decides what to do about that (:mod:`orato.onnx_graphs`, :mod:`orato.acoustic.int8_kernels`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni"})
X86_VENDORS = frozenset({"GenuineIntel", "AuthenticAMD"})


@dataclass(frozen=True)
class Cpu:
    vendor: str  # "GenuineIntel", "AuthenticAMD", or "" where cpuinfo names none (ARM)
    flags: frozenset[str]

    @classmethod
    def parse(cls, cpuinfo: str) -> Cpu:
        """The first processor's vendor and flags, from the text of ``/proc/cpuinfo``."""
        fields: dict[str, str] = {}
        for line in cpuinfo.splitlines():
            name, colon, value = line.partition(":")
            if colon:
                fields.setdefault(name.strip(), value.strip())
        return cls(fields.get("vendor_id", ""), frozenset(fields.get("flags", "").split()))

    @property
    def x86(self) -> bool:
        return self.vendor in X86_VENDORS

    @property
    def vnni(self) -> bool:
        """x86 with VNNI: uint8 x int8 products summed exactly, in one instruction."""
        return self.x86 and bool(self.flags & VNNI_FLAGS)


@functools.cache
def this_cpu() -> Cpu:
    """This machine's CPU; an empty description where ``/proc/cpuinfo`` is missing."""
    return Cpu.parse(CPUINFO.read_text() if CPUINFO.exists() else "")
