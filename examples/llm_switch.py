"""One function, any provider: ``llm.call``, switched at run time with ``llm.context``.

``PROVIDER=anthropic`` runs it on Claude; the default is Mistral.
"""

import os

from streamcall import llm


@llm.call(provider="mistral", model="mistral-large-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


MODELS = {"mistral": "mistral-large-latest", "anthropic": "claude-sonnet-4-5"}


def main() -> None:
    provider = os.environ.get("PROVIDER", "mistral")
    with llm.context(provider=provider, model=MODELS[provider]):
        stream = recommend_book("fantasy")
    for chunk, _ in stream:
        print(chunk.content, end="", flush=True)
    print()
    print(f"provider: {stream.provider}, finish: {stream.finish_reasons}")


if __name__ == "__main__":
    main()
