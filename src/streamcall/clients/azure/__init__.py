"""Azure OpenAI client: ``from streamcall.clients.azure import AzureOpenAI``.

Deployments are called as models: ``client.chat.completions.create(model="my-deployment", ...)``
goes to ``{endpoint}/openai/deployments/my-deployment/chat/completions?api-version=...`` with
the ``api-key`` header. Chunks are OpenAI's (:mod:`streamcall.clients.openai.models`).
"""

from __future__ import annotations

import os
from typing import ClassVar, Unpack
from urllib.parse import quote

from streamcall.clients._params import ClientOptions
from streamcall.clients.openai.client import OpenAI
from streamcall.errors import ConfigurationError

__all__ = ["DEFAULT_API_VERSION", "AzureOpenAI"]

DEFAULT_API_VERSION = "2024-10-21"
USAGE_IN_STREAMS_SINCE = "2024-09-01"  # older api-versions reject stream_options


class AzureOpenAI(OpenAI):
    """A lean client for Azure OpenAI deployments.

    Args:
        api_key: Defaults to ``AZURE_API_KEY``, then ``AZURE_OPENAI_API_KEY``.
        azure_endpoint: ``https://<resource>.openai.azure.com``; defaults to ``AZURE_BASE_URL``,
            then ``AZURE_OPENAI_ENDPOINT``.
        api_version: Defaults to ``OPENAI_API_VERSION`` or 2024-10-21. Streams ask for usage
            only on versions that accept ``stream_options`` (2024-09-01 and later).
        azure_deployment: A default deployment, used when ``model`` is not given to a call.
        asynchronous: Make ``chat.completions.create`` a coroutine (as the SDK's
            ``AsyncAzureOpenAI``).
        timeout_ms, retries, timeouts, client, async_client, default_headers, max_event_size:
            As for every streamcall client.
    """

    provider: ClassVar[str] = "Azure OpenAI"
    env_prefix: ClassVar[str] = "AZURE"
    default_base_url: ClassVar[str] = ""

    def __init__(
        self,
        api_key: str | None = None,
        azure_endpoint: str | None = None,
        *,
        api_version: str | None = None,
        azure_deployment: str | None = None,
        asynchronous: bool = False,
        **options: Unpack[ClientOptions],
    ) -> None:
        endpoint = (
            azure_endpoint
            or os.environ.get(self.env_base_url)
            or os.environ.get("AZURE_OPENAI_ENDPOINT")
        )
        if not endpoint:
            raise ConfigurationError(
                "No Azure OpenAI endpoint: pass azure_endpoint=... or set AZURE_BASE_URL "
                "(or AZURE_OPENAI_ENDPOINT)"
            )
        self.api_version = (
            api_version or os.environ.get("OPENAI_API_VERSION") or DEFAULT_API_VERSION
        )
        self.azure_deployment = azure_deployment
        super().__init__(
            api_key or os.environ.get("AZURE_OPENAI_API_KEY"),
            endpoint.rstrip("/") + "/openai",
            stream_usage=self.api_version >= USAGE_IN_STREAMS_SINCE,
            **options,
        )
        self._asynchronous = asynchronous

    def api_key(self) -> str:
        """The key is required (``api-key`` header)."""
        return super(OpenAI, self).api_key()

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Azure authenticates with the ``api-key`` header."""
        return {"api-key": api_key}

    def chat_path(self, model: str) -> str:
        """``/deployments/{deployment}/chat/completions?api-version=...``."""
        deployment = model or self.azure_deployment
        if not deployment:
            raise ConfigurationError("No Azure deployment: pass model=<deployment name>")
        return (
            f"/deployments/{quote(deployment, safe='')}/chat/completions"
            f"?api-version={quote(self.api_version, safe='')}"
        )
