/**
 * Where an upstream's rate limits stand, read from the headers of any response (a success as much
 * as a 429). Every vendor's form becomes one shape, so the code that learns from it (admission,
 * pacing) does not care whether the upstream is OpenAI, Azure OpenAI, Anthropic or an IETF-draft
 * gateway. Pure: `now` is passed in; garbage never throws, it only leaves a limit unread.
 */
import { parseGoDuration, readHeader } from './server-hints.js';

export interface LimitState {
  /** The bucket's capacity; undefined when the server did not say. */
  readonly limit: number | undefined;
  readonly remaining: number;
  /** ms until the window/bucket is fully restored (not the least wait: see `refillPerMs`). */
  readonly resetMs: number | undefined;
}

export interface RateLimitSnapshot {
  readonly requests?: LimitState;
  readonly tokens?: LimitState;
}

/** A WHATWG `Headers` (fetch, openai v5+) or a plain object with any key case (node:http, openai v4, axios). */
export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, unknown>>;

type Kind = 'requests' | 'tokens';
type Read = (name: string) => string | undefined;

const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/;

/** A non-negative finite number, or undefined. */
function count(text: string | undefined): number | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const state = (limit: number | undefined, remaining: number | undefined, resetMs: number | undefined) =>
  remaining === undefined ? undefined : { limit, remaining, resetMs };

/**
 * Every form found in `headers`, one limit at a time. When several forms describe the same limit,
 * the vendor's own headers win over the generic IETF fields, which gateways may add on top.
 */
export function readRateLimits(headers: HeaderSource | null | undefined, now: number): RateLimitSnapshot | undefined {
  // readHeader already copes with both header shapes, arrays, numbers and hostile getters.
  const read: Read = (name) => readHeader({ headers }, name);
  const ietf = ietfLimits(read);
  const requests = openAILimit(read, 'requests') ?? anthropicLimit(read, 'requests', now) ?? ietf.requests;
  const tokens = openAILimit(read, 'tokens') ?? anthropicLimit(read, 'tokens', now)
    // Anthropic splits tokens by direction on newer models; the input side is what a request spends on arrival.
    ?? anthropicLimit(read, 'input-tokens', now) ?? ietf.tokens;
  if (requests === undefined && tokens === undefined) return undefined;
  return { ...(requests && { requests }), ...(tokens && { tokens }) };
}

/**
 * The rate at which a limit refills, per ms. OpenAI's "reset" is the time until the bucket is full
 * again, so the spent part (limit − remaining) comes back over that time. Undefined when a part is
 * unknown, when nothing is spent (no rate can be seen) or when the numbers contradict each other.
 */
export function refillPerMs(limitState: LimitState): number | undefined {
  const { limit, remaining, resetMs } = limitState;
  if (limit === undefined || resetMs === undefined || resetMs <= 0 || limit <= remaining) return undefined;
  return (limit - remaining) / resetMs;
}

/** OpenAI and Azure OpenAI: reset is a Go duration (`6m0s`, `1.5s`, `20ms`); some servers send bare seconds. */
function openAILimit(read: Read, kind: Kind): LimitState | undefined {
  const reset = read(`x-ratelimit-reset-${kind}`);
  const seconds = count(reset);
  const parsed = seconds !== undefined ? seconds * 1000 : reset === undefined ? undefined : parseGoDuration(reset);
  // To the nanosecond, Go's resolution: `8.117s` is 8117 ms, not the float product 8117.000000000001.
  const resetMs = parsed === undefined ? Number.NaN : Math.round(parsed * 1e6) / 1e6;
  return state(count(read(`x-ratelimit-limit-${kind}`)), count(read(`x-ratelimit-remaining-${kind}`)),
    Number.isFinite(resetMs) ? resetMs : undefined);
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Anthropic: reset is an RFC 3339 instant; one already past means the limit is full now. */
function anthropicLimit(read: Read, kind: Kind | 'input-tokens', now: number): LimitState | undefined {
  const prefix = `anthropic-ratelimit-${kind}-`;
  const reset = read(`${prefix}reset`)?.trim();
  // Date.parse alone would accept loose text; the regex admits RFC 3339 only.
  const at = reset !== undefined && RFC_3339.test(reset) ? Date.parse(reset.replace(' ', 'T').toUpperCase()) : Number.NaN;
  const resetMs = Math.max(0, at - now);
  return state(count(read(`${prefix}limit`)), count(read(`${prefix}remaining`)), Number.isFinite(resetMs) ? resetMs : undefined);
}

/**
 * The IETF httpapi drafts. The newer structured fields (`RateLimit: "name";r=50;t=30` with
 * `RateLimit-Policy: "name";q=100;w=60`) name their policies, so a policy whose name mentions
 * token(s) is the token limit and any other the request limit; when several policies describe one
 * limit, the one with the least remaining binds first. The older draft (`RateLimit-Limit`,
 * `-Remaining`, `-Reset` in seconds) names nothing and is taken as the request limit.
 */
function ietfLimits(read: Read): Partial<Record<Kind, LimitState>> {
  const current = read('ratelimit');
  if (current === undefined) {
    const requests = state(leadingCount(read('ratelimit-limit')), leadingCount(read('ratelimit-remaining')),
      secondsToMs(leadingCount(read('ratelimit-reset'))));
    return requests ? { requests } : {};
  }
  const quotas = new Map(structuredList(read('ratelimit-policy') ?? '').map((item) => [item.name, item.params]));
  const found: Partial<Record<Kind, LimitState>> = {};
  for (const { name, params } of structuredList(current)) {
    const kind: Kind = /tokens?/i.test(name) ? 'tokens' : 'requests';
    const limit = state(count(quotas.get(name)?.get('q')), count(params.get('r')), secondsToMs(count(params.get('t'))));
    if (limit && (found[kind] === undefined || limit.remaining < found[kind].remaining)) found[kind] = limit;
  }
  return found;
}

const secondsToMs = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

/** The first number of an older-draft field, which may carry policies after it (`100, 100;w=60`). */
const leadingCount = (text: string | undefined) => count(text?.split(/[,;]/)[0]);

/** Splits on `separator` outside double quotes (RFC 8941 strings may hold `,` and `;`). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** The RFC 8941 list subset the drafts use: items that are a string or token name with `;key=value` parameters. */
function structuredList(text: string): Array<{ name: string; params: Map<string, string> }> {
  return splitOutsideQuotes(text, ',').map((item) => {
    const [head = '', ...rest] = splitOutsideQuotes(item, ';');
    const name = head.trim().replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1');
    const params = new Map(rest.map((param) => {
      const equals = param.indexOf('=');
      return equals < 0 ? [param.trim(), '1'] : [param.slice(0, equals).trim(), param.slice(equals + 1).trim()];
    }));
    return { name, params };
  });
}
