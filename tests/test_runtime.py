"""Device and precision policy: bf16 only where the CPU computes it natively."""

import torch

from genvision.runtime import cpu_flags, cpu_has_amx, cpu_has_native_bf16, sampling_dtype


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t: fpu\n"
    )
    assert cpu_flags(info) == {"fpu", "sse", "avx2", "avx512f", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == set()
    assert cpu_has_native_bf16({"avx512_bf16"}) and cpu_has_native_bf16({"amx_bf16"})
    assert cpu_has_native_bf16({"avx2", "avx512f"}) == cpu_has_amx()  # without the flags only AMX counts


def test_auto_precision_is_fp32_on_every_cpu():
    """One seed, one image on every CPU: auto never picks bf16 there, whatever the CPU's flags; bf16 is asked for."""
    cpu = torch.device("cpu")
    assert sampling_dtype("auto", cpu) is None
    assert sampling_dtype("fp32", cpu) is None and sampling_dtype("bf16", cpu) == torch.bfloat16
