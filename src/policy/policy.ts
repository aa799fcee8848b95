import type { BackoffSchedule } from './backoff.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { Targets } from '../coordination/targets.js';
import { Upstream } from '../coordination/upstream.js';
import { shouldFailOver } from '../http/classify.js';
import type { Jitter, RateLimitSchedule, RetryClock, RetryOptions, RetryPolicy } from './options.js';

/**
 * The defaults that apply when neither the method nor `setRetryDefaults` sets an option. Equal
 * jitter because server errors and network failures want waits that reliably add up: with full
 * jitter some clients give up early in an outage (see the README's benchmark).
 */
export const BUILT_IN_DEFAULTS = Object.freeze({
  maxRetries: 3,
  initialDelay: 1000,
  multiplier: 2,
  maxDelay: 30_000,
  jitter: 'equal' as Jitter,
});

/**
 * The 429 schedule where nobody chose one: the same short schedule as other failures. A lone caller
 * after a 429 is back within a second, as with the OpenAI SDK; a crowd refused together is paced by
 * its Upstream, not spread by a long schedule of its own.
 */
export const RATE_LIMIT_DEFAULTS = Object.freeze({
  initialDelay: BUILT_IN_DEFAULTS.initialDelay,
  multiplier: BUILT_IN_DEFAULTS.multiplier,
  jitter: BUILT_IN_DEFAULTS.jitter,
});

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

const OPTION_NAMES: readonly (keyof RetryOptions)[] = [
  'maxRetries', 'initialDelay', 'multiplier', 'maxDelay', 'jitter', 'rateLimit', 'timeout', 'attemptTimeout',
  'retryIf', 'onRetry', 'onGiveUp', 'signal', 'upstream', 'targets', 'failoverIf', 'fallback', 'retryOnResult',
  'budget', 'random', 'clock', 'telemetry',
];

// Looked up at each use, so that fake timers installed after import still take effect.
const systemClock: RetryClock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
const systemRandom = () => Math.random();

/** Renders a bad value the way a user would have typed it. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}

class OptionChecker {
  constructor(private readonly where: string) {}

  fail(ErrorType: typeof TypeError | typeof RangeError, option: string, rule: string, value: unknown): never {
    throw new ErrorType(`${this.where}: ${option} ${rule}, got ${describe(value)}`);
  }

  number(option: string, value: unknown, rule: string, valid: (n: number) => boolean): void {
    if (typeof value !== 'number') this.fail(TypeError, option, rule, value);
    if (!valid(value)) this.fail(RangeError, option, rule, value);
  }

  optionalFunction(option: string, value: unknown): void {
    if (value !== undefined && typeof value !== 'function') this.fail(TypeError, option, 'must be a function', value);
  }
}

const isDelay = (n: number) => Number.isFinite(n) && n >= 0;
const isPositiveDuration = (n: number) => Number.isFinite(n) && n > 0;

/** Rejects unknown keys and values of the wrong type, one options object on its own. */
export function checkOptionsShape(options: unknown, where: string): asserts options is RetryOptions {
  const check = new OptionChecker(where);
  if (options === null || typeof options !== 'object') check.fail(TypeError, 'options', 'must be an object', options);
  for (const key of Object.keys(options as object)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)}; the options are ${OPTION_NAMES.join(', ')}`);
    }
  }
}

/**
 * Merges built-in defaults, application defaults and the method's own options (later wins;
 * `undefined` means "not set"), validates the result and freezes it.
 */
export function resolvePolicy(options: RetryOptions, applicationDefaults: RetryOptions, where: string): RetryPolicy {
  checkOptionsShape(options, where);
  const merged: RetryOptions = { ...BUILT_IN_DEFAULTS };
  for (const source of [applicationDefaults, options]) {
    for (const key of Object.keys(source) as (keyof RetryOptions)[]) {
      if (source[key] !== undefined) (merged as Record<string, unknown>)[key] = source[key];
    }
  }
  const check = new OptionChecker(where);
  const { maxRetries, initialDelay, multiplier, jitter, timeout, attemptTimeout } = merged as Required<RetryOptions>;
  let { maxDelay } = merged as Required<RetryOptions>;
  // Asking for a long first wait without naming a cap should not fail against a cap nobody chose.
  const maxDelayChosen = applicationDefaults.maxDelay !== undefined || options.maxDelay !== undefined;
  if (!maxDelayChosen && typeof initialDelay === 'number' && initialDelay > maxDelay) maxDelay = initialDelay;

  check.number('maxRetries', maxRetries, 'must be a non-negative integer', (n) => n === Infinity || (Number.isInteger(n) && n >= 0));
  if (maxRetries === Infinity && timeout === undefined) {
    check.fail(RangeError, 'maxRetries', 'may be Infinity only together with a timeout', maxRetries);
  }
  checkSchedule(check, '', { initialDelay, multiplier, jitter });
  check.number('maxDelay', maxDelay, 'must be a non-negative finite number of milliseconds', isDelay);
  if (maxDelay < initialDelay) check.fail(RangeError, 'maxDelay', `must not be less than initialDelay (${initialDelay})`, maxDelay);
  const rateLimit = rateLimitSchedule(check, options, applicationDefaults, merged, maxDelay);
  for (const [option, value] of [['timeout', timeout], ['attemptTimeout', attemptTimeout]] as const) {
    if (value !== undefined) check.number(option, value, 'must be a positive finite number of milliseconds', isPositiveDuration);
  }
  check.optionalFunction('retryIf', merged.retryIf);
  check.optionalFunction('onRetry', merged.onRetry);
  check.optionalFunction('onGiveUp', merged.onGiveUp);
  check.optionalFunction('random', merged.random);
  check.optionalFunction('failoverIf', merged.failoverIf);
  check.optionalFunction('fallback', merged.fallback);
  check.optionalFunction('retryOnResult', merged.retryOnResult);
  const { signal, budget, clock } = merged;
  if (signal !== undefined && typeof signal !== 'function' && !(signal instanceof AbortSignal)) {
    check.fail(TypeError, 'signal', 'must be an AbortSignal or a function that returns one', signal);
  }
  if (budget !== undefined && (budget === null || typeof (budget as { beforeRetry?: unknown }).beforeRetry !== 'function')) {
    check.fail(TypeError, 'budget', 'must be a RetryBudget', budget);
  }
  if (clock !== undefined && !isClock(clock)) {
    check.fail(TypeError, 'clock', 'must have now, setTimeout and clearTimeout functions', clock);
  }

  const { upstream } = merged;
  if (upstream !== undefined && upstream !== false && !isCoordinator(upstream)) {
    check.fail(TypeError, 'upstream', 'must be an Upstream or false', upstream);
  }
  const targets = chosenTargets(check, options, applicationDefaults);
  if (merged.telemetry !== undefined && typeof merged.telemetry !== 'boolean') check.fail(TypeError, 'telemetry', 'must be true or false', merged.telemetry);
  // An explicit upstream wins; a budget alone is the coordinator it always was; else the options' own.
  const coordinator: Coordinator | undefined = targets !== undefined ? targetsCoordinator(targets)
    : upstream === false ? budget : upstream ?? budget ?? ownUpstream(options, where);
  return Object.freeze({
    maxRetries,
    initialDelay,
    multiplier,
    maxDelay,
    jitter,
    rateLimit,
    timeout,
    attemptTimeout,
    retryIf: merged.retryIf,
    onRetry: merged.onRetry,
    onGiveUp: merged.onGiveUp,
    signal,
    budget,
    upstream: coordinator,
    targets,
    failoverIf: targets === undefined ? undefined : merged.failoverIf ?? shouldFailOver,
    fallback: merged.fallback,
    retryOnResult: merged.retryOnResult,
    random: merged.random ?? systemRandom,
    clock: clock ?? systemClock,
    telemetry: merged.telemetry ?? true,
    watchFromStart: timeout !== undefined || attemptTimeout !== undefined,
    passSuccess: successHandler(coordinator, clock ?? systemClock),
  });
}

function checkSchedule(check: OptionChecker, prefix: string, schedule: RateLimitSchedule): void {
  const { initialDelay, multiplier, jitter } = schedule;
  check.number(`${prefix}initialDelay`, initialDelay, 'must be a non-negative finite number of milliseconds', isDelay);
  check.number(`${prefix}multiplier`, multiplier, 'must be a finite number of at least 1', (n) => Number.isFinite(n) && n >= 1);
  if (!JITTERS.includes(jitter as Jitter)) {
    check.fail(typeof jitter === 'string' ? RangeError : TypeError, `${prefix}jitter`, `must be one of ${JITTERS.map((j) => `"${j}"`).join(', ')}`, jitter);
  }
}

/**
 * Each 429 field comes from `rateLimit` (method, then application), else from the main option if
 * someone chose it (a user who asked for `jitter: 'none'` gets it on 429s too), else from
 * RATE_LIMIT_DEFAULTS.
 */
function rateLimitSchedule(check: OptionChecker, options: RetryOptions, applicationDefaults: RetryOptions, merged: RetryOptions, maxDelay: number): BackoffSchedule {
  for (const source of [applicationDefaults.rateLimit, options.rateLimit]) {
    if (source !== undefined && (source === null || typeof source !== 'object')) check.fail(TypeError, 'rateLimit', 'must be an object', source);
    for (const key of Object.keys(source ?? {})) {
      if (!(key in RATE_LIMIT_DEFAULTS)) check.fail(TypeError, 'rateLimit', `takes only ${Object.keys(RATE_LIMIT_DEFAULTS).join(', ')}; unknown key ${JSON.stringify(key)}`, source);
    }
  }
  const pick = <K extends keyof RateLimitSchedule>(key: K): RateLimitSchedule[K] =>
    options.rateLimit?.[key] ?? applicationDefaults.rateLimit?.[key]
      ?? (options[key] !== undefined || applicationDefaults[key] !== undefined ? merged[key] : RATE_LIMIT_DEFAULTS[key]);
  const schedule = { initialDelay: pick('initialDelay'), multiplier: pick('multiplier'), jitter: pick('jitter') };
  checkSchedule(check, 'rateLimit.', schedule);
  return Object.freeze({ ...(schedule as Required<RateLimitSchedule>), maxDelay });
}

/** The happy path's success handler: tells the coordinator, with the time only if it wants it. */
function successHandler(coordinator: Coordinator | undefined, clock: RetryClock): RetryPolicy['passSuccess'] {
  if (coordinator === undefined) return undefined;
  if (coordinator instanceof Upstream && !coordinator.successNeedsTime) return coordinator.passSuccess;
  if (coordinator.successNeedsTime === true) {
    return <T>(value: T): T => {
      coordinator.recordSuccess(clock.now());
      return value;
    };
  }
  return <T>(value: T): T => {
    coordinator.recordSuccess(undefined);
    return value;
  };
}

function isCoordinator(value: unknown): value is Coordinator {
  const candidate = value as Partial<Coordinator> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.admit === 'function'
    && typeof candidate.scheduleRetry === 'function' && typeof candidate.record === 'function' && typeof candidate.recordSuccess === 'function';
}

/**
 * The `targets` in force: the method's own, else the application's, unless the method names its own
 * `upstream`. Each source may set one of the two, never both: each target is an Upstream of its own.
 */
function chosenTargets(check: OptionChecker, options: RetryOptions, applicationDefaults: RetryOptions): readonly Upstream[] | undefined {
  for (const source of [options, applicationDefaults]) {
    const { targets, upstream } = source;
    if (targets === undefined) {
      if (upstream !== undefined) return undefined;
      continue;
    }
    const rule = 'must be a non-empty array of distinct Upstreams (new Upstream({ name, target }))';
    if (!Array.isArray(targets) || targets.length === 0) check.fail(TypeError, 'targets', rule, targets);
    for (const [index, target] of targets.entries()) {
      if (!(target instanceof Upstream)) check.fail(TypeError, 'targets', `${rule}; item ${index} is not one`, target);
      if (targets.indexOf(target) !== index) check.fail(RangeError, 'targets', `${rule}; item ${index} repeats item ${targets.indexOf(target)}`, target.name);
    }
    if (upstream !== undefined) {
      const names = targets.map((target) => (target as Upstream).name).join(', ');
      check.fail(TypeError, 'targets', `[${names}] cannot be combined with upstream, since each target is an Upstream of its own; set one of them, not both`, upstream === false ? false : (upstream as Partial<Upstream>).name ?? upstream);
    }
    return targets;
  }
  return undefined;
}

// One coordinator per targets array: the cool-downs it keeps are shared by the methods that share the array.
const targetCoordinators = new WeakMap<readonly Upstream[], Targets>();

function targetsCoordinator(targets: readonly Upstream[]): Targets {
  let coordinator = targetCoordinators.get(targets);
  if (coordinator === undefined) targetCoordinators.set(targets, (coordinator = new Targets(Object.freeze([...targets]))));
  return coordinator;
}

// One Upstream per options object: a decorated method's own options, or what a retry() call site passes.
const ownUpstreams = new WeakMap<RetryOptions, Upstream>();

function ownUpstream(options: RetryOptions, where: string): Upstream {
  let upstream = ownUpstreams.get(options);
  if (upstream === undefined) ownUpstreams.set(options, (upstream = new Upstream({ name: where.replace(/^@Retryable on /, '') })));
  return upstream;
}

function isClock(value: unknown): value is RetryClock {
  const clock = value as Partial<RetryClock> | null;
  return typeof clock === 'object' && clock !== null && typeof clock.now === 'function'
    && typeof clock.setTimeout === 'function' && typeof clock.clearTimeout === 'function';
}
