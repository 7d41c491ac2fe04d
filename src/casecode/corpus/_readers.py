"""Reading one document or many: the entry points over the format readers.

Metadata precedence: what the caller passes (arguments, manifest row) beats what the file says (front matter,
Word properties). `council` is copied to `case` when `case` is absent.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from ..errors import CorpusError
from ._model import Document, check_offsets, document_id_problem
from ._plain import plain_blocks
from ._stamped import restamp
from ._subtitles import read_subtitles
from ._text import read_text_file, split_front_matter
from ._turns import Block, build_segments, interviewer_by_part, interviewer_only

#: File extensions read_document accepts.
SUPPORTED_EXTENSIONS = (".txt", ".md", ".docx", ".vtt", ".srt")


def read_document(
    path: str | Path,
    document_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    interviewer_names: Iterable[str] | None = None,
    override_case: bool = False,
    case_source: str = "the manifest",
) -> Document:
    """Read a .txt, .md, .docx, .vtt or .srt file into a Document with its segments.

    `interviewer_names` (with the metadata's `interviewer`) marks those speakers' turns as the interviewer's.
    A `case` in `metadata` that differs from the file's own (front matter or Word properties) is an error naming
    `case_source`, unless `override_case`.
    """
    path = Path(path)
    fmt = path.suffix.lower()
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder; name the files in it, e.g. {path / '*.txt'} {path / '*.docx'}")
    if fmt not in SUPPORTED_EXTENSIONS:
        raise CorpusError(
            f"{path}: unsupported file type '{path.suffix}'; casecode reads {', '.join(SUPPORTED_EXTENSIONS)}"
            " — convert the file to one of these"
        )
    if not path.is_file():
        raise CorpusError(f"{path}: file not found; check the path")
    document_id = _checked_id(document_id, path) if document_id is not None else slugify(path.stem)
    doc = Document(document_id, "", path=str(path), format=fmt[1:])
    blocks, timings = _read_into(doc, path)
    _check_case(path, doc.metadata, metadata or {}, override_case, case_source)
    doc.metadata.update(metadata or {})
    if doc.metadata.get("council") and not doc.metadata.get("case"):
        doc.metadata["case"] = doc.metadata["council"]
    interviewers = [*(interviewer_names or []), *_names(doc.metadata.get("interviewer"))]
    cases = (str(doc.metadata["case"]),) if doc.metadata.get("case") else ()
    doc.segments, speaker_roles = build_segments(document_id, doc.text, blocks, interviewers, cases)
    _check_unit_lengths(doc, path)
    doc.warnings += _unclear_interviewer(doc, path, interviewers) or _no_interviewer(doc, path)
    doc.warnings += interviewer_only(str(path), doc.text, doc.segments, doc.format)
    if speaker_roles:
        doc.metadata["speaker_roles"] = speaker_roles
    if isinstance(timings, dict):  # a transcript with times in its labels: {offset of a timed turn: times}
        doc.metadata["timings"] = [(seg.segment_id, *timings[seg.start]) for seg in doc.segments
                                   if seg.start in timings]
    elif timings is not None:
        # Cue blocks carry their speakers, so they are never split: one segment per block.
        doc.metadata["timings"] = [(seg.segment_id, *timing) for seg, timing in zip(doc.segments, timings)]
    check_offsets(doc)
    return doc


_WORD_RE = re.compile(r"\w+")


def words_digest(segments: Iterable[Any]) -> str:
    """A digest of the words said in a document's units (segments, or rows with `text`, `speaker` and `kind`), in
    lower case, without speaker labels, punctuation, layout, markdown marks, front matter or a transcription
    service's note: one transcript saved as .txt, .md, .docx and .vtt gives one digest."""
    from ._turns import speaker_label_end

    digest = hashlib.sha256()
    for seg in segments:
        if seg.kind != "note":  # the words said, without the speaker's label (a subtitle's voice has none)
            said = seg.text[speaker_label_end(seg.text, seg.speaker):]
            digest.update(" ".join(_WORD_RE.findall(said.casefold())).encode("utf-8"))
            digest.update(b" ")
    return digest.hexdigest()


def same_words(documents: Iterable[tuple[str, str, Any]], other_format: bool = False,
               seen: dict[str, tuple[str, Any]] | None = None) -> Iterator[tuple[Any, Any, str]]:
    """(document, earlier, earlier's format) for each of `documents`, given as (words digest, format, document),
    whose digest an earlier one has (with `other_format`, only an earlier one in another format: the .txt and the
    .docx of one transcript). `seen` (digest -> (format, document)), kept by the caller, carries the earlier ones
    from call to call."""
    seen = {} if seen is None else seen
    for digest, fmt, doc in documents:
        if digest not in seen:
            seen[digest] = (fmt, doc)
        elif not other_format or seen[digest][0] != fmt:
            yield doc, seen[digest][1], seen[digest][0]


#: The longest unit (paragraph or turn) casecode codes: spaCy's own limit on one text (`nlp.max_length`).
MAX_UNIT_CHARS = 1_000_000


def _check_unit_lengths(doc: Document, path: Path) -> None:
    """Refuse a unit too long to code (a transcript with no paragraph breaks), naming where it starts."""
    for seg in doc.segments:
        if seg.end - seg.start > MAX_UNIT_CHARS:
            where = (f"paragraph {seg.unit}" if doc.format == "docx"
                     else f"line {doc.text.count(chr(10), 0, seg.start) + 1}")
            raise CorpusError(f"{path}: {where}: a paragraph of {seg.end - seg.start:,} characters, over casecode's "
                              f"limit of {MAX_UNIT_CHARS:,} for one unit; break it into paragraphs with blank lines")


def _no_interviewer(doc: Document, path: Path) -> list[str]:
    """A warning for a transcript of several speakers none of whom is known to ask the questions: every turn of it
    is coded, the questions too (a Teams or Zoom export names everyone, the interviewer as well)."""
    speakers = list(dict.fromkeys(seg.speaker for seg in doc.segments if seg.speaker))
    if not speakers and doc.format in ("vtt", "srt"):  # speech recognition without speaker names
        return [f"{path}: no speaker is named in its cues, so every cue is coded, the interviewer's too; name the "
                f"speakers ('Name: text' or a VTT voice tag '<v Name>') to leave the questions out"]
    if len(speakers) < 2 or any(seg.role == "interviewer" for seg in doc.segments):
        return []
    shown = "; ".join(speakers[:4]) + (f" and {len(speakers) - 4} more" if len(speakers) > 4 else "")
    return [f"{path}: no interviewer among its {len(speakers)} speakers ({shown}), so every turn is coded, the "
            f"questions too; name the interviewer with --interviewer NAME (or a manifest's 'interviewer' column, or "
            f"front matter 'interviewer: NAME')"]


def _unclear_interviewer(doc: Document, path: Path, interviewers: list[str]) -> list[str]:
    """A warning for an interviewer named by one word that is the first name or surname of several speakers."""
    speakers = dict.fromkeys(seg.speaker for seg in doc.segments if seg.speaker)
    return [f"{path}: interviewer {name!r} could be {' or '.join(fits)}, so neither is taken as the interviewer; "
            f"give the full name (--interviewer NAME, or front matter 'interviewer: NAME')"
            for name, fits in interviewer_by_part(speakers, interviewers)[1]]


def _check_case(path: Path, own: Mapping[str, Any], given: Mapping[str, Any], override: bool, source: str) -> None:
    """Refuse a case or case type given from outside that contradicts the one the file names itself."""
    if override:
        return
    for field, mine, theirs in (
            ("case", str(own.get("case") or own.get("council") or "").strip(),
             str(given.get("case") or given.get("council") or "").strip()),
            # the type is counted in the report's codes-by-case-type table: one given over it was taken silently
            ("case_type", str(own.get("case_type") or "").strip(), str(given.get("case_type") or "").strip())):
        if mine and theirs and " ".join(mine.lower().split()) != " ".join(theirs.lower().split()):
            raise CorpusError(f"{path}: the file's own metadata says {field} {mine!r}, but {source} says {theirs!r}; "
                              f"correct one of them, or pass --override-case to use {theirs!r}")


def _read_into(doc: Document, path: Path) -> tuple[list[Block], list[tuple[float, float]] | None]:
    """Fill the document's text, file metadata and warnings; return its blocks and, for subtitles, cue timings."""
    if doc.format == "docx":
        from ._docx import read_docx  # python-docx is loaded only when a .docx file is read

        doc.text, blocks, doc.metadata, doc.warnings = read_docx(path)
        timings = None
        doc.text, blocks, timings = restamp(doc.text, blocks) or (doc.text, blocks, timings)
    else:
        doc.text, encoding, doc.warnings = read_text_file(path)
        if doc.format in ("vtt", "srt"):
            doc.text, blocks, timings = read_subtitles(doc.text, str(path), vtt=doc.format == "vtt")
        else:
            doc.metadata, body_start = split_front_matter(doc.text, str(path))
            blocks, timings = plain_blocks(doc.text, body_start), None
            doc.text, blocks, timings = restamp(doc.text, blocks) or (doc.text, blocks, timings)
        doc.metadata["encoding"] = encoding
    if not blocks:
        raise CorpusError(f"{path}: no paragraphs found; add the document's text below any front matter")
    return blocks, timings


def read_documents(
    paths: Iterable[str | Path | Mapping[str, Any]],
    case: str | None = None,
    interviewer_names: Iterable[str] | None = None,
    override_case: bool = False,
) -> list[Document]:
    """Read many documents. An item may be a path or a `read_manifest` row (its cells become metadata).

    `case`, when given, is every document's case. A case (given or in a manifest row) that contradicts a file's
    own `case:` is an error unless `override_case`. Two documents with one document_id are an error.
    """
    interviewer_names = list(interviewer_names or [])
    documents: list[Document] = []
    seen: dict[str, str] = {}
    for item in paths:
        path, document_id, metadata = _item(item)
        source = "its manifest row"
        if case is not None:
            metadata["case"], source = case, "--case"
        doc = read_document(path, document_id, metadata, interviewer_names, override_case, source)
        if doc.document_id in seen and Path(seen[doc.document_id]).resolve() == path.resolve():
            raise CorpusError(f"{path}: the file is named twice; name each file once")
        if doc.document_id in seen:
            raise CorpusError(
                f"{path}: document_id '{doc.document_id}' is already used by {seen[doc.document_id]};"
                " give one of them a document_id (a manifest column)"
            )
        seen[doc.document_id] = str(path)
        documents.append(doc)
    return documents


def _item(item: str | Path | Mapping[str, Any]) -> tuple[Path, str | None, dict[str, Any]]:
    if not isinstance(item, Mapping):
        return Path(item), None, {}
    metadata = {key: value for key, value in item.items() if key not in ("file", "path", "document_id")}
    return Path(item.get("path") or item["file"]), item.get("document_id"), metadata


def slugify(name: str) -> str:
    """A safe document id from a file name: ASCII lower case, digits, '-' and '_' ("Jane Smith" → "jane-smith",
    "Zoë" → "zoe").

    A name with letters or digits that have no ASCII form (another script) gets a short digest of the whole name,
    so two such names keep distinct ids: "会議.txt" → "document-3b9d2e".
    """
    name = unicodedata.normalize("NFC", name)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_name.lower()).strip("-_") or "document"
    lost = any(c.isalnum() and not unicodedata.normalize("NFKD", c).encode("ascii", "ignore") for c in name)
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:6]}" if lost else slug


def _checked_id(document_id: str, path: Path) -> str:
    problem = document_id_problem(str(document_id))
    if problem:
        raise CorpusError(f"{path}: document_id {document_id!r} {problem}; use letters, digits, '-' and '_'")
    return str(document_id)


def _names(value: Any) -> list[str]:
    """Interviewer names from metadata: a YAML list or a string with ';' between names."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(name).strip() for name in value]
    return [name.strip() for name in str(value).split(";") if name.strip()]
