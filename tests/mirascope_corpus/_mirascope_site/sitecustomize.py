"""Loaded only into the Mirascope v1 runs of the corpus (on their PYTHONPATH).

The ``mistralai`` 1.x SDK has no base-URL environment variable, so Mirascope v1's default Mistral
client would always reach api.mistral.ai. This points a ``Mistral()`` built without
``server_url`` at ``MISTRAL_BASE_URL`` (the variable streamcall reads), read when the client is
built, so both libraries reach the same replay server from the same program.
"""

import os

try:
    import mistralai
except ImportError:  # pragma: no cover - the Mirascope venv always has it
    mistralai = None

if mistralai is not None:
    _original_init = mistralai.Mistral.__init__

    def _init(self, *args, server_url=None, **kwargs):
        if server_url is None:
            server_url = os.environ.get("MISTRAL_BASE_URL")
        _original_init(self, *args, server_url=server_url, **kwargs)

    mistralai.Mistral.__init__ = _init


# With all of Mirascope v1's provider SDKs imported, the interpreter's last garbage collection
# at exit can take from seconds to minutes. Nothing is left to finalize that the programs need
# (their output is flushed by then), so the objects are frozen out of that collection.
def _freeze_at_exit() -> None:
    import gc

    gc.freeze()


import atexit  # noqa: E402

atexit.register(_freeze_at_exit)


# Mirascope v1's `gemini` module is built on google-generativeai, whose default transport is
# gRPC to Google. A model built while GEMINI_BASE_URL is set uses the REST transport to that URL.
try:
    import google.generativeai as _genai
except ImportError:  # pragma: no cover
    _genai = None

if _genai is not None:
    _original_model_init = _genai.GenerativeModel.__init__

    def _model_init(self, *args, **kwargs):
        if os.environ.get("GEMINI_BASE_URL"):
            _genai.configure(
                api_key=os.environ.get("GEMINI_API_KEY"),
                transport="rest",
                client_options={"api_endpoint": os.environ["GEMINI_BASE_URL"]},
            )
        _original_model_init(self, *args, **kwargs)

    _genai.GenerativeModel.__init__ = _model_init
