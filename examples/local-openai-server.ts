/**
 * An OpenAI-compatible HTTP server, built on `node:http` alone, that fails on cue. Point the real
 * `openai` SDK at it (`new OpenAI({ baseURL: server.url, apiKey: 'test', maxRetries: 0 })`) and
 * script the faults a retry policy must handle: rate limits with each kind of server hint, quota
 * errors, 5xx, 4xx, dropped sockets before and during a stream, and slow replies.
 *
 * ```ts
 * const server = await startLocalOpenAIServer({ faults: defaultDemoFaults(), log: console.log });
 * const client = new OpenAI({ baseURL: server.url, apiKey: 'test', maxRetries: 0 });
 * // ... call client.chat.completions.create(...) under @Retryable()
 * console.log(server.requestCount);
 * await server.close();
 * ```
 *
 * With `limits` it also enforces OpenAI-style request and token buckets, sends `x-ratelimit-*` on
 * every response and refuses with OpenAI's 429 and `retry-after-ms`, so a client's pacing can be
 * tested against a limit it does not know in advance:
 *
 * ```ts
 * // 30 requests/s, at most 5 at once; the token bucket refills 1000/s and holds 2000.
 * const server = await startLocalOpenAIServer({ limits: { requestsPerMinute: 1800, burst: 5, tokensPerMinute: 60_000, tokenBurst: 2000 } });
 * // ... then count server.requests.filter((r) => r.status === 429)
 * ```
 *
 * Run on its own (after `tsc`), it serves the demo script until Ctrl-C, for poking with curl.
 */
import { pathToFileURL } from 'node:url';
import { defaultDemoFaults } from './local-openai-server/faults.js';
import { startLocalOpenAIServer } from './local-openai-server/server.js';

export { defaultDemoFaults, describeFault, type Fault } from './local-openai-server/faults.js';
export { exampleFor } from './local-openai-server/responses.js';
export {
  startLocalOpenAIServer,
  type LocalOpenAIServer,
  type LocalOpenAIServerOptions,
  type RecordedRequest,
} from './local-openai-server/server.js';
export { formatGoDuration, type LimitKind, type RateLimitOptions } from './local-openai-server/limiter.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startLocalOpenAIServer({ faults: defaultDemoFaults(), log: console.log });
  console.log(`[server] listening on ${server.url}`);
  process.once('SIGINT', () => void server.close());
}
