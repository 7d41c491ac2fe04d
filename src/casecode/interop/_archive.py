"""Reading and writing REFI-QDA files safely: bounded ZIP members, XML without entities, reproducible archives.

A `.qdpx` comes from someone else's machine, so nothing in it is trusted: member names may try to escape the
folder, sizes in the ZIP header may lie, and XML may declare entities that expand without bound.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from lxml import etree

from ..errors import InteropError

#: Largest member (uncompressed) an import reads, and the most all members together may hold.
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: A member that inflates more than this many times its compressed size (beyond 1 MB) is refused as a ZIP bomb.
MAX_RATIO = 200
MAX_MEMBERS = 100_000

# A fixed date for every member (the earliest a ZIP can hold), so the same project gives the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class Archive:
    """The members of a `.qdpx`, checked before any is read; `read(name)` returns bytes within the limits."""

    def __init__(self, path: str | Path, max_member: int = MAX_MEMBER_BYTES, max_total: int = MAX_TOTAL_BYTES):
        self.path = Path(path)
        self.max_member = max_member
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise InteropError(f"{self.path}: no such file; check the path") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise InteropError(f"{self.path}: not a ZIP archive ({exc}); a .qdpx file is a ZIP — export it again") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InteropError(f"{self.path}: holds {len(infos)} members, more than {MAX_MEMBERS}; refused")
        total = 0
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = _safe_name(info.filename, self.path)
            if info.is_dir():
                continue
            _check_size(info, self.path, max_member)
            total += info.file_size
            if total > max_total:
                raise InteropError(
                    f"{self.path}: members inflate to more than {max_total // 2**20} MB together; refused as a "
                    "possible ZIP bomb"
                )
            self._members[name] = info

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def names(self) -> list[str]:
        return list(self._members)

    def find(self, name: str) -> str | None:
        """The member called `name`, matched exactly, else ignoring case (NVivo writes `Sources/`, others `sources/`)."""
        if name in self._members:
            return name
        folded = [m for m in self._members if m.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    def read(self, name: str) -> bytes:
        info = self._members[name]
        # The header's size can lie: read at most one byte past the limit and refuse if that byte arrives.
        try:
            with self._zip.open(info) as fh:
                data = fh.read(self.max_member + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise InteropError(f"{self.path}: member {name!r} cannot be read ({exc}); the archive is damaged or "
                               "encrypted — export it again") from None
        if len(data) > self.max_member or len(data) > info.file_size:
            raise InteropError(
                f"{self.path}: member {name!r} inflates past its declared size or {self.max_member // 2**20} MB; "
                "refused as a possible ZIP bomb"
            )
        return data


def _safe_name(raw: str, archive: Path) -> str:
    """A member name as a relative POSIX path; refuse absolute paths, drive letters and `..`."""
    name = raw.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if (name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts or "\x00" in name):
        raise InteropError(
            f"{archive}: member {raw!r} points outside the archive folder; refused — the archive is unsafe"
        )
    return "/".join(p for p in parts if p not in ("", "."))


def _check_size(info: zipfile.ZipInfo, archive: Path, limit: int) -> None:
    if info.file_size > limit:
        raise InteropError(
            f"{archive}: member {info.filename!r} inflates to {info.file_size // 2**20} MB, more than the "
            f"{limit // 2**20} MB limit; refused"
        )
    if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise InteropError(
            f"{archive}: member {info.filename!r} inflates {info.file_size // max(info.compress_size, 1)} times "
            f"its compressed size (limit {MAX_RATIO}); refused as a possible ZIP bomb"
        )


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse REFI XML with no DTD, no entities, no network and libxml2's default size limits; refuse a DOCTYPE."""
    # Refuse before parsing: entity declarations are the "billion laughs" and external-file attacks.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InteropError(f"{where}: declares a DOCTYPE or XML entities, which REFI-QDA never needs; refused")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise InteropError(f"{where}: not well-formed XML{line} ({exc.msg}); export the file again") from None
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.doctype:  # e.g. a UTF-16 file, which the byte check above cannot see
        raise InteropError(f"{where}: declares a DOCTYPE, which REFI-QDA never needs; refused")
    return root


# A text source's inline text (a prefix such as `qda:` allowed; `<PlainTextContent/>` holds no text), and CDATA.
_TEXT_SOURCE_RE = re.compile(r"<(?:[\w.-]+:)?TextSource\b.*?</(?:[\w.-]+:)?TextSource\s*>", re.S)
_INLINE_TEXT_RE = re.compile(
    r"(<(?:[\w.-]+:)?PlainTextContent\b[^>]*(?<!/)>)(.*?)(?=</(?:[\w.-]+:)?PlainTextContent\s*>)", re.S)
_CR_OR_CDATA_RE = re.compile(r"<!\[CDATA\[.*?\]\]>|\r", re.S)


def keep_inline_carriage_returns(data: bytes) -> bytes:
    """`data` with every raw carriage return in a text source's inline `PlainTextContent` written `&#13;`.

    An XML parser reads a raw CR LF as LF (XML 1.0, 2.11), but a `PlainTextSelection` counts the characters of the
    text as the archive holds it, CR LF as two: without the CRs every selection after a line end would be shifted."""
    if b"\r" not in data:
        return data
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    # Latin-1 maps each byte to one character and back, so a UTF-8 (or any 8-bit) file goes through unchanged
    # outside what is rewritten: the markup is ASCII, and no byte of a multi-byte UTF-8 character is below 0x80.
    text = data.decode("utf-16" if utf16 else "latin-1")

    def written(match: re.Match) -> str:  # a character reference is literal text inside CDATA: step out for it
        return "&#13;" if match[0] == "\r" else match[0].replace("\r", "]]>&#13;<![CDATA[")

    def content(match: re.Match) -> str:
        return match[1] + _CR_OR_CDATA_RE.sub(written, match[2])

    text = _TEXT_SOURCE_RE.sub(lambda source: _INLINE_TEXT_RE.sub(content, source[0]), text)
    return text.encode("utf-16" if utf16 else "latin-1")


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True, standalone=True)


def write_zip(members: list[tuple[str, bytes]], out: str | Path) -> Path:
    """Write `members` in the order given with fixed dates and modes, atomically (a temp file then a rename)."""
    out = Path(out)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=6)
    return write_atomic(buffer.getvalue(), out)


def write_atomic(data: bytes, out: Path) -> Path:
    """Write `data` to `out` through a temporary file beside it; a failure names `out` and the fix."""
    from .._output import write_file

    return write_file(out, lambda temp: temp.write_bytes(data))
