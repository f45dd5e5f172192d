// Orato's practice page. Read-aloud mode records a sentence, scores it with /api/scoring/text/v9/json
// and draws the answer (api-scoring.md 2, 9, 10.1). Open-ended mode records an answer to a question,
// scores it with /api/scoring/speech/v9/json (api-scoring.md 6, 9.11, 9.14) and draws the transcript
// with its grammar errors marked, the sub-scores, relevance and warnings. "Hear it" plays /v1/audio/speech/with-timestamps with each
// word lit as it is spoken (api-synthesis.md 3.5). Plain script, no build step, nothing from a CDN.
// The API key lives in this tab's sessionStorage only and travels in the Authorization header,
// never in a URL.
"use strict";

(() => {
  const KEY_STORE = "orato.apiKey";
  const VOICES = {
    "en-us": { model: "piper/default", voice: "en_US-joe-medium" },
    "en-gb": { model: "espeak-ng/default", voice: "en-gb" },
  };
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";

  class UserMistake extends Error {}

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) node.append(child);
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // api-scoring.md 10.1: each band includes its lower bound; 80 and up is green, 70 to 80 orange.
  function band(score) {
    return score >= 80 ? "green" : score >= 70 ? "orange" : "red";
  }

  function bandName(score) {
    if (score >= 90) return "excellent";
    if (score >= 80) return "very good";
    if (score >= 70) return "good";
    return score >= 60 ? "fair" : "poor";
  }

  function status(text) {
    $("status").textContent = text;
  }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = false;
  }

  function clearError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  // Both families' error renderings, worded as the API words them (errors.md 5.1, 6.1, 6.5).
  async function apiError(response) {
    let body = {};
    try {
      body = await response.json();
    } catch (ignored) {
      return `HTTP ${response.status} ${response.statusText}`;
    }
    const requestId = body.request_id || (body.error && body.error.request_id) || response.headers.get("x-request-id");
    let words = `HTTP ${response.status}`;
    if (body.short_message) words = `${body.short_message}: ${body.detail_message}`;
    else if (body.error && body.error.code) words = `${body.error.code}: ${body.error.message}`;
    else if (body.code) words = `${body.code}: ${body.detail}`;
    return requestId ? `${words} (request ${requestId})` : words;
  }

  function authorization() {
    const key = $("api-key").value.trim();
    if (!key) throw new UserMistake("Paste your API key first.");
    return { Authorization: `Bearer ${key}` };
  }

  function answering() {
    return $("mode-answer").checked;
  }

  // What the learner reads aloud, or the question they answer: the text "Hear it" speaks too.
  function prompt() {
    const text = (answering() ? $("question") : $("sentence")).value.trim();
    if (!text) throw new UserMistake(answering() ? "Type or pick a question first." : "Type or pick a sentence first.");
    return text;
  }

  async function guarded(action) {
    clearError();
    try {
      await action();
    } catch (error) {
      showError(error instanceof UserMistake ? error.message : `The page could not do that: ${error.message}`);
      status("Ready.");
      setRecording(false);
    }
  }

  // --- Hear it -----------------------------------------------------------------------------

  let spoken = [];

  async function hear() {
    const text = prompt();
    status("Getting the reference voice…");
    const response = await fetch("/v1/audio/speech/with-timestamps", {
      method: "POST",
      headers: { ...authorization(), "Content-Type": "application/json" },
      body: JSON.stringify({ text, ...VOICES[$("dialect").value] }),
    });
    if (!response.ok) {
      showError(await apiError(response));
      status("Ready.");
      return;
    }
    const body = await response.json();
    spoken = body.timestamps.map((item) => el("span", { textContent: item.text }));
    $("reference").replaceChildren(...spoken.flatMap((span, i) => (i ? [" ", span] : [span])));
    const bytes = Uint8Array.from(atob(body.audio), (c) => c.charCodeAt(0));
    const player = $("player");
    player.src = URL.createObjectURL(new Blob([bytes], { type: body.mediaType }));
    player.dataset.timestamps = JSON.stringify(body.timestamps);
    status("Playing the reference…");
    await player.play();
    requestAnimationFrame(highlight);
  }

  function highlight() {
    const player = $("player");
    const items = JSON.parse(player.dataset.timestamps || "[]");
    const now = player.currentTime;
    items.forEach((item, i) => spoken[i].classList.toggle("speaking", item.start <= now && now < item.end));
    if (!player.paused && !player.ended) requestAnimationFrame(highlight);
    else status("Ready.");
  }

  // --- Record and score --------------------------------------------------------------------

  let recorder = null;

  function setRecording(on) {
    $("record").disabled = on;
    $("stop").disabled = !on;
  }

  async function record() {
    authorization();
    prompt();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((track) => track.stop());
      guarded(() => score(new Blob(chunks, { type: recorder.mimeType })));
    };
    recorder.start();
    setRecording(true);
    status(answering() ? "Recording… answer the question, then press Stop."
      : "Recording… read the sentence aloud, then press Stop.");
  }

  function stop() {
    setRecording(false);
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  async function score(audio) {
    status("Scoring…");
    const form = new FormData();
    form.append("user_audio_file", audio, "recording.webm");
    if (answering()) {
      form.append("relevance_context", prompt());
      form.append("include_ielts_feedback", "1");
      const body = await post("/api/scoring/speech/v9/json", form);
      if (body) renderSpeech(body.speech_score);
    } else {
      form.append("text", prompt());
      form.append("include_fluency", "1");
      form.append("include_intonation", "1");
      const body = await post("/api/scoring/text/v9/json", form);
      if (body) renderText(body.text_score);
    }
  }

  // The answer's body, or null once the API's error is on the page.
  async function post(path, form) {
    const dialect = encodeURIComponent($("dialect").value);
    const response = await fetch(`${path}?dialect=${dialect}`, { method: "POST", headers: authorization(), body: form });
    if (!response.ok) {
      showError(await apiError(response));
      status("Not scored.");
      return null;
    }
    status("Scored.");
    return response.json();
  }

  // --- Drawing the answer ------------------------------------------------------------------

  function renderText(result) {
    const rubric = result.speechace_score || {};
    const overall = rubric.pronunciation;
    $("overall").replaceChildren(
      el("span", { className: `band-${band(overall)}`, textContent: `Pronunciation ${overall} (${bandName(overall)})` }),
      rubric.fluency === undefined ? "" : el("span", { textContent: ` · Fluency ${rubric.fluency}` }),
      result.cefr_score ? el("span", { textContent: ` · CEFR ${result.cefr_score.pronunciation}` }) : "",
    );
    renderShared(result, false);
    renderPitch(result.word_score_list);
  }

  // api-scoring.md 6.2: the six sub-scores, each also on the IELTS and CEFR scales (10.2).
  const SUBSCORES = ["pronunciation", "fluency", "grammar", "vocab", "coherence", "overall"];

  function renderSpeech(result) {
    const rubric = result.speechace_score;
    $("overall").replaceChildren(el("span", { textContent:
      `Overall ${rubric.overall} · IELTS ${result.ielts_score.overall} · CEFR ${result.cefr_score.overall}` }));
    $("transcript").replaceChildren(...markedTranscript(result.transcript, (result.grammar || {}).errors || []));
    $("subscores").tBodies[0].replaceChildren(...SUBSCORES.map((name) =>
      el("tr", { className: `subscore-${name}` },
        el("th", { scope: "row", textContent: name }),
        el("td", { textContent: String(rubric[name]) }),
        el("td", { textContent: String(result.ielts_score[name]) }),
        el("td", { textContent: String(result.cefr_score[name]) }))));
    $("relevance").textContent = result.relevance
      ? `On topic (relevance to the question): ${result.relevance.class}` : "";
    renderShared(result, true);
  }

  // grammar.errors[].span is a half-open range of characters (code points) in the transcript
  // (api-scoring.md 9.14); each becomes a focusable mark whose note shows on hover or focus.
  function markedTranscript(transcript, errors) {
    const characters = Array.from(transcript);
    const parts = [];
    let done = 0;
    for (const error of [...errors].sort((a, b) => a.span[0] - b.span[0])) {
      const [start, end] = error.span;
      if (start < done || end <= start || end > characters.length) continue;
      const fixes = error.replacements.length ? `\nTry: ${error.replacements.join(" / ")}` : "";
      const note = `${error.message}${fixes}`;
      const mark = el("mark", { className: "grammar-error", tabIndex: 0, textContent: characters.slice(start, end).join("") });
      mark.dataset.note = note;
      mark.setAttribute("aria-description", note);
      parts.push(characters.slice(done, start).join(""), mark);
      done = end;
    }
    parts.push(characters.slice(done).join(""));
    return parts;
  }

  function renderShared(result, open) {
    $("answer-result").hidden = !open;
    $("pitch-section").hidden = open;
    $("words").replaceChildren(...result.word_score_list.map(wordCard));
    $("issues").replaceChildren(...(result.score_issue_list || []).map((issue) =>
      el("li", { textContent: `${issue.short_message}: ${issue.detail_message}` })));
    renderFluency(result);
    $("result").hidden = false;
  }

  function wordCard(word) {
    const rows = word.phone_score_list.map((phone) =>
      el("tr", { className: `band-${band(phone.quality_score)}` },
        el("td", { textContent: phone.phone }),
        el("td", { textContent: String(Math.round(phone.quality_score)) }),
        el("td", {
          className: phone.sound_most_like === phone.phone ? "" : "heard",
          textContent: phone.sound_most_like === phone.phone ? "" : `heard ${phone.sound_most_like}`,
        })));
    const syllables = word.syllable_score_list.map((syllable) => {
      const stressed = (syllable.predicted_stress_level ?? syllable.stress_level ?? 0) >= 1;
      const missed = syllable.stress_score !== undefined && syllable.stress_score < 100;
      return el("span", {
        className: `syllable${stressed ? " stressed" : ""}${missed ? " stress-miss" : ""}`,
        textContent: syllable.letters || "·",
        title: `expected stress ${syllable.stress_level ?? "-"}, heard ${syllable.predicted_stress_level ?? "-"}`,
      });
    });
    return el("div", { className: `word band-${band(word.quality_score)}` },
      el("h4", { textContent: `${word.word} ${word.quality_score}` }),
      el("table", {}, el("tbody", {}, ...rows)),
      el("div", { className: "syllables" }, ...syllables.flatMap((s, i) => (i ? ["-", s] : [s]))));
  }

  const FLUENCY_FIGURES = [
    ["word_correct_per_minute", "correct words per minute"],
    ["speech_rate", "syllables per second"],
    ["articulation_rate", "syllables per second, pauses left out"],
    ["all_pause_count", "pauses"],
    ["all_pause_duration", "seconds of pauses"],
    ["mean_length_run", "seconds of speech between pauses (mean)"],
  ];

  function renderFluency(result) {
    const metrics = result.fluency && result.fluency.overall_metrics;
    const entries = metrics ? FLUENCY_FIGURES.flatMap(([name, label]) =>
      [el("dt", { textContent: label }), el("dd", { className: `metric-${name}`, textContent: String(metrics[name]) })]) : [];
    if (result.fidelity_class) entries.push(el("dt", { textContent: "reading" }), el("dd", { textContent: result.fidelity_class }));
    $("fluency").replaceChildren(...entries);
  }

  // Each syllable's pitch from its start to its end (pitch_range, api-scoring.md 9.3), on a log scale.
  function renderPitch(words) {
    const points = words.flatMap((word) => word.syllable_score_list
      .filter((s) => s.pitch_range && s.pitch_range[0] !== null && s.pitch_range[1] !== null)
      .map((s) => ({ word: word.word, from: s.extent[0] / 100, to: s.extent[1] / 100, hz: s.pitch_range })));
    if (!points.length) {
      $("pitch").replaceChildren(el("p", { textContent: "No pitch could be measured." }));
      return;
    }
    const width = 800, height = 220, left = 50, bottom = 30;
    const t0 = points[0].from, t1 = points[points.length - 1].to;
    const hz = points.flatMap((p) => p.hz);
    const low = Math.log(Math.min(...hz) * 0.9), high = Math.log(Math.max(...hz) * 1.1);
    const x = (t) => left + ((t - t0) / Math.max(t1 - t0, 0.01)) * (width - left - 10);
    const y = (f) => 10 + (1 - (Math.log(f) - low) / (high - low)) * (height - bottom - 10);
    const plot = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "pitch contour" });
    plot.append(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
    plot.append(svg("text", { x: 2, y: 16 }, `${Math.round(Math.exp(high))} Hz`));
    plot.append(svg("text", { x: 2, y: height - bottom }, `${Math.round(Math.exp(low))} Hz`));
    let labelled = null;
    for (const p of points) {
      plot.append(svg("line", { class: "contour", x1: x(p.from), y1: y(p.hz[0]), x2: x(p.to), y2: y(p.hz[1]) }));
      if (p.word !== labelled) plot.append(svg("text", { x: x(p.from), y: height - 10 }, p.word));
      labelled = p.word;
    }
    $("pitch").replaceChildren(plot);
  }

  // --- Wiring ------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("api-key").value = sessionStorage.getItem(KEY_STORE) || "";
    $("api-key").addEventListener("input", () => sessionStorage.setItem(KEY_STORE, $("api-key").value.trim()));
    $("samples").addEventListener("change", () => {
      if ($("samples").value) $("sentence").value = $("samples").value;
    });
    $("questions").addEventListener("change", () => {
      if ($("questions").value) $("question").value = $("questions").value;
    });
    for (const radio of document.querySelectorAll("input[name=mode]")) {
      radio.addEventListener("change", () => {
        $("read-setup").hidden = answering();
        $("answer-setup").hidden = !answering();
      });
    }
    $("hear").addEventListener("click", () => guarded(hear));
    $("record").addEventListener("click", () => guarded(record));
    $("stop").addEventListener("click", stop);
  });
})();
