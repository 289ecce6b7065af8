// Reads a UI message stream the way useChat's default transport does, with the `ai` package's
// own code (ai-ui-stream.bundle.mjs), and prints the rebuilt assistant message as JSON.
//
//   node read_ui_stream.mjs URL
//
// POSTs a one-message chat to URL with DefaultChatTransport (global fetch), refuses a response
// without the UI message stream headers, folds the chunks with readUIMessageStream, and prints
// {"message": <the last UIMessage>, "errors": [<message of each error the SDK reported>]}.
// A refused response or a broken stream exits with status 1 and says why on stderr.
import { DefaultChatTransport, readUIMessageStream } from './ai-ui-stream.bundle.mjs';

const url = process.argv[2];
if (!url) {
  console.error('usage: node read_ui_stream.mjs URL');
  process.exit(2);
}

async function checkedFetch(input, init) {
  const response = await globalThis.fetch(input, init);
  const protocol = response.headers.get('x-vercel-ai-ui-message-stream');
  const type = response.headers.get('content-type') ?? '';
  if (response.ok && (protocol !== 'v1' || !type.startsWith('text/event-stream'))) {
    throw new Error(
      `not a UI message stream: x-vercel-ai-ui-message-stream=${protocol}, content-type=${type}`,
    );
  }
  return response;
}

const transport = new DefaultChatTransport({ api: url, fetch: checkedFetch });
const chunks = await transport.sendMessages({
  trigger: 'submit-message',
  chatId: 'chat-1',
  messageId: undefined,
  messages: [{ id: 'user-1', role: 'user', parts: [{ type: 'text', text: 'Use the tools.' }] }],
  abortSignal: undefined,
});

const errors = [];
let message = null;
for await (const snapshot of readUIMessageStream({
  stream: chunks,
  onError: (error) => errors.push(error instanceof Error ? error.message : String(error)),
})) {
  message = snapshot;
}
process.stdout.write(`${JSON.stringify({ message, errors })}\n`);
