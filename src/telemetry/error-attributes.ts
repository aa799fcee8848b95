import { className, errorStatus } from '../http/classify.js';
import { readHeader } from '../http/server-hints.js';

/** What an attempt's failure says, as span and metric attributes, read from any shape of error. */
export interface ErrorDescription {
  /** `error.type`: the error's class (`RateLimitError`), else its `name`, else `_OTHER`. */
  readonly type: string;
  readonly status: number | undefined;
  /** The `x-request-id` response header, which OpenAI support asks for. */
  readonly requestId: string | undefined;
  readonly message: string | undefined;
}

/**
 * Describes an error without ever throwing: an attempt may throw a Proxy whose every trap throws,
 * and telemetry must not turn that into a different failure.
 */
export function describeError(error: unknown): ErrorDescription {
  return { type: errorType(error), status: errorStatus(error), requestId: readHeader(error, 'x-request-id'), message: errorMessage(error) };
}

function errorType(error: unknown): string {
  try {
    if (error === null || typeof error !== 'object') return '_OTHER';
    const ofClass = className(error);
    // The class says more than `name`, except for the generic ones (a DOMException's name is `TimeoutError`).
    if (ofClass !== undefined && ofClass !== '' && ofClass !== 'Error' && ofClass !== 'DOMException' && ofClass !== 'Object') return ofClass;
    const { name } = error as { name?: unknown };
    return typeof name === 'string' && name !== '' ? name : '_OTHER';
  } catch {
    return '_OTHER';
  }
}

function errorMessage(error: unknown): string | undefined {
  try {
    const message = error !== null && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
