"""The practice page at /demo in a real browser: Debian's Chromium, headless, driven by Selenium
with Debian's chromedriver, a synthesised WAV fed as the microphone. The browser records, the
real server scores, and the test reads what the page drew; a screenshot is kept."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from servers import server_env, start_dev_server
from starlette.testclient import TestClient

pytestmark = pytest.mark.slow

SENTENCE = "Kate likes lamb."
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
# Set to a path (docs/images/practice-page.png) to refresh the README's screenshot.
SCREENSHOT_COPY = os.environ.get("ORATO_DEMO_SCREENSHOT")


def band(score: float) -> str:
    """api-scoring.md 10.1, as the page must colour it."""
    return "green" if score >= 80 else "orange" if score >= 70 else "red"


def test_the_page_is_served_whole_from_orato_with_no_outside_source(client: TestClient) -> None:
    page = client.get("/demo")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for asset in ("/demo/practice.js", "/demo/practice.css"):
        served = client.get(asset)
        assert served.status_code == 200
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", served.text), f"{asset} reaches outside"
    assert "localStorage" not in client.get("/demo/practice.js").text
    assert client.get("/demo/secret.py").status_code == 404


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("practice-server")
    running, key = start_dev_server(server_env(data_dir), data_dir / "server.log")
    try:
        yield {"base": running.base, "key": key}
    finally:
        running.stop()


@pytest.fixture(scope="module")
def microphone(server: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The sentence in the project's Piper voice, between short silences, as the fake microphone's WAV."""
    spoken = httpx.post(f"{server['base']}/v1/audio/speech", headers={"Authorization": f"Bearer {server['key']}"},
                        json={"text": SENTENCE, "model": "piper/default", "voice": "en_US-joe-medium"}, timeout=60)
    assert spoken.status_code == 200, spoken.text
    with wave.open(io.BytesIO(spoken.content)) as source:
        rate, width, frames = source.getframerate(), source.getsampwidth(), source.readframes(source.getnframes())
    path = tmp_path_factory.mktemp("microphone") / "kate.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(width), out.setframerate(rate)
        half_second = bytes(width * (rate // 2))
        out.writeframes(half_second + frames + half_second)
    return path, (len(frames) / width + rate) / rate


@pytest.fixture
def browser(microphone: tuple[Path, float]) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM and CHROMEDRIVER):
        message = "Chromium and chromedriver are needed (apt-get install chromium chromium-driver; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,1900",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-audio-capture={microphone[0]}%noloop", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: webdriver.Chrome, server: dict, key: str, sentence: str = SENTENCE) -> None:
    browser.get(f"{server['base']}/demo")
    field = browser.find_element(By.ID, "api-key")
    field.clear()  # the tab may remember an earlier key
    field.send_keys(key)
    text = browser.find_element(By.ID, "sentence")
    text.clear()
    text.send_keys(sentence)


def record(browser: webdriver.Chrome, seconds: float) -> None:
    browser.find_element(By.ID, "record").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "stop").is_enabled())
    time.sleep(seconds)
    browser.find_element(By.ID, "stop").click()


def test_a_learner_records_a_sentence_and_sees_it_scored(browser, server: dict, microphone, tmp_path: Path) -> None:
    open_page(browser, server, server["key"])
    record(browser, microphone[1])
    WebDriverWait(browser, 120).until(lambda b: b.find_element(By.ID, "result").is_displayed()
                                      or b.find_element(By.ID, "error").is_displayed())
    assert not browser.find_element(By.ID, "error").is_displayed(), browser.find_element(By.ID, "error").text
    cards = browser.find_elements(By.CSS_SELECTOR, "#words .word")
    titles = [card.find_element(By.TAG_NAME, "h4").text.rsplit(" ", 1) for card in cards]
    assert [word for word, _ in titles] == ["Kate", "likes", "lamb"]
    for card, (_, score) in zip(cards, titles, strict=True):
        assert f"band-{band(int(score))}" in card.get_attribute("class")
        assert card.find_elements(By.CSS_SELECTOR, "tr") and card.find_elements(By.CSS_SELECTOR, ".syllable")
    assert [row.find_element(By.TAG_NAME, "td").text for row in cards[0].find_elements(By.TAG_NAME, "tr")] == ["k", "ey", "t"]
    assert float(browser.find_element(By.CSS_SELECTOR, "dd.metric-word_correct_per_minute").text) > 0
    assert browser.find_elements(By.CSS_SELECTOR, "#pitch svg line.contour")
    assert "Pronunciation" in browser.find_element(By.ID, "overall").text
    assert browser.execute_script("return sessionStorage.getItem('orato.apiKey')") == server["key"]
    assert browser.execute_script("return localStorage.length") == 0 and server["key"] not in browser.current_url
    shot = tmp_path / "practice-page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if SCREENSHOT_COPY:
        shutil.copy(shot, SCREENSHOT_COPY)


def test_hear_it_lights_each_word_as_it_is_spoken(browser, server: dict) -> None:
    open_page(browser, server, server["key"])
    browser.find_element(By.ID, "hear").click()
    lit: set[str] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not browser.execute_script("const p = document.getElementById('player'); return p.ended"):
        lit.update(span.text for span in browser.find_elements(By.CSS_SELECTOR, "#reference .speaking"))
        time.sleep(0.03)
    assert [s.text for s in browser.find_elements(By.CSS_SELECTOR, "#reference span")] == ["Kate", "likes", "lamb."]
    assert lit == {"Kate", "likes", "lamb."}


def test_errors_are_shown_as_the_api_words_them(browser, server: dict, microphone) -> None:
    open_page(browser, server, "not-a-key")
    browser.find_element(By.ID, "hear").click()
    error = browser.find_element(By.ID, "error")
    WebDriverWait(browser, 30).until(lambda b: error.is_displayed())
    assert error.text.startswith("unauthorized: ") and "(request " in error.text
    open_page(browser, server, server["key"], "Kate likes zorblax.")
    error = browser.find_element(By.ID, "error")
    record(browser, 1.0)
    WebDriverWait(browser, 60).until(lambda b: error.is_displayed() and error.text.startswith("error_unknown_words"))
    assert error.text.startswith("error_unknown_words: zorblax (request ")
