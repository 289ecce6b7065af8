"""GGUF models run in-process by llama.cpp, behind the OpenAI Chat Completions interface.

``from streamcall.clients.local import LocalModel``; needs the ``streamcall[local]`` extra.
Importing this module does not import llama.cpp: models load on first use.
"""

from streamcall.clients.local.client import (
    DEFAULT_MODEL,
    LocalChunkStream,
    LocalChunkStreamAsync,
    LocalModel,
    default_model_path,
)

__all__ = [
    "DEFAULT_MODEL",
    "LocalChunkStream",
    "LocalChunkStreamAsync",
    "LocalModel",
    "default_model_path",
]
