/**
 * What the server said about waiting, read from an error's response headers. Pure: `now` is passed
 * in. Headers may be a WHATWG `Headers` (openai v5+, fetch), a plain object (openai v4, node:http,
 * axios) on `error.headers` or on `error.response.headers`, of the error or of an error it wraps.
 */

import { findInCauseChain } from './cause-chain.js';

type HeaderBag = { get(name: string): string | null } | Record<string, unknown>;

function headersOf(error: object): HeaderBag | undefined {
  const own = (error as { headers?: unknown }).headers;
  const headers = own ?? (error as { response?: { headers?: unknown } }).response?.headers;
  return headers !== null && typeof headers === 'object' ? (headers as HeaderBag) : undefined;
}

/** The response headers an error carries (its own or its nearest cause's), as they are; undefined when none. */
export function responseHeadersOf(error: unknown): HeaderBag | undefined {
  try {
    return findInCauseChain(error, headersOf);
  }
  // Stryker disable next-line BlockStatement: an empty catch returns undefined too
  catch {
    return undefined;
  }
}

/**
 * One header's value, case-insensitively, from the error or else the nearest error in its `cause`
 * chain that has it (a wrapped 429 keeps its `retry-after`), or undefined. Never throws, even on
 * hostile objects.
 */
export function readHeader(error: unknown, name: string): string | undefined {
  try {
    return findInCauseChain(error, (link) => readOwnHeader(link, name));
  }
  // Stryker disable next-line BlockStatement: an empty catch returns undefined too
  catch {
    return undefined;
  }
}

function readOwnHeader(error: object, name: string): string | undefined {
  try {
    const headers = headersOf(error);
    // Stryker disable next-line ConditionalExpression: without it, `undefined.get` throws and the catch returns undefined too
    if (headers === undefined) return undefined;
    if (typeof headers.get === 'function') return (headers.get as (n: string) => string | null)(name) ?? undefined;
    let value = (headers as Record<string, unknown>)[name];
    if (value === undefined) {
      const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
      value = key === undefined ? undefined : (headers as Record<string, unknown>)[key];
    }
    if (Array.isArray(value)) value = value[0];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }
  // Stryker disable next-line BlockStatement: an empty catch returns undefined too
  catch {
    return undefined;
  }
}

const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/;

/**
 * The firm wait the server asked for, in ms: `retry-after-ms`, else `retry-after` in seconds or
 * as an HTTP date (a past date means "now", 0). Undefined when absent, negative or unreadable.
 */
export function retryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  const milliseconds = readHeader(error, 'retry-after-ms');
  // Stryker disable next-line ConditionalExpression: DECIMAL.test(undefined) tests the text "undefined": false
  if (milliseconds !== undefined && DECIMAL.test(milliseconds)) return Number(milliseconds);
  const retryAfter = readHeader(error, 'retry-after');
  if (retryAfter === undefined) return undefined;
  if (DECIMAL.test(retryAfter)) return Number(retryAfter) * 1000;
  const at = httpDateMs(retryAfter.trim());
  return at === undefined ? undefined : Math.max(0, at - now);
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${DAY}[a-z]*, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/**
 * The three date forms HTTP allows (RFC 9110), and nothing else: `Date.parse` alone accepts loose
 * text such as "try again 2099". asctime carries no zone; HTTP dates are GMT, not local time.
 */
function httpDateMs(text: string): number | undefined {
  let at = Number.NaN;
  if (IMF_FIXDATE.test(text) || RFC_850.test(text)) at = Date.parse(text);
  else if (ASCTIME.test(text)) at = Date.parse(`${text} GMT`);
  return Number.isNaN(at) ? undefined : at;
}

const GO_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ns: 1e-6 };
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|μs|ns|h|m|s)/y;

/** Parses a Go duration such as `6m0s`, `1m30.5s`, `1.5s` or `20ms` into ms; undefined if malformed. */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (trimmed === '') return undefined;
  GO_PART.lastIndex = 0;
  let total = 0;
  while (GO_PART.lastIndex < trimmed.length) {
    const start = GO_PART.lastIndex;
    const part = GO_PART.exec(trimmed);
    // Stryker disable next-line ConditionalExpression: GO_PART is sticky, so a match always starts at lastIndex
    if (part === null || part.index !== start) return undefined;
    total += Number(part[1]) * GO_UNITS[part[2]!]!;
  }
  return total;
}

/**
 * The soft hint: how long until an exhausted OpenAI rate limit is fully restored, from
 * `x-ratelimit-reset-requests`/`-tokens`, only for a limit whose `x-ratelimit-remaining-*` is 0.
 * It says when the limit is full again, not the least wait, so the engine may lengthen a backoff
 * with it but never gives up because of it.
 */
export function rateLimitResetMs(error: unknown): number | undefined {
  let longest: number | undefined;
  for (const limit of ['requests', 'tokens']) {
    if (readHeader(error, `x-ratelimit-remaining-${limit}`)?.trim() !== '0') continue;
    const reset = readHeader(error, `x-ratelimit-reset-${limit}`);
    const ms = reset === undefined ? undefined : parseGoDuration(reset);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: an undefined ms only sets an undefined longest again (`undefined > n` is false); an equal ms changes nothing
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}
