"""Coding at scale: batches, worker processes, a Dask cluster, and `code -p` with nothing new."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from casecode.codebook import read_codebook
from casecode.errors import CasecodeError, CasecodeWarning, CorpusError
from casecode.store import init_project
from casecode.workflow import add_files, code_project
from casecode.workflow._coding import code_files, coded_documents, make_coder
from casecode.workflow._shards import CoderSpec, iter_file_codings, write_file_codings

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"
FILES = sorted((ROOT / "corpus" / "training-transcripts" / "set1").glob("*.txt")) + \
    sorted((ROOT / "corpus" / "training-transcripts" / "set2").glob("*.txt"))


@pytest.fixture(scope="module")
def codebook():
    return read_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def one_process(codebook):
    table = code_files(FILES, codebook)
    assert len(table) > 50 and table.document.nunique() == len(FILES)
    return table


def test_batches_do_not_change_the_codings(codebook, one_process):
    """Batch size is invisible: one document per batch gives the same rows in the same order."""
    spec = CoderSpec(partial(make_coder, codebook))
    tables = list(iter_file_codings(FILES, spec, batch_documents=1))
    assert len(tables) == len(FILES)
    assert pd.concat(tables, ignore_index=True).equals(one_process)


def test_two_workers_give_the_same_codings(codebook, one_process):
    assert code_files(FILES, codebook, workers=2).equals(one_process)


def test_write_file_codings_streams_into_the_csv(codebook, one_process, tmp_path):
    out = tmp_path / "out" / "codings.csv"
    count = write_file_codings(FILES, out, CoderSpec(partial(make_coder, codebook)), workers=2, batch_documents=3)
    assert count == len(one_process)
    written = pd.read_csv(out, keep_default_na=False)
    assert list(written.columns) == list(one_process.columns)
    assert written[["document", "unit", "code", "start", "end"]].equals(
        one_process[["document", "unit", "code", "start", "end"]].astype({"unit": "int64"}))
    assert [p.name for p in out.parent.iterdir()] == ["codings.csv"]  # no .part file left


def test_written_csv_is_pandas_to_csv_with_formulas_neutralised(codebook, one_process, tmp_path):
    """The CSV rows are those `DataFrame.to_csv` writes (quoting, numbers, empty cells), and a text cell a
    spreadsheet would run as a formula gets its leading `'` whatever the column's dtype (pandas' `str` or
    `object`): the writer once checked for `object` only, which pandas 3 no longer gives text columns."""
    import io

    from casecode._output import safe_cell
    from casecode.workflow._shards import _csv_rows

    table = one_process.head(40).copy()
    table.loc[0, "evidence"] = '=HYPERLINK("http://x", "a, b")'
    table.loc[1, "speaker"] = "-1+2"
    table.loc[2, "rule"] = 'says "hi",\nthen'
    table.loc[3, "score"] = float("nan")
    for frame in (table, table.astype({"evidence": object, "speaker": object})):
        stream = io.StringIO()
        import csv

        csv.writer(stream, lineterminator="\n").writerows(_csv_rows(frame))
        expected = io.StringIO()
        frame.apply(lambda c: c.map(safe_cell) if c.dtype.kind == "O" else c).to_csv(expected, index=False,
                                                                                     header=False)
        assert stream.getvalue() == expected.getvalue()
        rows = pd.read_csv(io.StringIO(stream.getvalue()), header=None, keep_default_na=False)
        assert rows[7][0].startswith("'=HYPERLINK") and rows[2][1] == "'-1+2"


@pytest.mark.parametrize("kind", ["rules", "combined"])
def test_record_batches_give_the_table_the_frames_give(codebook, tmp_path, kind):
    """A batch coded by the rules alone, or by the default combined coder, goes from the segments to the table
    with no DataFrame on the way (`code_records`, `file_codings_of_records`); it is the table of the frames' way
    (`code`, `file_codings`): rows, order, dtypes and attrs, on every training and held-out set, and with no
    coding. The combined coder's caches start empty for each way."""
    from casecode.coders import _learned, _tfidf
    from casecode.corpus import read_documents, segments_frame
    from casecode.studies.transcripts import transcript_coder
    from casecode.workflow._coding import file_codings
    from casecode.workflow._shards import code_file_batch

    coder = make_coder(codebook) if kind == "rules" else transcript_coder()
    spec = CoderSpec(partial(make_coder, codebook))
    quiet = tmp_path / "quiet.txt"
    quiet.write_text("Ann Lee: The weather was fine.\n\nInterviewer: Thanks.\n", encoding="utf-8")
    folders = sorted((ROOT / "corpus" / "training-transcripts").glob("set*")) + \
        sorted(p for p in (ROOT / "tests" / "data").glob("unseen*") if p.is_dir())
    coded = 0
    for files in [sorted(folder.glob("*.txt")) for folder in folders] + [[quiet]]:
        frame = segments_frame([s for d in read_documents(files) for s in d.segments])
        _learned._LEMMAS.clear(), _tfidf.forget_pieces()
        expected = file_codings(coder.code(frame), frame)
        _learned._LEMMAS.clear(), _tfidf.forget_pieces()
        got = code_file_batch(spec, files, coder=coder)
        assert got.equals(expected), files[0]
        assert list(got.dtypes) == list(expected.dtypes) and got.attrs == expected.attrs
        coded += len(got)
    assert coded > 500


def test_bad_files_are_refused_before_coding(codebook, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "same.txt").write_text("Ann: We listen to staff.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="same.txt: document_id 'same' is already used"):
        code_files([tmp_path / "a" / "same.txt", tmp_path / "b" / "same.txt"], codebook, workers=2)
    with pytest.raises(CorpusError, match=r"same\.txt: the file is named twice; name each file once"):
        code_files([tmp_path / "a" / "same.txt", tmp_path / "b" / ".." / "a" / "same.txt"], codebook)
    with pytest.raises(CorpusError, match="missing.txt: file not found"):
        code_files([tmp_path / "missing.txt"], codebook)
    with pytest.raises(CasecodeError, match="--engine 'spark'"):
        code_files(FILES[:1], codebook, engine="spark")
    with pytest.raises(CasecodeError, match="--scheduler"):
        code_files(FILES[:1], codebook, engine="dask")


def test_code_project_with_nothing_new_codes_nothing(codebook, tmp_path, monkeypatch):
    """Units that got no suggestion are not coded again; a new document is; workers change nothing stored."""
    results = {}
    for workers in (1, 2):
        project = init_project(tmp_path / f"p{workers}", codebook, name="scale")
        add_files(project, FILES[:4])
        first = code_project(project, workers=workers)
        assert len(first) > 10
        assert coded_documents(project) == set(project.segments().document_id)
        results[workers] = project.codings()[["segment_id", "code", "start", "end", "score", "rule"]]

        coded = []
        from casecode.coders import RuleCoder

        real = RuleCoder.code
        monkeypatch.setattr(RuleCoder, "code", lambda self, seg, **kw: coded.append(len(seg)) or real(self, seg, **kw))
        assert code_project(project, workers=workers).empty
        assert coded == []  # nothing was new: no unit was coded again
        add_files(project, FILES[4:5])
        code_project(project)
        assert sum(coded) == len(project.segments(codable=True).query("document_id == @FILES[4].stem"))
        monkeypatch.undo()
        project.close()
    assert results[1].equals(results[2])


def test_dask_local_cluster_gives_the_local_codings(codebook, one_process, tmp_path):
    """The Dask engine runs the same shards on a LocalCluster's worker process: the same codings, and the same
    store contents for a project (written from the client)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        table = code_files(FILES, codebook, engine="dask", scheduler=cluster.scheduler_address)
        assert table.equals(one_process)
        local = init_project(tmp_path / "local", codebook, name="scale")
        remote = init_project(tmp_path / "remote", codebook, name="scale")
        for project in (local, remote):
            add_files(project, FILES[:3])
        code_project(local)
        code_project(remote, engine="dask", scheduler=cluster.scheduler_address)
        columns = ["segment_id", "code", "start", "end", "score", "rule", "status"]
        assert remote.codings()[columns].equals(local.codings()[columns])
        local.close()
        remote.close()


def test_code_files_warns_of_a_file_read_as_windows_1252(codebook, tmp_path):
    """Reported: `casecode add` says a file was not UTF-8 and read as Windows-1252, `casecode code FILES` said
    nothing, so mis-read characters went unnoticed."""
    path = tmp_path / "cafe.txt"
    path.write_bytes("Ann: We listen to staff at the caf\u00e9 \u201cevery week\u201d.\n".encode("cp1252"))
    with pytest.warns(CasecodeWarning, match=r"cafe\.txt: not UTF-8; read as Windows-1252"):
        codings = code_files([path], codebook)
    assert len(codings)


def test_write_file_codings_refuses_a_spreadsheet_name_or_a_folder(codebook, tmp_path):
    """Reported: `--out codings.xlsx` wrote CSV text under a name Excel refuses to open, and `--out FOLDER` failed
    naming a temporary '.part' file."""
    spec = CoderSpec(partial(make_coder, codebook))
    with pytest.raises(CasecodeError, match=r"codings\.xlsx: casecode code writes CSV.*name the file codings\.csv"):
        write_file_codings(FILES[:1], tmp_path / "codings.xlsx", spec)
    with pytest.raises(CasecodeError, match=r"is a folder; give the CSV's file name, e.g. .*codings\.csv"):
        write_file_codings(FILES[:1], tmp_path, spec)
    assert list(tmp_path.iterdir()) == []  # nothing written, no .part left


def test_files_of_two_formats_are_read_once_and_a_copy_in_another_format_is_warned_of(codebook, tmp_path,
                                                                                       monkeypatch):
    """Reported: `casecode code FILES` given a .txt and a .docx read every file twice, once to compare their words
    (the .docx of a .txt is the same transcript) and once to code it. Each file is read once now, and the copy in
    the other format is still told, also when it comes in a later batch than the file it copies."""
    import docx

    import casecode.corpus._readers as readers

    word = docx.Document()
    for paragraph in FILES[0].read_text(encoding="utf-8").split("---")[-1].split("\n\n"):
        if paragraph.strip():
            word.add_paragraph(paragraph.strip())
    word.save(tmp_path / "zz-copy.docx")
    paths = [*FILES[:3], tmp_path / "zz-copy.docx"]
    read = []
    real = readers._read_into
    monkeypatch.setattr(readers, "_read_into", lambda doc, path: read.append(Path(path).name) or real(doc, path))
    spec = CoderSpec(partial(make_coder, codebook))
    with pytest.warns(CasecodeWarning, match=rf"zz-copy\.docx: the same words as .*{FILES[0].name}; if it is the "
                      r"same transcript, leave one of them out, or its codings are written \(and counted\) twice"):
        tables = list(iter_file_codings(paths, spec, batch_documents=1))
    assert sorted(read) == sorted(p.name for p in paths)
    assert [sorted(t.attrs) for t in tables] == [["documents", "words"]] * 4
    with pytest.warns(CasecodeWarning, match=r"zz-copy\.docx: the same words as"):  # the digests come from workers
        assert pd.concat(iter_file_codings(paths, spec, workers=2, batch_documents=1)).equals(pd.concat(tables))
    read.clear()
    list(iter_file_codings(FILES[:3], spec, batch_documents=1))  # one format: no words compared
    assert sorted(read) == sorted(p.name for p in FILES[:3])


def test_write_file_codings_that_cannot_write_names_the_csv_not_its_temporary_file(codebook, tmp_path, monkeypatch):
    """Reported: `--out` in a folder that cannot be made, or a disk filling up, said "codings.csv.x1y2z3.part: no
    such file", a file the user never named and cannot find."""
    import errno

    import casecode.workflow._shards as shards

    spec = CoderSpec(partial(make_coder, codebook))
    (tmp_path / "notes.txt").write_text("a file, not a folder", encoding="utf-8")
    out = tmp_path / "notes.txt" / "codings.csv"
    with pytest.raises(CasecodeError) as raised:
        write_file_codings(FILES[:1], out, spec)
    assert str(raised.value) == f"cannot write '{out}': a file stands where its folder should be; choose another folder"

    def full(table):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shards, "_csv_rows", full)
    with pytest.raises(CasecodeError) as raised:
        write_file_codings(FILES[:1], tmp_path / "codings.csv", spec)
    assert str(raised.value) == f"cannot write '{tmp_path / 'codings.csv'}': the disk is full; free some space and run " \
                                "the command again"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no .part left
