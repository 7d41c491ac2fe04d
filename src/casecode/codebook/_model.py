"""Validated codebook data (YAML through pydantic) and its reader and writer.

A codebook is data, never code: every field is checked on read, and an error names the file, the code and the
field, with the fix.
"""

from __future__ import annotations

import difflib

import re
from pathlib import Path
from typing import Any, Iterator, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .._yaml import load_yaml
from .._output import write_text
from ..errors import CodebookError

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
# Token attributes a Matcher pattern may use; anything else is a typo we want to catch on read.
_TOKEN_KEYS = {
    "ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "POS", "TAG", "DEP", "SHAPE", "IS_ALPHA", "IS_PUNCT",
    "IS_STOP", "IS_DIGIT", "LIKE_NUM", "OP", "IS_SENT_START", "ENT_TYPE", "MORPH", "LENGTH", "IS_TITLE",
    "IS_LOWER", "IS_UPPER", "_",
}
_UNION_BRANCHES = {"str", "list[any]"}  # how pydantic names the branches of Pattern.pattern in error locations
_TEXT_KEYS = {"ORTH", "TEXT", "LOWER", "LEMMA", "NORM"}
_OPS = {"?", "*", "+", "!", "{0,2}", "{0,3}", "{0,4}", "{0,5}", "{1,2}", "{1,3}"}


# Operators a token attribute may take as a dict ({LOWER: {IN: [...]}}), as spaCy's Matcher defines them.
_PREDICATES = {"IN", "NOT_IN", "REGEX", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS", "==", "!=", ">=", "<=", ">", "<",
               "FUZZY", *(f"FUZZY{n}" for n in range(1, 10))}


def _counted_op(op: Any) -> bool:
    """A repeat count such as {2}, {0,3}, {2,} or {,3}, with the lower bound not above the upper."""
    match = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", str(op))
    if not match or not (match.group(1) or match.group(3)) or (not match.group(2) and match.group(3)):
        return False
    low, high = match.group(1), match.group(3)
    return not (low and high and int(low) > int(high))


def _check_predicates(i: int, key: str, spec: dict) -> None:
    """Refuse an unknown operator or an invalid regular expression in one token attribute."""
    for name, value in spec.items():
        if name not in _PREDICATES:
            raise ValueError(f"token {i} {key} has unknown operator {name!r}; use one of IN, NOT_IN, REGEX, FUZZY, "
                             f"==, !=, >=, <=, >, <")
        if name == "REGEX":
            if not isinstance(value, str):
                raise ValueError(f"token {i} {key} REGEX {value!r} is not text; quote the regular expression")
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"token {i} {key} REGEX {value!r} is not a valid regular expression ({exc}); "
                                 f"fix or escape it") from None
        if name in ("IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS") and not isinstance(value, list):
            raise ValueError(f"token {i} {key} {name} takes a list such as [staff, team]; got {value!r}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Pattern(_Strict):
    """One match pattern: a phrase (matched on lemmas) or a spaCy Matcher token list."""

    # list[Any], not list[dict]: the validator below names a bad token better than pydantic's union errors do.
    pattern: Union[str, list[Any]]
    id: str | None = None
    note: str | None = None
    # A generic word ("community", "partner", "pilot") names a topic as often as an action: with `frame: true` the
    # rule coder lowers the match's score unless its clause shows someone here doing something ("we set up a
    # partnership"), so that, below the coder's min_score, talk about a topic is not coded as the action.
    frame: bool = False

    @field_validator("pattern")
    @classmethod
    def _check_pattern(cls, value):
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("empty phrase; write the words to match, e.g. 'listen to staff'")
            return value
        if not value:
            raise ValueError("empty token list; give at least one token dict such as {LEMMA: staff}")
        for i, token in enumerate(value):
            if not isinstance(token, dict):
                raise ValueError(f"token {i} is {token!r}, not a mapping such as {{LEMMA: staff}}")
            unknown = set(token) - _TOKEN_KEYS
            if unknown:
                raise ValueError(
                    f"token {i} has unknown attribute {sorted(unknown)[0]!r}; use one of LEMMA, LOWER, ORTH, POS, OP"
                )
            op = token.get("OP")
            if op is not None and op not in _OPS and not _counted_op(op):
                raise ValueError(f"token {i} has OP {op!r}; use one of ?, *, +, ! or {{0,3}}")
            for key, spec in token.items():
                if isinstance(spec, dict) and key != "_":
                    _check_predicates(i, key, spec)
            for key in _TEXT_KEYS & set(token):
                words = token[key].get("IN", []) if isinstance(token[key], dict) else [token[key]]
                bad = next((w for w in words if not isinstance(w, str)), None)
                if bad is not None:
                    # YAML reads on, off, yes, no as booleans: {LOWER: {IN: [to, on]}} silently holds True.
                    raise ValueError(f"token {i} {key} value {bad!r} is not text; quote words such as 'on' or 'no'")
        return value

    @property
    def is_phrase(self) -> bool:
        return isinstance(self.pattern, str)


class CountStatement(_Strict):
    """Another sentence of the report that says how many councils take the action: its quantified sentence, and
    the list item or sub-heading it counts when the sentence leads a list."""

    quote: str
    item: str | None = None


class ExceptionMark(_Strict):
    """What a council's own Appendix Two list must show to fit an exception's description: an item with this
    code, whose text contains `words` when given."""

    code: str
    words: str | None = None


class CountException(_Strict):
    """A sentence that describes the councils left out of an "all but one" count, and what their own Appendix
    Two list must show for a council to fit that description."""

    sentence: str
    shows: list[ExceptionMark] = Field(default_factory=list)


class CountedAs(_Strict):
    """What the report counted for an action: its counting sentence (verbatim), the sub-scope it names, what
    evidence of the action falls outside that sub-scope, and the report's other count statements about it."""

    sentence: str
    scope: str
    outside: str = ""
    statements: list[CountStatement] = Field(default_factory=list)
    exception: CountException | None = None

    @field_validator("sentence", "scope")
    @classmethod
    def _not_empty(cls, value):
        if not value.strip():
            raise ValueError("empty; quote the report's sentence and say what it counts")
        return value


class Code(_Strict):
    """A code of the codebook, with what a coder needs to apply it."""

    id: str
    label: str
    definition: str = ""
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)
    exclusions: list[Pattern] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    in_chart: bool = True
    group: str | None = None
    color: str | None = None
    counted_as: CountedAs | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value):
        if not _ID_RE.match(value):
            raise ValueError(f"id {value!r} must be lower-case letters, digits and _ and start with a letter")
        return value

    @field_validator("label")
    @classmethod
    def _check_label(cls, value):
        if not value.strip():
            raise ValueError("empty label; give the code a readable name")
        return value

    @field_validator("color")
    @classmethod
    def _check_color(cls, value):
        if value is not None and not _COLOR_RE.match(value):
            raise ValueError(f"colour {value!r} is not #RRGGBB")
        return value

    def pattern_id(self, index: int, exclusion: bool = False) -> str:
        """The id a pattern reports when it fires: its own, or one made from its words, which stays the same when
        other patterns are added or moved: `employees:listen-to-staff`, `culture:trap:arts-and-culture` (an
        exclusion), with `-2`, `-3` for later patterns of the code with the same words."""
        patterns = self.exclusions if exclusion else self.patterns
        pat = patterns[index]
        if pat.id:
            return pat.id
        slug = _slug(pat.pattern)
        earlier = sum(1 for other in patterns[:index] if not other.id and _slug(other.pattern) == slug)
        return f"{self.id}:{'trap:' if exclusion else ''}{slug}{f'-{earlier + 1}' if earlier else ''}"


class Codebook(_Strict):
    """An ordered set of codes; order is the report order used by every table and chart."""

    name: str
    title: str = ""
    description: str = ""
    version: str = "1"
    source: str = ""
    codes: list[Code]

    @field_validator("codes")
    @classmethod
    def _some_codes(cls, value):
        if not value:
            raise ValueError("the codebook has no codes; add at least one code with an id and a label")
        return value

    @model_validator(mode="after")
    def _unique_ids(self):
        seen: set[str] = set()
        for code in self.codes:
            if code.id in seen:
                raise ValueError(f"duplicate code id {code.id!r}; every code needs its own id")
            seen.add(code.id)
        return self

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code_id: object) -> bool:
        return any(c.id == code_id for c in self.codes)

    def __getitem__(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise CodebookError(f"unknown code {code_id!r} in codebook {self.name!r}; known codes: {', '.join(self.ids)}")

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    @property
    def chart_ids(self) -> list[str]:
        """Ids of the codes drawn in the frequency chart, in order."""
        return [c.id for c in self.codes if c.in_chart]

    def labels(self) -> dict[str, str]:
        return {c.id: c.label for c in self.codes}


def _where(raw: Any, loc: tuple) -> str:
    """Turn a pydantic error location into 'code 'bold' field 'patterns[2].pattern''."""
    parts = list(loc)
    prefix = ""
    if len(parts) >= 2 and parts[0] == "codes" and isinstance(parts[1], int):
        index = parts[1]
        try:
            code_id = raw["codes"][index].get("id", f"#{index + 1}")
        except Exception:  # the codes list itself is malformed
            code_id = f"#{index + 1}"
        prefix = f"code {code_id!r} "
        parts = parts[2:]
    field = ""
    for part in parts:
        if isinstance(part, int):
            field += f"[{part}]"
        elif part in _UNION_BRANCHES:
            continue
        else:
            field += ("." if field else "") + str(part)
    return f"{prefix}field {field!r}" if field else prefix.strip() or "top level"


#: Every field a codebook's models know, for "did you mean" on a misspelt one.
_FIELD_NAMES = sorted({name for model in (Pattern, CountStatement, ExceptionMark, CountException, CountedAs, Code,
                                          Codebook) for name in model.model_fields})


def codebook_from_dict(raw: Any, source: str = "<codebook>") -> Codebook:
    """Validate a parsed mapping as a codebook; errors name `source`, the code and the field."""
    if not isinstance(raw, dict):
        raise CodebookError(f"{source}: top level must be a mapping with 'name' and 'codes'; got {type(raw).__name__}")
    try:
        return Codebook.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        # A union (phrase or token list) reports one error per branch; our own validator's error says most.
        err = next((e for e in errors if e["type"] == "value_error"), errors[0])
        if err["type"] == "missing":  # a misspelt field ("lable") is missing and unknown: name the misspelling
            err = next((e for e in errors if e["type"] == "extra_forbidden" and e["loc"][:-1] == err["loc"][:-1]),
                       err)
        loc = err["loc"]
        msg = err["msg"].removeprefix("Value error, ")
        if set(loc) & _UNION_BRANCHES:  # neither a phrase nor a list: pydantic's per-branch wording misleads
            msg = "give a phrase (text) or a token list such as [{LEMMA: staff}]"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check its spelling"
            close = difflib.get_close_matches(str(loc[-1]), _FIELD_NAMES, n=1, cutoff=0.7)
            if close:
                msg = f"unknown field; did you mean {close[0]!r}? Correct its spelling or remove it"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "model_type" and len(loc) > 1 and loc[-2] in ("patterns", "exclusions"):
            # `patterns: [listen to staff]`: a bare phrase where a mapping belongs
            msg = f"each pattern is a mapping; write '- pattern: {err['input']}' (a phrase or a token list)"
        raise CodebookError(f"{source}: {_where(raw, loc)}: {msg}") from None


#: A codebook file larger than this (50 MB, as for a REFI-QDA .qdc) is refused before it is read.
MAX_CODEBOOK_BYTES = 50 * 2**20


def read_codebook(path: str | Path) -> Codebook:
    """Read and validate a YAML codebook; raises CodebookError naming the file, code and field.

    `path` may also name a codebook casecode ships, without a folder: "leadership-actions-2015"."""
    from .._data import shipped_codebook, shipped_codebooks

    path = Path(path)
    if not path.is_file() and shipped_codebook(str(path)) is not None:
        path = shipped_codebook(str(path))
    try:
        if path.is_file() and path.stat().st_size > MAX_CODEBOOK_BYTES:  # bounded, as every reader is
            raise CodebookError(f"{path}: {path.stat().st_size:,} bytes is over casecode's limit of "
                                f"{MAX_CODEBOOK_BYTES:,} bytes for a codebook; is it the codebook?")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        names = ", ".join(shipped_codebooks()) or "none found"
        raise CodebookError(f"{path}: codebook not found; check the path, or name a shipped codebook ({names})") from None
    except IsADirectoryError:
        raise CodebookError(f"{path}: is a folder; name the codebook's .yaml file in it") from None
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 at byte {exc.start}; save the codebook as UTF-8") from None
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0] or "invalid YAML"
        if mark is None:
            raise CodebookError(f"{path}: YAML error: {problem}") from None
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        raise CodebookError(f"{path}: YAML error at {where}: {problem}; fix the indentation or quoting there") from None
    return codebook_from_dict(raw, str(path))


def write_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write a codebook as YAML that `read_codebook` reads back unchanged."""
    data = codebook.model_dump(exclude_none=True, exclude_defaults=False)
    return write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110))


def _slug(pattern: Any) -> str:
    """The words of a phrase or token pattern (the first choice of an IN list), lower case, joined by hyphens."""
    if isinstance(pattern, str):
        words = re.findall(r"[a-z0-9]+", pattern.lower())
    else:
        words = []
        for token in pattern:
            for key in ("LEMMA", "LOWER", "ORTH", "TEXT", "NORM"):
                value = token.get(key) if isinstance(token, dict) else None
                if isinstance(value, dict):
                    value = next(iter(value.get("IN") or []), None)
                if isinstance(value, str):
                    words += re.findall(r"[a-z0-9]+", value.lower())
                    break
    return "-".join(words)[:48].strip("-") or "pattern"

