import { Upstream } from 'retryable';

/** What an attempt needs to call one of the models: its name. */
export interface ModelTarget {
  readonly model: string;
}

/** The Nest token under which the targets are provided, for whatever wants to read their state. */
export const MODEL_TARGETS = 'MODEL_TARGETS';

/**
 * The models a reply may come from, in order of preference. The decorator needs them when the class
 * is defined, before Nest builds anything, so they are created once here; `ChatModule` provides the
 * same instances under MODEL_TARGETS (a health check can ask `target.calm`).
 */
export const modelTargets: readonly Upstream[] = [
  new Upstream({ name: 'primary-model', target: { model: process.env.OPENAI_MODEL ?? 'gpt-4o' } satisfies ModelTarget }),
  new Upstream({ name: 'fallback-model', target: { model: process.env.OPENAI_FALLBACK_MODEL ?? 'gpt-4o-mini' } satisfies ModelTarget }),
];
