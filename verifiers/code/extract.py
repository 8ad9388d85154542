"""Code out of a reasoning chain, with every program line traced back to the step it came from.

The rule (documented for chain authors and importers):
  * Code is every fenced block tagged ```python / ```py / ```python3; untagged ``` blocks count
    only when the chain has no tagged block. Other languages are ignored.
  * Code is read from the chain's whole text (step texts are stored stripped, which would eat
    the indentation of a block that continues in the next step); each step is located in the text
    in order, and every code line keeps the index of the step it sits in, so a block may span
    steps. Without the text (or if a step cannot be found in it) the steps are joined with a
    blank line, the default segmenter's separator.
  * The program is the blocks concatenated in order, so a later block that redefines a function
    supersedes the earlier one, as Python itself would. A block that does not parse is dropped
    when a later parsing block defines every top-level name it tried to define (the chain
    repaired it); otherwise it stays and the program does not parse.
  * If the code does not define the entry point but the problem statement is a Python prompt that
    does (HumanEval), the prompt goes first and the code is treated as its completion.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
PY_TAGS = {"python", "py", "python3"}
TOP_DEF = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)
TOP_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
STEP_SEP = "\n\n"


@dataclass
class CodeBlock:
    code: str
    line_steps: list[int]  # step index of each line of `code`
    syntax_error: Optional[SyntaxError] = None

    @property
    def steps(self) -> list[int]:
        return sorted(set(self.line_steps))

    def defined_names(self) -> set[str]:
        return set(TOP_DEF.findall(self.code)) | set(TOP_ASSIGN.findall(self.code))


@dataclass
class Program:
    """The runnable program and, for each of its lines (1-based), the step it came from."""

    source: str = ""
    line_steps: list[Optional[int]] = field(default_factory=list)  # index 0 is line 1
    blocks: list[CodeBlock] = field(default_factory=list)
    dropped: list[CodeBlock] = field(default_factory=list)  # broken blocks a later block repaired
    prefix_lines: int = 0  # lines taken from the problem prompt
    syntax_error: Optional[SyntaxError] = None  # of the whole program; None = it parses

    def step_of_line(self, lineno: int) -> Optional[int]:
        if 1 <= lineno <= len(self.line_steps):
            return self.line_steps[lineno - 1]
        return None

    @property
    def has_code(self) -> bool:
        return bool(self.blocks)

    def code_steps(self) -> list[int]:
        return sorted({s for b in self.blocks for s in b.line_steps})


def locate_steps(steps: Sequence[str], text: Optional[str]) -> tuple[str, list[int]]:
    """The text to read code from and the offset where each step starts in it."""
    if text:
        starts, cursor = [], 0
        for step in steps:
            at = text.find(step.strip(), cursor)
            if at < 0:
                break
            starts.append(at)
            cursor = at + len(step.strip())
        else:
            if starts and starts[0] > 0:
                starts[0] = 0
            return text, starts
    starts, pos = [], 0
    for step in steps:
        starts.append(pos)
        pos += len(step) + len(STEP_SEP)
    return STEP_SEP.join(steps), starts


def extract_blocks(steps: Sequence[str], text: Optional[str] = None) -> list[CodeBlock]:
    """Fenced Python blocks with per-line step indices (see the module rule)."""
    joined, starts = locate_steps(steps, text)
    if not starts:
        return []
    found = [(m.group(1).lower(), m.start(2), m.group(2)) for m in FENCE.finditer(joined)]
    tagged = [f for f in found if f[0] in PY_TAGS]
    chosen = tagged or [f for f in found if f[0] == ""]
    blocks = []
    for _, offset, code in chosen:
        line_steps, at = [], offset
        for line in code.split("\n"):
            indent = len(line) - len(line.lstrip())  # a step starts at its first visible char
            line_steps.append(max(0, bisect.bisect_right(starts, at + indent) - 1))
            at += len(line) + 1
        if code.endswith("\n"):
            line_steps.pop()
            code = code[:-1]
        blocks.append(CodeBlock(code=code, line_steps=line_steps))
    return blocks


def _parse_error(source: str) -> Optional[SyntaxError]:
    try:
        compile(source, "<solution>", "exec")
    except SyntaxError as exc:
        return exc
    except ValueError as exc:  # null bytes
        return SyntaxError(str(exc))
    return None


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", source, re.MULTILINE) is not None


def build_program(steps: Sequence[str], problem: str = "", entry_point: Optional[str] = None,
                  text: Optional[str] = None) -> Program:
    """Apply the module rule to a chain's step texts (and its whole text, when known)."""
    blocks = extract_blocks(steps, text)
    for b in blocks:
        b.syntax_error = _parse_error(b.code)
    kept, dropped = [], []
    for i, b in enumerate(blocks):
        if b.syntax_error is not None:
            names = b.defined_names()
            later = [x for x in blocks[i + 1:] if x.syntax_error is None]
            if names and later and names <= set().union(*(x.defined_names() for x in later)):
                dropped.append(b)
                continue
        kept.append(b)
    source_parts: list[str] = []
    line_steps: list[Optional[int]] = []
    prefix_lines = 0
    code = "\n".join(b.code for b in kept)
    if (entry_point and problem and not _defines(code, entry_point) and _defines(problem, entry_point)
            and _parse_error(problem) is None):
        prompt = problem.rstrip("\n")
        source_parts.append(prompt)
        prefix_lines = prompt.count("\n") + 1
        line_steps += [None] * prefix_lines
    for b in kept:
        source_parts.append(b.code)
        line_steps += list(b.line_steps)
    source = "\n".join(source_parts) + ("\n" if source_parts else "")
    return Program(source=source, line_steps=line_steps, blocks=kept, dropped=dropped,
                   prefix_lines=prefix_lines, syntax_error=_parse_error(source))
