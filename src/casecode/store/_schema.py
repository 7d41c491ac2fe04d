"""The store's tables, in portable SQLAlchemy Core types so the same schema runs on SQLite and PostgreSQL.

JSON is kept in Text columns that casecode serializes itself (no dialect JSON type). Timestamps are naive UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

#: Bump when a table changes; a database written by a newer casecode is refused rather than misread.
SCHEMA_VERSION = 2  # 2: codings.pattern (see _project.Project._migrate)

#: Review status of a coding. `folded`: a second coding of one code on one unit (two codes merged), folded into the
#: coding that stands for both by a `fold` decision; it counts nowhere. `withdrawn`: a reviewer's own coding (an add or
#: a recode's new code) whose making was undone; kept for the history, counted nowhere, and never a rejected suggestion.
STATUSES = ("suggested", "accepted", "rejected", "manual", "reference", "folded", "withdrawn")
#: What a reviewer can decide about a coding (or a segment, for `add`).
DECISIONS = ("accept", "reject", "recode", "add")
#: What a memo can be attached to.
MEMO_TARGETS = ("project", "document", "segment", "code", "case")

_ID = 255  # ids get a length so the schema also suits databases that need one

metadata = MetaData()

project_info = Table(
    "project_info",
    metadata,
    Column("key", String(_ID), primary_key=True),
    Column("value", Text, nullable=False),
)

codes = Table(
    "codes",
    metadata,
    Column("code_id", String(_ID), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("label", Text, nullable=False),
    Column("definition", Text, nullable=False, default=""),
    Column("in_chart", Boolean, nullable=False, default=True),
    Column("grp", String(_ID)),
    Column("color", String(16)),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(_ID), primary_key=True),
    Column("name", Text, nullable=False, default=""),
    Column("type", String(_ID), nullable=False, default=""),
    Column("members", Text, nullable=False, default="[]"),
    Column("aliases", Text, nullable=False, default="[]"),
    Column("metadata", Text, nullable=False, default="{}"),
)

documents = Table(
    "documents",
    metadata,
    Column("document_id", String(_ID), primary_key=True),
    Column("path", Text, nullable=False, default=""),
    Column("format", String(32), nullable=False, default=""),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("metadata", Text, nullable=False, default="{}"),
    Column("encoding", String(64), nullable=False, default=""),
    Column("added_at", DateTime, nullable=False),
)

segments = Table(
    "segments",
    metadata,
    Column("segment_id", String(_ID), primary_key=True),
    Column("document_id", String(_ID), ForeignKey("documents.document_id"), nullable=False),
    Column("unit", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("speaker", Text, nullable=False, default=""),
    Column("role", String(32), nullable=False, default=""),
    Column("kind", String(64), nullable=False, default=""),
    Column("heading", Text, nullable=False, default=""),
    Column("codable", Boolean, nullable=False, default=True),
    Index("ix_segments_document", "document_id", "unit"),
)

# `position` keeps a segment's case ids in the order the reader gave them.
segment_cases = Table(
    "segment_cases",
    metadata,
    Column("segment_id", String(_ID), ForeignKey("segments.segment_id"), primary_key=True),
    Column("case_id", String(_ID), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_segment_cases_case", "case_id"),
)

codings = Table(
    "codings",
    metadata,
    Column("coding_id", Integer, primary_key=True, autoincrement=True),
    Column("segment_id", String(_ID), ForeignKey("segments.segment_id"), nullable=False),
    Column("document_id", String(_ID), nullable=False),
    Column("code", String(_ID), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("evidence", Text, nullable=False, default=""),
    Column("rule", Text, nullable=False, default=""),
    Column("pattern", Text, nullable=False, default="", server_default=""),  # as the migration adds it
    Column("score", Float),
    Column("coder", String(_ID), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("run", String(_ID)),
    Index("ix_codings_segment", "segment_id"),
    Index("ix_codings_code", "code"),
    Index("ix_codings_status", "status"),
    Index("ix_codings_document", "document_id"),
)

# Append-only: rows are inserted, never updated or deleted. `new_coding_id` links a recode or add to the
# coding it created, and a fold to the coding it folded `coding_id` into.
decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("coding_id", Integer, ForeignKey("codings.coding_id"), nullable=True),
    Column("segment_id", String(_ID), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("code", String(_ID), nullable=False),
    Column("new_code", String(_ID)),
    Column("new_coding_id", Integer, ForeignKey("codings.coding_id"), nullable=True),
    Column("decided_by", String(_ID), nullable=False),
    Column("decided_at", DateTime, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Index("ix_decisions_coding", "coding_id"),
)

memos = Table(
    "memos",
    metadata,
    Column("memo_id", Integer, primary_key=True, autoincrement=True),
    Column("target_type", String(16), nullable=False),
    Column("target_id", String(_ID), nullable=False, default=""),
    Column("author", String(_ID), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_memos_target", "target_type", "target_id"),
)

models = Table(
    "models",
    metadata,
    Column("name", String(_ID), primary_key=True),
    Column("kind", String(_ID), nullable=False, default=""),
    Column("payload", LargeBinary, nullable=False),
    Column("meta", Text, nullable=False, default="{}"),
    Column("created_at", DateTime, nullable=False),
)

baselines = Table(
    "baselines",
    metadata,
    Column("name", String(_ID), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
