/**
 * A chat service as an application would write it: plain methods over the official `openai` SDK,
 * each with one `@Retryable()` and no retry code of its own.
 *
 * Two rules make the decorator and the SDK work together:
 * - The client is built with `maxRetries: 0`. Otherwise the SDK retries inside each of our attempts
 *   and the two policies multiply (and the SDK would retry `insufficient_quota`, which cannot succeed).
 * - Each method reads `currentAttempt().signal` before its first `await` and hands it to the SDK.
 *   That signal aborts on the caller's own signal and on `attemptTimeout`, so a cancelled or
 *   timed-out attempt really closes its HTTP request instead of running on in the background.
 *
 * How long to wait, for how long, and what to log are application-wide settings; see
 * `setRetryDefaults` in `chat-service-demo.ts`.
 */
import type OpenAI from 'openai';
import { currentAttempt, Retryable, Upstream } from 'retryable';

export interface CompleteOptions {
  /** Cancels the call: a wait ends at once, an attempt in flight is aborted, no retry follows. */
  signal?: AbortSignal;
}

/** A JSON Schema for structured output, as `response_format.json_schema` takes it. */
export interface JsonSchemaFormat {
  /** a-z, A-Z, 0-9, `_` and `-`, at most 64 characters. */
  name: string;
  schema: Record<string, unknown>;
}

/** What a method needs to call one of its failover targets. */
export interface ModelTarget {
  model: string;
}

/**
 * Two models that can each answer, in order of preference. Each is an Upstream of its own, so a
 * 429 or an outage on one cools down that one only. Shared at module level: every instance and
 * every method that lists them sees the same cool-downs.
 */
export const modelTargets = [
  new Upstream({ name: 'gpt-4o', target: { model: 'gpt-4o' } satisfies ModelTarget }),
  new Upstream({ name: 'gpt-4o-mini', target: { model: 'gpt-4o-mini' } satisfies ModelTarget }),
];

export class ChatService {
  constructor(
    private readonly client: OpenAI,
    private readonly model = 'gpt-4o-mini',
  ) {}

  /** One answer to one prompt. The decorator finds `options.signal` by itself. */
  @Retryable()
  async complete(prompt: string, options: CompleteOptions = {}): Promise<string> {
    // Read before the first `await`: only the synchronous part of the method runs inside the attempt.
    const { signal } = currentAttempt()!;
    const completion = await this.client.chat.completions.create(
      { model: this.model, messages: [{ role: 'user', content: prompt }] },
      { signal },
    );
    return completion.choices[0]?.message.content ?? '';
  }

  /**
   * One answer from the first model that can give it: a 429, a 5xx or an outage on gpt-4o sends
   * the call to gpt-4o-mini at once (no wait), and while gpt-4o cools down calls go straight there.
   * Returns which model answered, so the caller can tell.
   */
  @Retryable({ targets: modelTargets })
  async completeAnyModel(prompt: string): Promise<{ model: string; text: string }> {
    const { signal, target } = currentAttempt()!;
    const { model } = target as ModelTarget;
    const completion = await this.client.chat.completions.create(
      { model, messages: [{ role: 'user', content: prompt }] },
      { signal },
    );
    return { model, text: completion.choices[0]?.message.content ?? '' };
  }

  /**
   * The answer piece by piece. Retried only until the first piece reaches the caller: after that a
   * retry would repeat text the caller already has, so a later failure is passed on as it is.
   */
  @Retryable()
  async *stream(prompt: string): AsyncGenerator<string> {
    const { signal } = currentAttempt()!;
    const chunks = await this.client.chat.completions.create(
      { model: this.model, messages: [{ role: 'user', content: prompt }], stream: true },
      { signal },
    );
    for await (const chunk of chunks) {
      const text = chunk.choices[0]?.delta?.content;
      // The first chunk often carries only the role; yielding nothing keeps the call retryable.
      if (text) yield text;
    }
  }

  /** Structured output: the model must answer with JSON that fits `schema`, returned parsed. */
  @Retryable()
  async extract<T = unknown>(prompt: string, schema: JsonSchemaFormat): Promise<T> {
    const { signal } = currentAttempt()!;
    const completion = await this.client.chat.completions.create(
      {
        model: this.model,
        messages: [{ role: 'user', content: prompt }],
        response_format: { type: 'json_schema', json_schema: { ...schema, strict: true } },
      },
      { signal },
    );
    const content = completion.choices[0]?.message.content;
    // A refusal has no content. It is an error without a status, which the default rule retries:
    // another sample may well comply.
    if (content == null) throw new Error(`${schema.name}: the model gave no JSON (refusal: ${completion.choices[0]?.message.refusal ?? 'none'})`);
    return JSON.parse(content) as T;
  }
}
