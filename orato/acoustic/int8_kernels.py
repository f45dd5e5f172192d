"""Whether CTranslate2 multiplies int8 here as it did where the scorers were fitted.

CTranslate2 runs Whisper's int8 products through Intel MKL on Intel CPUs and through oneDNN on
AMD ones. oneDNN's are exact with VNNI (AVX-512 VNNI or AVX-VNNI), as on the AMD EPYC machines
the scorers were fitted and measured on; without it (AMD before Zen 4) they come out a little
apart, and the scores with them: on an AVX2-only EPYC the speechocean762 golden answers moved by
0.1 point on average and by up to 10 at a band's edge, and eSpeak NG's French "rue" said right
scored 63 instead of 75. ``CT2_USE_MKL=1`` brings such a CPU within a point, at 2-4 times the
recogniser's time there, so it is the operator's choice: they are told once, when the model
loads (README, "Scores and the CPU").
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from orato.cpu import CPUINFO, Cpu

logger = logging.getLogger("orato.acoustic")


def inexact_int8(cpuinfo: str, environ: Mapping[str, str]) -> bool:
    """True where CTranslate2 would multiply through oneDNN on an x86 CPU without VNNI."""
    cpu = Cpu.parse(cpuinfo)
    if not cpu.x86:
        return False  # CTranslate2 has other backends there, not measured
    uses_mkl = environ.get("CT2_USE_MKL", "1" if cpu.vendor == "GenuineIntel" else "0") == "1"
    return not uses_mkl and not cpu.vnni


def warn_if_inexact_int8(cpuinfo: Path = CPUINFO, environ: Mapping[str, str] = os.environ) -> None:
    if cpuinfo.exists() and inexact_int8(cpuinfo.read_text(), environ):
        logger.warning(
            "this CPU has no VNNI: CTranslate2's int8 products differ from those the scorers were fitted "
            "with, and scores may move by a few points; CT2_USE_MKL=1 brings them within a point, at 2-4 "
            "times the recogniser's time (README, 'Scores and the CPU')"
        )
