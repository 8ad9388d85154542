"""An input folder with every kind of bad record we know of, and where each one must go.

`write_bad_inputs(folder)` writes `bad.jsonl` (one kind per line), a truncated `cut.json`, a
`mixed.json` list, a non-UTF-8 `latin1.json`, an empty `empty.jsonl` and a `broken.parquet`, and returns the
expectations: per (file name, line or record index) the status the import gives it and a piece
of its reason. Blank lines are not records; they are listed in `BLANK_LINES`.
"""
from __future__ import annotations

import json
from pathlib import Path

GOOD = {"problem": "What is 2 + 2?", "answer": "4", "text": "2 + 2 = 4\n\nThe answer is 4."}
SAME_PROBLEM_OTHER_CHAIN = {"problem": "What is 2 + 2?", "answer": "4", "text": "2 * 2 = 4\n\nThe answer is 4."}
CHAIN = {"text": "3 + 4 = 7\n\nThe answer is 7."}


def _j(value) -> bytes:
    return json.dumps(value).encode()


# (line bytes, status after import, piece of the reason); "labeled" = imported for labeling
LINES: list[tuple[bytes, str, str]] = [
    (b"\xef\xbb\xbf" + _j({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2\n\nThe answer is 2."}),
     "labeled", ""),  # a UTF-8 BOM on the first line
    (_j(GOOD), "labeled", ""),
    (b'{"problem": "caf\xe9", "text": "1"}', "quarantined", "not UTF-8 (byte 0xe9"),
    (b"[" * 100_000 + b"]" * 100_000, "quarantined", "nested too deeply"),
    (b'{"problem": "p", "answer": ' + b"1" * 5000 + b', "text": "x"}', "quarantined", "JSON value cannot be read"),
    (b"not json at all", "quarantined", "invalid JSON (Expecting value"),
    (b'{"problem": "p", "text": "cut sh', "quarantined", "invalid JSON (Unterminated string"),
    (_j(GOOD) + b" trailing", "quarantined", "invalid JSON (Extra data"),
    (b"[1, 2]", "quarantined", "record is a list, not an object"),
    (b'"just a string"', "quarantined", "record is a string, not an object"),
    (b"null", "quarantined", "record is null, not an object"),
    (b"42", "quarantined", "record is a number, not an object"),
    (_j({"problem": ["a", "b"], "text": "x"}), "quarantined", "'problem' is a list where text belongs"),
    (_j({"problem": "p", "text": {"a": 1}}), "quarantined", "'text' is an object where text belongs"),
    (_j({"problem": "p", "steps": "one two"}), "quarantined", "'steps' is a string, not a list of step texts"),
    (_j({"problem": "p", "steps": ["a", 3]}), "quarantined", "'steps[1]' is a number where text belongs"),
    (_j({"problem": "p", "answer": [1, 2], "text": "x"}), "quarantined", "'answer' is a list where text belongs"),
    (b'{"problem": "p", "text": NaN}', "quarantined", "a non-finite number (NaN) is not a JSON number"),
    (_j({"problem": "p", "text": "x", "domain": "physics"}), "quarantined", "'physics' is not a domain"),
    (_j({"problem": "p", "text": "x", "domain": 5}), "quarantined", "'domain' is a number where text belongs"),
    (b'{"problem": "p\\ud800", "text": "x"}', "quarantined", "lone UTF-16 surrogate"),
    (_j({"problem": "", "text": "1 + 1 = 2"}), "quarantined", "no problem text"),
    (_j({"problem": "  \n ", "text": "1 + 1 = 2"}), "quarantined", "no problem text"),
    (_j({"problem": "What is 5 + 5?", "answer": "10"}), "quarantined", "no `generation:` section"),
    (_j({}), "quarantined", "no `generation:` section"),
    (_j(GOOD), "quarantined", "duplicate of chain"),  # an exact duplicate of line 2
    (_j(dict(reversed(list(GOOD.items())))), "quarantined", "duplicate of chain"),  # same chain, keys reordered
    (_j(SAME_PROBLEM_OTHER_CHAIN), "labeled", ""),
    (_j({"problem": "What is 2 + 2?", "answer": 4, "text": "2 + 2 = 4 indeed\n\nThe answer is 4."}), "labeled", ""),
    (_j({"problem_id": 17, "problem": "What is 3 + 4?", "answer": "7", **CHAIN}), "labeled", ""),
    (_j({"problem": "p", "chains": "abc"}), "quarantined", "'chains' is a string, not a list"),
    (_j({"problem": "p", "chains": [1]}), "quarantined", "'chains[0]' is a number, not an object"),
    (_j({"problem": "What is 3 + 4?", "reference": {"answer": "7"}, "chains": [{**CHAIN, "first_error": 1e20}]}),
     "quarantined", "'chains[0].first_error' = 100000000000000000000 is out of range for 2 steps"),
    (_j({"problem": "What is 3 + 4?", "reference": {"answer": "7"}, "chains": [{**CHAIN, "first_error": True}]}),
     "quarantined", "first_error' is true/false, not a step index"),
    (_j({"problem": "What is 3 + 4?", "reference": "7", "chains": [CHAIN]}), "quarantined",
     "'reference' is a string, not an object"),
    (_j({"problem": "What is 6 + 1?", "reference": {"answer": "7"}, "chains": []}), "quarantined",
     "no `generation:` section"),
    (_j({"problem": "What is 3 + 4?", "reference": {"answer": "7"}, "chains": [{"first_error": 0}]}),
     "quarantined", "'chains[0].text' is missing"),
    (_j({"problem": "What is 3 + 4?", "reference": {"answer": "7"}, "chains": [{**CHAIN, "first_error": 1}]}),
     "labeled", ""),
    (_j({"problem": "What is 9 - 2?", "answer": "7", "text": "9 - 2 = 7\r\n\r\nThe answer is 7."}) + b"\r",
     "labeled", ""),  # CRLF line ending
    (_j({"problem": "What is 8 - 1?", "answer": "7", "text": "   "}), "labeled", ""),  # no steps: segment quarantines
]
BLANK_LINES = 2  # written after line 3 ("") and line 10 ("   ")
LAST_LINE_NO_NEWLINE = _j({"problem": "What is 10 - 3?", "answer": "7", "text": "10 - 3 = 7\n\nThe answer is 7."})


def write_bad_inputs(folder: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """Write the bad inputs into `folder`; return {(file name, line or record index): (status, reason piece)}."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[tuple[str, int], tuple[str, str]] = {}
    out, n = [], 0
    for i, (data, status, reason) in enumerate(LINES):
        out.append(data)
        n += 1
        expected[("bad.jsonl", n)] = (status, reason)
        if i in (2, 9):  # blank lines are not records
            out.append(b"" if i == 2 else b"   ")
            n += 1
    out.append(LAST_LINE_NO_NEWLINE)
    expected[("bad.jsonl", n + 1)] = ("labeled", "")
    (folder / "bad.jsonl").write_bytes(b"\n".join(out))
    (folder / "cut.json").write_text(json.dumps([GOOD, SAME_PROBLEM_OTHER_CHAIN])[:-30])
    expected[("cut.json", 0)] = ("quarantined", "a .json file is read whole, so no record of it was read")
    (folder / "mixed.json").write_text(json.dumps({"data": [
        {"problem": "What is 4 + 4?", "answer": "8", "text": "4 + 4 = 8\n\nThe answer is 8."},
        {"problem": "What is 4 + 4?", "text": ["4 + 4 = 8"]},
    ]}))
    expected[("mixed.json", 0)] = ("labeled", "")
    expected[("mixed.json", 1)] = ("quarantined", "'text' is a list where text belongs")
    (folder / "latin1.json").write_bytes(json.dumps([{"problem": "caf\u00e9"}], ensure_ascii=False).encode("latin-1"))
    expected[("latin1.json", 0)] = ("quarantined", "not UTF-8")
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "broken.parquet").write_bytes(b"PAR1 not really a parquet file")
    expected[("broken.parquet", 0)] = ("quarantined", "Parquet unreadable from record 0 on")
    return expected
