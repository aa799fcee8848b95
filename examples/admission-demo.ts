/**
 * The admission part of `npm run example`: a batch through a pool of workers against the local
 * server's request limit, every request going through `upstream.fetch()`. The Upstream reads the
 * `x-ratelimit-*` headers of each response and holds the next requests until they fit, so the
 * batch finishes at the limit's pace without being refused.
 */
import OpenAI from 'openai';
import { retry, Upstream } from 'retryable';
import { startLocalOpenAIServer } from './local-openai-server.js';

const REQUESTS = 40;
const WORKERS = 8;
const PER_SECOND = 20;
const BURST = 5;

/** Runs the batch and returns its summary line. */
export async function runAdmissionDemo(): Promise<string> {
  const server = await startLocalOpenAIServer({ limits: { requestsPerMinute: PER_SECOND * 60, burst: BURST } });
  const upstream = new Upstream({ name: 'demo-batch' });
  // When each request was handed to fetch, and how long the Upstream held it before it went.
  const handedAt = new WeakMap<object, number>();
  const holds: number[] = [];
  const admitted = upstream.fetch((input, init) => {
    holds.push(performance.now() - handedAt.get(init!)!);
    return fetch(input, init);
  });
  const client = new OpenAI({
    apiKey: 'local-demo-key',
    baseURL: server.url,
    maxRetries: 0,
    fetch: (input, init) => {
      handedAt.set(init!, performance.now());
      return admitted(input, init);
    },
  });
  const started = performance.now();
  let next = 0;
  let retries = 0;
  // Counted here rather than printed: the demo's `retry ` lines are the scripted faults'.
  const options = { upstream, onRetry: () => void retries++ };
  try {
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (next < REQUESTS) {
        next++;
        await retry(({ requestOptions }) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi.' }] }, requestOptions), options);
      }
    }));
  } finally {
    await server.close();
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const held = holds.filter((ms) => ms >= 1);
  const refused = server.requests.filter((request) => request.status === 429).length;
  return `admission: ${REQUESTS} requests, ${WORKERS} workers vs ${PER_SECOND} req/s (burst ${BURST}): `
    + `${held.length} held (longest ${seconds(Math.max(0, ...held))}), ${refused} 429s (${retries} retried), `
    + `done in ${seconds(performance.now() - started)} (floor ${seconds(((REQUESTS - BURST) / PER_SECOND) * 1000)})`;
}
