"""The low-level Mistral client: the official SDK's streaming surface, without the SDK."""

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage


def main() -> None:
    with Mistral() as client:  # MISTRAL_API_KEY, MISTRAL_BASE_URL
        messages = [UserMessage(content="Recommend a fantasy book")]
        with client.chat.stream(model="mistral-large-latest", messages=messages) as stream:
            for event in stream:
                content = event.data.choices[0].delta.content
                if isinstance(content, str):
                    print(content, end="", flush=True)
        print()


if __name__ == "__main__":
    main()
