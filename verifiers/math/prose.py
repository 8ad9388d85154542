"""Final answers stated in prose: where a reader finds the result when there is no `\\boxed{}`.

Imported chains rarely box their answer. They state it in the closing sentence: "there are 812
strings", "the maximum value of f is 1", "so k = -3", "No, it is not possible", "there are no
integer solutions", "Therefore, Vince stapled 2,280 reports". `locate_final_answer` first looks for
the explicit markers `extract_answer` knows (a box, `####`, "the answer is"), in the last step that
has one; then it reads the closing sentences of the last step (or of the step before, when the
last is a remark with no number in it) with a few rules, each naming itself in `how`:

- `there are`: "there are (exactly) N …", "there is only one …", "there are no …" (0 when the
  problem asks how many, else "no solutions");
- `is`: "the <quantity> is / equals / comes to VALUE" (a math span's chain `… = 252` gives 252);
- `assignment`: a sentence that is nothing but assignments, "so \\(k = -3\\)", "x = 0 and y = 0";
- `yes/no`: for a yes/no question, "Yes, …" / "No, …", "it is (not) possible", "impossible";
- `new number`: a concluding sentence ("Therefore, …", "So …") with exactly one number that is
  not in the problem ("Therefore, the customer paid $37 on this trip").

The sentence read is the last one in which a rule fires; when the rules that fire there give
different answers, nothing is returned: a wrong answer found is worse than none. Everything is
linear in the text's length (a step is model text), and only the last `TAIL` characters of a step
are read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .answers import answers_equal
from .compare import is_prose
from .extract import answer_location, extract_answer
from .words import spelled_number

TAIL = 3000  # characters at the end of a step that can hold its closing statement


@dataclass(frozen=True)
class Located:
    step: int  # index of the step that states the answer
    answer: str  # as written (LaTeX or plain), ready for `answers_equal`
    how: str  # the rule that found it: "marker", "there are", "is", "assignment", "yes/no", "new number"
    quote: str  # the sentence it was read from (shortened)

    @property
    def where(self) -> str:
        return f"step {self.step}, {self.how}: {self.quote!r}"


# --- math spans and sentences ---------------------------------------------------------------------
_SPAN = re.compile(r"\\\((.{1,600}?)\\\)|\\\[(.{1,900}?)\\\]|\$\$(.{1,900}?)\$\$|(?<![\\$])\$([^$\n]{1,400}?)\$(?!\d)",
                   re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[^\d\s.])[.!?](?=\s|$)|(?<=\d)[.!?](?=\s+[A-Z*]|\s*$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|#))|\n")
_MARKDOWN = re.compile(r"\*\*|__|^#+\s*|^\s*[-*•]\s+|^\s*\d+[.)]\s+", re.MULTILINE)
_SLOT = "\u0001{}\u0002"
_SLOT_RE = re.compile("\u0001(\\d+)\u0002")


def _mask(text: str) -> tuple[str, list[str]]:
    """Math spans replaced by numbered slots (so no sentence is cut inside one); a displayed span
    (`\\[…\\]`, `$$…$$`) ends its line."""
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(next(g for g in m.groups() if g is not None).strip())
        display = m.group(2) is not None or m.group(3) is not None
        return _SLOT.format(len(spans) - 1) + ("\n" if display else "")

    return _SPAN.sub(keep, text), spans


def _sentences(masked: str) -> list[str]:
    """Sentences and lines; one that ends with a colon goes on into the next ("the sum is:" + a display)."""
    out: list[str] = []
    last = 0
    for m in (*_SENTENCE_END.finditer(masked), None):
        end = len(masked) if m is None else m.end()
        piece = masked[last:end].strip()
        last = end
        if not piece:
            continue
        if out and out[-1].endswith(":"):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


# --- values ---------------------------------------------------------------------------------------
_NUMBER = r"[-−]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?%?"
_NUMBER_WORD = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                r"hundred|thousand|million|billion)")
_WORD_NUMBER = rf"{_NUMBER_WORD}(?:(?:[\s-]+and)?[\s-]+{_NUMBER_WORD})*"
_VALUE = re.compile(rf"\s*(?:(?P<slot>\u0001\d+\u0002)|(?P<num>{_NUMBER})(?![\w.])|(?P<words>{_WORD_NUMBER})\b"
                    r"|(?P<group>[(\[{][-\w\s,.+/^]{1,120}[)\]}]))",
                    re.IGNORECASE)
_NOUN = re.compile(r"\s+(?:(?:square|cubic)\s+)?([A-Za-z]{2,})\b")
_NOT_NOUN = frozenset(
    "and or but so if when where which who that than then is are was were be as at in on of for to from by with "
    "per times plus minus because since while whereas although though this these those it its we they there here "
    "such each every all any some no not only exactly respectively total altogether overall left more less fewer "
    "remaining".split()
)
_ASSIGN = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?|\\[A-Za-z]+|[A-Za-z]\([A-Za-z0-9]\))\s*=\s*([^=<>]+)$")


def _span_value(span: str) -> str:
    """A math span as an answer: an evaluation chain `4 × 9 × 7 = 252` gives its last piece;
    an assignment `x = 5` or anything else stays whole."""
    pieces = [p.strip() for p in re.split(r"(?<![<>!\\])=|\\approx|≈", span)]
    if len(pieces) > 1 and all(pieces) and not _ASSIGN.match(span):
        return pieces[-1]
    return span


def _value_at(masked: str, spans: list[str], pos: int, whole: bool = False) -> Optional[tuple[str, int]]:
    """(answer text, end) of the value that starts at `pos` (after spaces), with its noun; `whole`
    keeps an equation whole (the answer asked for is the equation)."""
    m = _VALUE.match(masked, pos)
    if m is None:
        return None
    if m.group("slot"):
        span = spans[int(_SLOT_RE.match(m.group("slot")).group(1))]
        value = span if whole else _span_value(span)
    elif m.group("num"):
        value = m.group("num").replace("−", "-")
    elif m.group("group"):  # a tuple, an interval or a set written in plain text
        value = m.group("group")
        return (value, m.end()) if "," in value else None
    else:
        number = spelled_number(m.group("words"))
        if number is None:
            return None
        value = number
    end = m.end()
    noun = _NOUN.match(masked, end)
    if noun and noun.group(1).lower() not in _NOT_NOUN and not m.group("slot"):
        value, end = f"{value} {masked[m.end():noun.end()].strip()}", noun.end()
    return value, end


_NEXT_ITEM = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


def _values_at(masked: str, spans: list[str], pos: int, whole: bool = False) -> Optional[tuple[str, int]]:
    """A value, or a list of them: "1, 2 and 3", "(1, 2) and (2, 1)" (joined by commas)."""
    first = _value_at(masked, spans, pos, whole)
    if first is None:
        return None
    items, end = [first[0]], first[1]
    while len(items) < 50:
        sep = _NEXT_ITEM.match(masked, end)
        got = _value_at(masked, spans, sep.end(), whole) if sep else None
        if got is None:
            break
        items.append(got[0])
        end = got[1]
    return ", ".join(items), end


# --- rules ----------------------------------------------------------------------------------------
_CONCLUDES = re.compile(
    r"^(?:therefore|thus|so|hence|consequently|in\s+conclusion|in\s+summary|in\s+total|altogether|overall|"
    r"finally|as\s+a\s+result|this\s+means|which\s+means|that\s+means|this\s+gives|we\s+conclude)\b[\s,:]*",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"^(?:since|because|as|given|if|when|after|now\s+that)\b[^,\u0001]{0,200},\s*", re.IGNORECASE)
_THERE_ARE = re.compile(
    r"\bthere\s+(?:are|is|were|was|will\s+be|would\s+be|exist|exists)\s+(?:a\s+total\s+of\s+|exactly\s+|only\s+|"
    r"precisely\s+|in\s+total\s+|altogether\s+)?",
    re.IGNORECASE,
)
_THERE_NO = re.compile(
    r"\bthere\s+(?:are|is|exist|exists)\s+no\b|\bno\s+(?:such\s+)?(?:\w+\s+)?(?:solutions?|values?|pairs|triples|"
    r"integers|numbers)\s+(?:exist|satisfy)|\bhas\s+no\s+(?:real\s+|integer\s+|positive\s+)?solutions?\b",
    re.IGNORECASE,
)
_ONE = re.compile(r"(?:only|exactly|precisely|just)\s+one\b|a\s+unique\b|one\s+(?:such|way|solution)\b", re.IGNORECASE)
_IS = re.compile(
    r"\b(?:is|are|equals|was|will\s+be|would\s+be|must\s+be|comes\s+to|totals|amounts\s+to|is\s+equal\s+to|"
    r"are\s+equal\s+to)\s*:?\s+(?:then\s+|therefore\s+|thus\s+|exactly\s+|only\s+|just\s+|simply\s+|"
    r"precisely\s+|given\s+by\s+|equal\s+to\s+|approximately\s+|about\s+|around\s+|roughly\s+|nearly\s+|"
    r"at\s+(?:least|most)\s+|a\s+total\s+of\s+)?",
    re.IGNORECASE,
)
_IS_ANSWER = re.compile(r"^(\u0001\d+\u0002|[^\s]{1,40})\s+is\s+(?:our|the|my)\s+(?:final\s+)?answer\b", re.IGNORECASE)
_DOUBT = re.compile(r"\b(?:check\w*|verif\w*|confirm\w*|not|if|however|but|suppose|assume|try|would|could)\b|\?",
                    re.IGNORECASE)
_ANY_NUMBER = re.compile(rf"\u0001\d+\u0002|(?<![\w.]){_NUMBER}(?![\w.])")
_SUBJECT = re.compile(r"\b(?:the|its|this|our|their|his|her)\s+\w", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\b", re.IGNORECASE)
_YES_NO_QUESTION = re.compile(
    r"(?:^|[.?!]\s+|\n)\s*(?:is|are|can|could|does|do|did|will|would|has|have|must|should|may)\b[^?]{0,400}\?"
    r"|\b(?:determine|decide|prove\s+or\s+disprove|find\s+out)\s+(?:whether|if)\b|\bis\s+it\s+(?:true|possible)\b",
    re.IGNORECASE,
)
_YES = re.compile(r"^yes\b|\b(?:it|this)\s+is\s+(?:indeed\s+)?possible\b|\bthe\s+answer\s+is\s+yes\b", re.IGNORECASE)
_NO = re.compile(
    r"^no\b(?!\s+(?:such|other|more|two|solution))|\bnot\s+possible\b|\bimpossible\b|\bcannot\b|\bcan't\b|"
    r"\bthe\s+answer\s+is\s+no\b|\bdoes\s+not\s+exist\b|\bno\s+such\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d")
_PROBLEM_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _clean_sentence(sentence: str) -> str:
    s = _MARKDOWN.sub("", sentence).strip().rstrip(".!").strip()
    s = _CONCLUDES.sub("", s)
    return _CLAUSE.sub("", s)


def _there_are(s: str, spans: list[str], how_many: bool) -> Optional[str]:
    if _THERE_NO.search(s):
        return "0" if how_many else "no solutions"
    m = _THERE_ARE.search(s)
    if m is None:
        return None
    if _ONE.match(s, m.end()):
        return "1"
    got = _value_at(s, spans, m.end())
    return got[0] if got else None


def _is(s: str, spans: list[str]) -> Optional[str]:
    own = _IS_ANSWER.match(s)
    if own:  # "\\(\\frac{27}{8}\\) is our answer"
        got = _value_at(own.group(1), spans, 0)
        return got[0] if got else None
    found = None
    for m in _IS.finditer(s):
        subject = _SUBJECT.search(s, 0, m.start())
        if not subject or s[max(0, m.start() - 6) : m.start()].lower().strip() == "there":
            continue  # "there are N" is the first rule's
        whole = "equation" in s[subject.start() : m.start()].lower()
        plural = m.group().split()[0].lower() in ("are", "were")  # "the values of n are 1, 2 and 3"
        got = (_values_at if plural else _value_at)(s, spans, m.end(), whole)
        if got is not None:
            found = got[0]  # the last "the … is VALUE" of the sentence is its main clause
    return found


def _assignments(s: str, spans: list[str]) -> Optional[str]:
    """The sentence is only assignments (in math spans or plain) joined by and / or / commas."""
    rest = re.sub(r"^(?:we\s+(?:get|have|find|obtain)|the\s+solutions?\s+(?:is|are)|which\s+gives|giving|"
                  r"this\s+gives|it\s+follows\s+that)\s*:?\s*", "", s, flags=re.IGNORECASE)
    parts = [p.strip() for p in re.split(r"\s*(?:,|\band\b|\bor\b)\s*", rest) if p.strip()]
    if not parts:
        return None
    out = []
    for p in parts:
        slot = _SLOT_RE.fullmatch(p)
        text = spans[int(slot.group(1))] if slot else p
        m = _ASSIGN.match(text)
        if m is None or _DIGITS.search(m.group(1)) and not slot:
            return None
        out.append(text.strip())
    joiner = " or " if re.search(r"\bor\b", rest) else ", "
    return joiner.join(out)


def _yes_no(s: str) -> Optional[str]:
    yes, no = bool(_YES.search(s)), bool(_NO.search(s))
    if yes == no:
        return None
    return "Yes" if yes else "No"


def _new_number(s: str, spans: list[str], problem_numbers: set[str]) -> Optional[str]:
    """The one value of a concluding sentence that the problem does not give."""
    values = []
    pos = 0
    while pos < len(s):
        m = _ANY_NUMBER.search(s, pos)
        if m is None:
            break
        got = _value_at(s, spans, m.start())
        if got is None:
            pos = m.end()
            continue
        value, pos = got
        number = re.match(r"-?\$?[\d,]+(?:\.\d+)?", value)
        key = number.group().replace(",", "").lstrip("$") if number else value
        if key not in problem_numbers:
            values.append((key, value))
    distinct = {k for k, _ in values}
    return values[-1][1] if len(distinct) == 1 else None


def _read_sentence(sentence: str, spans: list[str], problem: str, last: bool) -> list[tuple[str, str]]:
    """(how, answer) candidates the rules find in one sentence; `last`: it is the step's last
    sentence with a number in it (a closing statement, even without "therefore")."""
    concludes = bool(_CONCLUDES.match(_MARKDOWN.sub("", sentence).strip()))
    s = _clean_sentence(sentence)
    found = []
    how_many = bool(_HOW_MANY.search(problem))
    for how, value in (("there are", _there_are(s, spans, how_many)), ("is", _is(s, spans)),
                       ("assignment", _assignments(s, spans))):
        if value is not None:
            found.append((how, value))
    if _YES_NO_QUESTION.search(problem) and (concludes or last):
        got = _yes_no(s)
        if got is not None:
            found = [(h, v) for h, v in found if h == "there are" and v == "no solutions"] + [("yes/no", got)]
    if not found and (concludes or last and not _DOUBT.search(sentence)):
        numbers = {n.replace(",", "") for n in _PROBLEM_NUMBER.findall(problem)}
        got = _new_number(s, spans, numbers)
        if got is not None:
            found.append(("new number", got))
    return found


def _agree(values: list[str]) -> bool:
    """Do the statements give one answer? (The comparer decides: "812" and "812 strings" do.)"""
    first = values[0]
    return all(v == first or answers_equal(first, v, timeout=0.5).result == "equal" for v in values[1:])


def prose_answer(text: str, problem: str = "") -> Optional[tuple[str, str, str]]:
    """(answer, how, sentence) stated by the closing sentences of `text`, or None."""
    masked, spans = _mask(text[-TAIL:])
    sentences = _sentences(masked)
    numeric = [k for k, sentence in enumerate(sentences) if _ANY_NUMBER.search(sentence)]
    closing = numeric[-1] if numeric else len(sentences) - 1
    for k in range(len(sentences) - 1, -1, -1):
        found = _read_sentence(sentences[k], spans, problem, k == closing)
        if not found:
            continue
        values = [v for _, v in found]
        if not _agree(values):
            return None
        quote = _SLOT_RE.sub(lambda m: f"\\({spans[int(m.group(1))]}\\)", sentences[k])
        return found[0][1], found[0][0], quote[:300]
    return None


def locate_final_answer(steps: list[str], problem: str = "") -> Optional[Located]:
    """Where the chain states its final answer, and what it is; None when it states none."""
    at = answer_location(steps)
    if at is not None:
        answer = extract_answer(steps[at])
        if answer is None:
            return None
        if is_prose(answer):  # "the answer is: Verna received $7.00 in change"
            read = prose_answer(answer, problem)
            if read is not None:
                return Located(at, read[0], f"marker, {read[1]}", steps[at][-300:].strip())
        return Located(at, answer, "marker", steps[at][-300:].strip())
    for k in range(len(steps) - 1, max(len(steps) - 3, -1), -1):
        got = prose_answer(steps[k], problem)
        if got is not None:
            return Located(k, got[0], got[1], got[2])
        if _DIGITS.search(steps[k]) or "\\(" in steps[k] or "$" in steps[k]:
            return None  # the last step says something with numbers, and it is not a statement of the result
    return None
