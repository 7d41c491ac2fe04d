"""Make docs/serve.png, the README's picture of `casecode serve`: a demonstration transcript coded by the rules,
one suggestion accepted with the keyboard, shown in Debian's headless chromium.

    .venv/bin/python docs/serve_screenshot.py [docs/serve.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from casecode.codebook import read_codebook
from casecode.store import init_project
from casecode.web import running_server
from casecode.workflow import add_files, code_project

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = ROOT / "corpus" / "demo-replication" / "greyhaven-chief-executive.txt"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = init_project(Path(tmp) / "demo", read_codebook(ROOT / "codebooks" / "leadership-actions-2015.yaml"),
                               name="Greyhaven demo")
        with project:
            add_files(project, [TRANSCRIPT])
            code_project(project, use_model=False)
            options = webdriver.ChromeOptions()
            options.binary_location = "/usr/bin/chromium"
            for flag in FLAGS + [f"--user-data-dir={Path(tmp) / 'profile'}"]:
                options.add_argument(flag)
            driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            try:
                with running_server(project) as url:
                    document_id = project.documents().document_id.iloc[0]
                    driver.get(f"{url}doc/{document_id}")
                    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "name")).send_keys("Ana Diaz")
                    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
                    ready = "return document.body.dataset.ready === '1' && window.__before === undefined"
                    WebDriverWait(driver, 15).until(lambda d: d.execute_script(ready))
                    driver.execute_script("window.__before = true;")
                    ActionChains(driver).send_keys("a").perform()  # accept the first suggestion
                    WebDriverWait(driver, 15).until(lambda d: d.execute_script(ready))
                    driver.execute_script("window.scrollTo(0, 0)")
                    driver.save_screenshot(str(out))
            finally:
                driver.quit()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "serve.png")
