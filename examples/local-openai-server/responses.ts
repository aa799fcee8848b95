import type { Fault } from './faults.js';

type Json = Record<string, unknown>;

/** A reply that is only a status, headers and a body: every fault that keeps the socket intact. */
export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** OpenAI's error envelope; the SDK reads `code`, `type` and `param` from it. */
export function errorBody(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, code, param } };
}

/**
 * Headers every reply carries. Without `limits` the rate-limit headers are fixed and never
 * exhausted, so only the `rate-limit-reset` fault exercises the soft `x-ratelimit-*` hints; with
 * `limits` the limiter's own headers (`rateLimitHeaders`) replace them.
 */
export function baseHeaders(index: number, rateLimitHeaders?: Record<string, string>): Record<string, string> {
  if (rateLimitHeaders) return { 'x-request-id': `req_${index}`, ...rateLimitHeaders };
  return {
    'x-request-id': `req_${index}`,
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-reset-requests': '120ms',
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-tokens': '29950',
    'x-ratelimit-reset-tokens': '100ms',
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): CannedResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const rateLimited = (headers: Record<string, string> = {}) =>
  json(429, errorBody('Rate limit reached for requests (local fault server).', 'requests', 'rate_limit_exceeded'), headers);

const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

/** The response for a fault that is a plain HTTP reply, or `undefined` for socket-level faults. */
export function cannedResponse(fault: Fault): CannedResponse | undefined {
  switch (fault.kind) {
    case 'rate-limit':
      return rateLimited({ 'retry-after-ms': String(fault.retryAfterMs) });
    case 'rate-limit-seconds':
      return rateLimited({ 'retry-after': String(fault.retryAfterSeconds) });
    case 'rate-limit-date':
      return rateLimited({ 'retry-after': new Date(Date.now() + fault.retryAfterSeconds * 1000).toUTCString() });
    case 'rate-limit-reset': {
      const { exhausted, resetRequests = '6m0s', resetTokens = '1.5s' } = fault;
      return rateLimited({
        'x-ratelimit-reset-requests': resetRequests,
        'x-ratelimit-reset-tokens': resetTokens,
        [`x-ratelimit-remaining-${exhausted}`]: '0',
      });
    }
    case 'insufficient-quota':
      return json(429, errorBody(
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota', 'insufficient_quota'));
    case 'server-error':
      return json(500, errorBody('The server had an error while processing your request. Sorry about that!', 'server_error'));
    case 'bad-gateway':
      return { status: 502, headers: { 'content-type': 'text/html' }, body: BAD_GATEWAY_HTML };
    case 'service-unavailable':
      return json(503, errorBody('The server is overloaded or not ready yet.', 'server_error'),
        fault.shouldRetry === undefined ? {} : { 'x-should-retry': String(fault.shouldRetry) });
    case 'bad-request':
      return json(400, errorBody("Invalid value for 'messages': expected an array.", 'invalid_request_error', 'invalid_value', 'messages'));
    case 'invalid-api-key':
      return json(401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    case 'model-not-found':
      return json(404, errorBody('The model does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'));
    case 'status':
      return typeof fault.body === 'string'
        ? { status: fault.status, headers: { 'content-type': 'text/plain', ...fault.headers }, body: fault.body }
        : json(fault.status, fault.body ?? errorBody(`Scripted status ${fault.status}.`, 'server_error'), fault.headers);
    default:
      return undefined;
  }
}

/**
 * A value that satisfies a simple JSON schema, so structured-output parsing in the SDK works:
 * only required properties are filled (all of them when `required` is absent).
 */
export function exampleFor(schema: unknown): unknown {
  const s = (schema ?? {}) as Json;
  if (Array.isArray(s.enum)) return s.enum[0];
  if ('const' in s) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string': return 'example';
    case 'number': case 'integer': return 1;
    case 'boolean': return true;
    case 'array': return [];
    case 'null': return null;
  }
  const props = (s.properties ?? {}) as Json;
  const keys = Array.isArray(s.required) ? (s.required as string[]) : Object.keys(props);
  return Object.fromEntries(keys.map((key) => [key, exampleFor(props[key])]));
}

/** The deterministic answer: a schema example for json_schema output, else an echo of the last user message. */
export function replyContent(body: Json): string {
  const format = body.response_format as Json | undefined;
  if (format?.type === 'json_schema') return JSON.stringify(exampleFor((format.json_schema as Json | undefined)?.schema));
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const last = messages.filter((m) => m.role === 'user').at(-1)?.content;
  const text = Array.isArray(last) ? last.map((part: Json) => part.text ?? '').join('') : String(last ?? '');
  return `Echo: ${text}`;
}

const usageOf = (content: string) => {
  const completion_tokens = content.split(/\s+/).filter(Boolean).length;
  return { prompt_tokens: 10, completion_tokens, total_tokens: 10 + completion_tokens };
};

export function completion(index: number, body: Json, content: string) {
  return {
    id: `chatcmpl-${index}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'local-model',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usageOf(content),
  };
}

/** One chunk per word (role on the first), then an empty delta with `finish_reason: 'stop'`. */
export function completionChunks(index: number, body: Json, content: string) {
  const base = { id: `chatcmpl-${index}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model ?? 'local-model' };
  const pieces = content.match(/\s*\S+/g) ?? [''];
  return [
    ...pieces.map((piece, i) => ({
      ...base,
      choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: piece } : { content: piece }, logprobs: null, finish_reason: null }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
  ];
}

export const sseLine = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
