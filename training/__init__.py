"""Rebuilds the pronunciation scorers' weights from speechocean762: ``python -m training.train``.

Training-only code: it may import torch (the ``[train]`` extra); the runtime never imports it.
"""
