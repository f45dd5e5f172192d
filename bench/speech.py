"""Score speech on a 60 s answer, side by side with what a user would run instead (issue 10).

    nice python bench/speech.py --repeat 5

Each round times, on the same audio and with every model warm: one plain Whisper-base
transcription (faster-whisper, voice-activity filter, beam 5: the cheapest way to get any
transcript at all), the whole of score speech (VAD, language check off, tuned transcription,
pronunciation engine on the transcript, stress, fluency, language scores, wire objects), and
the language analysis alone on the transcript. The rounds alternate, so a busy machine slows
both sides alike. Prints, per answer, p50s, the ratio (target <= 1.5), the language analysis
p50 (target < 0.3 s) and the process's peak RSS with every model loaded (target <= 2 GB), as
one JSON line.

Two answers (``--answers``): ``learner``, the 20 recordings of one speechocean762 speaker
(SPEAKER: 60.1 s, 140 words, 20 different sentences) back to back, a learner talking for a
minute; and ``looped``, three clips trimmed and said over and over to 60 s (the first version of
this bench), which a recogniser finds hard: a window whose text repeats itself looks like its
own decoding loop, and the transcript loses sentences that the aligner then has to search for.

``--parts`` prints instead the CPU seconds (``time.process_time``, every thread) of each part of
score speech on the first answer, each run alone: where the time goes, nearly unmoved by load.

``--memory`` prints instead the server's own memory: resident at rest once every model is loaded,
then resident and the process's peak after each of ``--repeat`` score speech requests per answer,
with no plain Whisper in the process (whose buffers the side-by-side peak also holds).

``--stall`` prints instead how long the rest of the server waits while score speech runs: a
thread that asks to wake every 5 ms (as the event loop answering every other request would)
records the longest it went without running in each of ``--repeat`` requests, and how long
it waited in all (the time past its 5 ms sleeps), next to the request's own time. A native
call that holds Python's GIL holds up every other request of the server for as long.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.registry import timed  # noqa: E402
from bench.run import peak_rss_mb, percentile  # noqa: E402
from bench.scenarios.audio import LEARNER_AUDIO  # noqa: E402
from bench.scenarios.scoring import PASSAGE_PIECES, _joined, plain_whisper  # noqa: E402
from bench.servers import rss_mb  # noqa: E402
from orato.acoustic.aligner import load_aligner  # noqa: E402
from orato.acoustic.hama_posteriors import load_hama  # noqa: E402
from orato.acoustic.pitch import prosody_track  # noqa: E402
from orato.acoustic.transcribe import transcribe  # noqa: E402
from orato.acoustic.whisper import load_whisper, whisper_model  # noqa: E402
from orato.acoustic.whisper_layers import load_middle_layers  # noqa: E402
from orato.api.app import preload_models  # noqa: E402
from orato.audio import (  # noqa: E402
    DecodedAudio,
    decode_audio,
    require_speech,  # noqa: E402
)
from orato.lang import analyse_script  # noqa: E402
from orato.params import Params  # noqa: E402
from orato.scoring import load_engine  # noqa: E402
from orato.scoring.engine import PronunciationEngine, model_cache_dir  # noqa: E402
from orato.scoring.speech import PreparedSpeech, prepare_speech, score_speech, speech_part  # noqa: E402
from orato.scoring.speech_language import LanguageJudge, load_language_judge  # noqa: E402
from orato.settings import Settings  # noqa: E402

ANSWER_SECONDS = 60.0
SPEAKER = "1309"  # the speechocean762 speaker whose 20 recordings last closest to 60 s
RATE = 16_000


def learner_answer() -> DecodedAudio:
    """Every recording of SPEAKER, in id order, back to back (pauses as recorded)."""
    speakers = (LEARNER_AUDIO.parent / "utt2spk").read_text().split("\n")
    uttids = sorted(line.split()[0] for line in speakers if line.split()[1:] == [SPEAKER])
    samples = np.concatenate([decode_audio(LEARNER_AUDIO / f"{u}.flac", max_seconds=60).samples for u in uttids])
    seconds = len(samples) / RATE
    return DecodedAudio(samples, RATE, seconds, RATE, 1, "flac")


def looped_answer() -> DecodedAudio:
    one_round = sum(end - start for _, _, start, end in PASSAGE_PIECES)
    return _joined(PASSAGE_PIECES, round(ANSWER_SECONDS / one_round))[0]


ANSWERS: dict[str, Callable[[], DecodedAudio]] = {"learner": learner_answer, "looped": looped_answer}


def speech_scoring(settings: Settings) -> tuple[PronunciationEngine, WhisperModel, LanguageJudge, PreparedSpeech]:
    """The process's score speech models and one request with the IELTS feedback, as every mode runs it."""
    engine, recogniser = load_engine(settings), whisper_model(model_cache_dir(settings))
    return engine, recogniser, load_language_judge(), prepare_speech(Params({}, {"include_ielts_feedback": "1"}))


def cpu_seconds(run: Callable[[], object]) -> float:
    started = time.process_time()  # every thread of the process: a busy machine barely moves it
    run()
    return round(time.process_time() - started, 2)


def parts(settings: Settings, audio: DecodedAudio) -> dict[str, float]:
    """CPU seconds of each part of score speech, run alone (``--parts``)."""
    engine, recogniser, judge, prepared = speech_scoring(settings)
    transcript = transcribe(recogniser, audio.samples, "en")
    words = analyse_script(transcript.text, "en-us", include_unknown_words=True).expected_words()
    part, _ = speech_part(audio, require_speech(audio))
    phones = [w.phones for w in words]
    return {
        "plain_whisper": cpu_seconds(lambda: plain_whisper(recogniser, audio.samples)),
        "transcription": cpu_seconds(lambda: transcribe(recogniser, audio.samples, "en")),
        "engine": cpu_seconds(lambda: engine.assess(part, words)),
        "engine_hama": cpu_seconds(lambda: load_hama().log_posteriors(part.samples)),
        "engine_alignment": cpu_seconds(lambda: load_aligner().align(part.samples, phones)),
        "engine_whisper_encoder": cpu_seconds(lambda: load_whisper(model_cache_dir(settings)).encode(part.samples)),
        "engine_middle_layers": cpu_seconds(lambda: load_middle_layers(model_cache_dir(settings)).states(part.samples)),
        "prosody_track": cpu_seconds(lambda: prosody_track(audio.samples)),
        "language_analysis": cpu_seconds(lambda: judge(transcript.text, "en-us", None, True)),
        "score_speech": cpu_seconds(lambda: score_speech(prepared, audio, engine, recogniser, judge)),
    }  # fmt: skip


def memory(settings: Settings, answers: list[str], repeat: int) -> None:
    """``--memory``: one JSON line at rest, then one per request (module docstring)."""
    engine, recogniser, judge, prepared = speech_scoring(settings)
    print(json.dumps({"at_rest_rss_mb": round(rss_mb(os.getpid())), "peak_rss_mb": round(peak_rss_mb())}), flush=True)
    for name in answers:
        audio = ANSWERS[name]()
        for request in range(1, repeat + 1):
            score_speech(prepared, audio, engine, recogniser, judge)
            print(json.dumps({"answer": name, "request": request, "rss_mb": round(rss_mb(os.getpid())),
                              "peak_rss_mb": round(peak_rss_mb())}), flush=True)  # fmt: skip


def stall(settings: Settings, answers: list[str], repeat: int) -> None:
    """``--stall``: one JSON line per answer (module docstring)."""
    engine, recogniser, judge, prepared = speech_scoring(settings)
    for name in answers:
        audio = ANSWERS[name]()
        score_speech(prepared, audio, engine, recogniser, judge)  # warm-up
        request = functools.partial(score_speech, prepared, audio, engine, recogniser, judge)
        rounds = [_stalled_beside(request) for _ in range(repeat)]
        print(json.dumps({"answer": name, "repeat": repeat,
                          **{key: [round(r[key], 3) for r in rounds] for key in rounds[0]}}), flush=True)  # fmt: skip


def _stalled_beside(run: Callable[[], object], tick: float = 0.005) -> dict[str, float]:
    """``run``'s seconds, and the longest and the total wait of a thread waking every ``tick``."""
    waits: list[float] = []
    running = threading.Event()
    running.set()

    def ticker() -> None:
        last = time.perf_counter()
        while running.is_set():
            time.sleep(tick)
            now = time.perf_counter()
            waits.append(now - last - tick)
            last = now

    thread = threading.Thread(target=ticker)
    thread.start()
    seconds = timed(run)
    running.clear()
    thread.join()
    return {"request_seconds": seconds, "longest_wait_seconds": max(waits), "waited_seconds": sum(waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--answers", default="learner,looped", help="comma-separated: " + ", ".join(ANSWERS))
    parser.add_argument("--parts", action="store_true", help="CPU seconds of each part on the first answer instead")
    parser.add_argument("--memory", action="store_true", help="the server's own memory at rest and per request instead")
    parser.add_argument("--stall", action="store_true", help="how long other threads wait while it runs instead")
    args = parser.parse_args()
    settings = Settings()
    preload_models(settings)  # everything the server holds before /health says ready
    if args.memory:
        memory(settings, args.answers.split(","), args.repeat)
        return
    if args.stall:
        stall(settings, args.answers.split(","), args.repeat)
        return
    if args.parts:
        audio = ANSWERS[args.answers.split(",")[0]]()
        parts(settings, audio)  # warm-up
        print(json.dumps({"cpu_seconds": parts(settings, audio)}))
        return
    engine, recogniser, judge, prepared = speech_scoring(settings)
    for name in args.answers.split(","):
        audio = ANSWERS[name]()
        transcript = score_speech(prepared, audio, engine, recogniser, judge).transcript.text  # warm-up

        def plain(audio: DecodedAudio = audio) -> object:
            return plain_whisper(recogniser, audio.samples)

        def speech(audio: DecodedAudio = audio) -> object:
            return score_speech(prepared, audio, engine, recogniser, judge)

        def language(transcript: str = transcript) -> object:
            return judge(transcript, "en-us", None, True)

        plain()
        timings: dict[str, list[float]] = {"plain_whisper": [], "score_speech": [], "language_analysis": []}
        for _ in range(args.repeat):
            timings["plain_whisper"].append(timed(plain))
            timings["score_speech"].append(timed(speech))
            timings["language_analysis"].append(timed(language))
        p50 = {name: round(percentile(values, 50), 3) for name, values in timings.items()}
        print(json.dumps({
            "answer": name, "audio_seconds": round(audio.duration_seconds, 2), "transcript_words": len(transcript.split()),
            "repeat": args.repeat, "p50_seconds": p50, "speech_over_plain": round(p50["score_speech"] / p50["plain_whisper"], 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
