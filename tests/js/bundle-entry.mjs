// What tests/test_vercel_ai_sdk.py needs from the `ai` package: useChat's default transport
// (fetch, then the SSE + JSON-schema parsing of each UI message chunk) and the public reader
// that folds the chunks into a UIMessage. See README.md for how the bundle is rebuilt.
export { DefaultChatTransport, readUIMessageStream } from 'ai';
