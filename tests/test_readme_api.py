"""The README's Python API section runs as written (the shipped bundles, on the CPU)."""

import re

import pytest

from tests.conftest import REPO


def python_blocks(section: str) -> list[str]:
    text = (REPO / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


@pytest.mark.slow
def test_python_api_examples_run(capsys):
    blocks = python_blocks("Python API")
    assert blocks, "the README has a Python API example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "torch.Size([4, 1, 28, 28]) (4, 28, 28) dpmpp" in printed and "fashion-ldm" in printed
