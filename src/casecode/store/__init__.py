"""The project store: documents, segments, cases, codings with evidence and review history, memos and models.

A project is a folder with `casecode.yaml` and a database reached through SQLAlchemy (SQLite by default).
"""

from ._folder import init_project, open_project
from ._project import Project
from ._schema import DECISIONS, MEMO_TARGETS, STATUSES

__all__ = ["DECISIONS", "MEMO_TARGETS", "Project", "STATUSES", "init_project", "open_project"]
