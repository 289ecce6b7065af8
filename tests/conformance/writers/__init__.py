"""Body writers: one module per provider, each implementing ``harness.Writer``.

A writer turns a provider-neutral answer into the exact bytes that provider's server sends
(in each server shape it knows, its *variants*) and says what streamcall must recover from them.
Each writer is checked against the recorded fixtures in ``tests/fixtures/wire``.
"""
