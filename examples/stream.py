"""A streamed call: the text as it arrives, then usage, cost and finish reasons."""

from streamcall.core.mistral import mistral_call


@mistral_call("mistral-large-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


def main() -> None:
    stream = recommend_book("fantasy")
    for chunk, _ in stream:
        print(chunk.content, end="", flush=True)
    print()
    print(f"tokens: {stream.input_tokens} in, {stream.output_tokens} out")
    print(f"cost: {stream.cost}")
    print(f"finish: {stream.finish_reasons}")


if __name__ == "__main__":
    main()
