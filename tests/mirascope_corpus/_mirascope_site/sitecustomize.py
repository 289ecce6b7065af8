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
