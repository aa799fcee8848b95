import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { AppModule } from '../../examples/nestjs/app.module.js';
import { MODEL_TARGETS, modelTargets } from '../../examples/nestjs/model-targets.js';
import { send, useNestApp } from './nest-harness.js';

// The example's targets live as long as the module (the decorator needs them at class definition),
// so this file is the only one that routes across them, and it goes through them in order.
const booted = useNestApp((upstreamUrl) => AppModule.forRoot({ openai: { baseURL: upstreamUrl, apiKey: 'test' }, retry: { initialDelay: 10 } }));

const modelsAsked = () => booted.upstream.requests.map((request) => [(request.body as { model: string }).model, request.status]);

describe('POST /chat/any-model (ChatService.replyFromAnyModel over two targets)', () => {
  it('injects the very Upstreams the decorator routes across', () => {
    expect(booted.nest.app.get(MODEL_TARGETS)).toBe(modelTargets);
  });

  it('a 429 on the first model moves the call to the second at once; while it cools down, calls go straight to the second', async () => {
    const first = await send(`${booted.nest.url}/chat/any-model`, { body: { message: 'hello' } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ reply: 'Echo: hello', model: 'gpt-4o' });

    booted.upstream.script({ kind: 'rate-limit', retryAfterMs: 60_000, model: 'gpt-4o' });
    const moved = await send(`${booted.nest.url}/chat/any-model`, { body: { message: 'again' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ reply: 'Echo: again', model: 'gpt-4o-mini' });

    const during = await send(`${booted.nest.url}/chat/any-model`, { body: { message: 'and again' } });
    expect(during.body).toEqual({ reply: 'Echo: and again', model: 'gpt-4o-mini' });
    // One request to the cooled model in all: the one that earned the 429.
    expect(modelsAsked()).toEqual([['gpt-4o', 200], ['gpt-4o', 429], ['gpt-4o-mini', 200], ['gpt-4o-mini', 200]]);
    const retries = booted.nest.logger.messages('Retryable');
    expect(retries).toEqual(['ChatService.replyFromAnyModel: attempt 1 failed with 429 rate_limit_exceeded; retrying in 0 ms (server asked for 60000 ms)']);
  });
});
