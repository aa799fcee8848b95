/**
 * `upstream.fetch()` in virtual time, against a fake server that keeps a token bucket of requests
 * and announces it in OpenAI's `x-ratelimit-*` headers.
 */
import { describe, expect, test, vi } from 'vitest';
import { initialUpstreamState } from '../../src/coordination/upstream-state.js';
import { Upstream, type UpstreamStore } from '../../src/index.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

useVirtualTimePerTest();

/** A limit of `capacity` tokens refilled at `perSecond`, full at t = 0, charged `cost` a request; a refused request costs nothing. */
function limitedServer(capacity: number, perSecond: number, cost: number) {
  let level = capacity;
  let at = 0;
  const sent: { at: number; status: number }[] = [];
  const fetch = async (): Promise<Response> => {
    const now = Date.now();
    level = Math.min(capacity, level + ((now - at) * perSecond) / 1000);
    at = now;
    const served = level >= cost;
    if (served) level -= cost;
    sent.push({ at: now, status: served ? 200 : 429 });
    const headers = {
      'x-ratelimit-limit-tokens': String(capacity),
      'x-ratelimit-remaining-tokens': String(Math.floor(level)),
      'x-ratelimit-reset-tokens': `${Math.ceil(((capacity - level) / perSecond) * 1000)}ms`,
    };
    return new Response('{}', { status: served ? 200 : 429, headers });
  };
  return { fetch, sent };
}

/** A chat request that `estimateRequestTokens` counts as 500 tokens: `max_tokens` 256, 4 for the message, 240 of content. */
const body = JSON.stringify({ model: 'm', max_tokens: 256, messages: [{ role: 'user', content: 'x'.repeat(240 * 4) }] });

describe('admission through fetch()', () => {
  test('slots are booked one refill ahead at most: the others look again, and all go at the limit\'s pace without a refusal', async () => {
    const state = initialUpstreamState();
    const store: UpstreamStore = { apply: (_name, transition, argument) => transition(state, argument) };
    // 3,000 tokens a second, a bucket of one second: six requests a refill.
    const server = limitedServer(3000, 3000, 500);
    let bookedAhead = 0;
    const fetchThrough = new Upstream({ store }).fetch(async () => {
      // Tokens charged but not sent yet, this request's aside: the slots booked ahead of it.
      bookedAhead = Math.max(bookedAhead, state.admission.spentTokens - 500 * (server.sent.length + 1));
      return server.fetch();
    });
    // One request first, so that the limit is known; then forty at once.
    await fetchThrough('http://local/v1/chat/completions', { method: 'POST', body });
    const responses = Promise.all(Array.from({ length: 40 }, () => fetchThrough('http://local/v1/chat/completions', { method: 'POST', body })));
    await vi.runAllTimersAsync();
    expect((await responses).map((response) => response.status)).toEqual(Array.from({ length: 40 }, () => 200));
    expect(server.sent.filter((request) => request.status === 429)).toEqual([]);
    // What is left and one refill at most (9 requests at t = 0); without a horizon all 39 would be booked then.
    expect(bookedAhead).toBe(4500);
    // The floor: 41 × 500 tokens less the 3,000 of the full bucket, at 3,000 a second, is 5,833 ms;
    // the margin (a tenth of the bucket) shifts every slot by 100 ms.
    const last = server.sent.at(-1)!.at;
    expect(last).toBeGreaterThanOrEqual(5833);
    expect(last).toBeLessThanOrEqual(5833 + 200);
  });
});
