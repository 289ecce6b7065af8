"""Record a provider's real streams once, replay them in tests offline.

``Recorder`` is a reverse proxy on 127.0.0.1 that forwards a client's requests to the
provider and writes what came back (status, headers, each body piece and when it arrived) to
a cassette file, without credentials. ``Replayer`` serves a cassette on 127.0.0.1 to the real
client, byte-exact, as recorded or re-cut (``Rechunk``), at the recorded pace or at once. The
pytest plugin (``streamcall.testing.pytest_plugin``) gives a test the base URL of one or the
other. See docs/TESTING.md.
"""

from streamcall.testing._cassette import FORMAT, VERSION, Cassette, Interaction, Piece, Rechunk
from streamcall.testing._servers import Recorder, Replayer

__all__ = [
    "FORMAT",
    "VERSION",
    "Cassette",
    "Interaction",
    "Piece",
    "Rechunk",
    "Recorder",
    "Replayer",
]
