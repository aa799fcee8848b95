import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateRequestTokens, TOKENS_PER_MESSAGE } from '../../src/http/token-estimate.js';

describe('estimateRequestTokens: chat completions', () => {
  // 'You are terse.' is 14 characters, 'hello world' 11: ceil(25 / 4) = 7, plus 4 a message.
  const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'hello world' }];

  it.each([
    ['no allowance: the prompt only', {}, 7 + 8],
    ['max_tokens', { max_tokens: 100 }, 115],
    ['max_completion_tokens', { max_completion_tokens: 50 }, 65],
    ['max_completion_tokens over max_tokens', { max_completion_tokens: 50, max_tokens: 100 }, 65],
    ['a null max_completion_tokens falls back to max_tokens', { max_completion_tokens: null, max_tokens: 100 }, 115],
    ['n choices multiply the allowance', { max_tokens: 100, n: 3 }, 315],
    ['n without an allowance changes nothing', { n: 3 }, 15],
    ['max_tokens 0', { max_tokens: 0 }, 15],
  ])('%s', (_, extra, tokens) => {
    expect(estimateRequestTokens({ model: 'gpt-4o-mini', messages, ...extra })).toBe(tokens);
  });

  it('counts the text parts of array contents and nothing else', () => {
    const body = {
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'abcde' },
          { type: 'image_url', image_url: { url: 'https://example.com/a-very-long-url.png' } },
          { type: 'text', text: 'fgh' },
        ],
      }],
      max_tokens: 10,
    };
    expect(estimateRequestTokens(body)).toBe(Math.ceil(8 / 4) + TOKENS_PER_MESSAGE + 10);
  });

  it('rounds up once over the whole prompt, and charges messages with no text their overhead', () => {
    expect(estimateRequestTokens({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] })).toBe(1 + 8);
    expect(estimateRequestTokens({ messages: [{ role: 'assistant', content: null, tool_calls: [] }] })).toBe(4);
    expect(estimateRequestTokens({ messages: [] })).toBe(0);
  });

  it('parses a JSON string body', () => {
    expect(estimateRequestTokens(JSON.stringify({ messages, max_tokens: 1 }))).toBe(16);
  });
});

describe('estimateRequestTokens: responses API and legacy completions', () => {
  it('reads input (string or items), instructions and max_output_tokens', () => {
    expect(estimateRequestTokens({ model: 'gpt-4o', input: 'abcdefgh', max_output_tokens: 20 })).toBe(22);
    expect(estimateRequestTokens({ input: 'abcd', instructions: 'efghi' })).toBe(3);
    expect(estimateRequestTokens({
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'abcd' }] },
        { type: 'function_call_output', call_id: 'c1', output: 'efgh' },
      ],
    })).toBe(2 + TOKENS_PER_MESSAGE);
  });

  it('reads a prompt as a string, a batch, or token ids', () => {
    expect(estimateRequestTokens({ model: 'gpt-3.5-turbo-instruct', prompt: 'abcdefghi', max_tokens: 5 })).toBe(8);
    expect(estimateRequestTokens({ prompt: ['abcd', 'efgh'] })).toBe(2);
    expect(estimateRequestTokens({ prompt: [1, 2, 3] })).toBe(3);
    expect(estimateRequestTokens({ prompt: [[1, 2], [3, 4, 5]], max_tokens: 1, n: 2 })).toBe(7);
  });
});

describe('estimateRequestTokens: not a request', () => {
  it.each([
    ['undefined', undefined], ['null', null], ['a number', 42], ['an array', [{ role: 'user', content: 'x' }]],
    ['invalid JSON', '{"messages": ['], ['a JSON string of a number', '7'], ['an object without a prompt', { model: 'gpt-4o' }],
    ['messages that are not an array', { messages: 'hello' }],
    ['a negative max_tokens', { messages: [], max_tokens: -1 }],
    ['a fractional max_tokens', { messages: [], max_tokens: 1.5 }],
    ['a string max_tokens', { messages: [], max_tokens: '100' }],
    ['a hostile object', new Proxy({}, { get() { throw new Error('boom'); } })],
  ])('%s', (_, body) => {
    expect(estimateRequestTokens(body)).toBeUndefined();
  });

  it('never throws and, for a request, is a non-negative integer', () => {
    fc.assert(fc.property(fc.oneof(fc.anything(), fc.json()), (body) => {
      const tokens = estimateRequestTokens(body);
      if (tokens !== undefined) expect(Number.isInteger(tokens) && tokens >= 0).toBe(true);
    }));
  });

  it('grows by exactly the allowance times n, and by a message overhead per message', () => {
    const message = fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string() });
    fc.assert(fc.property(fc.array(message), fc.nat(100_000), fc.integer({ min: 1, max: 8 }), (list, max, n) => {
      const prompt = estimateRequestTokens({ messages: list })!;
      const chars = list.reduce((sum, m) => sum + m.content.length, 0);
      expect(prompt).toBe(Math.ceil(chars / 4) + TOKENS_PER_MESSAGE * list.length);
      expect(estimateRequestTokens({ messages: list, max_tokens: max, n })).toBe(prompt + max * n);
    }));
  });
});
