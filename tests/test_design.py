"""docs/DESIGN.md's package map holds: every room imports only rooms below it, save the lazy plug-in edges it
names, and every room of the package is on the map."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "casecode"

#: Rooms by level, as docs/DESIGN.md draws them; a room may import its own level's leaves and anything lower.
LEVELS = [
    {"errors", "_yaml", "_shared", "_data", "_progress", "_output", "__version__"},
    {"corpus", "codebook"},
    {"coders"},
    {"store"},
    {"analysis"},
    {"reports", "interop"},
    {"workflow", "web"},
    {"studies"},
    {"cli"},
]
RANK = {room: level for level, rooms in enumerate(LEVELS) for room in rooms}
#: Upward edges DESIGN.md names, each made inside a function (a plug-in lookup), never when the module loads.
LAZY_UPWARD = {("workflow", "studies"), ("reports", "studies")}


def _imports():
    """(importing room, imported room, file, at module level?) for every casecode import in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        room = rel.parts[0].removesuffix(".py")
        if room == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body}
        package = ["casecode", *rel.parts[:-1]]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                parts = (package[:len(package) - node.level + 1] if node.level else []) + \
                    (node.module.split(".") if node.module else [])
                targets = [parts[1]] if len(parts) > 1 else [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                parts, targets = ["casecode"], [a.name.split(".")[1] for a in node.names
                                                 if a.name.startswith("casecode.")]
            else:
                continue
            if parts[0] == "casecode":
                for target in targets:
                    if target != room:
                        yield room, target, str(rel), id(node) in top


def test_every_room_is_on_the_map_and_in_design_md():
    rooms = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
             if (p.is_dir() and (p / "__init__.py").is_file()) or (p.suffix == ".py" and p.stem != "__init__")}
    rooms.discard("data")
    assert rooms - set(RANK) == set()
    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    map_block = design.split("```")[1]
    assert [room for room in sorted(rooms) if room not in map_block] == []


def test_imports_point_down_the_map():
    upward = sorted({(a, b, f, top) for a, b, f, top in _imports() if RANK[b] >= RANK[a] and RANK[b] > 0})
    assert [(a, b, f) for a, b, f, top in upward if (a, b) not in LAZY_UPWARD] == []
    assert [(a, b, f) for a, b, f, top in upward if top] == []  # the named plug-in edges are lazy


def test_importing_the_store_loads_neither_spacy_nor_scikit_learn():
    import subprocess
    import sys

    check = "import casecode.store, sys; print(sorted(m for m in ('spacy', 'sklearn') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_coding_files_loads_only_the_libraries_coding_needs():
    """`casecode code FILES` starts fast: the rules alone load no scikit-learn, and no coder loads the charts'
    matplotlib, the review workbook's openpyxl or python-docx (a .docx file is read with it when one is given)."""
    import subprocess
    import sys

    heavy = "('sklearn', 'matplotlib', 'openpyxl', 'docx')"
    rules = ("import sys; import casecode.cli; from casecode.codebook import read_codebook; "
             "from casecode.workflow._coding import make_coder; "
             f"make_coder(read_codebook({str(ROOT / 'codebooks' / 'leadership-actions-2015.yaml')!r})); "
             f"print(sorted(m for m in {heavy} if m in sys.modules))")
    default = ("import sys; import casecode.cli; from casecode.coders import CombinedCoder; "
               "from casecode.studies import transcripts; from casecode.workflow import _shards; "
               f"print(sorted(m for m in {heavy} if m in sys.modules))")
    for check, expected in ((rules, "[]"), (default, "['sklearn']")):
        loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout
        assert loaded.strip() == expected
