"""The README's command reference matches ``--help``: every command and option is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from icr.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def commands(group: click.Group, ctx: click.Context, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, ctx, path + " "))
        else:
            out.append((path, cmd))
    return out


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for every ``###`` heading naming an icr command."""
    parts = re.split(r"^(#{2,4} .*)$", text, flags=re.M)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2) if "`icr " in parts[i]]


def section_for(path: str, found: list[tuple[str, str]]) -> tuple[str, str] | None:
    first, *rest = path.split()
    for heading, body in found:
        if re.search(rf"`icr {re.escape(first)}\b", heading) and all(
            re.search(rf"\b{re.escape(word)}\b", heading) for word in rest
        ):
            return heading, body
    return None


def options(cmd: click.Command) -> list[list[str]]:
    """Each option's spellings (``["-o", "--output"]``): the README may use either."""
    return [[*p.opts, *p.secondary_opts] for p in cmd.params if isinstance(p, click.Option) and not p.hidden]


def documented(spellings: list[str], text: str) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text) for s in spellings)


def test_every_command_and_option_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    found = sections(text)
    ctx = click.Context(main)
    problems = []
    for path, cmd in commands(main, ctx):
        section = section_for(path, found)
        if section is None:
            problems.append(f"icr {path}: no README heading names it")
            continue
        heading, body = section
        for spellings in options(cmd):
            if "--help" not in spellings and not documented(spellings, heading + body):
                problems.append(f"icr {path}: {spellings[-1]} is not in its README section {heading.strip()!r}")
    for spellings in options(main):
        if "--help" not in spellings and "--version" not in spellings and not documented(spellings, text):
            problems.append(f"icr {spellings[-1]} (global option) is not in the README")
    assert not problems, "\n".join(problems)
