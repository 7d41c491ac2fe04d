"""Make the README's pictures of the findings report: a page of the Word report and the saturation curve.

    .venv/bin/python docs/make_report_images.py

Builds a project from the fictional demo transcripts (coded by the rules, a few suggestions accepted), writes its
findings report, prints the Word file to PDF with LibreOffice and turns one page into a PNG with pdftoppm
(Debian's libreoffice-writer-nogui and poppler-utils). Writes docs/images/findings-page.png and
docs/images/saturation.png.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"


def main() -> int:
    from casecode.codebook import read_codebook
    from casecode.store import init_project
    from casecode.workflow import add_files, code_project, project_report

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        print("needs LibreOffice (libreoffice-writer-nogui) and pdftoppm (poppler-utils)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = init_project(tmp / "demo", read_codebook(ROOT / "codebooks" / "leadership-actions-2015.yaml"),
                               name="Findings: five new councils (fictional demo)")
        add_files(project, manifest=ROOT / "corpus" / "demo-replication" / "manifest.csv")
        code_project(project, use_model=False)
        first = project.codings(status="suggested").drop_duplicates("code")
        project.record_decisions([{"coding_id": c, "segment_id": s, "decision": "accept", "decided_by": "Ana Diaz"}
                                  for c, s in zip(first.coding_id, first.segment_id)])
        out = tmp / "report"
        project_report(project, out, statuses=("accepted", "manual", "reference", "suggested"))
        project.close()
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless", "--convert-to",
                        "pdf", "--outdir", str(out), str(out / "report.docx")], check=True, capture_output=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "3", "-l", "3", "-singlefile", str(out / "report.pdf"),
                        str(tmp / "page")], check=True)
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp / "page.png", IMAGES / "findings-page.png")
        shutil.copy(out / "saturation.png", IMAGES / "saturation.png")
    print(f"wrote {IMAGES / 'findings-page.png'} and {IMAGES / 'saturation.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
