/**
 * What `ChatService` asks of the API, checked on the server's side of the wire, and what it returns.
 */
import { describe, expect, it } from 'vitest';
import type { JsonSchemaFormat } from '../../examples/chat-service.js';
import { exampleFor } from '../../examples/local-openai-server.js';
import { useChatService } from './harness.js';
import { sdksUnderTest } from './sdks.js';

const landmark: JsonSchemaFormat = {
  name: 'landmark',
  schema: {
    type: 'object',
    properties: { city: { type: 'string' }, country: { type: 'string' }, visitors: { type: 'integer' } },
    required: ['city', 'country', 'visitors'],
    additionalProperties: false,
  },
};

describe.each(sdksUnderTest)('%s: ChatService requests', (_, OpenAI) => {
  const e2e = useChatService(OpenAI);

  it('complete sends one user message to the chosen model and returns the text', async () => {
    await expect(e2e.chat.complete('hello there')).resolves.toBe('Echo: hello there');
    expect(e2e.server.requests).toMatchObject([{
      method: 'POST',
      path: '/v1/chat/completions',
      stream: false,
      body: { model: 'local-model', messages: [{ role: 'user', content: 'hello there' }] },
    }]);
  });

  it('extract asks for strict json_schema output and returns it parsed', async () => {
    await expect(e2e.chat.extract('Where is the Eiffel Tower?', landmark)).resolves.toEqual(exampleFor(landmark.schema));
    expect(e2e.server.requests[0]!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { ...landmark, strict: true } },
    });
  });

  it('extract is retried like the others (a 500, then the JSON)', async () => {
    e2e.server.script({ kind: 'server-error' });
    await expect(e2e.chat.extract('Where is the Eiffel Tower?', landmark)).resolves.toEqual({ city: 'example', country: 'example', visitors: 1 });
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.retries).toMatchObject([{ method: 'ChatService.extract', attempt: 1, delay: 10 }]);
    expect(e2e.retries[0]!.error).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('a caller signal that never fires changes nothing', async () => {
    const controller = new AbortController();
    await expect(e2e.chat.complete('hello', { signal: controller.signal })).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(1);
  });
});
