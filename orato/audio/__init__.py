"""Audio intake: decode any accepted upload to 16 kHz mono and check that it holds speech."""

from orato.audio.decode import DecodedAudio, decode_audio
from orato.audio.vad import SpeechSegment, detect_speech, load_vad_model, require_speech

__all__ = [
    "DecodedAudio",
    "SpeechSegment",
    "decode_audio",
    "detect_speech",
    "load_vad_model",
    "require_speech",
]
