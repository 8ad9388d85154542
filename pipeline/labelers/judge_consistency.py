"""Does a judge's rating agree with its own reason, and does the reason refer to its step?

A small judge model happily writes `+1` under "This is a mistake", or rotates two or three stock
sentences over every step whatever it rates. Neither rating is a label: the judge said two things
and we cannot know which it meant, or said nothing about the step. Both become abstains with the
evidence (`labelers/judge.py`).

- `reason_stance(reason)`: +1 when the reason says the step is right, -1 when it says the step is
  wrong, None when it says both, neither, or only something about another step. Read clause by
  clause: cue words for an error ("mistake", "incorrect", "should be", "miscalculates", ...) and
  for correctness ("correct", "accurate", "valid", ...), a negation shortly before a cue turning it
  over ("not correct", "no errors"), and "the correct answer is 12" (a statement of what is right,
  not about the step), what follows "the previous step" in a clause (about another step), quoted text (the step's own words)
  and "right" as a direction ("left to right") left out. Only an unmixed stance
  counts: precision first, since a wrong abstain costs a label and a missed contradiction was
  there before.
- `contradiction(rating, reason)`: why a +1 or -1 disagrees with its reason, else None (a 0 is
  "neutral" and contradicts neither).
- `stock_reasons(reasons, step_texts)`: the steps whose reason (as a normalised sentence, step and
  paragraph numbers masked) the same vote gave to another step with a different text: a stock
  sentence, whatever the other reasons do.

All regular expressions are linear (no nested quantifiers) and reasons are cut to `MAX_CHARS`
before they are read: model text cannot make this slow.
"""
from __future__ import annotations

import re
from typing import Optional

MAX_CHARS = 2000

_CLAUSES = re.compile(r"[.;!?\n]+|,?\s+(?:but|however|although|though|whereas|yet|while)\s+|\s+-\s+", re.I)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+")

# cue words: whole words first (so "flawless" is not read as "flaw"), then stems, wrong before right
# (so "incorrect" is not read as "correct")
_WRONG_STEMS = ("error", "mistak", "miscalcul", "miscount", "misread", "misinterpret", "misunderst", "misappl",
                "misstat", "miscop", "incorrect", "wrong", "inaccura", "erroneous", "flaw", "invalid", "illogical",
                "contradict", "unjustif", "unsupport", "nonsens", "overlook", "neglect", "forgot", "forget",
                "omit", "omis", "fallac", "faulty", "bogus", "incoheren", "careless")
_WRONG_WORDS = {"false", "untrue", "typo", "typos", "fails", "fail", "failed", "ignores", "ignored", "ignoring",
                "inconsistent", "impossible", "problematic", "confuses", "confused", "conflates", "swapped", "bad"}
_RIGHT_STEMS = ("correct", "accura", "valid", "reasonabl", "appropriat", "properly", "logical", "justified",
                "consistent")
_RIGHT_WORDS = {"right", "true", "fine", "good", "ok", "okay", "sound", "sensible", "flawless", "faultless",
                "perfectly", "errorless", "mistakeless"}
# two-word cues, checked on the clause's word list
_WRONG_PAIRS = {("should", "be"), ("should", "have"), ("instead", "of"), ("doesn't", "follow"),
                ("not", "follow"), ("not", "match"), ("off", "by"), ("rather", "than")}
_RIGHT_PAIRS = {("makes", "sense"), ("checks", "out"), ("follows", "from"), ("follows", "logically"),
                ("well", "done"), ("spot", "on"), ("no", "problem"), ("no", "issue"), ("no", "issues")}
_NEGATORS = {"not", "no", "never", "nothing", "without", "hardly", "neither", "nor", "cannot", "none", "nowhere"}
_NEGATION_REACH = 4  # words between a negator and the cue it turns over
# what the reason quotes (the step's own words) and "right" as a direction or shape say nothing of the step
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`|(?<![\w'])'[^'\n]*'(?![\w'])")
_NOT_A_STANCE = re.compile(r"\b(?:left to right|right to left|to the right|on the right|right[- ](?:triangle|angle|"
                           r"side|hand|half|circular|prism|cylinder))\b", re.I)
_NOT_ONLY = re.compile(r"\bnot\s+only\b", re.I)  # "not only correct but ..." negates nothing
_FREE_OF = re.compile(r"\b(?:error|mistake|flaw)s?[- ]free\b", re.I)  # "error-free" is praise
_OTHER_STEP = re.compile(r"\b(?:previous|preceding|earlier|prior|last|next|following|later|subsequent|above|"
                         r"first|second|third)\s+(?:step|paragraph|line|calculation)s?\b", re.I)
# "the correct answer is 12", "the right total would be": what is right, not whether this step is
_STATEMENT_OF_TRUTH = re.compile(r"\bthe\s+(?:correct|right|accurate|valid|proper|true|actual)\s+"
                                 r"(?:answer|value|result|total|number|amount|sum|product|difference|quotient|"
                                 r"calculation|computation|formula|expression|equation|approach|method|count|"
                                 r"figure|price|cost|time|distance|speed|rate|area)\s*(?:is\b|was\b|would\b|"
                                 r"should\b|will\b|=|:)", re.I)
_INDEX = re.compile(r"\b(?:step|paragraph|line)\s*#?\s*\d+\b", re.I)
_NON_WORD = re.compile(r"[^a-z0-9#+\-*/=<>.%$]+")


def _cue(word: str) -> int:
    """-1 for a word announcing an error, +1 for one affirming correctness, 0 otherwise."""
    if word in _RIGHT_WORDS:
        return 1
    if word in _WRONG_WORDS or word.startswith(_WRONG_STEMS):
        return -1
    return 1 if word.startswith(_RIGHT_STEMS) else 0


def _negator(word: str) -> bool:
    return word in _NEGATORS or word.endswith("n't")


def _clause_stance(clause: str) -> tuple[bool, bool]:
    """(says wrong, says right) for one clause."""
    other = _OTHER_STEP.search(clause)
    if other:  # from "the previous step" on, the clause speaks of another step
        clause = clause[: other.start()]
    clause = _NOT_ONLY.sub(" ", _FREE_OF.sub(" correct ", _STATEMENT_OF_TRUTH.sub(" ", clause)))
    words = _WORD.findall(clause.lower().replace("\u2019", "'"))
    wrong = right = False
    for i, word in enumerate(words):
        pair = (words[i - 1], word) if i else None
        if pair in _WRONG_PAIRS or pair in _RIGHT_PAIRS:
            says = -1 if pair in _WRONG_PAIRS else 1  # a two-word cue carries its own sense
        else:
            says = _cue(word)
            if says and any(_negator(w) for w in words[max(0, i - _NEGATION_REACH): i]):
                says = -says  # "not correct", "no errors", "nothing wrong"
        wrong, right = wrong or says == -1, right or says == 1
    return wrong, right


def reason_stance(reason: str) -> Optional[int]:
    """+1: the reason says the step is right; -1: wrong; None: both, neither, or about another step."""
    wrong = right = False
    text = _NOT_A_STANCE.sub(" ", _QUOTED.sub(" ", (reason or "")[:MAX_CHARS]))
    for clause in _CLAUSES.split(text):
        w, r = _clause_stance(clause)
        wrong, right = wrong or w, right or r
    if wrong == right:
        return None
    return -1 if wrong else 1


def contradiction(rating: int, reason: str) -> Optional[str]:
    """Why `rating` (+1 or -1) disagrees with its own reason; None when it does not (or is 0)."""
    if rating not in (-1, 1):
        return None
    stance = reason_stance(reason)
    if stance is None or stance == rating:
        return None
    says = "the step is wrong" if stance == -1 else "the step is right"
    return f"contradiction: rated {rating:+d} but its reason says {says} ({reason.strip()[:120]!r})"


def _normalised(reason: str) -> str:
    text = _INDEX.sub("step #", reason[:MAX_CHARS].lower())
    return " ".join(_NON_WORD.sub(" ", text).split()).strip(" .")


def stock_reasons(reasons: dict[int, str], step_texts: dict[int, str]) -> dict[int, str]:
    """Steps whose reason one vote also gave to another step with a different text, with why."""
    by_sentence: dict[str, list[int]] = {}
    for step, reason in reasons.items():
        key = _normalised(reason)
        if key:
            by_sentence.setdefault(key, []).append(step)
    found: dict[int, str] = {}
    for steps in by_sentence.values():
        texts = {" ".join(step_texts.get(s, "").split()) for s in steps}
        if len(steps) > 1 and len(texts) > 1:  # the same sentence about different steps refers to none of them
            listed = ", ".join(map(str, sorted(steps)))
            for s in steps:
                found[s] = (f"stock reason: the same sentence for steps {listed} "
                            f"({reasons[s].strip()[:80]!r}), so it does not refer to this step")
    return found
