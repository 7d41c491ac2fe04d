"""Managing a project: status, list, remove, rename-case, the `codebook` commands (set, edit, rename, merge), and
retrieval: `export segments` and `query`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._app import Group, app, command
from ._exchange import export_app
from ._project import PROJECT_OPTION, open_project_at

codebook_app = typer.Typer(help="Set, show or change a project's codebook; codings follow renamed and merged codes.",
                           no_args_is_help=True, cls=Group)
app.add_typer(codebook_app, name="codebook")

LISTS = ("documents", "cases", "codes")


@codebook_app.callback()
def _codebook():
    """Set, show or change a project's codebook; codings follow renamed and merged codes.

    Example: casecode codebook rename pace_risk pace -p my-study
    """


@command("status")
def status(project: Path = PROJECT_OPTION):
    """What a project holds: documents, cases, units, codings by status, reviewers, codebook and coder.

    Example: casecode status -p my-study
    """
    from ..workflow import project_status
    from ..workflow._manage import status_lines

    with open_project_at(project) as proj:
        for line in status_lines(project_status(proj)):
            typer.echo(line)


@command("list")
def list_(
    what: str = typer.Argument(..., help="documents, cases or codes."),
    project: Path = PROJECT_OPTION,
    out: Optional[Path] = typer.Option(None, "--out", help="Write the list as CSV or XLSX instead."),
):
    """List a project's documents, cases or codes with their counts.

    Example: casecode list documents -p my-study
    """
    from ..errors import StoreError
    from ..interop import write_table
    from ..workflow import list_cases, list_codes, list_documents

    if what not in LISTS:
        raise StoreError(f"cannot list {what!r}; list one of {', '.join(LISTS)}")
    with open_project_at(project) as proj:
        table = {"documents": list_documents, "cases": list_cases, "codes": list_codes}[what](proj)
    if out is not None:
        typer.echo(f"Wrote {write_table(table, out)}")
        return
    shown = table.drop(columns=[c for c in ("definition", "path") if c in table.columns])
    typer.echo(shown.to_string(index=False) if len(shown) else f"No {what} yet.")


@command("remove")
def remove(
    documents: List[str] = typer.Argument(..., help="Ids of the documents to remove (see casecode list documents)."),
    project: Path = PROJECT_OPTION,
):
    """Remove documents with their units and suggestions; refused once a coding of theirs has been reviewed.

    Example: casecode remove fenmoor-ceo -p my-study
    """
    from ..workflow import remove_document

    with open_project_at(project) as proj, proj.transaction():
        for document_id in documents:
            remove_document(proj, document_id)
    for document_id in documents:
        typer.echo(f"Removed {document_id}")


@command("rename-case")
def rename_case(
    old: str = typer.Argument(..., help="The case's id or name (see casecode list cases)."),
    new: str = typer.Argument(..., help="Its new name; the id follows it."),
    project: Path = PROJECT_OPTION,
):
    """Rename a case; its documents, units and memos follow.

    Example: casecode rename-case fenmoor_district_council "Fenmoor Council" -p my-study
    """
    from ..workflow import rename_case as run

    with open_project_at(project) as proj:
        new_id = run(proj, old, new)
    typer.echo(f"Renamed case {old} to {new!r} (id {new_id})")


@command("set", on=codebook_app)
def codebook_set(
    file: Path = typer.Argument(..., help="A YAML codebook."),
    project: Path = PROJECT_OPTION,
):
    """Set or replace the project's codebook; refused if it drops a code that codings use.

    Example: casecode codebook set codebooks/leadership-actions-2015.yaml -p my-study
    """
    from ..workflow import set_codebook

    with open_project_at(project) as proj:
        book = set_codebook(proj, file)
    typer.echo(f"Codebook {book.name!r} ({len(book)} codes) set for the project")


@command("show", on=codebook_app)
def codebook_show(project: Path = PROJECT_OPTION):
    """List the codes of the project's codebook with their counts (as casecode list codes).

    Example: casecode codebook show -p my-study
    """
    list_("codes", project, None)


@command("edit", on=codebook_app)
def codebook_edit(
    code: str = typer.Argument(..., help="The code's id."),
    label: Optional[str] = typer.Option(None, "--label", help="A new label."),
    definition: Optional[str] = typer.Option(None, "--definition", help="A new definition."),
    colour: Optional[str] = typer.Option(None, "--colour", "--color", help="A new colour, #RRGGBB."),
    project: Path = PROJECT_OPTION,
):
    """Change a code's label, definition or colour.

    Example: casecode codebook edit bold --label "Be bold" --colour "#ff9561" -p my-study
    """
    from ..workflow import edit_code

    with open_project_at(project) as proj:
        edit_code(proj, code, label=label, definition=definition, color=colour)
    typer.echo(f"Changed code {code}")


@command("rename", on=codebook_app)
def codebook_rename(
    old: str = typer.Argument(..., help="The code's id."),
    new: str = typer.Argument(..., help="Its new id."),
    project: Path = PROJECT_OPTION,
):
    """Give a code a new id; its codings, decisions and memos follow.

    Example: casecode codebook rename pace_risk pace -p my-study
    """
    from ..workflow import rename_code

    with open_project_at(project) as proj:
        moved = rename_code(proj, old, new)
    typer.echo(f"Renamed code {old} to {new}; {moved} codings moved")


@command("merge", on=codebook_app)
def codebook_merge(
    source: str = typer.Argument(..., help="The code to merge away."),
    into: str = typer.Argument(..., help="The code that takes its codings and patterns."),
    project: Path = PROJECT_OPTION,
):
    """Merge one code into another; its codings, decisions, memos and patterns follow.

    Example: casecode codebook merge agile learn -p my-study
    """
    from ..workflow import merge_codes

    with open_project_at(project) as proj:
        merged = merge_codes(proj, source, into)
    folded = merged["folded"]
    typer.echo(f"Merged code {source} into {into}; {merged['moved']} codings moved"
               + (f", {folded} folded into a coding of {into} on the same unit (see the decision history)"
                  if folded else ""))


@command("segments", on=export_app)
def export_segments(
    out: Path = typer.Option(..., "--out", help="A .csv or .xlsx file for the coded segments."),
    project: Path = PROJECT_OPTION,
    suggested: bool = typer.Option(False, "--include-suggested", help="Export unreviewed suggestions too."),
):
    """Export every coded segment: quote, speaker, case, code, status and reviewer, as CSV or XLSX.

    Example: casecode export segments -p my-study --out segments.xlsx
    """
    from ..interop import write_table
    from ..workflow import coded_segments
    from ..workflow._retrieve import STANDING

    with open_project_at(project) as proj:
        table = coded_segments(proj, STANDING + (("suggested",) if suggested else ()))
    typer.echo(f"Wrote {len(table)} coded segments to {write_table(table, out)}")


@command("query")
def query(
    project: Path = PROJECT_OPTION,
    code: List[str] = typer.Option([], "--code", help="Segments coded with this code (repeatable)."),
    case_type: Optional[str] = typer.Option(None, "--case-type", help="Cases of this type (e.g. district)."),
    role: Optional[str] = typer.Option(None, "--role", help="Speakers whose role contains this (e.g. director)."),
    case: Optional[str] = typer.Option(None, "--case", help="One case, by id or name."),
    with_code: Optional[str] = typer.Option(None, "--with", help="With one --code: units carrying both codes."),
    keyword: Optional[str] = typer.Option(None, "--kwic", help="A word or phrase, shown in its context."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the result as CSV or XLSX instead."),
    suggested: bool = typer.Option(False, "--include-suggested", help="Count unreviewed suggestions too."),
):
    """Query coded segments by code, case type, role or case; two codes together (--with); keyword in context.

    Example: casecode query -p my-study --code residents --role director
    """
    from ..errors import AnalysisError
    from ..interop import write_table
    from ..workflow import cooccurrence, keyword_in_context, query_segments
    from ..workflow._retrieve import STANDING

    statuses = STANDING + (("suggested",) if suggested else ())
    mode = "--kwic" if keyword is not None else "--with" if with_code is not None else None
    ignored = [name for name, value in (("--case", case), ("--case-type", case_type), ("--role", role),
                                        ("--code", code if keyword is not None else None),
                                        ("--include-suggested", suggested if keyword is not None else None))
               if value]
    if mode and ignored:
        them = "it" if len(ignored) == 1 else "them"
        raise AnalysisError(f"{mode} does not filter by {', '.join(ignored)}; leave {them} out, or query without "
                            f"{mode} (e.g. casecode query --case NAME --code CODE)")
    with open_project_at(project) as proj:
        if keyword is not None:
            table = keyword_in_context(proj, keyword)
        elif with_code is not None:
            if len(code) != 1:
                raise AnalysisError("--with needs exactly one --code: the two codes to find together")
            table = cooccurrence(proj, code[0], with_code, statuses)
        else:
            table = query_segments(proj, code or None, case_type=case_type, role=role, case=case, statuses=statuses)
    if out is not None:
        typer.echo(f"Wrote {len(table)} rows to {write_table(table, out)}")
        return
    if table.empty:
        typer.echo("No segments match.")
        return
    for row in table.to_dict("records"):
        typer.echo(_shown(row))
    typer.echo(f"{len(table)} rows")


def _shown(row: dict) -> str:
    """One result row as a line: where, who, then the quote (or the keyword in context)."""
    where = f"{row['document_id']}:{row['unit']}" + (f" [{row['time']}]" if row.get("time") else "")
    who = f" {row['speaker']}" if row.get("speaker") else ""
    if "keyword" in row:
        return f"{where}{who}: ...{row['left']} [{row['keyword']}] {row['right']}... ({row['codes'] or 'no codes'})"
    quotes = [f"{k[6:]}: {v!r}" for k, v in row.items() if k.startswith("quote_")]
    if quotes:
        return f"{where}{who}: " + "; ".join(quotes)
    return f"{where}{who} ({row['case_name']}) {row['code']} [{row['status']}, {row['reviewer'] or '-'}]: {row['quote']!r}"
