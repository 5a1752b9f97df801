"""Regenerate the README's command reference from the CLI's own --help.

    python scripts/gen_reference.py          # rewrite README.md in place
    python scripts/gen_reference.py --check  # exit 1 when README.md is stale (the tests do this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- reference:start -->", "<!-- reference:end -->"
GLOBAL_OPTION = re.compile(r"^  (-o, --output|--env|--config|-v, --verbose|-q, --quiet|--debug)\b")
WIDTH = 100


def _walk(command, path, chain):
    chain = [*chain, command]
    yield path, chain
    if hasattr(command, "list_commands"):
        for name in command.list_commands(None):
            yield from _walk(command.get_command(None, name), [*path, name], chain)


def _help(chain, path) -> str:
    from typer import _click

    ctx = None
    for command, name in zip(chain, path):
        ctx = _click.Context(command, info_name=name, parent=ctx, terminal_width=WIDTH,
                             max_content_width=WIDTH)
    text = chain[-1].get_help(ctx)
    return "\n".join(_drop_global_options(text.splitlines())).rstrip()


def _drop_global_options(lines: list[str]) -> list[str]:
    """Global options are documented once, above; drop them (and their wrapped lines)."""
    out, skipping = [], False
    for line in lines:
        if GLOBAL_OPTION.match(line):
            skipping = True
            continue
        if skipping and line.startswith("    ") and not line.lstrip().startswith("-"):
            continue
        skipping = False
        out.append(line)
    return out


def reference() -> str:
    """The generated Markdown: one section per command, its --help verbatim."""
    import typer

    from aiops.cli.main import app

    root = typer.main.get_command(app)
    parts = []
    for path, chain in _walk(root, ["aiops"], []):
        if chain[-1].hidden:
            continue
        parts.append(f"### `{' '.join(path)}`\n\n```text\n{_help(chain, path)}\n```\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"README.md lacks the {START} / {END} markers", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{reference()}\n{END}{tail}"
    if "--check" in argv:
        if new != text:
            print("README.md's command reference is stale: run python scripts/gen_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
