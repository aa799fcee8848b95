/**
 * The NestJS example end to end: `npm run example:nestjs`.
 *
 * Without OPENAI_API_KEY, it starts the local OpenAI-compatible server from ../local-openai-server.ts,
 * scripts the upstream faults for each request, and checks every answer. With a key, it sends
 * the same requests to the real API and only prints the answers.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { startLocalOpenAIServer, type Fault } from '../local-openai-server.js';
import { AppModule } from './app.module.js';

interface Step {
  title: string;
  request: `${'GET' | 'POST'} /${string}`;
  body?: { message: string };
  /** What the local server does with the upstream requests of this step, in order. */
  faults: Fault[];
  /** The answer the client gets from the local server's faults. */
  expected: number;
}

const steps: Step[] = [
  {
    title: 'A 429 and then a 503 upstream: ChatService.reply retries both.',
    request: 'POST /chat', body: { message: 'Hello, Nest!' },
    faults: [{ kind: 'rate-limit', retryAfterMs: 250 }, { kind: 'service-unavailable' }], expected: 200,
  },
  {
    title: 'The first model answers 429 with retry-after 20 s: the reply comes from the second model at once.',
    request: 'POST /chat/any-model', body: { message: 'Which model?' },
    faults: [{ kind: 'rate-limit', retryAfterMs: 20_000, model: 'gpt-4o' }], expected: 200,
  },
  {
    title: 'ChatService.title allows one retry only, then the filter answers 502.',
    request: 'POST /chat/title', body: { message: 'Planning a trip to Lisbon' },
    faults: [{ kind: 'server-error' }, { kind: 'server-error' }], expected: 502,
  },
  {
    title: '@Retryable above @Post on a controller method: a 500 is retried.',
    request: 'POST /chat/quick', body: { message: 'Quick question' },
    faults: [{ kind: 'server-error' }], expected: 200,
  },
  {
    title: '@Retryable below @Get: a dropped connection is retried.',
    request: 'GET /chat/ping',
    faults: [{ kind: 'drop-connection' }], expected: 200,
  },
  {
    title: 'insufficient_quota is never retried; the filter answers 503 without Retry-After.',
    request: 'POST /chat', body: { message: 'Are we out of credit?' },
    faults: [{ kind: 'insufficient-quota' }], expected: 503,
  },
  {
    title: 'The server asks for 120 s, more than maxDelay: no retry, and the client is told Retry-After: 120.',
    request: 'POST /chat', body: { message: 'Busy?' },
    faults: [{ kind: 'rate-limit-seconds', retryAfterSeconds: 120 }], expected: 503,
  },
  {
    title: 'A 401 means our own key is wrong: the client gets 502, not 401.',
    request: 'POST /chat', body: { message: 'Who am I?' },
    faults: [{ kind: 'invalid-api-key' }], expected: 502,
  },
];

const print = (line: string) => console.log(`[demo] ${line}`);

const upstream = process.env.OPENAI_API_KEY ? undefined : await startLocalOpenAIServer({ log: console.log });
const app = await NestFactory.create(
  AppModule.forRoot({
    openai: upstream ? { baseURL: upstream.url, apiKey: 'local-server-needs-no-key' } : {},
    // App-wide timing, shortened so the demo runs in a second or two (the built-in initialDelay is 1 s).
    retry: { initialDelay: 200 },
  }),
  // Only warnings and errors, so the retry lines stand out; they come from RetryDefaultsModule.
  { logger: ['warn', 'error'] },
);
await app.listen(0, '127.0.0.1');
const baseUrl = await app.getUrl();
print(`Nest app on ${baseUrl}; upstream: ${upstream ? `local server ${upstream.url}` : 'the OpenAI API (OPENAI_API_KEY is set)'}`);

let failures = 0;
for (const [index, step] of steps.entries()) {
  console.log();
  print(`${index + 1}. ${step.title}`);
  upstream?.script(...step.faults);
  const before = upstream?.requestCount ?? 0;
  const [method, path] = step.request.split(' ');
  const response = await fetch(baseUrl + path, {
    method,
    headers: step.body ? { 'content-type': 'application/json' } : {},
    body: step.body ? JSON.stringify(step.body) : undefined,
  });
  const retryAfter = response.headers.get('retry-after');
  print(`${step.request} -> ${response.status}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''} ${await response.text()}`);
  if (upstream) {
    print(`${upstream.requestCount - before} upstream request(s)`);
    if (response.status !== step.expected) {
      failures++;
      print(`UNEXPECTED: wanted ${step.expected}`);
    }
  }
}

await app.close();
await upstream?.close();
console.log();
print(failures === 0 ? 'Done.' : `Done, with ${failures} unexpected answer(s).`);
process.exitCode = failures === 0 ? 0 : 1;
