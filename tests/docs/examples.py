"""Find the examples in README.md and docs/*.md, and understand their command lines.

A ```bash block is an example to run, one command per line (``\\`` continues a line, ``#``
starts a comment). The HTML comment right before a block may say how:

- ``<!-- example: not-run: REASON -->``: it cannot run on this machine, and REASON says why;
- ``<!-- example: clean -->``: it brings its own servers (no ``AIOPS_*`` settings from the test's);
- ``<!-- example: timeout=SECONDS -->``: a command may take that long (default 120);
- ``<!-- example: repo -->``: it runs in the checkout (it reads the repository, writes nothing);
- ``<!-- example: finally -->``: its last command runs even when an earlier one failed (it stops
  what the block started).

A command's expected exit code is 0 unless its comment says ``(exit 3)`` (or ``(exit 0 or 3)``);
``(until Ctrl-C)`` means it runs until interrupted: the runner sends SIGINT after a few seconds
and expects 130. ```json blocks that carry a ``schema`` are documents and must validate;
```toml blocks are aiops configuration files and must load.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*example:\s*(.*?)\s*-->\s*$")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
EXIT = re.compile(r"\(exit (\d+(?: or \d+)*)\)")
GLOBAL_WITH_VALUE = {"-o", "--output", "--env", "--config", "--jq"}
GLOBAL_FLAGS = {"-v", "--verbose", "-q", "--quiet", "--debug"}


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    """One fenced block: where it is, its language, its text and the marker before it."""

    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def options(self) -> dict[str, str]:
        """The marker's words: ``not-run`` (with its reason), ``clean``, ``timeout``."""
        out: dict[str, str] = {}
        if not self.marker:
            return out
        if self.marker.startswith("not-run"):
            out["not-run"] = self.marker[len("not-run"):].lstrip(":").strip()
            return out
        for word in self.marker.split():
            key, _, value = word.partition("=")
            out[key] = value
        return out

    def commands(self) -> list["Command"]:
        """One command per line: ``\\`` continues it; a here-document runs to its terminator."""
        out, pending, start, heredoc = [], "", 0, None
        for offset, raw in enumerate(self.text.splitlines()):
            if heredoc is not None:
                pending += raw + "\n"
                if raw.strip() == heredoc:
                    out.append(Command(pending.rstrip("\n"), start))
                    pending, heredoc = "", None
                continue
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            if not pending:
                start = self.line + 1 + offset
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            here = HEREDOC.search(split_comment(raw)[0])
            if here:
                pending, heredoc = pending + raw + "\n", here.group(1)
                continue
            out.append(Command(pending + raw, start))
            pending = ""
        return out


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with the example marker right before it."""
    found, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = MARKER.match(before)
        found.append(Block(path, i + 1, match.group(1), "\n".join(lines[i + 1:j]),
                           marker.group(1) if marker else None))
        i = j + 1
    return found


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment) as bash reads a line: ``#`` starts a comment at the start of a word,
    outside quotes."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                continue
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1:].strip()
    return line, ""


@dataclass
class Command:
    """One command line of an example."""

    text: str
    line: int
    words: list[str] = field(init=False)
    comment: str = field(init=False)

    def __post_init__(self) -> None:
        code, self.comment = split_comment(self.text.split("\n", 1)[0])
        lexer = shlex.shlex(code, posix=True, punctuation_chars="|&;<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        self.words = list(lexer)

    @property
    def shell(self) -> str:
        """The line as bash runs it (its comment included: bash ignores it)."""
        return self.text

    @property
    def exits(self) -> tuple[int, ...]:
        if self.until_interrupted:
            return (130,)
        match = EXIT.search(self.comment)
        return tuple(int(n) for n in match.group(1).split(" or ")) if match else (0,)

    @property
    def until_interrupted(self) -> bool:
        return "(until Ctrl-C)" in self.comment

    @property
    def compound(self) -> bool:
        """Pipes, redirections, lists or command substitution: only the exit code is checked."""
        return any(w in ("|", "||", "&&", ";", ">", ">>", "<") for w in self.words) or "$(" in self.text

    def aiops_args(self) -> list[str] | None:
        """The arguments after ``aiops`` (environment assignments before it skipped), or None."""
        words = list(self.words)
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            words.pop(0)
        if not words or words[0] != "aiops":
            return None
        return words[1:]


class MissingCommand(Exception):
    """An example uses a command this build of aiops does not have."""


def resolve(args: list[str], root: Any) -> tuple[str, Any, list[str]]:
    """(command path, click command, the rest) for ``aiops ARGS``; MissingCommand when a group
    has no such subcommand. Global options before the command are skipped."""
    rest, path, command = list(args), [], root
    while rest:
        word = rest[0]
        if word in GLOBAL_WITH_VALUE:
            rest = rest[2:]
            continue
        if word in GLOBAL_FLAGS or word.startswith("-"):
            if not path:
                rest = rest[1:]
                continue
            break
        if not hasattr(command, "list_commands"):
            break
        sub = command.get_command(None, word)
        if sub is None:
            raise MissingCommand(f"aiops {' '.join([*path, word])}")
        path.append(word)
        command = sub
        rest = rest[1:]
    return " ".join(path), command, rest


def output_mode(args: list[str]) -> str:
    """json, table, markdown or jq: what the command writes to a pipe."""
    for i, word in enumerate(args):
        if word == "--jq" or word.startswith("--jq="):
            return "jq"
        if word in ("-o", "--output") and i + 1 < len(args):
            return args[i + 1]
        if word.startswith("--output="):
            return word.split("=", 1)[1]
    return "json"
