import { expect, test } from 'vitest';
import { getRetryPolicy, Retryable } from '../../src/index.js';

// reflect-metadata is an optional peer: a plain project never loads it. This file must not import it.
test('the decorator works, and keeps its policy, in a process without reflect-metadata', async () => {
  expect('getOwnMetadataKeys' in Reflect).toBe(false);
  let calls = 0;
  class Plain {
    @Retryable({ maxRetries: 2, initialDelay: 0, jitter: 'none' })
    async call(): Promise<string> {
      calls++;
      if (calls < 3) throw Object.assign(new Error('busy'), { status: 503 });
      return 'ok';
    }
  }
  expect(await new Plain().call()).toBe('ok');
  expect(calls).toBe(3);
  expect(Plain.prototype.call.name).toBe('call');
  expect(getRetryPolicy(Plain, 'call')).toMatchObject({ maxRetries: 2, initialDelay: 0 });
});
