"""The web desk in a real browser: Debian's Chromium, driven by Selenium, against ``unionkit
serve`` started as a user starts it. A clerk signs in, sends a file with an error, and sees the
error on their own sheet, marked, with the message on hover; then switches to English."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import INBOX, SAMPLE
from tests.desk import serving
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
        _, code = register.grant("clerk", "FH03")
    with serving(inbox, CONFIG, db) as url:
        yield url, code, inbox


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_clerk_signs_in_sends_a_file_and_sees_the_error_marked(served, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
    url, code, inbox = served
    roster = next(INBOX.glob("FH03_*_会员名册_*.xlsx"))  # the sample's FH03 roster has errors
    sent = tmp_path / "我的 名册.xlsx"
    shutil.copy(roster, sent)

    browser.get(url + "/login")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.ID, "sign-in").click()
    wait.until(lambda d: d.find_elements(By.ID, "upload-form"))
    assert "报送报表" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.ID, "files").send_keys(str(sent))
    browser.find_element(By.ID, "send").click()
    wait.until(lambda d: "/result/" in d.current_url)

    verdict = browser.find_element(By.ID, "verdict")
    assert "有错误" in verdict.text
    marked = browser.find_elements(By.CSS_SELECTOR, "#sheet td.error")
    assert marked and marked[0].get_attribute("title")  # the message, on hover
    assert browser.find_element(By.ID, "annotated").get_attribute("href").endswith("/annotated")
    assert [p.read_bytes() for p in inbox.iterdir()] == [roster.read_bytes()]

    browser.find_element(By.ID, "switch-lang").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert "errors" in browser.find_element(By.ID, "verdict").text
    assert "How to fix" in browser.find_element(By.TAG_NAME, "main").text
