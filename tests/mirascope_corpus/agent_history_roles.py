"""An agent keeps a typed history across two plain text turns."""

# replay: mistral.text.sse mistral.name.sse

import os

from mirascope.core import BaseMessageParam, Messages, mistral
from pydantic import BaseModel

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


class Chat(BaseModel):
    history: list[BaseMessageParam] = []

    @mistral.call("mistral-small-latest", stream=True)
    def _call(self, query: str) -> Messages.Type:
        return [Messages.System("You are a librarian."), *self.history, Messages.User(query)]

    def turn(self, query: str) -> str:
        stream = self._call(query)
        text = "".join(chunk.content for chunk, _ in stream)
        self.history += [Messages.User(query), Messages.Assistant(text)]
        return text


chat = Chat()
print(chat.turn("Recommend a classic"))
print(chat.turn("What's my name?"))
print("roles:", [m.role for m in chat.history])
print("json:", Chat.model_validate(chat.model_dump()).history[0].content)
