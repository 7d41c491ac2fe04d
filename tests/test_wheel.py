"""The wheel works outside the checkout: `pip install` (not -e) in a fresh virtual environment, run from a folder
with no corpus/ or codebooks/, gives the checkout's outputs (compared with the golden files the checkout must match).

Slow-ish (builds and installs a wheel, runs reproduce): marked `wheel`; skip it with `-m "not wheel"`.
"""

import importlib.util
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("golden_regenerate", ROOT / "tests" / "golden" / "regenerate.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

pytestmark = pytest.mark.wheel


@pytest.fixture(scope="module")
def installed():
    """A fresh venv holding only the built wheel; its dependencies come from this environment's site-packages
    (added by a .pth line, which does not load this environment's editable casecode), so nothing downloads.
    Made in a folder of its own, not pytest's rotating base folder, which another test session may clear."""
    with tempfile.TemporaryDirectory(prefix="casecode-wheel-") as folder:
        yield _install(Path(folder))


def _install(tmp: Path):
    dist, venv = tmp / "dist", tmp / "venv"
    env = _clean_env()  # a PYTHONPATH at the checkout would make pip think casecode is installed already
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(dist), str(ROOT)], check=True, capture_output=True, cwd=tmp, env=env)
    wheel = next(dist.glob("casecode-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True, env=env).stdout.strip()
    Path(site, "casecode-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, env=env)
    work = tmp / "elsewhere"
    work.mkdir()
    return venv / "bin" / "casecode", work


def _clean_env() -> dict:
    """This environment without what would point the installed casecode back at a checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("CASECODE_HOME", "PYTHONPATH")}


def _runner(casecode: Path, work: Path):
    env = _clean_env()

    def run(args):
        result = subprocess.run([str(casecode), *map(str, args)], cwd=work, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"casecode {args}: {result.stderr}"
        return result.stdout + result.stderr

    return run


def test_the_installed_package_is_not_the_checkout(installed):
    casecode, work = installed
    found = subprocess.run([str(casecode.parent / "python"), "-c", "import casecode; print(casecode.__file__)"],
                           cwd=work, env=_clean_env(), capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in found and "site-packages" in found


def test_code_from_the_wheel_names_the_codebook_and_gives_the_checkouts_codings(installed):
    run = _runner(*installed)
    name = "heldout-unseen"
    got = golden.codings_outputs(run, names={name}, codebook="leadership-actions-2015")
    assert got == {f"{name}.csv": golden.stored("codings")[f"{name}.csv"]}


def test_reproduce_from_the_wheel_gives_the_checkouts_outputs(installed):
    assert golden.reproduce_outputs(_runner(*installed)) == golden.stored("reproduce")


def test_reproduce_the_toy_study_from_the_wheel(installed, tmp_path):
    """The schools demonstration study ships too: reproduced outside the checkout, it writes what the checkout's
    own run writes (every CSV and Markdown file, byte for byte)."""
    casecode, work = installed
    output = _runner(casecode, work)(["reproduce", "--study", "schools-demo", "--out", "schools"])
    assert "Error" not in output
    from typer.testing import CliRunner

    from casecode.cli import app

    here = CliRunner().invoke(app, ["reproduce", "--study", "schools-demo", "--out", str(tmp_path / "schools")])
    assert here.exit_code == 0, here.output
    ours = {p.name: p.read_bytes() for p in (tmp_path / "schools").iterdir() if p.suffix in (".csv", ".md")}
    theirs = {p.name: p.read_bytes() for p in (work / "schools").iterdir() if p.suffix in (".csv", ".md")}
    assert ours and theirs == ours


def test_init_from_study_from_the_wheel(installed):
    casecode, work = installed
    output = _runner(casecode, work)(["init", "--from-study", "2015", "replication"])
    assert "Created replication project" in output
    assert (work / "replication" / "casecode.yaml").is_file()


def test_spacy_loads_a_saved_rule_component_without_importing_casecode(installed):
    """The rule coder is a spaCy component: a pipeline saved with it loads through spacy.load alone (the
    components, casecode's sentencizer and lemmatizer too, are found through the package's spacy_factories entry
    points)."""
    casecode, work = installed
    python, env = casecode.parent / "python", _clean_env()
    save = ("from casecode.coders import RuleCoder, codebook_patterns, load_nlp; "
            "from casecode.codebook import read_codebook; import spacy; "
            "nlp = load_nlp(); "
            "nlp.add_pipe('casecode_rules').add_patterns(codebook_patterns(read_codebook('leadership-actions-2015'))); "
            "nlp.to_disk('pipeline')")
    subprocess.run([str(python), "-c", save], cwd=work, env=env, check=True, capture_output=True)
    load = ("import spacy; nlp = spacy.load('pipeline'); doc = nlp('We listen to our staff every week.'); "
            "print([(s.text, s.label_) for s in doc.spans['casecode']])")
    out = subprocess.run([str(python), "-c", load], cwd=work, env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "[('listen to our staff', 'employees')]", out.stderr


def test_wheel_holds_the_web_pages(installed):
    """`casecode serve` needs its templates and script from the installed package, not the checkout."""
    casecode, work = installed
    python = casecode.parent / "python"
    check = ("import casecode.web, pathlib; root = pathlib.Path(casecode.web.__file__).parent; "
             "print(all((root / p).is_file() for p in ('templates/document.html', 'static/app.js', 'static/app.css')))")
    out = subprocess.run([str(python), "-c", check], capture_output=True, text=True, cwd=work, env=_clean_env())
    assert out.stdout.strip() == "True", out.stderr
