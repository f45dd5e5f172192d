"""Score speech on a 60 s answer, side by side with what a user would run instead (issue 10).

    nice python bench/speech.py --repeat 5

Each round times, on the same audio and with every model warm: one plain Whisper-base
transcription (faster-whisper, voice-activity filter, beam 5: the cheapest way to get any
transcript at all), the whole of score speech (VAD, language check off, tuned transcription,
pronunciation engine on the transcript, stress, fluency, language scores, wire objects), and
the language analysis alone on the transcript. The rounds alternate, so a busy machine slows
both sides alike. Prints p50s, the ratio (target <= 1.5), the language analysis p50 (target
< 0.3 s) and the process's peak RSS with every model loaded (target <= 2 GB), as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import peak_rss_mb, percentile  # noqa: E402
from bench.scenarios.scoring import PASSAGE_PIECES, _joined  # noqa: E402
from orato.acoustic.whisper import whisper_model  # noqa: E402
from orato.api.app import preload_models  # noqa: E402
from orato.params import Params  # noqa: E402
from orato.scoring import load_engine  # noqa: E402
from orato.scoring.engine import model_cache_dir  # noqa: E402
from orato.scoring.speech import prepare_speech, score_speech  # noqa: E402
from orato.scoring.speech_language import load_language_judge  # noqa: E402
from orato.settings import Settings  # noqa: E402

ANSWER_SECONDS = 60.0


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    preload_models(settings)  # everything the server holds before /health says ready
    one_round = sum(end - start for _, _, start, end in PASSAGE_PIECES)
    audio, _ = _joined(PASSAGE_PIECES, round(ANSWER_SECONDS / one_round))
    engine, recogniser, judge = load_engine(settings), whisper_model(model_cache_dir(settings)), load_language_judge()
    prepared = prepare_speech(Params({}, {"include_ielts_feedback": "1"}))
    transcript = score_speech(prepared, audio, engine, recogniser, judge).transcript.text  # warm-up

    def plain() -> object:
        segments, _ = recogniser.transcribe(audio.samples, language="en", beam_size=5, vad_filter=True)
        return list(segments)

    plain()
    timings: dict[str, list[float]] = {"plain_whisper": [], "score_speech": [], "language_analysis": []}
    for _ in range(args.repeat):
        timings["plain_whisper"].append(_timed(plain))
        timings["score_speech"].append(_timed(lambda: score_speech(prepared, audio, engine, recogniser, judge)))
        timings["language_analysis"].append(_timed(lambda: judge(transcript, "en-us", None, True)))
    p50 = {name: round(percentile(values, 50), 3) for name, values in timings.items()}
    print(json.dumps({
        "audio_seconds": round(audio.duration_seconds, 2), "repeat": args.repeat, "p50_seconds": p50,
        "speech_over_plain": round(p50["score_speech"] / p50["plain_whisper"], 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
