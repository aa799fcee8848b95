import type { AttemptContext } from '../../src/index.js';
import { Upstream } from '../../src/index.js';

/** A request as a model saw it: which model, when (virtual time), and what it answered. */
export interface ModelRequest {
  readonly model: string;
  readonly at: number;
  readonly error: unknown;
}

/** Two targets over two models: `primary` is preferred. A fresh pair per test, so no state leaks. */
export function twoTargets() {
  const primary = new Upstream({ name: 'primary', target: { model: 'primary' } });
  const secondary = new Upstream({ name: 'secondary', target: { model: 'secondary' } });
  return { primary, secondary, targets: [primary, secondary] as const };
}

/**
 * A fake model call that answers after `latency` ms: the error `answer(model, now)` returns, or
 * `"<model>: ok"` when it returns undefined. Every request is logged, with the very error it threw.
 */
export function models(answer: (model: string, now: number) => unknown, latency = 10) {
  const requests: ModelRequest[] = [];
  const call = (attempt: AttemptContext | undefined): Promise<string> => {
    const { model } = attempt!.target as { model: string };
    const at = Date.now();
    const error = answer(model, at);
    requests.push({ model, at, error });
    return new Promise((resolve, reject) => setTimeout(() => (error === undefined ? resolve(`${model}: ok`) : reject(error)), latency));
  };
  return {
    call,
    requests,
    /** When `model` was asked, in order. */
    times: (model: string) => requests.filter((request) => request.model === model).map((request) => request.at),
  };
}
