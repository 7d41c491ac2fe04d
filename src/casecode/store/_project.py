"""The project store: one database, reached through SQLAlchemy Core, holding everything a coding project records.

Tables go in and come out as DataFrames with the columns of docs/DESIGN.md. Every write runs in one transaction,
so a bad row anywhere leaves the store as it was.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Iterator

import pandas as pd
import yaml
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from .._output import printable
from .._yaml import load_yaml
from ..codebook import Codebook, write_codebook
from ..codebook._model import codebook_from_dict
from .._shared import CODING_COLUMNS, DEFAULT_PIPELINE, paused_gc
from ..corpus import CASE_COLUMNS, SEGMENT_COLUMNS, Document, Segment
from ..errors import CasecodeError, StoreError
from . import _documents
from . import _schema as t
from ._check import counts, integrity_problems
from ._codings import (FOLD, UNDO, apply_decisions, coding_values, fold_duplicates, latest_standing, segment_spans,
                       undo_last, undone_ids)
from ._values import (
    as_utc, chunks, clean, frame, from_json, id_tuple, known_list, records, require_columns, text, to_json, utcnow,
)

DOCUMENT_COLUMNS = ["document_id", "path", "format", "sha256", "encoding", "metadata", "added_at"]
STORED_CODING_COLUMNS = ["coding_id", *CODING_COLUMNS, "status", "created_at", "run"]
DECISION_COLUMNS = [
    "decision_id", "coding_id", "segment_id", "decision", "code", "new_code", "new_coding_id",
    "decided_by", "decided_at", "comment", "source",
]
MEMO_COLUMNS = ["memo_id", "target_type", "target_id", "author", "text", "created_at"]
#: Statuses of the codings that stand: reviewed, added by a person, or imported as the reference.
CURRENT_STATUSES = ("accepted", "manual", "reference")

_SEGMENT_DTYPES = {"unit": "int64", "start": "int64", "end": "int64", "codable": "bool", "cases": "object"}
def _migrate(conn: Connection, version: int) -> None:
    """Bring a store written by an older casecode up to SCHEMA_VERSION, in the caller's transaction."""
    from sqlalchemy import bindparam, inspect
    from sqlalchemy import text as sql

    if version < 2:  # codings.pattern: the pattern id, which schema 1 kept only inside the rule text
        if "pattern" not in {column["name"] for column in inspect(conn).get_columns("codings")}:
            conn.execute(sql("ALTER TABLE codings ADD COLUMN pattern TEXT NOT NULL DEFAULT ''"))
        c = t.codings.c
        found = conn.execute(select(c.coding_id, c.rule).where(c.coder.in_(("rules", "combined")), c.rule != ""))
        rows = [{"cid": coding_id, "found": pattern} for coding_id, rule in found
                if (pattern := _pattern_in_rule(rule))]
        if rows:
            update = t.codings.update().where(c.coding_id == bindparam("cid")).values(pattern=bindparam("found"))
            conn.execute(update, rows)


def _pattern_in_rule(rule: str) -> str:
    """The pattern id in a schema-1 rule text: "<id> (<scope notes>)" (rules) or "rule:<id> (...) + model p=0.74"
    (combined); "" for "model p=..." (the model alone). Read once, by the migration."""
    first = str(rule).split(" + model p=")[0].strip()
    if first.startswith("model p="):
        return ""
    return first.removeprefix("rule:").partition(" (")[0].strip()


_CODING_DTYPES = {"coding_id": "int64", "start": "int64", "end": "int64", "score": "float64",
                  "created_at": "datetime64[us]"}


def _sqlite_connect(dbapi_connection, _record) -> None:
    # sqlite3 otherwise begins transactions only before writes, so reads would sit outside them; SQLAlchemy's
    # documented recipe hands BEGIN to us (see `_sqlite_begin`). SQLite also leaves foreign keys off by default.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


def _make_engine(url: str, timeout: float) -> Engine:
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        raise StoreError(
            f"database URL {url!r} is not valid; write e.g. sqlite:///project.sqlite or postgresql://user@host/db"
        ) from None
    try:
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed)
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every new connection would see a different empty database.
            engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(parsed, connect_args={"timeout": timeout})
    except (sa_exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"database URL {parsed!r} needs a driver that is not installed ({exc}); pip install it"
        ) from None
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _lock(conn: Connection) -> None:
    """Take the project's write lock for the rest of the transaction: an update of one row, as the transaction's
    first statement. SQLite then holds its write lock (waiting up to the timeout for another writer); a database
    server holds the row lock, so other writers queue behind it."""
    conn.execute(
        t.project_info.update().where(t.project_info.c.key == "schema_version").values(value=t.project_info.c.value)
    )


def _coded_pairs(conn: Connection, segment_ids: list[str], coders: list[str]) -> set[tuple[str, str]]:
    """(segment_id, code) pairs of `segment_ids` that `coders` have already coded, whatever the status."""
    c = t.codings.c
    pairs: set[tuple[str, str]] = set()
    for part in chunks(sorted(segment_ids)):
        query = select(c.segment_id, c.code).where(c.segment_id.in_(part), c.coder.in_(coders))
        pairs.update((row.segment_id, row.code) for row in conn.execute(query))
    return pairs


def _describe(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"'{url.database}'" if url.database not in (None, "", ":memory:") else "the in-memory store"
    return f"'{url.render_as_string(hide_password=True)}'"


def _ids(value: str | Iterable[str] | None) -> list[str] | None:
    """A filter argument: one value or several."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _stamp(value: Any, default, where: str):
    """A given timestamp as naive UTC, or `default` when none is given."""
    return default if clean(value) in (None, "") else as_utc(value, where)


def _other_file(stored: str, given: str) -> bool:
    """True when a document id now names a file other than the one stored under it (judged by file name, since a
    project folder may move)."""
    return bool(stored and given) and Path(str(stored)).name != Path(str(given)).name


def _missing(kind: str, name: str, available: Iterable[str]) -> StoreError:
    return StoreError(f"no {kind} {name!r} in this project; known: {known_list(sorted(available))}")


class Project:
    """A casecode project database: documents, segments, cases, codings and their review history, memos, models.

    Usually made by `init_project` / `open_project`; `Project(url)` opens any database URL directly and
    `Project.create_in_memory()` makes a throwaway one for tests and notebooks. Use it as a context manager or
    call `close()`. `timeout`: seconds to wait while another program holds a lock on an SQLite file.
    """

    def __init__(self, database_url: str, *, path: str | Path | None = None, config: dict | None = None,
                 timeout: float = 5.0):
        self.database_url = database_url
        self.path = Path(path) if path is not None else None
        self.config = dict(config or {})
        self._engine: Engine | None = _make_engine(database_url, timeout)
        self._where = _describe(self._engine)
        self._conn: Connection | None = None
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    @classmethod
    def create_in_memory(cls, codebook: Codebook | None = None, name: str = "in-memory") -> "Project":
        """A project in an in-memory SQLite database, gone when closed."""
        project = cls("sqlite://", config={"name": name})
        if codebook is not None:
            project.set_codebook(codebook)
        return project

    # -- connection and transactions -------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Create missing tables and refuse a database written by a newer casecode."""
        with self._begin() as conn:
            t.metadata.create_all(conn)
            version = self._info(conn, "schema_version")
            if version is None:
                self._set_info(conn, "schema_version", str(t.SCHEMA_VERSION))
                self._set_info(conn, "project_id", uuid.uuid4().hex)
                for key in ("name", "created"):
                    if self.config.get(key):
                        self._set_info(conn, key, str(self.config[key]))
            if not self.config.get("name"):
                self.config["name"] = self._info(conn, "name") or ""
            if version is not None and int(version) > t.SCHEMA_VERSION:
                raise StoreError(
                    f"{self._where} was written by a newer casecode (schema {version}, this one reads "
                    f"{t.SCHEMA_VERSION}); upgrade casecode"
                )
            if version is not None and int(version) < t.SCHEMA_VERSION:
                _migrate(conn, int(version))
                self._set_info(conn, "schema_version", str(t.SCHEMA_VERSION))

    @contextmanager
    def _begin(self, write: bool = False) -> Iterator[Connection]:
        """A connection inside a transaction, or inside a savepoint of the open `transaction()`.

        The savepoint keeps each call all-or-nothing even when a caller catches its error and goes on. A `write`
        transaction first takes the project's write lock, so two programs writing to one project (two `casecode
        code` runs) take turns: the second waits for the first to commit, then sees what it wrote.
        """
        try:
            if self._conn is not None:
                with self._conn.begin_nested():
                    yield self._conn
                return
            if self._engine is None:
                raise StoreError("this project is closed; open it again with open_project(<folder>)")
            with self._engine.begin() as conn:
                if write:
                    _lock(conn)
                yield conn
        except sa_exc.DBAPIError as exc:
            raise self._database_error(exc) from None

    def _database_error(self, exc: sa_exc.DBAPIError) -> StoreError:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        if "locked" in reason or "busy" in reason:
            return StoreError(f"project database {self._where} is busy: another program (or casecode command) is "
                              f"writing to it; wait for it to finish and run this again")
        if "not a database" in reason:
            return StoreError(
                f"{self._where} is not a casecode database ({reason}); point 'database' in casecode.yaml at the "
                "project database or restore it"
            )
        return StoreError(f"database {self._where} refused the operation: {reason}; nothing was written")

    @contextmanager
    def transaction(self) -> Iterator["Project"]:
        """Group several writes so they all happen or none does: `with project.transaction(): ...`.

        Inside, every method joins this one transaction; a nested `transaction()` becomes a savepoint.
        """
        if self._conn is not None:
            with self._begin(write=True):
                yield self
            return
        with self._begin(write=True) as conn:
            self._conn = conn
            try:
                yield self
            finally:
                self._conn = None

    def close(self) -> None:
        """Release the database; the project cannot be used afterwards."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<casecode Project {self.name!r} at {self._where}>"

    # -- project info ----------------------------------------------------------------------------------------

    @staticmethod
    def _info(conn: Connection, key: str) -> str | None:
        return conn.execute(select(t.project_info.c.value).where(t.project_info.c.key == key)).scalar_one_or_none()

    @staticmethod
    def _set_info(conn: Connection, key: str, value: str) -> None:
        # Delete then insert: a portable upsert inside the caller's transaction.
        conn.execute(delete(t.project_info).where(t.project_info.c.key == key))
        conn.execute(t.project_info.insert().values(key=key, value=value))

    def project_id(self) -> str:
        """A random id this project keeps for good (made on first use), written into its review workbooks so that
        a workbook applied to another project is recognised."""
        with self._begin() as conn:
            found = self._info(conn, "project_id")
        if found:
            return found
        with self._begin(write=True) as conn:
            found = self._info(conn, "project_id")
            if not found:
                found = uuid.uuid4().hex
                self._set_info(conn, "project_id", found)
        return found

    @property
    def name(self) -> str:
        return str(self.config.get("name") or "")

    @property
    def pipeline(self) -> str:
        """Name of the spaCy pipeline the project codes with."""
        return str(self.config.get("spacy_pipeline") or DEFAULT_PIPELINE)

    @property
    def coder(self) -> str:
        """The coder named in casecode.yaml (`coder:`), or "" for none (the rules, or the project's trained model)."""
        return str(self.config.get("coder") or "")

    @property
    def codebook_path(self) -> Path | None:
        """The codebook file in the project folder (None for a project without a folder)."""
        if self.path is None:
            return None
        return self.path / str(self.config.get("codebook") or "codebook.yaml")

    # -- coding runs -----------------------------------------------------------------------------------------

    def coded_documents(self) -> set[str]:
        """Documents an automatic coder has coded (see `mark_coded`); a project from before this record counts
        the documents that hold an automatic coding."""
        with self._begin() as conn:
            return self._coded(conn)

    def _coded(self, conn: Connection) -> set[str]:
        raw = self._info(conn, _documents.CODED_KEY)
        if raw is not None:
            return set(from_json(raw))
        c = t.codings.c
        automatic = ("rules", "model", "combined")
        return set(conn.execute(select(c.document_id).where(c.coder.in_(automatic)).distinct()).scalars())

    def mark_coded(self, document_ids: Iterable[str]) -> None:
        """Record that the automatic coders have coded these documents, so a plain `code` leaves them alone."""
        with self._begin() as conn:
            done = self._coded(conn) | set(document_ids)
            self._set_info(conn, _documents.CODED_KEY, to_json(sorted(done), "coded documents"))

    def kept_users(self) -> list[str]:
        """Users an imported project named that the store keeps by name (see `keep_users`)."""
        with self._begin() as conn:
            return sorted(from_json(self._info(conn, "kept_users") or "[]"))

    def keep_users(self, names: Iterable[str]) -> None:
        """Keep these user names even when nothing here names them (a reviewer whose decisions were all
        rejections, which another tool has no place for), so exporting again names them too."""
        with self._begin(write=True) as conn:
            kept = set(from_json(self._info(conn, "kept_users") or "[]")) | {str(n) for n in names if str(n).strip()}
            self._set_info(conn, "kept_users", to_json(sorted(kept), "kept users"))

    # -- codebook --------------------------------------------------------------------------------------------

    def set_codebook(self, codebook: Codebook, write_file: bool = True) -> None:
        """Store `codebook` (its full YAML and one row per code); refuses to drop a code that codings use.

        In a project folder the codebook file is written too, since that file is the copy that counts (see
        `open_project`)."""
        if not isinstance(codebook, Codebook):
            raise StoreError(f"set_codebook takes a Codebook (see read_codebook); got {type(codebook).__name__}")
        rows = [
            {"code_id": c.id, "position": i, "label": c.label, "definition": c.definition,
             "in_chart": c.in_chart, "grp": c.group, "color": c.color}
            for i, c in enumerate(codebook)
        ]
        data = codebook.model_dump(exclude_none=True)
        with self._begin(write=True) as conn:
            self._check_codes_kept(conn, codebook)
            conn.execute(delete(t.codes))
            if rows:
                conn.execute(t.codes.insert(), rows)
            self._set_info(conn, "codebook", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
            if write_file and self.path is not None and self.config.get("codebook"):
                write_codebook(codebook, self.codebook_path)

    def _check_codes_kept(self, conn: Connection, codebook: Codebook) -> None:
        c = t.codings.c
        used = conn.execute(
            select(c.code, func.count()).where(c.code.not_in(codebook.ids)).group_by(c.code).order_by(c.code)
        ).first()
        if used is not None:
            raise StoreError(
                f"the new codebook drops code {used[0]!r}, which {used[1]} coding(s) use; keep it in the codebook "
                "(in_chart: false hides it from charts)"
            )

    def codebook(self) -> Codebook:
        """The stored codebook."""
        with self._begin() as conn:
            raw = self._info(conn, "codebook")
        if raw is None:
            raise StoreError(
                f"project {self.name!r} has no codebook; store one with project.set_codebook(read_codebook(<file>))"
            )
        try:
            return codebook_from_dict(load_yaml(raw), source=f"codebook stored in {self._where}")
        except CasecodeError as exc:
            raise StoreError(str(exc)) from None

    def _code_ids(self, conn: Connection) -> list[str]:
        if self._info(conn, "codebook") is None:
            raise StoreError(
                f"project {self.name!r} has no codebook, so codes cannot be checked; store one first with "
                "project.set_codebook(read_codebook(<file>))"
            )
        return list(conn.execute(select(t.codes.c.code_id).order_by(t.codes.c.position)).scalars())

    def rename_code(self, old: str, new: str, codebook: Codebook) -> int:
        """Move every coding, decision and memo of code `old` to code `new` and store `codebook` (which has `new`
        and no longer `old`), all in one transaction; returns the number of codings moved.

        Used to rename a code (`merge_code` merges one into another). The move is remembered (`code_map`) so a
        learned model trained on the old id still reaches the new one.
        """
        return self._move_code(old, new, codebook)[0]

    def merge_code(self, source: str, into: str, codebook: Codebook) -> tuple[int, int]:
        """Move every coding, decision and memo of code `source` to code `into` (see `rename_code`), then fold each
        second coding of `into` this makes on one unit (same status; same coder unless accepted) into the first,
        with a `fold` decision naming both (`decisions()` shows them; `undo_decision("casecode")` takes the latest
        back). Returns (codings moved, codings folded)."""
        return self._move_code(source, into, codebook, fold=True)

    def _move_code(self, old: str, new: str, codebook: Codebook, fold: bool = False) -> tuple[int, int]:
        if old not in self.codebook().ids:
            with self._begin() as conn:
                raise _missing("code", old, self._code_ids(conn))
        if new not in codebook.ids or old in codebook.ids:
            raise StoreError(f"the new codebook must have code {new!r} and not {old!r}")
        c, d, m = t.codings.c, t.decisions.c, t.memos.c
        folded = 0
        with self.transaction(), self._begin() as conn:
            ids = list(conn.execute(select(c.coding_id).where(c.code == old)).scalars())
            moved = conn.execute(t.codings.update().where(c.code == old).values(code=new)).rowcount
            if fold and ids:
                folded = fold_duplicates(conn, new, ids, utcnow(), f"codebook merge {old} into {new}")
            conn.execute(t.decisions.update().where(d.code == old).values(code=new))
            conn.execute(t.decisions.update().where(d.new_code == old).values(new_code=new))
            conn.execute(t.memos.update().where(m.target_type == "code", m.target_id == old).values(target_id=new))
            mapping = dict(from_json(self._info(conn, "code_map") or "{}"))
            mapping = {k: (new if v == old else v) for k, v in mapping.items()} | {old: new}
            self._set_info(conn, "code_map", to_json(mapping, "code map"))
            self.set_codebook(codebook)
        return int(moved), folded

    def code_map(self) -> dict[str, str]:
        """Old code id → the code it was renamed or merged into (see `rename_code`)."""
        with self._begin() as conn:
            return dict(from_json(self._info(conn, "code_map") or "{}"))

    # -- cases -----------------------------------------------------------------------------------------------

    def add_cases(self, cases: pd.DataFrame | Iterable[dict]) -> int:
        """Store cases (CASE_COLUMNS; other columns go to `metadata`), replacing any with the same case_id.

        Returns the number of cases written.
        """
        rows = [self._case_row(label, row) for label, row in records(cases, "cases")]
        ids = [r["case_id"] for r in rows]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise StoreError(f"case {twice!r} appears twice in the cases table; keep one row per case_id")
        with self._begin(write=True) as conn:
            for part in chunks(ids):
                conn.execute(delete(t.cases).where(t.cases.c.case_id.in_(part)))
            if rows:
                conn.execute(t.cases.insert(), rows)
        return len(rows)

    @staticmethod
    def _case_row(label: Any, row: dict) -> dict:
        where = f"cases row {label}"
        case_id = text(row.get("case_id")).strip()
        if not case_id:
            raise StoreError(f"{where}: case_id is empty; give every case an id")
        extra = {k: clean(v) for k, v in row.items() if k not in CASE_COLUMNS and k != "metadata"}
        meta = dict(clean(row.get("metadata")) or {}, **extra)
        return {
            "case_id": case_id,
            "name": text(row.get("name")) or case_id,
            "type": text(row.get("type")),
            "members": to_json(list(id_tuple(row.get("members"), f"{where} members")), f"{where} members"),
            "aliases": to_json(list(id_tuple(row.get("aliases"), f"{where} aliases")), f"{where} aliases"),
            "metadata": to_json(meta, f"{where} metadata"),
        }

    def cases(self) -> pd.DataFrame:
        """Cases with CASE_COLUMNS (members and aliases as tuples) plus `metadata` (a dict)."""
        with self._begin() as conn:
            result = conn.execute(select(t.cases).order_by(t.cases.c.case_id)).mappings().all()
        rows = [
            dict(row, members=tuple(from_json(row["members"])), aliases=tuple(from_json(row["aliases"])),
                 metadata=from_json(row["metadata"]))
            for row in result
        ]
        objects = {"members": "object", "aliases": "object", "metadata": "object"}
        return frame(rows, [*CASE_COLUMNS, "metadata"], objects)

    def rename_case(self, old: str, new: str, name: str | None = None) -> int:
        """Give case `old` the id `new` (and `name`, if given) everywhere: the cases table, the segments attributed
        to it, the documents naming it, its memos. Returns the number of segments moved."""
        new = str(new).strip()
        if not new:
            raise StoreError("the new case id is empty; give the case an id")
        k, sc, m = t.cases.c, t.segment_cases.c, t.memos.c
        with self._begin() as conn:
            row = conn.execute(select(t.cases).where(k.case_id == old)).mappings().first()
            if row is None:
                raise _missing("case", old, conn.execute(select(k.case_id)).scalars())
            if new != old and conn.execute(select(k.case_id).where(k.case_id == new)).first() is not None:
                raise StoreError(f"case {new!r} already exists; choose another id")
            values = {"case_id": new} | ({"name": name} if name else {})
            conn.execute(t.cases.update().where(k.case_id == old).values(**values))
            moved = conn.execute(t.segment_cases.update().where(sc.case_id == old).values(case_id=new)).rowcount
            conn.execute(t.memos.update().where(m.target_type == "case", m.target_id == old).values(target_id=new))
            old_name, new_name = row["name"], name or row["name"]
            for document_id, raw in conn.execute(select(t.documents.c.document_id, t.documents.c.metadata)):
                meta = from_json(raw) or {}
                if meta.get("case") in (old_name, old) and meta.get("case") != new_name:
                    meta["case"] = new_name
                    conn.execute(t.documents.update().where(t.documents.c.document_id == document_id)
                                 .values(metadata=to_json(meta, f"document {document_id} metadata")))
        return int(moved)

    # -- documents and segments ------------------------------------------------------------------------------

    def add_document(self, document: Document, on_change: str = "error", added_at: Any = None) -> str:
        """Store a document with its segments and their cases; returns "added", "unchanged" or "replaced".

        `added_at` (default now) keeps the date of a document brought from another project.

        A document already stored with the same text is left alone. Different text under the same id is an
        error, unless `on_change="replace"`, which swaps it and its segments in (refused once a coding of it has
        been reviewed).
        """
        if on_change not in ("error", "replace"):
            raise StoreError(f"on_change {on_change!r} is not one of error, replace")
        _documents.check_document(document)
        digest = _documents.sha256(document.text)
        with self._begin(write=True) as conn:
            d = t.documents.c
            old = conn.execute(select(d.sha256, d.path).where(d.document_id == document.document_id)).first()
            if old is not None and old.sha256 == digest:
                return "unchanged"
            if old is not None and on_change == "error" and _other_file(old.path, document.path):
                raise StoreError(
                    f"document id {document.document_id!r} of {str(document.path)!r} is already used by another "
                    f"file, {old.path!r}; give this file its own document_id (a manifest column)"
                )
            if old is not None and on_change == "error":
                raise StoreError(
                    f"document {document.document_id!r} from {document.path or old.path!r} changed since it was "
                    "added (sha256 differs); add it under a new id or remove the old one first"
                )
            if old is not None:
                _documents.remove_document(conn, document.document_id)
            _documents.check_segment_ids_free(conn, document)
            stamp = as_utc(added_at, f"document {document.document_id!r} added_at") if added_at is not None else None
            _documents.insert_document(conn, document, digest, stamp)
        return "added" if old is None else "replaced"

    def add_documents(self, documents: Iterable[Document]) -> list[str]:
        """`add_document` for each document in order, all or none; returns their statuses ("added", "unchanged").

        New documents are stored together (a few statements for the batch, not several per document); a batch in
        which any document is already stored with other text, given twice, or would clash with a stored segment
        id is stored one document at a time, so the error is the one `add_document` gives."""
        documents = list(documents)
        with self.transaction(), self._begin(write=True) as conn:
            statuses = self._add_new_documents(conn, documents)
            if statuses is None:
                statuses = [self.add_document(document) for document in documents]
        return statuses

    def _add_new_documents(self, conn: Connection, documents: list[Document]) -> list[str] | None:
        """Store the documents as one batch, or None (nothing written) when one of them needs `add_document`."""
        d, s = t.documents.c, t.segments.c
        try:
            for document in documents:
                _documents.check_document(document)
        except StoreError:
            return None
        ids = [document.document_id for document in documents]
        if len(set(ids)) != len(ids):
            return None
        digests = [_documents.sha256(document.text) for document in documents]
        stored: dict[str, str] = {}
        for part in chunks(ids):
            stored.update(conn.execute(select(d.document_id, d.sha256).where(d.document_id.in_(part))).all())
        if any(stored.get(i, digest) != digest for i, digest in zip(ids, digests)):
            return None
        new = [(document, digest) for document, digest in zip(documents, digests) if document.document_id not in stored]
        segment_ids = [seg.segment_id for document, _ in new for seg in document.segments]
        if len(set(segment_ids)) != len(segment_ids):
            return None
        for part in chunks(segment_ids):
            if conn.execute(select(s.segment_id).where(s.segment_id.in_(part)).limit(1)).first() is not None:
                return None
        _documents.insert_documents(conn, [(document, digest, None) for document, digest in new])
        return ["unchanged" if i in stored else "added" for i in ids]

    def remove_document(self, document_id: str) -> None:
        """Remove a document, its segments and its suggested codings; refused once a coding has been reviewed."""
        with self._begin(write=True) as conn:
            self._require_document(conn, document_id)
            _documents.remove_document(conn, document_id)

    def _require_document(self, conn: Connection, document_id: str) -> None:
        d = t.documents.c
        if conn.execute(select(d.document_id).where(d.document_id == document_id)).first() is None:
            raise _missing("document", document_id, conn.execute(select(d.document_id)).scalars())

    def documents(self) -> pd.DataFrame:
        """The stored documents (without their text): DOCUMENT_COLUMNS, `metadata` as a dict."""
        d = t.documents.c
        with self._begin() as conn:
            result = conn.execute(
                select(*(d[c] for c in DOCUMENT_COLUMNS)).order_by(d.added_at, d.document_id)
            ).mappings().all()
        rows = [dict(row, metadata=from_json(row["metadata"])) for row in result]
        return frame(rows, DOCUMENT_COLUMNS, {"metadata": "object", "added_at": "datetime64[us]"})

    def document_text(self, document_id: str) -> str:
        with self._begin() as conn:
            self._require_document(conn, document_id)
            d = t.documents.c
            return conn.execute(select(d.text).where(d.document_id == document_id)).scalar_one()

    def document(self, document_id: str) -> Document:
        """A stored document rebuilt as a Document with its segments."""
        with self._begin() as conn:
            self._require_document(conn, document_id)
            row = conn.execute(select(t.documents).where(t.documents.c.document_id == document_id)).mappings().one()
        segs = self.segments([document_id])
        return Document(
            document_id=row["document_id"],
            text=row["text"],
            path=row["path"],
            format=row["format"],
            metadata=from_json(row["metadata"]),
            segments=[Segment(**rec) for rec in segs.to_dict("records")],
        )

    def segments(self, document_ids: str | Iterable[str] | None = None, codable: bool | None = None) -> pd.DataFrame:
        """Segments with SEGMENT_COLUMNS, in document and unit order; `cases` holds the segment's own case ids.

        Falling back to a document's metadata case for segments without cases is the caller's job.
        """
        s = t.segments.c
        where = []
        if (ids := _ids(document_ids)) is not None:
            where.append(s.document_id.in_(ids))
        if codable is not None:
            where.append(s.codable == bool(codable))
        columns = [s[c] for c in SEGMENT_COLUMNS if c != "cases"]
        links = (
            select(t.segment_cases.c.segment_id, t.segment_cases.c.case_id)
            .join(t.segments)
            .where(*where)
            .order_by(t.segment_cases.c.segment_id, t.segment_cases.c.position)
        )
        with paused_gc(), self._begin() as conn:  # every row stays alive until the table is made
            result = conn.execute(select(*columns).where(*where).order_by(s.document_id, s.unit)).mappings().all()
            cases: dict[str, list[str]] = {}
            for segment_id, case_id in conn.execute(links):
                cases.setdefault(segment_id, []).append(case_id)
            rows = [dict(row, cases=tuple(cases.get(row["segment_id"], ()))) for row in result]
            return frame(rows, SEGMENT_COLUMNS, _SEGMENT_DTYPES)

    # -- codings and decisions -------------------------------------------------------------------------------

    def add_codings(self, codings: pd.DataFrame | Iterable[dict], status: str = "suggested",
                    run: str | None = None, skip_coded_by: Iterable[str] | None = None) -> list[int | None]:
        """Store codings (CODING_COLUMNS) with one status; returns their coding ids in row order.

        Every code must be in the stored codebook and every segment in the store. Only segment_id, code and
        coder are required: a missing span covers the whole segment. `run` labels the batch (default: the
        current UTC time). An optional `created_at` column keeps each coding's own date (default now).
        With `skip_coded_by`, a row whose segment already has a coding of its code by one of
        those coders is not stored (its id is None): checked under the project's write lock, so two programs
        coding one project at once never store a suggestion twice.
        """
        if status not in t.STATUSES:
            raise StoreError(f"status {status!r} is not one of {', '.join(t.STATUSES)}")
        rows = records(codings, "codings")
        if not rows:
            return []
        require_columns(rows, ["segment_id", "code", "coder"], "codings")
        stamp = utcnow()
        run = run or stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._begin(write=True) as conn:
            known = self._code_ids(conn)
            spans = segment_spans(conn, {text(row.get("segment_id")) for _, row in rows})
            values = [
                dict(coding_values(label, row, known, spans), status=status, run=run,
                     created_at=_stamp(row.get("created_at"), stamp, f"codings row {label} created_at"))
                for label, row in rows
            ]
            keep = [True] * len(values)
            if skip_coded_by is not None:
                done = _coded_pairs(conn, list(spans), list(skip_coded_by))
                keep = [(v["segment_id"], v["code"]) not in done for v in values]
            stored = [v for v, k in zip(values, keep) if k]
            if not stored:
                return [None] * len(values)
            insert = t.codings.insert().returning(t.codings.c.coding_id, sort_by_parameter_order=True)
            ids = iter(conn.execute(insert, stored).scalars())
            return [next(ids) if k else None for k in keep]

    def codings(self, coder: str | Iterable[str] | None = None, status: str | Iterable[str] | None = None,
                code: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Stored codings (coding_id, CODING_COLUMNS, status, created_at, run); filters take one value or several."""
        c = t.codings.c
        where = [c[name].in_(values) for name, values in (("coder", _ids(coder)), ("status", _ids(status)),
                                                          ("code", _ids(code))) if values is not None]
        with paused_gc(), self._begin() as conn:  # every row stays alive until the table is made
            result = conn.execute(
                select(*(c[col] for col in STORED_CODING_COLUMNS)).where(*where).order_by(c.coding_id)
            ).mappings().all()
            return frame(result, STORED_CODING_COLUMNS, _CODING_DTYPES)

    def current_codings(self) -> pd.DataFrame:
        """The codings that stand: status accepted, manual or reference (not suggested, not rejected)."""
        return self.codings(status=CURRENT_STATUSES)

    def record_decisions(self, decisions: pd.DataFrame | Iterable[dict]) -> list[int]:
        """Apply review decisions in row order, all or none; returns the new decision ids.

        Columns: coding_id (empty for `add`), segment_id, decision (accept, reject, recode, add), new_code (the
        code for recode and add), decided_by, decided_at (default now), comment, source. accept/reject set the
        coding's status; recode rejects the coding and adds a `manual` one with the new code on the same span;
        add creates a `manual` coding spanning the segment, or only the passage `start`-`end` (document offsets)
        when given. Earlier decisions are kept: history only grows; `undo_decision` takes one back.
        """
        rows = records(decisions, "decisions")
        if not rows:
            return []
        require_columns(rows, ["decision", "decided_by"], "decisions")
        with self._begin(write=True) as conn:
            known = self._code_ids(conn)
            return apply_decisions(conn, rows, known)

    def undo_decision(self, decided_by: str, source: str = "") -> int:
        """Take back `decided_by`'s latest decision that stands, by appending an `undo` decision; returns its id.

        The codings it changed get back the status the remaining decisions give them (a suggestion it accepted is
        suggested again; a coding it added or recoded to no longer stands). Repeated undos go further back. Refused
        where a later decision that stands builds on it, or where a coding it took back would stand twice on a unit.
        """
        with self._begin(write=True) as conn:
            return undo_last(conn, decided_by, utcnow(), source)

    def last_decision(self, decided_by: str | None = None) -> dict | None:
        """The decision `undo_decision` would take back next: the latest not taken back (a merge's `fold` too), of
        `decided_by` or of anyone; a dict of DECISION_COLUMNS, or None when no decision stands."""
        with self._begin() as conn:
            return latest_standing(conn, decided_by)

    def decisions(self, standing: bool = False) -> pd.DataFrame:
        """The full decision history, oldest first: DECISION_COLUMNS.

        `standing=True` leaves out the `undo` decisions and the decisions they took back, and the `fold` decisions
        casecode recorded when merged codes left a unit with one code twice (no reviewer made those): what the
        reviewers decided.
        """
        with self._begin() as conn:
            result = conn.execute(select(t.decisions).order_by(t.decisions.c.decision_id)).mappings().all()
        if standing:
            undone = undone_ids([SimpleNamespace(**r) for r in result])
            result = [r for r in result if r["decision"] not in (UNDO, FOLD) and r["decision_id"] not in undone]
        return frame(result, DECISION_COLUMNS, {"decision_id": "int64", "coding_id": "Int64",
                                                "new_coding_id": "Int64", "decided_at": "datetime64[us]"})

    # -- memos -----------------------------------------------------------------------------------------------

    def add_memo(self, target_type: str, target_id: str, text: str, author: str = "", created_at: Any = None) -> int:
        """Attach a memo to the project, a document, segment, code or case; returns its memo id.

        `created_at` (default now) keeps the date of a memo brought from another project.
        """
        if target_type not in t.MEMO_TARGETS:
            raise StoreError(f"memo target type {target_type!r} is not one of {', '.join(t.MEMO_TARGETS)}")
        if not str(text or "").strip():
            raise StoreError(f"memo on {target_type} {target_id!r} is empty; write the memo text")
        target_id = "" if target_type == "project" else str(target_id)
        with self._begin(write=True) as conn:
            self._check_memo_target(conn, target_type, target_id)
            # Control characters are replaced as readers replace them, so no report writer ever meets one.
            text, author = printable(str(text)), printable(str(author or ""))
            memo = t.memos.insert().values(target_type=target_type, target_id=target_id, author=str(author or ""),
                                           text=str(text), created_at=_stamp(created_at, utcnow(), "memo created_at"))
            return conn.execute(memo).inserted_primary_key[0]

    def _check_memo_target(self, conn: Connection, target_type: str, target_id: str) -> None:
        if target_type == "project":
            return
        if target_type == "code":
            table, key = t.codes, t.codes.c.code_id
        else:
            table = {"document": t.documents, "segment": t.segments, "case": t.cases}[target_type]
            key = table.c[f"{target_type}_id"]
        if conn.execute(select(key).where(key == target_id)).first() is None:
            raise _missing(target_type, target_id, conn.execute(select(key)).scalars())

    def memos(self, target_type: str | None = None, target_id: str | None = None) -> pd.DataFrame:
        """Memos, oldest first (MEMO_COLUMNS), optionally only those on one target type or target."""
        m = t.memos.c
        where = [m.target_type == target_type] if target_type is not None else []
        if target_id is not None:
            where.append(m.target_id == str(target_id))
        with self._begin() as conn:
            result = conn.execute(select(t.memos).where(*where).order_by(m.memo_id)).mappings().all()
        return frame(result, MEMO_COLUMNS, {"memo_id": "int64", "created_at": "datetime64[us]"})

    # -- integrity ---------------------------------------------------------------------------------------------

    def check(self) -> dict:
        """Check the store's integrity: `{"problems": [one line per kind], "counts": {table: rows}}`.

        Checks the database file itself (SQLite), links between rows, segment and coding offsets, suggestions
        stored twice, decisions against coding statuses, and that the stored codebook is valid.
        """
        with self._begin() as conn:
            problems = integrity_problems(conn)
            found = counts(conn)
        try:
            if self._info_value("codebook") is not None:
                self.codebook()
        except CasecodeError as exc:
            problems.append(str(exc))
        return {"problems": problems, "counts": found}

    def _info_value(self, key: str) -> str | None:
        with self._begin() as conn:
            return self._info(conn, key)

    # -- models and baselines --------------------------------------------------------------------------------

    def save_model(self, name: str, payload: bytes, kind: str = "", meta: dict | None = None) -> None:
        """Store a trained model's bytes under `name`, replacing any model of that name."""
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise StoreError(
                f"model {name!r} payload must be bytes (e.g. CombinedCoder.to_bytes()); got {type(payload).__name__}"
            )
        if not str(name or "").strip():
            raise StoreError("model name is empty; name the model, e.g. 'model-2015'")
        row = {"name": name, "kind": str(kind or ""), "payload": bytes(payload),
               "meta": to_json(meta or {}, f"model {name!r} meta"), "created_at": utcnow()}
        with self._begin(write=True) as conn:
            conn.execute(delete(t.models).where(t.models.c.name == name))
            conn.execute(t.models.insert().values(**row))

    def load_model(self, name: str) -> bytes:
        with self._begin() as conn:
            payload = conn.execute(select(t.models.c.payload).where(t.models.c.name == name)).scalar_one_or_none()
            if payload is None:
                raise _missing("model", name, conn.execute(select(t.models.c.name)).scalars())
        return bytes(payload)

    def models(self) -> pd.DataFrame:
        """Stored models without their payload: name, kind, meta (a dict), size (bytes), created_at."""
        m = t.models.c
        with self._begin() as conn:
            result = conn.execute(
                select(m.name, m.kind, m.meta, func.length(m.payload).label("size"), m.created_at).order_by(m.name)
            ).mappings().all()
        rows = [dict(row, meta=from_json(row["meta"])) for row in result]
        columns = ["name", "kind", "meta", "size", "created_at"]
        return frame(rows, columns, {"meta": "object", "size": "int64", "created_at": "datetime64[us]"})

    def set_baseline(self, name: str, payload: dict) -> None:
        """Attach earlier results (e.g. the 2015 findings) under `name`, replacing any of that name."""
        if not isinstance(payload, dict):
            raise StoreError(f"baseline {name!r} must be a dict; got {type(payload).__name__}")
        row = {"name": name, "payload": to_json(payload, f"baseline {name!r}"), "created_at": utcnow()}
        with self._begin(write=True) as conn:
            conn.execute(delete(t.baselines).where(t.baselines.c.name == name))
            conn.execute(t.baselines.insert().values(**row))

    def baseline(self, name: str) -> dict:
        b = t.baselines.c
        with self._begin() as conn:
            payload = conn.execute(select(b.payload).where(b.name == name)).scalar_one_or_none()
            if payload is None:
                raise _missing("baseline", name, conn.execute(select(b.name)).scalars())
        return from_json(payload)

    def baselines(self) -> pd.DataFrame:
        """Names and dates of the attached baselines."""
        b = t.baselines.c
        with self._begin() as conn:
            result = conn.execute(select(b.name, b.created_at).order_by(b.name)).mappings().all()
        return frame(result, ["name", "created_at"], {"created_at": "datetime64[us]"})
