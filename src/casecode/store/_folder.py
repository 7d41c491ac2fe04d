"""A project folder: `casecode.yaml` (name, database, created date, spaCy pipeline, codebook file) and the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .._yaml import load_yaml
from .._output import write_text
from ..codebook import Codebook, read_codebook, write_codebook
from .._shared import DEFAULT_PIPELINE
from ..errors import CasecodeError, StoreError
from ._project import Project

CONFIG_FILE = "casecode.yaml"
DEFAULT_DATABASE = "project.sqlite"
CODEBOOK_FILE = "codebook.yaml"


def _database_url(folder: Path, database: str) -> str:
    """The URL for the config's `database`: a plain path or a relative SQLite URL resolves against the folder."""
    if "://" not in database:
        path = Path(database).expanduser()
        return f"sqlite:///{path if path.is_absolute() else folder / path}"
    try:
        url = make_url(database)
    except ArgumentError:
        raise StoreError(f"database URL {database!r} is not valid; write e.g. postgresql://user@host/db") from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_absolute():
            url = url.set(database=str(folder / url.database))
    return url.render_as_string(hide_password=False)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database)
    return None


def _check_codebook_file(path: Path, codebook: Codebook) -> None:
    """Never overwrite a codebook file the user wrote unless it says the same thing."""
    if not path.exists():
        return
    try:
        same = read_codebook(path) == codebook
    except CasecodeError:
        same = False
    if not same:
        raise StoreError(f"'{path}' already exists and differs from the codebook given; remove it or pass that file")


def init_project(path: str | Path, codebook: Codebook | None = None, name: str | None = None,
                 database_url: str | None = None, coder: str | None = None) -> Project:
    """Create a project in folder `path` (made if missing): casecode.yaml, the database and the codebook file.
    `coder` names the coder `casecode code` uses (see casecode.studies.coders; default: the rules)."""
    folder = Path(path).expanduser().resolve()
    if (folder / CONFIG_FILE).exists():
        raise StoreError(f"'{folder}' already holds a casecode project; choose another folder or open that project")
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"'{folder}' is a file, not a folder; choose a folder for the project")
    database = database_url or DEFAULT_DATABASE
    url = _database_url(folder, database)
    db_file = _sqlite_file(url)
    if db_file is not None and db_file.exists():
        raise StoreError(f"'{db_file}' already exists; remove it or choose another folder for the project")
    if codebook is not None:
        _check_codebook_file(folder / CODEBOOK_FILE, codebook)
    config = {
        "name": name or folder.name,
        "database": database,
        "created": dt.date.today().isoformat(),
        "spacy_pipeline": DEFAULT_PIPELINE,
        "codebook": CODEBOOK_FILE,
    }
    if coder:
        config["coder"] = coder
    folder.mkdir(parents=True, exist_ok=True)
    project = Project(url, path=folder, config=config)
    try:
        if codebook is not None:
            project.set_codebook(codebook)
    except BaseException:
        # Leave no half-made database behind to block a second attempt.
        project.close()
        if db_file is not None and db_file.exists():
            db_file.unlink()
        raise
    if codebook is not None and not (folder / CODEBOOK_FILE).exists():
        write_codebook(codebook, folder / CODEBOOK_FILE)
    write_text(folder / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return project


def _read_config(folder: Path) -> dict[str, Any]:
    config_file = folder / CONFIG_FILE
    try:
        config = load_yaml(config_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise StoreError(f"'{config_file}': YAML error{where}; fix the file (keys: name, database, codebook)") from None
    if not isinstance(config, dict):
        raise StoreError(f"'{config_file}' must be a mapping with keys name, database, codebook; fix or re-create it")
    return config


def open_project(path: str | Path, timeout: float = 30.0) -> Project:
    """Open the project in folder `path` (or the folder of the casecode.yaml given).

    `timeout` is how many seconds to wait for another program holding a lock on an SQLite database.
    """
    folder = Path(path).expanduser().resolve()
    if folder.name == CONFIG_FILE and folder.is_file():
        folder = folder.parent
    if not (folder / CONFIG_FILE).is_file():
        raise StoreError(f"'{path}' is not a casecode project; create one with 'casecode init {path}'")
    config = _read_config(folder)
    url = _database_url(folder, str(config.get("database") or DEFAULT_DATABASE))
    db_file = _sqlite_file(url)
    if db_file is not None and not db_file.exists():
        raise StoreError(
            f"database '{db_file}' of project '{folder}' is missing; restore it or fix 'database' in {CONFIG_FILE}"
        )
    project = Project(url, path=folder, config=config, timeout=timeout)
    try:
        _sync_codebook(project)
    except BaseException:
        project.close()
        raise
    return project


def _sync_codebook(project: Project) -> None:
    """The codebook file in the project folder is the copy that counts: it is validated on every open, and an
    edited file replaces the stored codebook (refused, naming the file, if it drops a code that codings use)."""
    path = project.codebook_path
    if path is None or not path.is_file():
        return
    edited = read_codebook(path)  # a CodebookError names the file, the code and the field
    try:
        stored = project.codebook()
    except StoreError:
        stored = None
    if edited == stored:
        return
    try:
        project.set_codebook(edited, write_file=False)
    except StoreError as exc:
        raise StoreError(f"'{path}' was edited, and {exc}") from None
