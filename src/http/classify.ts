import { findInCauseChain } from './cause-chain.js';
import { readHeader } from './server-hints.js';
import type { FailureKind } from '../coordination/coordinator.js';

const NETWORK_CODES = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
const RETRYABLE_STATUSES = new Set([408, 409, 425, 429]);
const NETWORK_MESSAGES = new Set(['fetch failed', 'terminated']);
// Class names, because openai's errors all have `name === 'Error'` and we must not import openai.
const ABORT_CLASSES = new Set(['APIUserAbortError', 'AbortError']);
// openai's connection failures (a refused socket, its own timeout) carry no status and no errno.
const CONNECTION_CLASSES = new Set(['APIConnectionError', 'APIConnectionTimeoutError']);
const PROGRAMMING_ERRORS = [ReferenceError, SyntaxError, RangeError];

type ErrorFields = { name?: unknown; code?: unknown; type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown; cause?: unknown; error?: unknown; response?: { status?: unknown } };

function isNetworkCode(code: unknown): boolean {
  return typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'));
}

/** A failure of the connection rather than an answer: by errno, undici code or fetch's message. */
function isNetworkFailure(error: ErrorFields): boolean {
  if (isNetworkCode(error.code)) return true;
  // Stryker disable next-line ConditionalExpression: Set.has of a message that is not a string is false anyway
  if (typeof error.message === 'string' && NETWORK_MESSAGES.has(error.message)) return true;
  const cause = error.cause as ErrorFields | undefined;
  return cause !== null && typeof cause === 'object' && (isNetworkCode(cause.code) || isNetworkCode((cause.cause as ErrorFields | undefined)?.code));
}

function ownStatus(error: ErrorFields): number | undefined {
  const status = error.status ?? error.statusCode ?? error.response?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The status of the error, or of the nearest error it wraps: a wrapped 429 is still a 429. */
function statusOf(error: object): number | undefined {
  return findInCauseChain(error, ownStatus);
}

/** A 429: the upstream is limiting us, so the retry follows the rate-limit schedule. Never throws. */
export function isRateLimitError(error: unknown): boolean {
  try {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: statusOf finds no status on a non-object either
    return error !== null && typeof error === 'object' && statusOf(error) === 429;
  } catch {
    return false;
  }
}

/** Whether the error, or one it wraps, carries `code` as its own or its body's `code` or `type`. */
function hasCode(error: object, code: string): boolean {
  return findInCauseChain(error, (link) => {
    const fields = link as ErrorFields;
    const body = fields.error as ErrorFields | undefined;
    return [fields.code, fields.type, body?.code, body?.type].includes(code) || undefined;
  }) === true;
}

/** Anywhere in the cause chain: a wrapper must not make an empty quota worth waiting for. */
function isInsufficientQuota(error: object): boolean {
  return hasCode(error, 'insufficient_quota');
}

export function className(error: object): string | undefined {
  const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The default rule for what is worth retrying: rate limits, timeouts, conflicts, 5xx and network
 * failures, or whatever the server marks with `x-should-retry: true`. Never retried: other 4xx,
 * `insufficient_quota`, `x-should-retry: false`, aborts and programming errors. An error without a
 * status is retried. Use it inside your own `retryIf` to build on it.
 */
export function isRetryableError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return true;
  try {
    const fields = error as ErrorFields;
    if (isInsufficientQuota(error)) return false;
    // Stryker disable next-line StringLiteral: any fallback that names no abort class gives the same answer
    if (fields.name === 'AbortError' || ABORT_CLASSES.has(className(error) ?? '')) return false;
    const shouldRetry = readHeader(error, 'x-should-retry');
    if (shouldRetry === 'true') return true;
    if (shouldRetry === 'false') return false;
    const status = statusOf(error);
    if (status !== undefined) return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599);
    if (error instanceof TypeError) return isNetworkFailure(fields);
    if (PROGRAMMING_ERRORS.some((ProgrammingError) => error instanceof ProgrammingError)) return false;
    return true;
  } catch {
    // An error whose getters throw cannot be judged; retrying it blind could repeat a bug.
    return false;
  }
}

/** The HTTP status an error carries, if any. Never throws. */
export function errorStatus(error: unknown): number | undefined {
  try {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: statusOf finds no status on a non-object either
    return error !== null && typeof error === 'object' ? statusOf(error as ErrorFields) : undefined;
  }
  // Stryker disable next-line BlockStatement: an empty catch returns undefined too
  catch {
    return undefined;
  }
}

/**
 * What a failure says about the upstream: it limits us (429), it is failing (5xx, 408), it cannot
 * be reached (network), the attempt ran out of time, or something about this request alone.
 */
export function failureKind(error: unknown, timedOut: boolean): FailureKind {
  if (timedOut) return 'timeout';
  const status = errorStatus(error);
  if (status === 429) return 'rate-limit';
  if (status !== undefined) return status >= 500 || status === 408 ? 'server' : 'other';
  try {
    // Stryker disable next-line ConditionalExpression: without `error === null`, null throws in isNetworkFailure and the catch gives 'other' too
    if (error === null || typeof error !== 'object') return 'other';
    // Stryker disable next-line StringLiteral: any fallback that names no connection class gives the same answer
    return isNetworkFailure(error as ErrorFields) || CONNECTION_CLASSES.has(className(error) ?? '') ? 'network' : 'other';
  } catch {
    return 'other';
  }
}

/**
 * The default rule for what moves a call to another of its `targets` at once: what says the upstream
 * is failing or limiting us (429, 5xx, 408, network failures, timeouts), and what another model or
 * account may serve (`insufficient_quota`, `context_length_exceeded`). Never the caller's own fault
 * (400, 401, 403, 404, 422, other 4xx) nor an abort. Use it inside your own `failoverIf`.
 */
export function shouldFailOver(error: unknown): boolean {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: hasCode and failureKind say no to a non-object too
  if (error === null || typeof error !== 'object') return false;
  try {
    if (hasCode(error, 'insufficient_quota') || hasCode(error, 'context_length_exceeded')) return true;
    return failureKind(error, false) !== 'other';
  } catch {
    return false;
  }
}
