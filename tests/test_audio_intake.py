"""Audio intake: every documented format decodes to 16 kHz mono; everything else is refused.

Test files are built here with PyAV from a real speechocean762 clip, so the formats are the ones
FFmpeg really writes; the damaged and hostile cases are crafted by hand.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from learner_speech import READINGS, learner_clip_path

from orato.audio import (
    DecodedAudio,
    SpeechSegment,
    decode_audio,
    detect_speech,
    require_speech,
)
from orato.errors import AudioTooLongError, ConvertAudioError, NoSpeechError

CLIPS = [learner_clip_path(uttid) for uttid in sorted(READINGS)]
CLIP = learner_clip_path("010330035")
RATE = 16_000
TOLERANCE_S = 0.05


# --- building test files -----------------------------------------------------------------


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return decode_audio(CLIP, max_seconds=15).samples


def encode(
    samples: np.ndarray,
    fmt: str,
    codec: str,
    rate: int = RATE,
    layout: str = "mono",
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    bit_rate: int | None = None,
) -> bytes:
    """Encode 16 kHz mono float samples the way an ordinary client would, with timestamps."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, container_options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout, options=options or {})
        if bit_rate:
            stream.codec_context.bit_rate = bit_rate
        ctx = stream.codec_context
        resampler = av.AudioResampler(
            format=ctx.format.name, layout=layout, rate=rate, frame_size=ctx.frame_size or None
        )
        mono = samples[np.newaxis, :].copy()
        frame = av.AudioFrame.from_ndarray(mono, format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, 0, Fraction(1, RATE)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return buf.getvalue()


def wav_bytes(
    pcm: bytes,
    *,
    rate: int = RATE,
    channels: int = 1,
    bits: int = 16,
    data_size: int | None = None,
    big_endian: bool = False,
) -> bytes:
    """A plain PCM WAV (or RIFX) whose header may lie about the data size."""
    e = ">" if big_endian else "<"
    block = channels * bits // 8
    size = len(pcm) if data_size is None else data_size
    fmt = struct.pack(f"{e}HHIIHH", 1, channels, rate, rate * block, block, bits)
    riff = b"RIFX" if big_endian else b"RIFF"
    riff_size = min(0xFFFFFFFF, 4 + 8 + len(fmt) + 8 + size)
    return (
        riff + struct.pack(f"{e}I", riff_size) + b"WAVE"
        + b"fmt " + struct.pack(f"{e}I", len(fmt)) + fmt
        + b"data" + struct.pack(f"{e}I", size) + pcm
    )  # fmt: skip


def extensible_float_wav(samples: np.ndarray, rate: int, channels: int) -> bytes:
    """WAVE_FORMAT_EXTENSIBLE with the IEEE-float subformat, as some DAWs write it."""
    interleaved = np.repeat(samples[:, np.newaxis], channels, axis=1).astype("<f4").tobytes()
    guid = struct.pack("<IHH", 3, 0x0000, 0x0010) + bytes.fromhex("800000aa00389b71")
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * 4 * channels, 4 * channels,
                      32, 22, 32, 0x3) + guid  # fmt: skip
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(interleaved)) + interleaved
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm16(samples: np.ndarray, channels: int = 1) -> bytes:
    ints = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    return np.repeat(ints[:, np.newaxis], channels, axis=1).tobytes()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


def video_only_mp4() -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def as_audio(samples: np.ndarray) -> DecodedAudio:
    samples = samples.astype(np.float32)
    return DecodedAudio(samples, RATE, samples.size / RATE, RATE, 1, "test")


# --- every documented format -------------------------------------------------------------

VORBIS = {"strict": "experimental"}  # FFmpeg's native Vorbis encoder (stereo only)

FORMATS = {
    "wav-u8": ("wav", "pcm_u8", RATE, "mono", None, "wav"),
    "wav-s16": ("wav", "pcm_s16le", RATE, "mono", None, "wav"),
    "wav-s24": ("wav", "pcm_s24le", RATE, "mono", None, "wav"),
    "wav-s32": ("wav", "pcm_s32le", RATE, "mono", None, "wav"),
    "wav-f32": ("wav", "pcm_f32le", RATE, "mono", None, "wav"),
    "wav-f64": ("wav", "pcm_f64le", RATE, "mono", None, "wav"),
    "wav-alaw": ("wav", "pcm_alaw", 8000, "mono", None, "wav"),
    "wav-mulaw": ("wav", "pcm_mulaw", 8000, "mono", None, "wav"),
    "wav-stereo-44k1": ("wav", "pcm_s16le", 44_100, "stereo", None, "wav"),
    "wav-48k": ("wav", "pcm_s16le", 48_000, "mono", None, "wav"),
    "wav-5.1-22k05": ("wav", "pcm_s16le", 22_050, "5.1", None, "wav"),
    "mp3": ("mp3", "libmp3lame", RATE, "mono", None, "mp3"),
    "mp3-stereo-44k1": ("mp3", "libmp3lame", 44_100, "stereo", None, "mp3"),
    "m4a-aac": ("ipod", "aac", 44_100, "mono", None, "mov,mp4,m4a,3gp,3g2,mj2"),
    "mp4-aac-stereo": ("mp4", "aac", 48_000, "stereo", None, "mov,mp4,m4a,3gp,3g2,mj2"),
    # Planar audio with 8 or more channels crashes PyAV's own to_ndarray; decoding must not.
    "mp4-aac-7.1": ("mp4", "aac", 48_000, "7.1", None, "mov,mp4,m4a,3gp,3g2,mj2"),
    "ogg-opus-16ch": ("ogg", "libopus", 48_000, "16 channels", {"mapping_family": "255"}, "ogg"),
    "m4a-alac": ("ipod", "alac", RATE, "mono", None, "mov,mp4,m4a,3gp,3g2,mj2"),
    "adts-aac": ("adts", "aac", 48_000, "mono", None, "aac"),
    "ogg-vorbis": ("ogg", "vorbis", 44_100, "stereo", VORBIS, "ogg"),
    "ogg-opus": ("ogg", "libopus", 48_000, "mono", None, "ogg"),
    "webm-opus": ("webm", "libopus", 48_000, "stereo", None, "matroska,webm"),
    "webm-vorbis": ("webm", "vorbis", 44_100, "stereo", VORBIS, "matroska,webm"),
    "aiff": ("aiff", "pcm_s16be", RATE, "mono", None, "aiff"),
    "aifc-float": ("aiff", "pcm_f32be", 24_000, "mono", None, "aiff"),
    "flac": ("flac", "flac", RATE, "mono", None, "flac"),
    "flac-stereo-48k": ("flac", "flac", 48_000, "stereo", None, "flac"),
}


@pytest.mark.parametrize("case", FORMATS.values(), ids=FORMATS.keys())
def test_documented_formats_decode_to_16k_mono(
    case: tuple, speech: np.ndarray, tmp_path: Path
) -> None:
    fmt, codec, rate, layout, options, container = case
    path = tmp_path / "upload.bin"  # no extension: detection must come from the content
    path.write_bytes(encode(speech, fmt, codec, rate, layout, options))

    audio = decode_audio(path, max_seconds=15)

    assert audio.container == container
    assert audio.sample_rate == RATE
    assert audio.source_sample_rate == rate
    assert audio.source_channels == av.AudioLayout(layout).nb_channels
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.duration_seconds == pytest.approx(speech.size / RATE, abs=TOLERANCE_S)
    assert audio.samples.size == pytest.approx(speech.size, abs=TOLERANCE_S * RATE)
    assert np.abs(audio.samples).max() <= 1.0


def test_lossless_decode_keeps_the_signal(speech: np.ndarray) -> None:
    audio = decode_audio(io.BytesIO(encode(speech, "wav", "pcm_f32le")), max_seconds=15)
    np.testing.assert_allclose(audio.samples, speech, atol=1e-6)


def test_stereo_is_averaged_to_mono(speech: np.ndarray) -> None:
    left_only = np.stack([speech, np.zeros_like(speech)], axis=1).reshape(-1)
    audio = decode_audio(io.BytesIO(wav_bytes(pcm16(left_only), channels=2)), max_seconds=15)
    np.testing.assert_allclose(audio.samples, speech / 2, atol=2e-4)


def test_rifx_and_extensible_wav(speech: np.ndarray) -> None:
    rifx = wav_bytes((np.clip(speech, -1, 1) * 32767).astype(">i2").tobytes(), big_endian=True)
    assert decode_audio(io.BytesIO(rifx), max_seconds=15).duration_seconds == pytest.approx(
        speech.size / RATE, abs=TOLERANCE_S
    )
    extensible = decode_audio(io.BytesIO(extensible_float_wav(speech, RATE, 2)), max_seconds=15)
    assert extensible.source_channels == 2
    np.testing.assert_allclose(extensible.samples, speech, atol=1e-6)


def test_detection_ignores_the_file_name(speech: np.ndarray, tmp_path: Path) -> None:
    mp3_named_wav = tmp_path / "recording.wav"
    mp3_named_wav.write_bytes(encode(speech, "mp3", "libmp3lame"))
    wav_named_mp3 = tmp_path / "recording.mp3"
    wav_named_mp3.write_bytes(encode(speech, "wav", "pcm_s16le"))
    assert decode_audio(mp3_named_wav, max_seconds=15).container == "mp3"
    assert decode_audio(wav_named_mp3, max_seconds=15).container == "wav"


class ForwardOnly:
    """A socket-like upload stream that cannot seek."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def test_sources_path_str_file_and_bytes(speech: np.ndarray, tmp_path: Path) -> None:
    data = encode(speech, "ipod", "aac", 44_100)  # MP4 keeps its index at the end
    path = tmp_path / "a.m4a"
    path.write_bytes(data)
    prefixed = io.BytesIO(b"junk" + data)
    prefixed.seek(4)  # read from the current position, as an upload handler may leave it
    results = [
        decode_audio(path, max_seconds=15),
        decode_audio(str(path), max_seconds=15),
        decode_audio(io.BytesIO(data), max_seconds=15),
        decode_audio(prefixed, max_seconds=15),
        decode_audio(data, max_seconds=15),
        decode_audio(ForwardOnly(data), max_seconds=15),
    ]
    for audio in results:
        np.testing.assert_array_equal(audio.samples, results[0].samples)
    assert not prefixed.closed


def test_decoded_audio_is_immutable(speech: np.ndarray) -> None:
    audio = decode_audio(io.BytesIO(encode(speech, "wav", "pcm_s16le")), max_seconds=15)
    with pytest.raises(ValueError):
        audio.samples[0] = 1.0
    with pytest.raises(AttributeError):
        audio.sample_rate = 8000  # type: ignore[misc]


def test_8_khz_is_accepted(speech: np.ndarray) -> None:
    audio = decode_audio(io.BytesIO(encode(speech, "wav", "pcm_s16le", 8000)), max_seconds=15)
    assert audio.source_sample_rate == 8000
    assert audio.duration_seconds == pytest.approx(speech.size / RATE, abs=TOLERANCE_S)


# --- refused input -----------------------------------------------------------------------


def refused(source: object) -> ConvertAudioError:
    with pytest.raises(ConvertAudioError) as info:
        decode_audio(source, max_seconds=15)  # type: ignore[arg-type]
    assert info.value.detail.endswith(".")
    return info.value


def test_header_only_file_is_refused(speech: np.ndarray) -> None:
    refused(io.BytesIO(wav_bytes(pcm16(speech))[:44]))
    refused(io.BytesIO(encode(speech, "flac", "flac")[:100]))


def test_wav_without_samples_is_refused() -> None:
    refused(io.BytesIO(wav_bytes(b"", data_size=0)))


def test_random_bytes_are_refused() -> None:
    refused(io.BytesIO(np.random.default_rng(7).bytes(20_000)))
    refused(io.BytesIO(b""))


def test_text_named_wav_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    path.write_text("my secret password is swordfish\n" * 50)
    error = refused(path)
    assert "swordfish" not in str(error) and "speech.wav" not in str(error)


def test_image_and_video_without_audio_are_refused() -> None:
    refused(io.BytesIO(png_bytes()))
    assert "no audio stream" in refused(io.BytesIO(video_only_mp4())).detail


def test_formats_outside_the_list_are_refused(speech: np.ndarray) -> None:
    # Sun .au is audio FFmpeg reads, but it is not a documented container.
    refused(io.BytesIO(encode(speech, "au", "pcm_s16be")))


def test_below_8_khz_is_refused(speech: np.ndarray) -> None:
    error = refused(io.BytesIO(wav_bytes(pcm16(speech[: 6000 * 2]), rate=6000)))
    assert "6000 Hz" in error.detail and "8000 Hz" in error.detail


def test_absurd_shapes_are_refused() -> None:
    one_second = pcm16(silence(1))
    refused(io.BytesIO(wav_bytes(one_second, rate=1_000_000)))
    refused(io.BytesIO(wav_bytes(b"\0" * 200 * 2 * 100, channels=100)))
    refused(io.BytesIO(wav_bytes(b"\0" * 32 * 2 * 4000, rate=192_000, channels=32)))


def test_truncated_tail_keeps_the_decodable_prefix(speech: np.ndarray) -> None:
    wav = wav_bytes(pcm16(speech))
    half = decode_audio(io.BytesIO(wav[: 44 + len(wav) // 2]), max_seconds=15)
    assert half.duration_seconds == pytest.approx(speech.size / RATE / 2, abs=TOLERANCE_S)
    mp3 = encode(speech, "mp3", "libmp3lame")
    cut = decode_audio(io.BytesIO(mp3[: len(mp3) // 2]), max_seconds=15)
    assert 0.5 < cut.duration_seconds < speech.size / RATE


def test_truncated_mp4_without_index_is_refused(speech: np.ndarray) -> None:
    m4a = encode(speech, "ipod", "aac", 44_100)
    refused(io.BytesIO(m4a[: len(m4a) // 2]))  # the moov index is written last


def test_header_claiming_hours_is_judged_by_its_content(speech: np.ndarray) -> None:
    one_second = pcm16(speech[:RATE])
    audio = decode_audio(io.BytesIO(wav_bytes(one_second, data_size=0xFFFF_FF00)), max_seconds=15)
    assert audio.duration_seconds == pytest.approx(1.0, abs=TOLERANCE_S)


def test_streaming_wav_without_sizes_decodes(speech: np.ndarray) -> None:
    """Recorders that cannot seek back leave the sizes at 0 or 0xFFFFFFFF."""
    for unknown in (0, 0xFFFF_FFFF):
        data = wav_bytes(pcm16(speech), data_size=unknown)
        audio = decode_audio(io.BytesIO(data), max_seconds=15)
        assert audio.duration_seconds == pytest.approx(speech.size / RATE, abs=TOLERANCE_S)


# --- duration limit ----------------------------------------------------------------------


def test_too_long_quotes_the_declared_duration() -> None:
    twenty = wav_bytes(pcm16(silence(20)))
    with pytest.raises(AudioTooLongError) as info:
        decode_audio(io.BytesIO(twenty), max_seconds=15)
    assert info.value.detail == "The audio is 20.0 s long; this key allows at most 15 s."


def test_limit_is_inclusive(speech: np.ndarray) -> None:
    data = encode(speech, "wav", "pcm_s16le")
    exact = decode_audio(io.BytesIO(data), max_seconds=speech.size / RATE)
    assert exact.samples.size == speech.size
    with pytest.raises(AudioTooLongError):
        decode_audio(io.BytesIO(data), max_seconds=speech.size / RATE - 0.2)


@pytest.fixture(scope="module")
def ten_minute_mp3(speech: np.ndarray) -> bytes:
    """600 s of 8 kbit/s MP3: ten seconds encoded once, its frames repeated (a valid stream)."""
    ten_seconds = np.resize(speech, 10 * RATE)
    chunk = encode(
        ten_seconds, "mp3", "libmp3lame", bit_rate=8000,
        container_options={"write_xing": "0", "id3v2_version": "0"},
    )  # fmt: skip
    return chunk * 60


def test_ten_minutes_is_refused_without_decoding_it(ten_minute_mp3: bytes) -> None:
    assert len(ten_minute_mp3) < 700_000
    started = time.process_time()
    with pytest.raises(AudioTooLongError) as info:
        decode_audio(io.BytesIO(ten_minute_mp3), max_seconds=15)
    assert time.process_time() - started < 2.0
    assert re.fullmatch(
        r"The audio is (\d+\.\d s long|longer than 15 s); this key allows at most 15 s\.",
        info.value.detail,
    )


def flac_bomb() -> bytes:
    """130 s of 8-channel 192 kHz silence is a few tens of kilobytes of FLAC."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=192_000, layout="7.1")
        block = np.zeros((1, 4608 * 8), np.int16)
        for i in range(0, 192_000 * 130, 4608 * 64):
            frame = av.AudioFrame.from_ndarray(np.tile(block, (1, 64)), format="s16", layout="7.1")
            frame.sample_rate, frame.pts = 192_000, i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def test_decompression_bomb_stays_cheap() -> None:
    bomb = flac_bomb()
    assert len(bomb) < 300_000
    started = time.process_time()
    with pytest.raises(AudioTooLongError):
        decode_audio(io.BytesIO(bomb), max_seconds=120)
    assert time.process_time() - started < 5.0


def test_max_seconds_must_be_positive(speech: np.ndarray) -> None:
    with pytest.raises(ValueError):
        decode_audio(io.BytesIO(b""), max_seconds=0)


# --- hostile bytes (property tests) ------------------------------------------------------

FUZZ = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def decodes_or_refuses(data: bytes) -> None:
    try:
        audio = decode_audio(io.BytesIO(data), max_seconds=5)
    except (ConvertAudioError, AudioTooLongError):
        return
    assert audio.samples.dtype == np.float32 and audio.samples.size > 0
    assert np.isfinite(audio.samples).all()


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_only_raise_audio_errors(data: bytes) -> None:
    decodes_or_refuses(data)


@pytest.fixture(scope="module")
def seeds(speech: np.ndarray) -> list[bytes]:
    short = speech[: RATE // 2]
    return [
        encode(short, "wav", "pcm_s16le"),
        encode(short, "mp3", "libmp3lame"),
        encode(short, "ipod", "aac", 44_100),
        encode(short, "ogg", "libopus", 48_000),
        encode(short, "webm", "libopus", 48_000),
        encode(short, "flac", "flac"),
        encode(short, "aiff", "pcm_s16be"),
    ]


@FUZZ
@given(data=st.data())
def test_damaged_real_files_only_raise_audio_errors(
    seeds: list[bytes], data: st.DataObject
) -> None:
    original = bytearray(data.draw(st.sampled_from(seeds)))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(original) - 1))
        original[at : at + 4] = data.draw(st.binary(min_size=1, max_size=4))
    cut = data.draw(st.integers(0, len(original)))
    decodes_or_refuses(bytes(original[:cut]))


# --- voice activity ----------------------------------------------------------------------


def pink_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(int(seconds * RATE)))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    noise = np.fft.irfft(spectrum, int(seconds * RATE))
    return noise / np.abs(noise).max()


def hum(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((50, 150, 250), 1)) / 2


NOT_SPEECH = {
    "silence": lambda rng: silence(3),
    "dither": lambda rng: rng.standard_normal(3 * RATE) * 1e-4,
    "white-quiet": lambda rng: rng.standard_normal(3 * RATE) * 0.01,
    "white-loud": lambda rng: np.clip(rng.standard_normal(3 * RATE) * 0.5, -1, 1),
    "pink": lambda rng: pink_noise(3, rng) * 0.5,
    "hum": lambda rng: hum(3) * 0.3,
}


@pytest.mark.parametrize("make", NOT_SPEECH.values(), ids=NOT_SPEECH.keys())
def test_no_speech_is_refused(make) -> None:
    audio = as_audio(make(np.random.default_rng(3)))
    with pytest.raises(NoSpeechError):
        require_speech(audio)


def test_silence_has_no_segments() -> None:
    assert detect_speech(as_audio(silence(2))) == []


@pytest.mark.parametrize("clip", CLIPS, ids=[c.stem for c in CLIPS])
def test_fixture_speech_has_segments(clip: Path) -> None:
    audio = decode_audio(clip, max_seconds=15)
    segments = require_speech(audio)
    assert segments and all(isinstance(s, SpeechSegment) for s in segments)
    assert all(0 <= s.start_seconds < s.end_seconds <= audio.duration_seconds for s in segments)
    assert sum(s.end_seconds - s.start_seconds for s in segments) > 1.0


def test_speech_is_found_after_lossy_coding_and_padding(speech: np.ndarray) -> None:
    padded = np.concatenate([silence(2), speech * 0.3, silence(2)])
    audio = decode_audio(io.BytesIO(encode(padded, "ogg", "libopus", 48_000)), max_seconds=15)
    segments = require_speech(audio)
    assert segments[0].start_seconds > 2.0
    assert segments[-1].end_seconds < audio.duration_seconds - 1.5
