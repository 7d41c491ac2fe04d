"""The transcript HTML view in a real browser: headless Chromium renders a tiny coded transcript.

Run: python bench/html_in_chromium.py [--out DIR] [--chromium PATH]
Codes a three-turn transcript (one turn holds `<script>alert(1)</script>`), writes the page with
`casecode.reports.write_transcript_html`, then has Chromium take a screenshot and dump the DOM it built. Prints
PASS/FAIL for: highlighted spans in the DOM, the script text shown as text (escaped, no live script element),
and the screenshot. Not a test: it needs Chromium (`apt-get install -y chromium`), which CI may lack.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"
SCRIPT = "<script>alert(1)</script>"
TRANSCRIPT = f"""\
Interviewer: What did you do when budgets fell?

Jane Smith (Chief Executive): We ring-fenced a budget and set up a small innovation team. Someone typed
{SCRIPT} into the consultation form, and we get the housing association and the health trust round one
table every month.

Jane Smith: We went to see how Wigan do it and borrowed their approach.
"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


class _Elements(HTMLParser):
    """Counts of the elements Chromium's DOM holds: by class (for the coded spans) and by tag."""

    def __init__(self):
        super().__init__()
        self.classes: dict[str, int] = {}
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name in (dict(attrs).get("class") or "").split():
            self.classes[name] = self.classes.get(name, 0) + 1


def build_page(folder: Path) -> tuple[Path, int]:
    """Code the transcript with the rule coder and write its HTML view; return the page and the coding count."""
    from casecode.codebook import read_codebook
    from casecode.corpus import read_document
    from casecode.reports import write_transcript_html
    from casecode.workflow import make_coder

    source = folder / "transcript.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    document = read_document(source)
    segments = document.segments_frame()
    codebook = read_codebook(CODEBOOK)
    codings = make_coder(codebook).code(segments)
    page = write_transcript_html(document.text, segments, codings, codebook, folder / "transcript.html",
                                 title="Jane Smith <b>not bold</b>")
    return page, len(codings)


def chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Folder for the page, DOM and screenshot.")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        print(f"FAIL chromium not found at {args.chromium}; install it with 'apt-get install -y chromium'")
        return 1
    out = args.out or Path(tempfile.mkdtemp(prefix="casecode-html-"))
    out.mkdir(parents=True, exist_ok=True)
    page, n_codings = build_page(out)
    url = page.resolve().as_uri()
    screenshot = out / "transcript.png"
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        shot = chromium(args.chromium, Path(profile), f"--screenshot={screenshot}", "--window-size=1000,900", url)
        dumped = chromium(args.chromium, Path(profile), "--dump-dom", url)
    dom = dumped.stdout
    (out / "transcript.dom.html").write_text(dom, encoding="utf-8")
    elements = _Elements()
    elements.feed(dom)

    checks = [
        ("highlighted spans in the DOM",
         n_codings > 0 and elements.classes.get("cc-label", 0) == n_codings and elements.classes.get("cc-run", 0) > 0,
         f"{n_codings} codings, {elements.classes.get('cc-label', 0)} label chips, "
         f"{elements.classes.get('cc-run', 0)} highlighted runs"),
        ("<script> shown as text",
         "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and elements.tags.get("script", 0) == 0,
         f"escaped text present: {'&lt;script&gt;alert(1)&lt;/script&gt;' in dom}, "
         f"script elements in DOM: {elements.tags.get('script', 0)}"),
        ("title markup shown as text", "<b>" not in dom and elements.tags.get("b", 0) == 0,
         f"b elements in DOM: {elements.tags.get('b', 0)}"),
        ("screenshot", screenshot.is_file() and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n",
         f"{screenshot} ({screenshot.stat().st_size if screenshot.is_file() else 0} bytes)"),
    ]
    if not dom.strip():
        print(f"chromium --dump-dom printed nothing (exit {dumped.returncode}): {dumped.stderr.strip()[-500:]}")
    if shot.returncode != 0:
        print(f"chromium --screenshot exited {shot.returncode}: {shot.stderr.strip()[-500:]}")
    for name, passed, detail in checks:
        print(f"{'PASS' if passed else 'FAIL'} {name}: {detail}")
    print(f"page: {page}")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
