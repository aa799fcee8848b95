import { callerSignalOf } from './caller-signal.js';
import { registerDecoratedMethod, type DecoratedMethod } from '../policy/defaults.js';
import { callWithRetry, type CallSite, type MethodLabel } from '../engine/engine.js';
import { copyMethodIdentity, publishPolicy } from './metadata.js';
import type { RetryOptions } from '../policy/options.js';
import { retryingStreamMethod } from './stream.js';

/**
 * What a `@Retryable` method must return. Exported under this name so that decorating a sync
 * method reads as "Type 'number' is not assignable to type 'PromiseOrAsyncIterable'".
 */
export type PromiseOrAsyncIterable = PromiseLike<unknown> | AsyncIterable<unknown>;

/**
 * `@Retryable(...)` works in both decorator modes. Each overload only accepts a method that returns
 * a Promise (or an AsyncIterable, for `async *` streams), so a sync method or a field is a compile error.
 */
export interface RetryableDecorator {
  /** Legacy `experimentalDecorators` form (NestJS). */
  <T extends (...args: any[]) => PromiseOrAsyncIterable>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T> | void;
  /** TC39 standard form (TypeScript 5+ without the flag). */
  <This, T extends (this: This, ...args: any[]) => PromiseOrAsyncIterable>(value: T, context: ClassMethodDecoratorContext<This, T>): T | void;
}

/**
 * Retries the decorated async method with backoff. Forms: `@Retryable()`,
 * `@Retryable(maxRetries, initialDelay?)` and `@Retryable({ ...options })`; delays in ms.
 */
export function Retryable(): RetryableDecorator;
export function Retryable(maxRetries: number, initialDelay?: number): RetryableDecorator;
export function Retryable(options: RetryOptions): RetryableDecorator;
export function Retryable(first?: number | RetryOptions, initialDelay?: number): RetryableDecorator {
  // Positional values of a wrong type are kept as they are, so validation can name them.
  const options: RetryOptions = first !== null && typeof first === 'object'
    ? first
    : { maxRetries: first as number | undefined, initialDelay };
  return function retryableDecorator(target: unknown, second: unknown, descriptor?: PropertyDescriptor) {
    if (isStandardContext(second)) return decorateStandard(target, second, options);
    return decorateLegacy(target as object, second as string | symbol, descriptor, options);
  } as RetryableDecorator;
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

function decorateLegacy(target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor | undefined, options: RetryOptions) {
  const className = typeof target === 'function' ? target.name : target.constructor.name;
  const label = `${className}.${String(propertyKey)}`;
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw new TypeError(`@Retryable on ${label}: can decorate only methods, not a property or accessor`);
  }
  descriptor.value = wrapMethod(descriptor.value, options, label, label, target, propertyKey);
  return descriptor;
}

function decorateStandard(value: unknown, context: DecoratorContext, options: RetryOptions) {
  const name = String(context.name);
  if (context.kind !== 'method' || typeof value !== 'function') {
    throw new TypeError(`@Retryable on ${name}: can decorate only methods, not a ${context.kind}`);
  }
  // A standard decorator is not told its class, so the class name is found from `this` when needed.
  const label: MethodLabel = (thisArg) => `${classNameOf(thisArg)}.${name}`;
  return wrapMethod(value, options, name, label);
}

function classNameOf(thisArg: unknown): string {
  if (typeof thisArg === 'function') return thisArg.name;
  const constructor = (thisArg as { constructor?: { name?: unknown } } | null | undefined)?.constructor;
  return typeof constructor?.name === 'string' ? constructor.name : '(unknown)';
}

function wrapMethod(original: Function, options: RetryOptions, where: string, label: MethodLabel, target?: object, propertyKey?: string | symbol): Function {
  if (isAsyncGeneratorFunction(original) && options.retryOnResult !== undefined) {
    // Its value is a stream whose pieces reach the caller as they come: there is no one result to judge.
    throw new TypeError(`@Retryable on ${where}: retryOnResult does not apply to an async generator method, got function ${options.retryOnResult.name || '(anonymous)'}`);
  }
  const method: DecoratedMethod = registerDecoratedMethod(options, `@Retryable on ${where}`, () => publishPolicy(wrapper, method, target, propertyKey));
  // Bound with `const`, so that V8 takes the site as a constant where it inlines the wrapper.
  const site: CallSite = { fn: original, label };
  const wrapper = isAsyncGeneratorFunction(original)
    ? retryingStreamMethod(original, method, label)
    : function retryableMethod(this: unknown, ...args: unknown[]) {
      const policy = method.policy;
      return callWithRetry(policy, site, this, args, callerSignalOf(policy, this, args));
    };
  copyMethodIdentity(original, wrapper);
  publishPolicy(wrapper, method, target, propertyKey);
  return wrapper;
}

function isAsyncGeneratorFunction(fn: Function): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]';
}
