"""Build a corpus of a chosen size from the shipped training transcripts, with varied names.

    python bench/corpus_builder.py OUT_DIR --words 1000000
    python bench/corpus_builder.py OUT_DIR --words 1000000 --distinct-units

Each output file is one of the 45 fictional training transcripts with its council's place name, its interviewees'
and interviewer's names replaced by generated ones, so no two files share a case and name matching (case aliases)
does real work. Files are written until the total reaches the requested number of words (whitespace-separated,
front matter excluded). Deterministic: the same size gives the same files.

As the transcripts come round again every 45 files, a unit that names no one is said again word for word (at 1M
words each unit text about 1.9 times on average). With `distinct_units` every line of a transcript's body
also ends with a reference number of its own ("(ref 123-4)"), so no two units share a text: a figure that gains
from a unit said again cannot gain here.
"""

from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "corpus" / "training-transcripts"

_PRE = ["Ash", "Bram", "Cal", "Dun", "Eld", "Fen", "Gar", "Hal", "Ing", "Kel", "Lang", "Mar", "Nor", "Ock", "Pen",
        "Rad", "Sel", "Thorn", "Ux", "Wick", "Yar", "Brook", "Cross", "Stan", "Whit", "Hart", "Kings", "Mill"]
_MID = ["", "er", "ing", "ham", "ley", "wor", "en", "by", "ford"]
_SUF = ["ton", "bury", "field", "mere", "dale", "wick", "stead", "combe", "moor", "holme", "port", "well", "thorpe"]
_FIRST = ["Amira", "Ben", "Chloe", "Dev", "Erin", "Femi", "Grace", "Hugo", "Isla", "Jamal", "Kate", "Liam", "Maya",
          "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Una", "Vic", "Will", "Yusuf", "Zoe"]
_LAST = ["Adebayo", "Barnes", "Choudhury", "Dalton", "Evans", "Fraser", "Gill", "Hughes", "Iqbal", "Jones", "Khan",
         "Lowe", "Murray", "Nolan", "Okoro", "Patel", "Quinn", "Reid", "Shaw", "Turner", "Vance", "Walsh", "Young"]


def templates() -> list[tuple[str, str]]:
    """(file name, text) of every shipped training transcript, in a fixed order."""
    files = sorted(TRAINING.glob("set*/*.txt"))
    if not files:
        raise SystemExit(f"no training transcripts under {TRAINING}; run from a casecode checkout")
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def _front(text: str) -> dict[str, str]:
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    fields = {}
    for line in (match.group(1).splitlines() if match else []):
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _body_words(text: str) -> int:
    return len(re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S).split())


def _places():
    for n, (pre, mid, suf) in enumerate(itertools.product(_PRE, _MID, _SUF)):
        yield pre + mid + suf
    for n in itertools.count(2):  # beyond the combinations: numbered names
        for pre, mid, suf in itertools.product(_PRE, _MID, _SUF):
            yield f"{pre}{mid}{suf} {n}"


def varied(text: str, place: str, people: list[tuple[str, str]]) -> str:
    """The transcript with its place names and people's names replaced."""
    fields = _front(text)
    stems = set()
    for name in re.split(r"\s+and\s+", fields.get("case", "")):
        words = [w for w in name.split() if w[:1].isupper() and w not in {"Council", "Councils", "Borough", "County",
                 "City", "District", "Metropolitan", "Unitary", "London", "Royal", "of", "The"}]
        stems.update(words)
    for i, stem in enumerate(sorted(stems, key=len, reverse=True)):
        text = re.sub(rf"\b{re.escape(stem)}\b", place if i == 0 else f"{place} {chr(ord('A') + i)}", text)
    names = [n.strip() for key in ("interviewee", "interviewer") for n in fields.get(key, "").split(";") if n.strip()]
    for (first, last), name in zip(people, names):
        parts = name.split()
        if len(parts) >= 2 and parts[-1].isalpha():  # not 'Speaker 1'; as written and in capitals ('HALLORAN:')
            for old, new in ((parts[0], first), (parts[-1], last)):
                text = re.sub(rf"\b{re.escape(old)}\b", new, text)
                text = re.sub(rf"\b{re.escape(old.upper())}\b", new.upper(), text)
    return text


def numbered(text: str, n: int) -> str:
    """The transcript with " (ref N-K)" at the end of each line K of its body holding words (front matter and
    markdown headings aside), N being the file's number."""
    match = re.match(r"---\n.*?\n---\n", text, re.S)
    head, body = (text[:match.end()], text[match.end():]) if match else ("", text)
    lines = body.split("\n")
    for k, line in enumerate(lines):
        if len(line.split()) >= 2 and not line.lstrip().startswith("#"):
            lines[k] = f"{line.rstrip()} (ref {n}-{k})"
    return head + "\n".join(lines)


def build(out: str | Path, words: int, distinct_units: bool = False) -> tuple[list[Path], int]:
    """Write transcripts into `out` until they hold `words` words; returns (paths, total words). `distinct_units`:
    no unit text said twice (see `numbered`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sources = templates()
    places = _places()
    people = itertools.product(_FIRST, _LAST)
    paths, total = [], 0
    for n in itertools.count():
        if total >= words:
            break
        name, text = sources[n % len(sources)]
        place = next(places)
        who = []
        for _ in range(3):
            try:
                who.append(next(people))
            except StopIteration:
                people = itertools.product(_FIRST, _LAST)
                who.append(next(people))
        body = varied(text, place, who)
        if distinct_units:
            body = numbered(body, n)
        path = out / f"{n:06d}-{name}"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
        total += _body_words(body)
    return paths, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--distinct-units", action="store_true", help="no unit text said twice (see numbered)")
    args = parser.parse_args()
    paths, total = build(args.out, args.words, args.distinct_units)
    print(f"{len(paths)} files, {total} words in {args.out}")


if __name__ == "__main__":
    main()
