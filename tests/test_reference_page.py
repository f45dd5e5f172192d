"""The API reference at /docs in a real browser (Debian's Chromium, headless, Selenium), with every
name outside this machine unresolvable: it loads from Orato alone, lists both families, and
"Try it out" on validate text gets the real server's answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import issue_key
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from servers import serving
from starlette.testclient import TestClient
from test_practice_page import CHROMEDRIVER, CHROMIUM

from orato.api.app import create_app
from orato.settings import Settings

pytestmark = pytest.mark.slow
VALIDATE_TEXT = "operations-Assessment-validate_text_api_validating_text__version__json_post"


def test_the_pages_and_their_assets_come_from_orato(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        sources = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
        for source in sources:
            assert client.get(source).status_code == 200, source
    assert "openapi" in client.get("/docs/assets/swagger-ui-bundle.js").text.lower()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data_dir: Path = tmp_path_factory.mktemp("reference")
    app = create_app(Settings(data_dir=data_dir, secret_key="reference-secret", preload_engine=False))
    with serving(app) as base:
        yield {"base": base, "key": issue_key(app, "reference-org")}


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,2000",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):  # nothing outside resolves
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_the_reference_lists_both_families_and_tries_validate_text_for_real(
    browser: webdriver.Chrome, server: dict[str, str]
) -> None:
    browser.get(f"{server['base']}/docs")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock-tag"))
    tags = [tag.get_attribute("data-tag") for tag in browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")]
    assert {"Assessment", "Synthesis"} <= set(tags), tags
    browser.execute_script("ui.preauthorizeApiKey('queryKey', arguments[0])", server["key"])

    browser.find_element(By.CSS_SELECTOR, "[data-tag='Assessment']").click()
    operation = wait.until(lambda b: b.find_element(By.ID, VALIDATE_TEXT))
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(lambda b: operation.find_elements(By.CSS_SELECTOR, "tr[data-param-name='text'] input"))
    operation.find_element(By.CSS_SELECTOR, "tr[data-param-name='version'] input").send_keys("v9")
    operation.find_element(By.CSS_SELECTOR, "tr[data-param-name='text'] input").send_keys("Kate likes lamb.")
    operation.find_element(By.CSS_SELECTOR, "button.execute").click()

    live = wait.until(lambda b: operation.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"))
    assert live[0].text.strip() == "200", operation.find_element(By.CSS_SELECTOR, ".live-responses-table").text
    answer = json.loads(operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text)
    assert answer["status"] == "success" and re.fullmatch(r"[0-9a-f]{32}", answer["request_id"])
    assert answer["version"].startswith("9.")
