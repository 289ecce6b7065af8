"""``client=`` with an official SDK client: its settings, our own client.

Mirascope v1 programs pass the provider SDK's client (``mistralai.Mistral``,
``cohere.ClientV2`` (and v1's ``cohere.Client``), ``openai.OpenAI`` / ``AzureOpenAI``,
``anthropic.Anthropic``, ``google.genai.Client`` (and its ``.aio``), and their async forms).
The call layer takes that client's base URL, API key (or token), default headers, timeout and
retry count, and streams through the matching ``streamcall.clients`` client instead. The SDK
is never imported here: its clients are recognised by the module and name of the classes in
their MRO, so a program that never uses an SDK never pays for one. Each SDK client object gets
one adopted client (kept in a weak map), so repeated calls reuse one connection pool; the
settings are read when the SDK client is first used (later changes to it are not seen).

Timeouts: an SDK timeout limits each phase of a request (connect, each read). It becomes our
``connect``, ``first_byte`` and ``idle`` limits; the total stays at our default unless a phase
limit is longer. The SDK's own default timeout is not adopted (ours applies).
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from streamcall.errors import ConfigurationError

__all__ = ["adopt_client", "sdk_kind"]

# (module root, class name) -> kind; the class's own module must start with the root.
_KINDS: dict[tuple[str, str], str] = {
    (root, name): kind
    for root, kind, names in (
        ("openai", "azure-openai", ("AzureOpenAI", "AsyncAzureOpenAI")),
        ("openai", "openai", ("OpenAI", "AsyncOpenAI")),
        ("anthropic", "anthropic", ("Anthropic", "AsyncAnthropic")),
        ("mistralai", "mistral", ("Mistral",)),
        ("cohere", "cohere", ("ClientV2", "AsyncClientV2", "Client", "AsyncClient")),
        ("google.genai", "gemini", ("Client", "AsyncClient")),  # AsyncClient: Client(...).aio
    )
    for name in names
}
_SDK_ROOTS = ("openai", "anthropic", "mistralai", "cohere", "google.genai")

# Which call decorators (spec.provider) may use a client of each kind. An OpenAI client
# pointed at a compatible server is an OpenAI call.
_ACCEPTS: dict[str, frozenset[str]] = {
    "openai": frozenset({"openai"}),
    "azure-openai": frozenset({"openai", "azure"}),
    "anthropic": frozenset({"anthropic"}),
    "mistral": frozenset({"mistral"}),
    "cohere": frozenset({"cohere"}),
    "gemini": frozenset({"gemini"}),
}

# Headers an SDK or httpx sets itself; everything else in its default headers is the user's.
_SDK_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-type",
        "user-agent",
        "authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-goog-api-client",
        "anthropic-version",
    }
)
_SDK_HEADER_PREFIXES = ("x-stainless-", "x-fern-")

_adopted: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _in_root(module: str, root: str) -> bool:
    return module == root or module.startswith(root + ".")


def sdk_kind(client: Any) -> str | None:
    """The kind of official SDK client ``client`` is (``"openai"``, ...), or ``None``.

    Raises :class:`ConfigurationError` for an SDK client of a kind streamcall cannot adopt
    (``anthropic.AnthropicBedrock``, say).
    """
    cls = type(client)
    if cls.__module__.startswith("streamcall."):
        return None
    for klass in cls.__mro__:
        module = klass.__module__
        for root in _SDK_ROOTS:
            if _in_root(module, root):
                kind = _KINDS.get((root, klass.__name__))
                if kind is not None:
                    return kind
    if any(_in_root(cls.__module__, root) for root in _SDK_ROOTS):
        raise ConfigurationError(
            f"client={cls.__module__}.{cls.__qualname__} is not supported: pass one of "
            "mistralai.Mistral, cohere.ClientV2, openai.OpenAI / AzureOpenAI, "
            "anthropic.Anthropic, google.genai.Client (or their async forms), or a "
            "streamcall client"
        )
    return None


def adopt_client(client: Any, provider: str) -> Any:
    """The client a ``<provider>_call`` uses for ``client=``: an official SDK client becomes
    the matching streamcall client (one per SDK client object); anything else is returned as
    it is (``None`` included)."""
    if client is None:
        return None
    kind = sdk_kind(client)
    if kind is None:
        return client
    if provider not in _ACCEPTS[kind]:
        raise ConfigurationError(
            f"{provider}_call got client={type(client).__module__}."
            f"{type(client).__qualname__}, a {kind} client: pass a {provider} client"
        )
    with _lock:
        try:
            ours = _adopted.get(client)
        except TypeError:  # an object that cannot be weakly referenced or hashed
            return _BUILDERS[kind](client)
        if ours is None:
            ours = _BUILDERS[kind](client)
            _adopted[client] = ours
    return ours


# -- reading an SDK client's settings ---------------------------------------------------------


def _user_headers(headers: Any) -> dict[str, str]:
    """The headers a user added (SDK and httpx defaults dropped)."""
    out: dict[str, str] = {}
    if not headers:
        return out
    for name, value in dict(headers).items():
        if not isinstance(name, str) or not isinstance(value, str):
            continue  # an SDK "omit" marker, say
        lower = name.lower()
        if lower in _SDK_HEADERS or lower.startswith(_SDK_HEADER_PREFIXES):
            continue
        out[name] = value
    return out


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _timeouts(timeout: Any, sdk_default: Any = None) -> Any:
    """Our ``Timeouts`` from an SDK timeout (seconds, or an ``httpx.Timeout``); ``None`` keeps
    our defaults (no timeout given, or the SDK's own default)."""
    from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Timeouts

    if timeout is None or (sdk_default is not None and timeout == sdk_default):
        return None
    seconds = _seconds(timeout)
    connect: float | None
    read: float | None
    if seconds is not None:
        connect = read = seconds
    elif hasattr(timeout, "read") and hasattr(timeout, "connect"):  # httpx.Timeout
        connect, read = _seconds(timeout.connect), _seconds(timeout.read)
    else:
        return None  # NotGiven and the like
    read = read if read and read > 0 else None
    # The SDK's per-read limit bounds silence (first byte, idle) and the wait for a whole
    # answer; a longer one than ours also allows that long without an event.
    progress = DEFAULT_TIMEOUTS.progress
    if progress is not None and (read is None or read > progress):
        progress = read
    return Timeouts(
        connect=connect if connect and connect > 0 else None,
        first_byte=read,
        idle=read,
        total=DEFAULT_TIMEOUTS.total,
        progress=progress,
        whole=read,
    )


def _retries(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _sdk_default_timeout(client: Any) -> Any:
    root = type(client).__module__.split(".")[0]
    constants = sys.modules.get(f"{root}._constants")
    return getattr(constants, "DEFAULT_TIMEOUT", None)


def _with_token(base: type[Any], token: Callable[[], str]) -> Any:
    """A subclass of one of our clients that sends ``Authorization: Bearer <token>``."""

    class BearerClient(base):  # type: ignore[misc]
        def api_key(self) -> str:
            return token()

        def auth_headers(self, api_key: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {api_key}"}

    BearerClient.__name__ = BearerClient.__qualname__ = base.__name__
    return BearerClient


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _stainless(sdk: Any) -> dict[str, Any]:
    """The settings the OpenAI, Azure OpenAI and Anthropic SDK clients share (one generator
    builds them): key, timeouts, retries and the user's headers."""
    return {
        "api_key": _str(getattr(sdk, "api_key", None)),
        "timeouts": _timeouts(getattr(sdk, "timeout", None), _sdk_default_timeout(sdk)),
        "retries": _retries(getattr(sdk, "max_retries", None)),
        "default_headers": _user_headers(getattr(sdk, "_custom_headers", None)),
    }


def _openai(sdk: Any) -> Any:
    from streamcall.clients.openai import OpenAI

    return OpenAI(
        base_url=str(sdk.base_url).rstrip("/"),
        organization=_str(getattr(sdk, "organization", None)),
        project=_str(getattr(sdk, "project", None)),
        **_stainless(sdk),
    )


def _azure_openai(sdk: Any) -> Any:
    from streamcall.clients.azure import AzureOpenAI

    endpoint = _str(getattr(sdk, "_azure_endpoint", None))
    if endpoint is None:  # built with base_url=".../openai[/deployments/<name>]"
        endpoint = str(sdk.base_url).split("/openai", 1)[0]
    options = _stainless(sdk)
    cls: type[Any] = AzureOpenAI
    ad_token = _str(getattr(sdk, "_azure_ad_token", None))
    provider = getattr(sdk, "_azure_ad_token_provider", None)
    if not options["api_key"] and ad_token:
        cls = _with_token(AzureOpenAI, lambda: ad_token)
    elif not options["api_key"] and callable(provider):
        cls = _with_token(AzureOpenAI, provider)
    return cls(
        azure_endpoint=str(endpoint).rstrip("/"),
        api_version=_str(getattr(sdk, "_api_version", None)),
        azure_deployment=_str(getattr(sdk, "_azure_deployment", None)),
        **options,
    )


def _anthropic(sdk: Any) -> Any:
    from streamcall.clients.anthropic import Anthropic

    options = _stainless(sdk)
    token = _str(getattr(sdk, "auth_token", None))
    cls: type[Any] = Anthropic
    if not options["api_key"] and token:
        cls = _with_token(Anthropic, lambda: token)
    version = (getattr(sdk, "_custom_headers", None) or {}).get("anthropic-version")
    if isinstance(version, str):
        options["default_headers"]["anthropic-version"] = version
    return cls(base_url=str(sdk.base_url).rstrip("/"), **options)


def _httpx_headers(http: Any) -> dict[str, str]:
    """The user's headers on an httpx client the SDK was given (the only way the Mistral and
    Cohere SDKs take default headers)."""
    inner = getattr(http, "httpx_client", http)  # Cohere wraps its httpx client
    headers = getattr(inner, "headers", None)
    return _user_headers(headers) if isinstance(headers, Mapping) else {}


def _mistral(sdk: Any) -> Any:
    from streamcall.clients.mistral import Mistral

    config = sdk.sdk_configuration
    security = config.security
    if callable(security):
        security = security()
    api_key = _str(getattr(security, "api_key", None))
    server_url, _ = config.get_server_details()
    headers = _httpx_headers(getattr(config, "client", None))
    timeout_ms = getattr(config, "timeout_ms", None)
    seconds = _seconds(timeout_ms)
    return Mistral(
        api_key=api_key,
        server_url=str(server_url).rstrip("/"),
        timeouts=_timeouts(None if seconds is None else seconds / 1000),
        default_headers=headers,
    )


def _cohere(sdk: Any) -> Any:
    from streamcall.clients.cohere import ClientV2

    wrapper = sdk._client_wrapper
    token = getattr(wrapper, "_token", None) or getattr(wrapper, "_api_key", None)
    if callable(token):
        token = token()
    headers = _httpx_headers(getattr(wrapper, "httpx_client", None))
    headers.update(_user_headers(getattr(wrapper, "_headers", None)))
    client_name = _str(getattr(wrapper, "_client_name", None))
    if client_name:
        headers["X-Client-Name"] = client_name
    get_timeout = getattr(wrapper, "get_timeout", None)
    return ClientV2(
        api_key=_str(token),
        base_url=str(wrapper.get_base_url()).rstrip("/"),
        # 300 s is the Cohere SDK's own default (not adopted, as for the other SDKs).
        timeouts=_timeouts(get_timeout() if callable(get_timeout) else None, _COHERE_DEFAULT),
        retries=_retries(getattr(wrapper, "_max_retries", None)),
        default_headers=headers,
    )


_COHERE_DEFAULT = 300


def _gemini(sdk: Any) -> Any:
    from streamcall.clients.gemini import Gemini

    api = sdk._api_client
    if getattr(api, "vertexai", False):
        raise ConfigurationError(
            "client=google.genai.Client(vertexai=True) is not supported: gemini_call speaks "
            "the Gemini Developer API (pass api_key=...)"
        )
    options = api._http_options
    timeout_ms = _seconds(getattr(options, "timeout", None))
    return Gemini(
        api_key=_str(getattr(api, "api_key", None)),
        base_url=str(getattr(options, "base_url", None) or Gemini.default_base_url).rstrip("/"),
        api_version=_str(getattr(options, "api_version", None)) or "v1beta",
        timeouts=_timeouts(None if timeout_ms is None else timeout_ms / 1000),
        default_headers=_user_headers(getattr(options, "headers", None)),
    )


_BUILDERS: dict[str, Callable[[Any], Any]] = {
    "openai": _openai,
    "azure-openai": _azure_openai,
    "anthropic": _anthropic,
    "mistral": _mistral,
    "cohere": _cohere,
    "gemini": _gemini,
}
