"""The conversation, its turns and its saving, and the interactive session's commands."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streamcall.cli._chat import EXIT_BROKEN_PIPE, Asker, Outcome, Terminal, _isatty, answer
from streamcall.cli._store import Record, Store, StoreError, new_id

__all__ = ["Conversation", "Session", "interactive"]

HELP = """\
/exit, /quit, /bye or Ctrl-D   leave
/reset or /clear               start a new conversation (the system prompt stays)
/system TEXT                   set the system prompt (and start a new conversation)
/set                           change a parameter or the display (/set alone lists them)
/show                          provider, model, parameters, system prompt, conversation id
/model NAME                    answer with another model of the provider (the conversation
                               goes on); /model alone names the current one
/save NAME                     save a copy of the conversation as NAME
/load NAME                     go on with a saved conversation (a NAME or an id)
/help                          this list
\"\"\"                            start or end a multi-line message (or !multi ... !end)
Ctrl-C stops an answer (what arrived stays in the conversation) without leaving."""

SET_HELP = """\
/set temperature X      sampling temperature (0 or more)
/set max_tokens N       the most tokens to generate (1 or more)
/set seed N             sampling seed (where the provider takes one)
/set system TEXT        as /system
/set verbose            show the stats after each answer (tokens, first token, tok/s, cost)
/set quiet              do not show them
/set NAME none          forget a parameter"""


@dataclass
class Conversation:
    """The messages so far: the system prompt, then each user turn and the answer to it
    (``history`` as the provider took them, ``transcript`` as text, which is what is saved)."""

    system: str | None = None
    history: list[Any] = field(default_factory=list)
    transcript: list[dict[str, str]] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    created: str | None = None

    @classmethod
    def of(cls, record: Record, system: str | None, same: bool) -> Conversation:
        """Going on with ``record`` (under its id when ``same``, else as a new one);
        ``system`` replaces its system prompt when given."""
        messages = [dict(m) for m in record.messages]
        conversation = cls(system or record.system, list(messages), messages)
        if same:
            conversation.id, conversation.created = record.id, record.created
        return conversation

    def messages(self, prompt: str) -> list[Any]:
        """The conversation with ``prompt`` as the next user message."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, *self.history, {"role": "user", "content": prompt}]

    def add(self, prompt: str, message: Any, text: str) -> None:
        """Keep a turn: ``prompt``, and the answer as the provider's ``message`` and as text."""
        self.history += [{"role": "user", "content": prompt}, message]
        self.transcript += [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": text},
        ]

    def restart(self) -> None:
        """Forget the messages; what follows is a new conversation."""
        self.history, self.transcript = [], []
        self.id, self.created = new_id(), None

    def record(self, asker: Asker) -> Record:
        """The conversation as saved."""
        record = Record(
            asker.provider,
            asker.model,
            id=self.id,
            system=self.system,
            params=dict(asker.call_params),
            messages=[dict(m) for m in self.transcript],
        )
        if self.created:
            record.created = self.created
        else:
            self.created = record.created
        return record


@dataclass
class Session:
    """One conversation with one model: its turns, saved after each answer when ``autosave``,
    and the ``/commands`` that change it."""

    asker: Asker
    conversation: Conversation
    term: Terminal
    store: Store
    autosave: bool = True
    stats: bool = True
    """Show the summary line after each answer."""

    def turn(self, prompt: str) -> Outcome:
        """Ask ``prompt``, show the answer, keep the turn and save the conversation."""
        messages = self.conversation.messages(prompt)
        outcome = answer(self.asker, messages, self.term, summary=self.stats)
        stream = outcome.stream
        if stream is None or outcome.status not in (0, 130):
            return outcome
        if stream.content:
            self.conversation.add(prompt, stream.message_param, stream.content)
            if self.autosave:
                self._save()
        elif not self.term.json:  # an empty answer would make the next request invalid
            self.term.spinner.say("(no text in the answer: this turn is not kept)")
        return outcome

    def _save(self) -> None:
        try:
            self.store.save(self.conversation.record(self.asker))
        except StoreError as exc:
            self.autosave = False  # said once; the session goes on
            self.term.spinner.say(f"streamcall: warning: not saved: {exc}")

    def command(self, line: str) -> str | None:
        """Run a ``/command``: ``"exit"``, or a line to show; ``None``: ``line`` is a prompt."""
        word, _, rest = line.strip().partition(" ")
        if not word.startswith("/"):
            return "exit" if line.strip() in ("exit", "quit") else None
        if word in ("/exit", "/quit", "/bye"):
            return "exit"
        run = _COMMANDS.get(word)
        if run is None:
            return f"unknown command {word} (/help lists them)"
        return run(self, rest.strip())

    def clear(self, _: str) -> str:
        """``/clear``: a new conversation, same system prompt."""
        self.conversation.restart()
        return "(conversation cleared)"

    def system(self, text: str) -> str:
        """``/system TEXT``: set (or with no text remove) the system prompt; a new
        conversation starts."""
        self.conversation.system = text or None
        self.conversation.restart()
        state = "set" if text else "removed"
        return f"(system prompt {state}; conversation cleared)"

    def set(self, text: str) -> str:
        """``/set NAME VALUE``, as ``ollama run`` takes it (``/set parameter NAME VALUE``
        too)."""
        words = text.split(None, 1)
        if words[:1] == ["parameter"]:
            words = words[1].split(None, 1) if len(words) > 1 else []
        if not words:
            return SET_HELP
        name, value = words[0], words[1].strip() if len(words) > 1 else ""
        if name == "system":
            return self.system(value)
        if name in ("verbose", "quiet") and not value:
            self.stats = name == "verbose"
            return f"(stats after each answer {'on' if self.stats else 'off'})"
        return _set_param(self.asker.call_params, _ALIASES.get(name, name), value)

    def show(self, _: str) -> str:
        """``/show``: what the next answer will be asked with."""
        asker, conversation = self.asker, self.conversation
        params = ", ".join(f"{k}={v!r}" for k, v in asker.call_params.items()) or "none"
        turns = len(conversation.transcript) // 2
        saved = f"saved in {self.store.conversations}" if self.autosave else "not saved"
        return "\n".join(
            [
                f"provider: {asker.provider}",
                f"model: {asker.model}",
                f"parameters: {params}",
                f"system prompt: {conversation.system or 'none'}",
                f"conversation: {conversation.id} ({turns} turn{'s' * (turns != 1)}, {saved})",
            ]
        )

    def model(self, name: str) -> str:
        """``/model NAME``: the next answers come from another model of the same provider; the
        conversation goes on (``ollama run``'s ``/load MODEL``)."""
        if not name:
            return f"model: {self.asker.model} ({self.asker.provider})"
        self.asker.model = name
        return f"(model {name}; the conversation goes on)"

    def save(self, name: str) -> str:
        """``/save NAME``: a copy of the conversation, to ``/load`` or ``--cid`` later."""
        if not name:
            return "usage: /save NAME"
        try:
            path = self.store.save_as(name, self.conversation.record(self.asker))
        except StoreError as exc:
            return f"not saved: {exc}"
        return f"(saved as {name} in {path}; /load {name} or streamcall chat --cid {name})"

    def load(self, key: str) -> str:
        """``/load NAME``: go on with a saved conversation (a name: as a new one)."""
        if not key:
            return "usage: /load NAME (streamcall chats lists them)"
        try:
            record, named = self.store.load(key)
        except StoreError as exc:
            return f"not loaded: {exc}"
        self.conversation = Conversation.of(record, None, same=not named)
        turns = len(record.messages) // 2
        return f"(loaded {key}: {turns} turn{'s' * (turns != 1)}, system prompt: " + (
            f"{record.system!r})" if record.system else "none)"
        )

    def help(self, _: str) -> str:
        """``/help``."""
        return HELP


_COMMANDS: dict[str, Callable[[Session, str], str]] = {
    "/reset": Session.clear,
    "/clear": Session.clear,
    "/system": Session.system,
    "/set": Session.set,
    "/show": Session.show,
    "/model": Session.model,
    "/save": Session.save,
    "/load": Session.load,
    "/help": Session.help,
    "/?": Session.help,
}

_ALIASES = {"num_predict": "max_tokens", "max-tokens": "max_tokens"}


def _whole(text: str, minimum: int | None) -> int:
    value = int(text)
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {minimum}")
    return value


def _temperature(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a number, 0 or more")
    return value


_PARAMS: dict[str, Callable[[str], Any]] = {
    "temperature": _temperature,
    "max_tokens": lambda text: _whole(text, 1),
    "seed": lambda text: _whole(text, None),
}


def _set_param(params: dict[str, Any], name: str, value: str) -> str:
    """Set ``params[name]`` from its text (``none``: remove it); a line saying what was done,
    or what is wrong."""
    parse = _PARAMS.get(name)
    if parse is None:
        return f"unknown setting {name!r} (/set lists them)"
    if not value:
        return f"usage: /set {name} VALUE"
    if value.lower() in ("none", "default"):
        params.pop(name, None)
        return f"({name}: the provider's default)"
    try:
        params[name] = parse(value)
    except ValueError as exc:
        reason = str(exc) if "must" in str(exc) else "not a valid value"
        return f"bad value for {name}: {value!r} ({reason}); unchanged"
    return f"({name} = {params[name]!r})"


def interactive(session: Session, first: str | None = None) -> int:
    """The chat session: read a message, stream the answer, keep both; until Ctrl-D or
    ``/exit``. Ctrl-C during an answer stops that answer only; at the prompt it says how to
    leave."""
    term, asker = session.term, session.asker
    read = _reader(term)
    going_on = len(session.conversation.transcript) // 2
    term.err.write(
        f"Chatting with {asker.model} ({asker.provider}). /exit or Ctrl-D to leave, "
        "/reset to start over, /help for more.\n"
        + (f"(going on with conversation {session.conversation.id}: {going_on} turn"
           f"{'s' * (going_on != 1)})\n" if going_on else "")
    )  # fmt: skip
    term.err.flush()
    pending = first
    while True:
        if pending is None:
            try:
                pending = _read_message(read)
            except KeyboardInterrupt:
                term.err.write("\n(Ctrl-D or /exit to leave)\n")
                continue
            if pending is None:
                term.err.write("\n")
                return 0
            said = session.command(pending)
            if said == "exit":
                return 0
            if said is not None or not pending.strip():
                if said:
                    term.err.write(said + "\n")
                pending = None
                continue
        outcome = session.turn(pending)
        pending = None
        if outcome.status in (2, EXIT_BROKEN_PIPE):  # bad configuration, or no one reading
            return outcome.status


def _reader(term: Terminal) -> Callable[[str], str | None]:
    """A function reading one line after a prompt (``None`` at the end of input): Python's
    ``input`` (line editing, history) on the process's own terminal, else the stream."""
    if term.stdin is sys.stdin and term.out is sys.stdout and _isatty(term.stdin):
        with contextlib.suppress(ImportError):  # a Python built without it
            import readline  # noqa: F401  (input() edits lines with it once imported)

        def read_input(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                return None

        return read_input

    def read_stream(prompt: str) -> str | None:
        term.out.write(prompt)
        term.out.flush()
        line = term.stdin.readline()
        return line.rstrip("\n") if line else None

    return read_stream


def _read_message(read: Callable[[str], str | None]) -> str | None:
    """One message: a line, or the lines between two lines of ``\"\"\"`` (as ``ollama run``
    takes them), or between ``!multi`` and ``!end`` (as ``llm chat``; ``!multi X`` ends at
    ``!end X``)."""
    line = read(">>> ")
    if line is None:
        return None
    end = _multi_line_end(line.strip())
    if end is None:
        return line
    lines: list[str] = []
    while (line := read("... ")) is not None and line.strip() != end:
        lines.append(line)
    return "\n".join(lines)


def _multi_line_end(first: str) -> str | None:
    """The line that ends a multi-line message started by ``first`` (``None``: not one)."""
    if first == '"""':
        return first
    word, _, token = first.partition(" ")
    if word == "!multi":
        return f"!end {token.strip()}".strip()
    return None
