"""The web desk in a real browser: Debian's Chromium, driven by Selenium, against ``unionkit
serve`` started as a user starts it. A clerk signs in, sends a file with an error, sees the
error on their own sheet, marked, with the message on hover, downloads the annotated copy and
switches to English; a clerk of another branch cannot see that upload. The treasurer closes
the period with the button, follows its progress and downloads a workbook that verifies.

With ``UNIONKIT_SCREENSHOTS=DIR`` the clerk's result page and the treasurer's matrix are saved
there as PNG (the README's pictures are made so)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import INBOX, SAMPLE
from tests.desk import post_upload, serving
from toolkit.register import Register

CONFIG = SAMPLE / "federation.toml"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()) and not os.environ.get("CI"),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)")


@pytest.fixture
def served(tmp_path):
    inbox, db = tmp_path / "收件箱", tmp_path / "unionkit.db"
    inbox.mkdir()
    with Register(db) as register:
        codes = {branch: register.grant("clerk", branch)[1] for branch in ("FH03", "FH01")}
    with serving(inbox, CONFIG, db) as url:
        yield url, codes, inbox


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "下载"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(tmp_path, downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_window_size(1280, 900)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()


def _natural(text: str) -> list:
    """A sort key that orders A9 before A10, as the page's numeric collation does."""
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _downloaded(folder: Path, suffix: str, seconds: float = 60) -> Path:
    """The file the browser finished downloading into ``folder``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == suffix]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing downloaded: {list(folder.iterdir())}")


def _screenshot(browser, name: str) -> None:
    folder = os.environ.get("UNIONKIT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / name))


def _sign_in(browser, url: str, code: str, wait) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "/login")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.ID, "sign-in").click()
    wait.until(lambda d: d.find_elements(By.ID, "slots"))


def test_a_clerk_signs_in_sends_a_file_and_sees_the_error_marked(served, browser, tmp_path,
                                                                downloads):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
    url, codes, inbox = served
    roster = next(INBOX.glob("FH03_*_会员名册_*.xlsx"))  # the sample's FH03 roster has errors
    sent = tmp_path / "我的 名册.xlsx"
    shutil.copy(roster, sent)

    _sign_in(browser, url, codes["FH03"], wait)
    assert "报送报表" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.ID, "files").send_keys(str(sent))
    browser.find_element(By.ID, "send").click()
    wait.until(lambda d: "/result/" in d.current_url)

    verdict = browser.find_element(By.ID, "verdict")
    assert "有错误" in verdict.text
    marked = browser.find_elements(By.CSS_SELECTOR, "#sheet td.error")
    assert marked and marked[0].get_attribute("title")  # the message, on hover
    _screenshot(browser, "desk-clerk-result.png")
    result = browser.current_url
    browser.find_element(By.ID, "annotated").click()
    assert _downloaded(downloads, ".xlsx").read_bytes()[:2] == b"PK"
    assert [p.read_bytes() for p in inbox.iterdir()] == [roster.read_bytes()]

    browser.find_element(By.ID, "switch-lang").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert "errors" in browser.find_element(By.ID, "verdict").text
    assert "How to fix" in browser.find_element(By.TAG_NAME, "main").text

    browser.find_element(By.ID, "logout").click()
    _sign_in(browser, url, codes["FH01"], wait)  # another branch's clerk: not theirs to see
    browser.get(result)
    assert "找不到" in browser.find_element(By.TAG_NAME, "main").text
    assert not browser.find_elements(By.ID, "sheet")


@pytest.fixture
def federation(tmp_path):
    """The desk over a copy of the sample inbox, with the treasurer's code."""
    inbox, db = tmp_path / "收件 箱", tmp_path / "unionkit.db"
    shutil.copytree(INBOX, inbox)
    with Register(db) as register:
        codes = {role: register.grant(role, "FH01" if role == "clerk" else None)[1]
                 for role in ("treasurer", "clerk")}
    with serving(inbox, CONFIG, db) as url:
        yield url, codes


def _filed_later(roster: Path, out: Path) -> Path:
    """The clerk's corrected roster: the same rows, a later 填报日期 (so it supersedes)."""
    import openpyxl

    book = openpyxl.load_workbook(roster)
    for row in book.active.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("填报日期"):
                book.active.cell(cell.row, cell.column + 1).value = "2026-11-20"
    book.save(out)
    return out


def test_the_treasurer_closes_the_period_and_downloads_the_workbook(federation, browser,
                                                                    downloads, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from toolkit.config import load_config
    from toolkit.verify import verify_workbook

    wait = WebDriverWait(browser, 120)
    url, codes = federation
    _sign_in(browser, url, codes["treasurer"], wait)
    browser.find_element(By.ID, "close-period").send_keys("2026-10")
    browser.find_element(By.ID, "close").click()
    wait.until(lambda d: "/consolidations/" in d.current_url)
    link = wait.until(lambda d: d.find_elements(By.ID, "download-workbook"))[0]  # it refreshes
    assert "汇总报表 42 份" in browser.find_element(By.ID, "close-figures").text
    link.click()
    workbook = _downloaded(downloads, ".xlsx")
    assert workbook.name == "2026-10_汇总.xlsx"
    assert verify_workbook(workbook, load_config(CONFIG)).errors == 0
    browser.get(url + "/")
    wait.until(lambda d: d.find_elements(By.ID, "closes"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#slots td")
    assert len(cells) == 50 and sum("未报送" in c.text for c in cells) == 1
    _screenshot(browser, "desk-treasurer.png")
    roster = browser.find_element(By.CSS_SELECTOR, '#slots td[data-slot="FH01/roster"]')
    assert "已替代" not in roster.text
    again = _filed_later(next(INBOX.glob("FH01_*_会员名册_*.xlsx")), tmp_path / "更正.xlsx")
    assert post_upload(url, codes["clerk"], again, again.name)[0] == 200
    wait.until(lambda d: "已替代 1" in roster.text)  # without reloading the page
    assert browser.current_url.rstrip("/") == url


def test_the_html_report_filters_and_sorts_in_the_browser(browser, tmp_path):
    """The validate report's findings table, offline: filtered by severity and branch, sorted
    by a column, by its inline script."""
    from click.testing import CliRunner
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from toolkit.cli import cli

    report = tmp_path / "校验报告.html"
    CliRunner().invoke(cli, ["validate", str(INBOX), "--config", str(CONFIG), "--format", "html",
                             "--output", str(report), "--no-register"])
    browser.get(report.as_uri())
    assert "华东精密机械集团有限公司工会 2026-10 校验报告" in browser.title

    def shown():
        return [r for r in browser.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
                if r.is_displayed()]
    every = len(shown())
    Select(browser.find_element(By.ID, "f-severity")).select_by_value("warning")
    warnings = shown()
    assert 0 < len(warnings) < every
    assert all(r.get_attribute("data-severity") == "warning" for r in warnings)
    Select(browser.find_element(By.ID, "f-severity")).select_by_value("")
    Select(browser.find_element(By.ID, "f-branch")).select_by_visible_text("FH03")
    assert {r.get_attribute("data-branch") for r in shown()} == {"FH03"}
    Select(browser.find_element(By.ID, "f-branch")).select_by_value("")
    browser.find_elements(By.CSS_SELECTOR, "#findings th")[4].click()  # 单元格
    cells = [r.find_elements(By.TAG_NAME, "td")[4].text for r in shown()]
    refs = [c for c in cells if c != "—"]  # a finding of a whole file has no cell
    assert len(cells) == every and refs == sorted(refs, key=_natural)
    assert cells[:len(cells) - len(refs)] == ["—"] * (len(cells) - len(refs))
