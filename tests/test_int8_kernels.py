"""orato.acoustic.int8_kernels: which CPUs are told that CTranslate2's int8 products differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from orato.acoustic.int8_kernels import inexact_int8, warn_if_inexact_int8

ZEN3 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma\n"
ZEN4 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 avx512f avx512_vnni\n"
SKYLAKE = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 avx avx2 avx512f\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"


@pytest.mark.parametrize(
    ("cpuinfo", "environ", "inexact"),
    [
        (ZEN3, {}, True),  # oneDNN without VNNI
        (ZEN3, {"CT2_USE_MKL": "1"}, False),  # the operator chose MKL
        (ZEN4, {}, False),  # oneDNN with AVX-512 VNNI: where the scorers were fitted
        (SKYLAKE, {}, False),  # MKL by default on Intel
        (SKYLAKE, {"CT2_USE_MKL": "0"}, True),  # oneDNN forced, no VNNI
        (ARM, {}, False),  # other backends, nothing measured to say
    ],
    ids=["zen3", "zen3-mkl", "zen4", "intel", "intel-onednn", "arm"],
)
def test_cpus_whose_int8_differs(cpuinfo: str, environ: dict[str, str], inexact: bool) -> None:
    assert inexact_int8(cpuinfo, environ) is inexact


def test_the_operator_is_told_once_at_loading(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(ZEN3)
    warn_if_inexact_int8(cpuinfo, {})
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "CT2_USE_MKL=1" in caplog.text
    caplog.clear()
    warn_if_inexact_int8(cpuinfo, {"CT2_USE_MKL": "1"})
    warn_if_inexact_int8(tmp_path / "absent", {})
    assert caplog.records == []
