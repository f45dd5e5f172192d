"""A provider's stream at the ``output.sampleRate`` a client asked for (README, "Output sample
rate"; the stream itself is api-synthesis.md 3.6).

The audio is resampled as it arrives, so the time to first byte stays that of the provider:
a local engine's WAV gets a header with the new rate and its PCM resampled piece by piece; a
remote provider's MP3 is decoded, resampled and encoded again frame by frame.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext

from orato.synthesis.audio import PieceResampler
from orato.synthesis.wav import int16_bytes, streaming_wav_header

STREAM_MP3_KBPS = 128  # what ElevenLabs streams; within MP3's range at every sample rate


def at_rate(chunks: Iterator[bytes], media_type: str, rate: int) -> Iterator[bytes]:
    return _wav_at_rate(chunks, rate) if media_type == "audio/wav" else _mp3_at_rate(chunks, rate)


def _wav_at_rate(chunks: Iterator[bytes], rate: int) -> Iterator[bytes]:
    """Local engines send the 44-byte header alone first, then 16-bit mono PCM."""
    header = next(chunks, b"")
    source_rate = struct.unpack_from("<I", header, 24)[0]
    yield streaming_wav_header(rate)
    if source_rate == rate:  # what the Speechbase SDK asks of a 22,050 Hz engine: nothing to do
        yield from chunks
        return
    resampler = PieceResampler(source_rate, rate)
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        whole = len(data) // 2 * 2
        carry = data[whole:]
        yield int16_bytes(resampler.push(np.frombuffer(data[:whole], "<i2").astype(np.float32) / 32768))
    yield int16_bytes(resampler.flush())


def _mp3_at_rate(chunks: Iterator[bytes], rate: int) -> Iterator[bytes]:
    decoder = av.CodecContext.create("mp3", "r")
    encoder = av.CodecContext.create("libmp3lame", "w")
    encoder.sample_rate, encoder.layout, encoder.format = rate, "mono", "fltp"
    encoder.bit_rate = STREAM_MP3_KBPS * 1000
    encoder.open()
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate, frame_size=encoder.frame_size)
    for chunk in itertools.chain(chunks, [None]):
        for frame in _decoded(decoder, chunk):
            yield b"".join(bytes(p) for f in resampler.resample(frame) for p in encoder.encode(f))
    tail = [bytes(p) for f in resampler.resample(None) for p in encoder.encode(f)]
    yield b"".join(tail + [bytes(p) for p in encoder.encode(None)])


def _decoded(decoder: AudioCodecContext, chunk: bytes | None) -> Iterator[av.AudioFrame]:
    """The frames in ``chunk`` (None: the rest); what is not audio (an ID3 tag) is skipped."""
    for packet in decoder.parse(chunk):
        try:
            yield from decoder.decode(packet)
        except av.error.InvalidDataError:
            continue
