"""Resampling to ``output.sampleRate`` in the synthesis core: whole clips and streams (README,
"Output sample rate"), with the filtering a lower rate needs."""

from __future__ import annotations

import numpy as np

from orato.synthesis.audio import decode, mp3_bytes, resample
from orato.synthesis.restream import at_rate
from orato.synthesis.schemas import Output
from orato.synthesis.service import encode_clip
from orato.synthesis.wav import int16_bytes, streaming_wav_header

SOURCE_RATE = 22_050


def tone(hz: float, seconds: float = 1.0, rate: int = SOURCE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def pcm_samples(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def peak_hz(samples: np.ndarray, rate: int) -> float:
    middle = samples[len(samples) // 4: len(samples) // 4 + rate // 2]
    return float(np.argmax(np.abs(np.fft.rfft(middle))) * rate / len(middle))


def test_a_lower_rate_keeps_what_it_can_carry_and_filters_the_rest() -> None:
    """Plain decimation would fold a 6 kHz tone to 2 kHz at 8 kHz; a low-pass removes it."""
    kept = encode_clip(tone(1000), SOURCE_RATE, Output(format="pcm", sampleRate=8000), None)
    assert kept.sample_rate == 8000 and kept.duration_ms == 1000
    assert abs(len(pcm_samples(kept.data)) - 8000) <= 2
    assert abs(20 * np.log10(rms(pcm_samples(kept.data)) / rms(tone(1000)))) < 0.5
    assert abs(peak_hz(pcm_samples(kept.data), 8000) - 1000) < 5
    above = encode_clip(tone(6000), SOURCE_RATE, Output(format="pcm", sampleRate=8000), None)
    assert rms(pcm_samples(above.data)) < 0.01 * rms(tone(6000))


def test_every_format_carries_the_asked_rate() -> None:
    wav = encode_clip(tone(440), SOURCE_RATE, Output(format="wav", sampleRate=16000), -20.0)
    assert wav.media_type == "audio/wav" and int.from_bytes(wav.data[24:28], "little") == 16000
    assert int.from_bytes(wav.data[28:32], "little") == 32000  # bytes per second follow the rate
    mp3 = encode_clip(tone(440), SOURCE_RATE, Output(format="mp3", sampleRate=44100), None)
    decoded, rate = decode(mp3.data)
    assert mp3.sample_rate == rate == 44100 and abs(peak_hz(decoded, rate) - 440) < 5
    native = encode_clip(tone(440), SOURCE_RATE, Output(format="wav"), None)
    assert native.sample_rate == SOURCE_RATE and len(native.data) == 44 + 2 * SOURCE_RATE


def test_a_wav_stream_resampled_piece_by_piece_matches_the_whole_clip_resampled() -> None:
    clip = tone(440, 2.0) + tone(3000, 2.0) * 0.5
    pcm = int16_bytes(clip)
    pieces = [streaming_wav_header(SOURCE_RATE), *(pcm[i:i + 4001] for i in range(0, len(pcm), 4001))]  # odd: split samples
    streamed = b"".join(at_rate(iter(pieces), "audio/wav", 16000))
    assert streamed[:44] == streaming_wav_header(16000)
    whole = resample(pcm_samples(pcm), SOURCE_RATE, 16000)
    assert len(streamed) - 44 == 2 * len(whole)
    assert np.max(np.abs(pcm_samples(streamed[44:]) - whole)) < 2 / 32768


def test_an_mp3_stream_is_decoded_resampled_and_encoded_again_as_it_arrives() -> None:
    source = mp3_bytes(tone(440, 2.0, 44100), 44100, 128)  # opens with an ID3 tag, as provider streams may
    chunks = (source[i:i + 1000] for i in range(0, len(source), 1000))
    out = list(at_rate(chunks, "audio/mpeg", 16000))
    assert len([c for c in out if c]) > 5, "encoded as it arrived, not at the end"
    decoded, rate = decode(b"".join(out))
    assert rate == 16000 and abs(len(decoded) / rate - 2.0) < 0.15
    assert abs(peak_hz(decoded, rate) - 440) < 5


def test_a_wav_stream_already_at_the_asked_rate_passes_through_unchanged() -> None:
    pieces = [streaming_wav_header(SOURCE_RATE), int16_bytes(tone(440)), int16_bytes(tone(880))]
    assert b"".join(at_rate(iter(pieces), "audio/wav", SOURCE_RATE)) == b"".join(pieces)
