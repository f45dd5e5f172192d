"""Fitted weights of the text trait scorers (see MODEL_CARD.md)."""
