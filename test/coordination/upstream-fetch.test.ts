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
  test('slots are booked 5 s ahead at most (a refill is 1 s): the others look again, and all go at the limit\'s pace without a refusal', async () => {
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
    // One request first, so that the limit is known; then a hundred at once.
    await fetchThrough('http://local/v1/chat/completions', { method: 'POST', body });
    const responses = Promise.all(Array.from({ length: 100 }, () => fetchThrough('http://local/v1/chat/completions', { method: 'POST', body })));
    await vi.runAllTimersAsync();
    expect((await responses).map((response) => response.status)).toEqual(Array.from({ length: 100 }, () => 200));
    expect(server.sent.filter((request) => request.status === 429)).toEqual([]);
    // What is left and 5 s of refill, less the margin, at most (34 requests at t = 0, 33 of them
    // ahead of the first sent); without a horizon all 100 would be booked then.
    expect(bookedAhead).toBe(33 * 500);
    // The floor: 101 × 500 tokens less the 3,000 of the full bucket, at 3,000 a second, is 15,833 ms;
    // the margin (a tenth of the bucket) shifts every slot by 100 ms.
    const last = server.sent.at(-1)!.at;
    expect(last).toBeGreaterThanOrEqual(15_833);
    expect(last).toBeLessThanOrEqual(15_833 + 200);
  });
});
