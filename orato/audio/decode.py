"""Audio intake: turn whatever a client uploads into 16 kHz mono float32 (api-scoring.md 1.8).

Uploads are untrusted, so decoding is built to stay cheap on hostile input:

* The container is detected from the bytes only. FFmpeg never sees a file name (it would use the
  extension as a hint), and its ``format_whitelist`` makes it refuse every demuxer outside the
  documented list before that demuxer reads a header, so playlist-style formats (HLS, concat)
  that open further files can never run.
* Decoding is incremental and stops as soon as the decoded audio passes the key's limit, so a
  file that expands to hours costs no more than the limit itself. Headers are never trusted for
  the decision: a header that claims hours but holds seconds is fine.
* Sample rate, channel count and their product are capped, which bounds the work per second of
  audio even for a codec that compresses silence into almost nothing.

Error messages are built from limits and measured sizes only, never from the content.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import av
import numpy as np

from orato.errors import AudioTooLongError, ConvertAudioError

TARGET_SAMPLE_RATE = 16_000
MIN_SOURCE_SAMPLE_RATE = 8_000
MAX_SOURCE_SAMPLE_RATE = 384_000
MAX_SOURCE_CHANNELS = 64
# Channels x sample rate: 8 channels at 192 kHz is beyond any voice recording, and capping the
# product bounds the decoding work per second of audio whatever the codec.
MAX_SOURCE_VALUES_PER_SECOND = 8 * 192_000
# Codec framing (AAC priming, MP3 padding) adds a few tens of milliseconds to a recording that a
# client cut at exactly the limit; that must not turn it into "too long".
DURATION_GRACE_SECONDS = 0.05
# FFmpeg demuxer names (as in ``ffmpeg -formats``) for the containers of api-scoring.md 1.8.
ACCEPTED_DEMUXERS = ("wav", "mp3", "mov", "aac", "ogg", "matroska", "aiff", "flac")
# A truncated or slightly damaged upload loses a packet or two; more than this share of bad
# packets means the payload is not really audio of the detected kind.
MAX_BAD_PACKET_SHARE = 0.1
MIN_TOLERATED_BAD_PACKETS = 2


@dataclass(frozen=True, eq=False)
class DecodedAudio:
    """Audio ready for the engines, plus what the client sent, for logs and diagnostics."""

    samples: np.ndarray
    sample_rate: int
    duration_seconds: float
    source_sample_rate: int
    source_channels: int
    container: str


def decode_audio(
    source: str | os.PathLike[str] | BinaryIO | bytes, *, max_seconds: float
) -> DecodedAudio:
    """Decode an upload into 16 kHz mono float32, refusing what the API refuses.

    ``source`` is a path, a binary file object (read from its current position, never closed
    here) or the raw bytes. Raises :class:`ConvertAudioError` for anything that is not one of
    the documented containers with a decodable audio stream of at least 8 kHz, and
    :class:`AudioTooLongError` once more than ``max_seconds`` of audio has been decoded.

    Damage policy: an upload whose tail is cut off or damaged (a recorder killed mid-write, a
    dropped connection) is accepted with the audio decoded before the damage, because that is
    what the learner said. It is refused when nothing decodes, or when more than a tenth of
    its packets fail, which is what bytes that merely resemble a format look like.
    """
    if max_seconds <= 0:
        raise ValueError("max_seconds must be positive")
    with _readable(source) as fileobj, _open_container(fileobj) as container:
        stream = _audio_stream(container)
        return _decode_stream(container, stream, max_seconds)


class _AnonymousReader:
    """A view of a file object without ``name`` and with offsets relative to where it starts.

    FFmpeg's probe scores formats partly by file extension; hiding the name keeps detection on
    content alone, as the API promises.
    """

    def __init__(self, fileobj: BinaryIO) -> None:
        self._file = fileobj
        self._base = fileobj.tell()

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            offset += self._base
        return self._file.seek(offset, whence) - self._base

    def tell(self) -> int:
        return self._file.tell() - self._base


@contextmanager
def _readable(source: str | os.PathLike[str] | BinaryIO | bytes) -> Iterator[_AnonymousReader]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield _AnonymousReader(io.BytesIO(source))
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fileobj:
            yield _AnonymousReader(fileobj)
    elif _seekable(source):
        yield _AnonymousReader(source)
    else:
        # MP4 keeps its index at the end, so a forward-only stream must be buffered; the API
        # has already bounded the upload size.
        yield _AnonymousReader(io.BytesIO(source.read()))


def _seekable(fileobj: BinaryIO) -> bool:
    try:
        return bool(fileobj.seekable())
    except (AttributeError, OSError, ValueError):
        return False


@contextmanager
def _open_container(fileobj: _AnonymousReader) -> Iterator[av.container.InputContainer]:
    try:
        container = av.open(
            fileobj,
            mode="r",
            container_options={"format_whitelist": ",".join(ACCEPTED_DEMUXERS)},
            metadata_errors="replace",
        )
    except (av.FFmpegError, UnicodeError, ValueError, OSError) as exc:
        raise ConvertAudioError(
            "The file is not audio in a supported format (WAV, MP3, M4A/MP4, AAC, OGG, WEBM, "
            "AIFF or FLAC)."
        ) from exc
    try:
        if not set(container.format.name.split(",")) & set(ACCEPTED_DEMUXERS):
            raise ConvertAudioError("The file is not audio in a supported format.")
        yield container
    finally:
        container.close()


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    if not container.streams.audio:
        raise ConvertAudioError("The file holds no audio stream.")
    stream = container.streams.audio[0]
    context = stream.codec_context
    if context is None:  # FFmpeg has no decoder for this codec
        raise ConvertAudioError("The audio codec is not supported.")
    # 0 means the header leaves it to the decoder; frames are checked again as they come.
    _check_shape(context.sample_rate or MIN_SOURCE_SAMPLE_RATE, context.channels or 1)
    return stream


def _check_shape(sample_rate: int, channels: int) -> None:
    if channels < 1:
        raise ConvertAudioError("The audio stream declares no channels.")
    if sample_rate < MIN_SOURCE_SAMPLE_RATE:
        raise ConvertAudioError(
            f"The audio sample rate is {sample_rate} Hz; at least {MIN_SOURCE_SAMPLE_RATE} Hz "
            "is required."
        )
    if sample_rate > MAX_SOURCE_SAMPLE_RATE:
        raise ConvertAudioError(
            f"The audio sample rate is {sample_rate} Hz; at most {MAX_SOURCE_SAMPLE_RATE} Hz "
            "is supported."
        )
    if channels > MAX_SOURCE_CHANNELS:
        raise ConvertAudioError(
            f"The audio has {channels} channels; at most {MAX_SOURCE_CHANNELS} are supported."
        )
    if channels * sample_rate > MAX_SOURCE_VALUES_PER_SECOND:
        raise ConvertAudioError(
            f"The audio has {channels} channels at {sample_rate} Hz; that is more data per "
            "second than Orato accepts."
        )


def _decode_stream(
    container: av.container.InputContainer, stream: av.AudioStream, max_seconds: float
) -> DecodedAudio:
    tally = _Tally()
    to_mono = _MonoFloat()
    resampler = _MonoResampler()
    pieces: list[np.ndarray] = []
    for frame in _frames(container, stream, tally):
        _check_shape(frame.sample_rate, frame.layout.nb_channels)
        tally.seconds += frame.samples / frame.sample_rate
        if tally.seconds > max_seconds + DURATION_GRACE_SECONDS:
            raise _too_long(container, tally.seconds, max_seconds)
        tally.first_rate = tally.first_rate or frame.sample_rate
        tally.first_channels = tally.first_channels or frame.layout.nb_channels
        pieces.extend(resampler.push(to_mono(frame), frame.sample_rate))
    pieces.extend(resampler.flush())
    return _finish(container, pieces, tally)


@dataclass
class _Tally:
    """Running counts of one decode, kept together so the helpers stay small."""

    seconds: float = 0.0
    packets: int = 0
    bad_packets: int = 0
    first_rate: int = 0
    first_channels: int = 0


def _frames(
    container: av.container.InputContainer, stream: av.AudioStream, tally: _Tally
) -> Iterator[av.AudioFrame]:
    """Frames of ``stream``; a demuxer error is treated as the end of a truncated file."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError:
            yield from _decode_packet(stream, None, tally)  # flush what the decoder holds
            return
        yield from _decode_packet(stream, packet, tally)


def _decode_packet(
    stream: av.AudioStream, packet: av.Packet[Any] | None, tally: _Tally
) -> list[av.AudioFrame]:
    if packet is not None and packet.size:
        tally.packets += 1
    try:
        return stream.codec_context.decode(packet)
    except (av.FFmpegError, ValueError):
        tally.bad_packets += 1
        return []


class _MonoFloat:
    """Average any decoded frame's channels into float32 in [-1, 1].

    Frames are first interleaved to float by FFmpeg: PyAV's ``to_ndarray`` walks planar
    channel pointers past their end (it crashes the process on 8-channel planar audio), and
    FFmpeg's own downmix refuses channel layouts without a known order. Averaging works for
    any channel count and, for speech, matches a standard downmix closely.
    """

    def __init__(self) -> None:
        self._shape: tuple[str, str, int] | None = None
        self._interleaver: av.AudioResampler | None = None

    def __call__(self, frame: av.AudioFrame) -> np.ndarray:
        channels = frame.layout.nb_channels
        if frame.format.name in ("flt", "fltp") and (channels == 1 or not frame.format.is_planar):
            values = frame.to_ndarray()[0]  # one plane: safe, and most lossy codecs land here
        else:
            values = self._interleave(frame)
        mono = values.reshape(-1, channels).mean(axis=1, dtype=np.float32)
        # Float PCM is unchecked by FFmpeg; NaN or huge values would poison every later stage.
        return np.clip(np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)

    def _interleave(self, frame: av.AudioFrame) -> np.ndarray:
        shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if shape != self._shape or self._interleaver is None:
            self._shape = shape
            self._interleaver = av.AudioResampler(
                format="flt", layout=frame.layout, rate=frame.sample_rate
            )
        parts = [f.to_ndarray()[0] for f in self._interleaver.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


class _MonoResampler:
    """Resample mono float32 to 16 kHz, following a sample rate that changes mid-stream."""

    def __init__(self) -> None:
        self._rate = 0
        self._resampler: av.AudioResampler | None = None

    def push(self, mono: np.ndarray, rate: int) -> list[np.ndarray]:
        out = self.flush() if rate != self._rate else []
        self._rate = rate
        if rate == TARGET_SAMPLE_RATE:
            return [*out, mono]
        if self._resampler is None:
            self._resampler = av.AudioResampler(
                format="flt", layout="mono", rate=TARGET_SAMPLE_RATE
            )
        frame = av.AudioFrame.from_ndarray(mono[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate = rate
        return out + [f.to_ndarray()[0] for f in self._resampler.resample(frame)]

    def flush(self) -> list[np.ndarray]:
        if self._resampler is None:
            return []
        resampler, self._resampler = self._resampler, None
        return [f.to_ndarray()[0] for f in resampler.resample(None)]


def _finish(
    container: av.container.InputContainer, pieces: list[np.ndarray], tally: _Tally
) -> DecodedAudio:
    too_damaged = tally.bad_packets > max(
        MIN_TOLERATED_BAD_PACKETS, MAX_BAD_PACKET_SHARE * tally.packets
    )
    samples = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else None
    if samples is None or samples.size == 0 or too_damaged:
        raise ConvertAudioError(
            "The audio could not be decoded: the file holds no audio samples or is damaged."
        )
    samples.flags.writeable = False
    return DecodedAudio(
        samples=samples,
        sample_rate=TARGET_SAMPLE_RATE,
        duration_seconds=samples.size / TARGET_SAMPLE_RATE,
        source_sample_rate=tally.first_rate,
        source_channels=tally.first_channels,
        container=container.format.name,
    )


def _too_long(
    container: av.container.InputContainer, decoded_seconds: float, max_seconds: float
) -> AudioTooLongError:
    limit = f"this key allows at most {max_seconds:g} s."
    declared = _declared_seconds(container)
    # The header is quoted only when it agrees with what was decoded; a lying header must not
    # put a wrong number in front of the client.
    if declared is not None and decoded_seconds <= declared <= 24 * 3600:
        return AudioTooLongError(f"The audio is {declared:.1f} s long; {limit}")
    return AudioTooLongError(f"The audio is longer than {max_seconds:g} s; {limit}")


def _declared_seconds(container: av.container.InputContainer) -> float | None:
    if container.duration is None or container.duration <= 0:
        return None
    return container.duration / av.time_base
