"""Issue 22, item 10: benchmarks/README.md is a current report, not a running log.

One ``##`` section per benchmark, each with its command (a code block) and the date of its
figures; no section twice, no sub-headings by round or by date (history lives in git)."""

from __future__ import annotations

import re
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "README.md"
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
LOG_HEADING = re.compile(
    r"^#{2,6} .*(\b(?:round|run)s? \d|\bround\b|\bupdate\b|\blog\b|\bhistory\b|\b20\d\d-\d\d-\d\d\b)", re.I | re.M
)


def sections(text: str) -> list[tuple[str, str]]:
    parts = re.split(r"^## (.*)$", text, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


def test_one_section_per_benchmark_with_its_command_and_date() -> None:
    text = REPORT.read_text(encoding="utf-8")
    found = sections(text)
    assert len(found) >= 5
    names = [heading.split("(")[0].strip().lower() for heading, _ in found]
    assert len(names) == len(set(names)), f"a benchmark has two sections: {names}"
    for heading, body in found:
        assert "```" in body, f"{heading}: no command to reproduce its figures"
        assert DATE.search(body), f"{heading}: its figures carry no date"
    assert not LOG_HEADING.findall(text), "headings by round or date: a running log, not a report"
