/**
 * The `npm run example` demo, run in-process with the library's real defaults (so its waits are
 * real: a few seconds at most). `npm run test:example` runs the compiled one as a process.
 */
import { resetRetryDefaults } from 'retryable';
import { afterEach, describe, expect, it } from 'vitest';

// completeAnyModel's targets are shared by the module, as an application's would be: after the
// first test's 429 "retry after 20 s" on gpt-4o, later tests in this process go to gpt-4o-mini.
const ANY_MODEL_TARGET = expect.stringMatching(/^gpt-4o(-mini)?$/);
import { runChatDemo } from '../../examples/chat-service-demo.js';
import { startLocalOpenAIServer } from '../../examples/local-openai-server.js';

afterEach(() => resetRetryDefaults());

/** The number in `waiting N ms`. */
const waitOf = (line: string | undefined) => Number(/waiting (\d+) ms/.exec(line ?? '')?.[1]);

describe('the chat service demo', () => {
  it('without OPENAI_API_KEY: shows each demo fault on the local server, prints every retry, and succeeds', async () => {
    const lines: string[] = [];
    await expect(runChatDemo({}, (line) => lines.push(line))).resolves.toBe(0);

    const retries = lines.filter((line) => line.startsWith('retry '));
    expect(retries).toEqual([
      expect.stringMatching(/^retry +ChatService\.complete attempt 1 failed with RateLimitError 429 rate_limit_exceeded, server asked for 250 ms; waiting \d+ ms$/),
      expect.stringMatching(/^retry +ChatService\.complete attempt 2 failed with InternalServerError 503 server_error; waiting \d+ ms$/),
      expect.stringMatching(/^retry +ChatService\.stream attempt 1 failed with TypeError: terminated; waiting \d+ ms$/),
      'retry   ChatService.completeAnyModel attempt 1 failed with RateLimitError 429 rate_limit_exceeded, server asked for 20000 ms; waiting 0 ms',
    ]);
    expect(waitOf(retries[0])).toBeGreaterThanOrEqual(250);
    expect(lines).toContain('answer: Echo: Say hello in five words.');
    expect(lines).toContain('answer: Echo: Count from one to five. (6 chunks)');
    expect(lines).toContain('answer: Echo: Say hello from any model. (from gpt-4o-mini)');
    expect(lines).toContain('give up ChatService.extract after 1 attempt (not-retryable): RateLimitError 429 insufficient_quota');
    expect(lines.slice(-2)).toEqual([
      'failed: RateLimitError 429 insufficient_quota',
      '\ndone: 4 calls as planned; the last one fails on purpose: insufficient_quota is never retried',
    ]);
    // Six requests: three for complete, two for stream, one for extract.
    expect(lines.filter((line) => line.startsWith('[server] #'))).toHaveLength(8);
    expect(lines).toContainEqual(expect.stringMatching(/^admission: 40 requests, 8 workers vs 20 req\/s \(burst 5\): \d+ held \(longest \d\.\d\d s\), \d+ 429s \(\d+ retried\), done in \d\.\d\d s \(floor 1\.75 s\)$/));
  }, 10_000); // the built-in delays: up to 1.25 s + 2 s + 1 s of waiting

  it('with OPENAI_API_KEY: calls OPENAI_BASE_URL with OPENAI_MODEL, and starts no fault server', async () => {
    const api = await startLocalOpenAIServer();
    try {
      const lines: string[] = [];
      const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: api.url, OPENAI_MODEL: 'gpt-test' };
      await expect(runChatDemo(env, (line) => lines.push(line))).resolves.toBe(0);
      expect(api.requests.map((r) => (r.body as { model: string }).model)).toEqual(['gpt-test', 'gpt-test', ANY_MODEL_TARGET, 'gpt-test']);
      expect(lines.some((line) => line.startsWith('[server]') || line.startsWith('retry '))).toBe(false);
      expect(lines).toContain('answer: {"city":"example","country":"example"}');
      expect(lines.at(-1)).toBe('\ndone: 4 calls, all answered');
    } finally {
      await api.close();
    }
  });

  it('with OPENAI_API_KEY, a failed call makes the demo report failure', async () => {
    const api = await startLocalOpenAIServer({ faults: [{ kind: 'invalid-api-key' }] });
    try {
      const lines: string[] = [];
      await expect(runChatDemo({ OPENAI_API_KEY: 'sk-wrong', OPENAI_BASE_URL: api.url }, (line) => lines.push(line))).resolves.toBe(1);
      expect(lines).toContain('failed: AuthenticationError 401 invalid_api_key');
      expect(lines.at(-1)).toBe('\ndone: 4 calls, 1 failed unexpectedly');
      expect(api.requests.map((r) => (r.body as { model: string }).model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', ANY_MODEL_TARGET, 'gpt-4o-mini']);
    } finally {
      await api.close();
    }
  });
});
