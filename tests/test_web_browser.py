"""`casecode serve` driven in a real headless browser (Debian's chromium and chromedriver, never downloaded):
keyboard review, passage coding from a text selection, undo and memos end in the store as the same records the
workbook writes; two reviewers at once lose nothing."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from casecode.web import SOURCE, running_server

from web_fixtures import build_project

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000"]
WAIT = 15  # seconds a page may take to react

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
if not (CHROMIUM.exists() and DRIVER.exists()):
    pytest.skip("Debian's chromium and chromium-driver are not installed (apt-get install -y chromium "
                "chromium-driver); .ci/run installs them", allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def served(tmp_path):
    with build_project(tmp_path / "proj") as project, running_server(project) as url:
        yield project, url


@pytest.fixture
def browsers(tmp_path):
    """A factory of headless chromium sessions, each with a fresh profile; all quit at the end."""
    made = []

    def make():
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS + [f"--user-data-dir={tmp_path / f'profile{len(made)}'}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.quit()


def sign_in(driver, url: str, name: str, page: str = "doc/fenmoor") -> None:
    driver.get(url + page)
    field = WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.ID, "name"))
    field.send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
    ready(driver)


def ready(driver) -> None:
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))


def press(driver, keys: str) -> None:
    """Press keys on the page and wait for the page to reload from the store."""
    driver.execute_script("window.__before = true;")
    ActionChains(driver).send_keys(keys).perform()
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(
        "return window.__before === undefined && document.body.dataset.ready === '1'"))


def select_text(driver, segment_id: str, phrase: str) -> None:
    """Select `phrase` in a turn the way a mouse drag does: a DOM Range from one text node to another."""
    driver.execute_script("""
        const [segment, phrase] = arguments;
        const runs = Array.from(document.getElementById('seg-' + segment).querySelectorAll('.run'));
        const whole = runs.map(r => r.textContent).join('');
        let at = whole.indexOf(phrase), end = at + phrase.length, seen = 0, range = document.createRange();
        for (const run of runs) {
            const node = run.firstChild, n = node.length;
            if (at >= seen && at <= seen + n) range.setStart(node, at - seen);
            if (end >= seen && end <= seen + n) { range.setEnd(node, end - seen); break; }
            seen += n;
        }
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    """, segment_id, phrase)


def focus_card(driver, coding_id: int) -> None:
    driver.find_element(By.CSS_SELECTOR, f'.card[data-coding="{coding_id}"] .evidence').click()


def test_review_code_undo_and_memo_in_the_browser(served, browsers, tmp_path):
    project, url = served
    driver = browsers()
    sign_in(driver, url, "Ana Diaz")
    first = int(project.codings(code="employees").coding_id.iloc[0])
    focused = driver.find_element(By.CSS_SELECTOR, ".card.focused")
    assert int(focused.get_attribute("data-coding")) == first  # the first pending suggestion has the focus

    press(driver, "a")  # accept it with the keyboard
    select_text(driver, "fenmoor:3", "also listen to staff when budgets")  # crosses three runs
    press(driver, "2")  # resources
    select_text(driver, "fenmoor:2", "new ideas")
    press(driver, "3")  # residents
    press(driver, "u")  # takes back the last: residents on "new ideas"
    driver.execute_script("""
        const range = document.createRange();
        range.setStart(document.getElementById('seg-fenmoor:2').querySelector('.run').firstChild, 2);
        range.setEnd(document.getElementById('seg-fenmoor:3').querySelector('.run').firstChild, 3);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);""")
    ActionChains(driver).send_keys("2").perform()  # a selection over two turns is refused, in words
    WebDriverWait(driver, WAIT).until(lambda d: "two turns" in d.find_element(By.ID, "status").text)
    ActionChains(driver).send_keys("m").perform()
    driver.switch_to.active_element.send_keys("Ann leads the budget talks <b>not</b> HR")
    driver.execute_script("window.__before = true;")
    driver.find_element(By.CSS_SELECTOR, "#memo-form button").click()
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(
        "return window.__before === undefined && document.body.dataset.ready === '1'"))

    history = project.decisions()
    assert history.decision.tolist() == ["accept", "add", "add", "undo"]
    assert set(history.decided_by) == {"Ana Diaz"} and set(history.source) == {SOURCE}
    assert history.coding_id.iloc[0] == first
    text = project.document_text("fenmoor")
    codings = project.codings().set_index("coding_id")
    assert codings.at[first, "status"] == "accepted"
    added = codings.loc[history.new_coding_id.iloc[1]]
    assert (added.code, added.status, added.coder) == ("resources", "manual", "Ana Diaz")
    assert text[added.start:added.end] == "also listen to staff when budgets" == added.evidence
    undone = codings.loc[history.new_coding_id.iloc[2]]
    assert text[undone.start:undone.end] == "new ideas" and undone.status == "withdrawn"
    memos = project.memos()
    assert memos[["target_type", "target_id", "author", "text"]].values.tolist() == [
        ["segment", "fenmoor:2", "Ana Diaz", "Ann leads the budget talks <b>not</b> HR"]]
    page = driver.page_source
    assert "Ann leads the budget talks &lt;b&gt;not&lt;/b&gt; HR" in page
    driver.get(url + "doc/hostile")
    ready(driver)
    assert driver.execute_script("return document.body.dataset.pwned") is None  # nothing hostile ran
    assert driver.find_elements(By.CSS_SELECTOR, ".transcript img, .transcript script") == []
    shot = os.environ.get("CASECODE_SCREENSHOT")
    driver.get(url + "doc/fenmoor")
    ready(driver)
    driver.save_screenshot(str(tmp_path / "serve.png"))
    if shot:
        shutil.copy(tmp_path / "serve.png", shot)


def test_two_reviewers_deciding_at_once_lose_nothing(served, browsers):
    project, url = served
    ids = project.codings().query("document_id == 'fenmoor'").coding_id.tolist()
    drivers = {"Ana": browsers(), "Ben": browsers()}
    for name, driver in drivers.items():
        sign_in(driver, url, name)
    go = threading.Barrier(2)
    errors = []

    def review(name: str, key: str) -> None:
        driver = drivers[name]
        try:
            go.wait()
            for coding_id in ids:
                focus_card(driver, coding_id)
                press(driver, key)
            select_text(driver, "fenmoor:2", "every week")
            press(driver, "1" if name == "Ana" else "3")
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(f"{name}: {exc!r}")

    threads = [threading.Thread(target=review, args=("Ana", "a")), threading.Thread(target=review, args=("Ben", "r"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    history = project.decisions()
    mine = {name: history[history.decided_by == name] for name in drivers}
    assert sorted(mine["Ana"].coding_id.dropna().astype(int)) == sorted(ids)
    assert set(mine["Ana"].decision) == {"accept", "add"} and set(mine["Ben"].decision) == {"reject", "add"}
    assert sorted(mine["Ben"].coding_id.dropna().astype(int)) == sorted(ids)
    assert len(history) == 2 * len(ids) + 2
    hand = project.codings(status="manual")
    text = project.document_text("fenmoor")
    assert sorted(hand.code) == ["employees", "residents"]
    assert {text[s:e] for s, e in zip(hand.start, hand.end)} == {"every week"}
