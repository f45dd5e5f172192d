"""The practice page at /demo in a real browser: Debian's Chromium, headless, driven by Selenium
with Debian's chromedriver, a synthesised WAV fed as the microphone. The browser records, the
real server scores (score text for a read sentence, score speech for an answer to a question), and
the test reads what the page drew; a screenshot of each mode is kept."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
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
QUESTION = "How do you usually get to work?"
# An open-ended answer with a planted grammar error ("more cheaper").
ANSWER = "I usually take the bus to work because it is more cheaper than driving."
SUBSCORES = ["pronunciation", "fluency", "grammar", "vocab", "coherence", "overall"]
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
# Set to a folder (docs/images) to refresh the README's screenshots there.
SCREENSHOT_FOLDER = os.environ.get("ORATO_DEMO_SCREENSHOTS")


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


def spoken_wav(server: dict, text: str, path: Path) -> tuple[Path, float]:
    """The text in the project's Piper voice, between half-second silences, as a fake microphone's
    WAV, and how many seconds it lasts."""
    spoken = httpx.post(f"{server['base']}/v1/audio/speech", headers={"Authorization": f"Bearer {server['key']}"},
                        json={"text": text, "model": "piper/default", "voice": "en_US-joe-medium"}, timeout=60)
    assert spoken.status_code == 200, spoken.text
    with wave.open(io.BytesIO(spoken.content)) as source:
        rate, width, frames = source.getframerate(), source.getsampwidth(), source.readframes(source.getnframes())
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(width), out.setframerate(rate)
        half_second = bytes(width * (rate // 2))
        out.writeframes(half_second + frames + half_second)
    return path, (len(frames) / width + rate) / rate


@pytest.fixture(scope="module")
def microphone(server: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    return spoken_wav(server, SENTENCE, tmp_path_factory.mktemp("microphone") / "kate.wav")


@pytest.fixture(scope="module")
def answer_microphone(server: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    return spoken_wav(server, ANSWER, tmp_path_factory.mktemp("microphone") / "answer.wav")


@contextmanager
def chromium(microphone: Path) -> Iterator[webdriver.Chrome]:
    """Headless Chromium whose microphone plays the WAV once."""
    if not (CHROMIUM and CHROMEDRIVER):
        message = "Chromium and chromedriver are needed (apt-get install chromium chromium-driver; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,1900",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-audio-capture={microphone}%noloop", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(microphone: tuple[Path, float]) -> Iterator[webdriver.Chrome]:
    with chromium(microphone[0]) as driver:
        yield driver


@pytest.fixture
def answering_browser(answer_microphone: tuple[Path, float]) -> Iterator[webdriver.Chrome]:
    with chromium(answer_microphone[0]) as driver:
        yield driver


def open_page(browser: webdriver.Chrome, server: dict, key: str, sentence: str = SENTENCE, question: str = "") -> None:
    """The page with the key typed in, and either the sentence to read or, when given, the question to answer."""
    browser.get(f"{server['base']}/demo")
    field = browser.find_element(By.ID, "api-key")
    field.clear()  # the tab may remember an earlier key
    field.send_keys(key)
    if question:
        browser.find_element(By.ID, "mode-answer").click()
        assert not browser.find_element(By.ID, "sentence").is_displayed()
    text = browser.find_element(By.ID, "question" if question else "sentence")
    text.clear()
    text.send_keys(question or sentence)


def record(browser: webdriver.Chrome, seconds: float) -> None:
    browser.find_element(By.ID, "record").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "stop").is_enabled())
    time.sleep(seconds)
    browser.find_element(By.ID, "stop").click()


def wait_for_result(browser: webdriver.Chrome) -> None:
    WebDriverWait(browser, 120).until(lambda b: b.find_element(By.ID, "result").is_displayed()
                                      or b.find_element(By.ID, "error").is_displayed())
    assert not browser.find_element(By.ID, "error").is_displayed(), browser.find_element(By.ID, "error").text


def keep_screenshot(browser: webdriver.Chrome, path: Path) -> None:
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    if SCREENSHOT_FOLDER:
        shutil.copy(path, Path(SCREENSHOT_FOLDER) / path.name)


def test_a_learner_records_a_sentence_and_sees_it_scored(browser, server: dict, microphone, tmp_path: Path) -> None:
    open_page(browser, server, server["key"])
    record(browser, microphone[1])
    wait_for_result(browser)
    assert not browser.find_element(By.ID, "answer-result").is_displayed()
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
    keep_screenshot(browser, tmp_path / "practice-page.png")


def css_string(text: str) -> str:
    """How a browser serialises a CSS string value, as getComputedStyle gives ``content`` back."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def test_a_learner_answers_a_question_and_sees_grammar_errors_marked_and_the_sub_scores(
    answering_browser, server: dict, answer_microphone, tmp_path: Path
) -> None:
    browser = answering_browser
    open_page(browser, server, server["key"], question=QUESTION)
    record(browser, answer_microphone[1])
    wait_for_result(browser)
    transcript = browser.find_element(By.ID, "transcript").text
    assert all(word in transcript.lower() for word in ("bus", "work", "cheaper", "driving")), transcript
    marks = browser.find_elements(By.CSS_SELECTOR, "#transcript mark.grammar-error")
    assert any("cheaper" in mark.text.lower() for mark in marks), transcript
    planted = next(mark for mark in marks if "cheaper" in mark.text.lower())
    note = planted.get_attribute("data-note")
    assert note and note == planted.get_attribute("aria-description"), note
    shown = "return getComputedStyle(arguments[0], '::after').content"
    assert browser.execute_script(shown, planted) == "none"
    browser.execute_script("arguments[0].focus()", planted)
    assert browser.execute_script(shown, planted) == css_string(note)
    rows = browser.find_elements(By.CSS_SELECTOR, "#subscores tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")] for row in rows]
    assert [name for name, *_ in cells] == SUBSCORES
    for name, score, ielts, cefr in cells:
        assert 0 <= int(score) <= 100 and 0 <= float(ielts) <= 9 and re.fullmatch(r"[ABC][0-2]\+?", cefr), name
    overall = browser.find_element(By.ID, "overall").text
    assert overall.startswith(f"Overall {cells[-1][1]} · IELTS {cells[-1][2]} · CEFR {cells[-1][3]}"), overall
    assert browser.find_element(By.ID, "relevance").text.endswith(": TRUE")
    cards = browser.find_elements(By.CSS_SELECTOR, "#words .word")
    assert len(cards) >= 10 and all(card.find_elements(By.CSS_SELECTOR, "tr") for card in cards)
    assert not browser.find_element(By.ID, "pitch-section").is_displayed()
    keep_screenshot(browser, tmp_path / "practice-page-open-ended.png")


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
