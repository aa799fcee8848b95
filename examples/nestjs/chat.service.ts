import { Injectable } from '@nestjs/common';
import OpenAI from 'openai';
import { currentAttempt, Retryable } from 'retryable';
import { modelTargets, type ModelTarget } from './model-targets.js';

export const CHAT_MODEL = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

/**
 * The place for retries in a Nest app: the service method that makes the one upstream call.
 * The OpenAI client arrives by its class, so Nest needs no token (emitDecoratorMetadata).
 */
@Injectable()
export class ChatService {
  constructor(private readonly openai: OpenAI) {}

  /** A chat reply. The timing and the logging come from the app-wide defaults (RetryDefaultsModule). */
  @Retryable({ maxRetries: 3 })
  async reply(message: string): Promise<string> {
    // The attempt's signal lets a timeout or the caller's abort really stop the HTTP request.
    const completion = await this.openai.chat.completions.create(
      { model: CHAT_MODEL, messages: [{ role: 'user', content: message }] },
      { signal: currentAttempt()?.signal },
    );
    return completion.choices[0]?.message.content ?? '';
  }

  /** A short title for a conversation: nice to have, so it fails fast rather than keeping the user waiting. */
  @Retryable({ maxRetries: 1, timeout: 5_000 })
  async title(message: string): Promise<string> {
    const completion = await this.openai.chat.completions.create(
      { model: CHAT_MODEL, max_completion_tokens: 16, messages: [
        { role: 'system', content: 'Give the conversation a title of at most five words.' },
        { role: 'user', content: message },
      ] },
      { signal: currentAttempt()?.signal },
    );
    return completion.choices[0]?.message.content ?? '';
  }

  /**
   * A reply from the first model that is not cooling down: a 429 or an outage on one moves the call
   * to the next at once, and the cooled one gets a single probe per cool-down.
   */
  @Retryable({ targets: modelTargets })
  async replyFromAnyModel(message: string): Promise<{ reply: string; model: string }> {
    const attempt = currentAttempt()!;
    const { model } = attempt.target as ModelTarget;
    const completion = await this.openai.chat.completions.create(
      { model, messages: [{ role: 'user', content: message }] },
      attempt.requestOptions,
    );
    return { reply: completion.choices[0]?.message.content ?? '', model };
  }
}
