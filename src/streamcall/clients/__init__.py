"""Lean provider clients, one package each (``streamcall.clients.mistral``, ...)."""
