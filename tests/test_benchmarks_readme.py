"""Every table in benchmarks/README.md says which machine measured it (in its section's text, or says that the
machine was not recorded), and no GPU figure quoted from elsewhere sits in benchmarks/ddpm_speed.py."""

from __future__ import annotations

import re

from tests.conftest import REPO

MACHINE = re.compile(r"Xeon|EPYC|H100|H200|GPU|not recorded", re.I)


def tables_without_machine(text: str) -> list[int]:
    """Line numbers of tables whose section (text since the last `## ` heading) names no machine."""
    lines, missing, context = text.split("\n"), [], []
    for k, line in enumerate(lines):
        if line.startswith("## "):
            context = []
        if line.startswith("|") and (k == 0 or not lines[k - 1].startswith("|")):
            if not MACHINE.search(" ".join(context)):
                missing.append(k + 1)
        if not line.startswith("|"):
            context.append(line)
    return missing


def test_every_benchmark_table_names_its_machine():
    assert tables_without_machine((REPO / "benchmarks" / "README.md").read_text()) == []


def test_the_check_can_fail():
    assert tables_without_machine("## A\nsome text\n\n| a |\n|---|\n| 1 |\n") == [4]
    assert tables_without_machine("## A\non a 2-core Xeon\n\n| a |\n|---|\n| 1 |\n") == []


def test_ddpm_speed_quotes_no_unmeasured_gpu_figures():
    source = (REPO / "benchmarks" / "ddpm_speed.py").read_text()
    assert not re.search(r"\d,?\d{3} img/s|\d+ img/s", source.split("SWITCHES")[0])
