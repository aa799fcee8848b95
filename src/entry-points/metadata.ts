import type { DecoratedMethod } from '../policy/defaults.js';
import type { RetryPolicy } from '../policy/options.js';
import { shared } from '../engine/shared-state.js';

/** The reflect-metadata key under which a decorated method's policy is kept, when reflect-metadata is loaded. */
export const RETRY_POLICY_METADATA = 'retryable:policy';

// The subset of reflect-metadata we use. It is an optional peer: absent, these calls are skipped.
interface ReflectMetadata {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object, propertyKey?: string | symbol): void;
}

function reflectMetadata(): ReflectMetadata | undefined {
  const reflect = Reflect as unknown as Partial<ReflectMetadata>;
  return typeof reflect.getOwnMetadataKeys === 'function' && typeof reflect.defineMetadata === 'function'
    ? (reflect as ReflectMetadata)
    : undefined;
}

/**
 * Makes the wrapper look like the method to everything that inspects it: its `name` and `length`,
 * and every reflect-metadata entry that decorators applied before ours (such as NestJS `@Get()`)
 * defined on the original function.
 */
export function copyMethodIdentity(original: Function, wrapper: Function): void {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  const metadata = reflectMetadata();
  if (metadata === undefined) return;
  for (const key of metadata.getOwnMetadataKeys(original)) {
    metadata.defineMetadata(key, metadata.getOwnMetadata(key, original), wrapper);
  }
}

/** Records the wrapper's policy where `getRetryPolicy` and reflect-metadata readers find it. */
export function publishPolicy(wrapper: Function, method: DecoratedMethod, target?: object, propertyKey?: string | symbol): void {
  shared.methodsByWrapper.set(wrapper, method);
  const metadata = reflectMetadata();
  if (metadata === undefined) return;
  metadata.defineMetadata(RETRY_POLICY_METADATA, method.policy, wrapper);
  if (target !== undefined) metadata.defineMetadata(RETRY_POLICY_METADATA, method.policy, target, propertyKey);
}

function methodOn(holder: unknown, propertyKey: string | symbol): unknown {
  for (let object = holder; object !== null && object !== undefined; object = Object.getPrototypeOf(object)) {
    const descriptor = Object.getOwnPropertyDescriptor(object, propertyKey);
    if (descriptor !== undefined) return descriptor.value;
  }
  return undefined;
}

/**
 * The validated, frozen policy of a `@Retryable` method, or undefined if it is not decorated.
 * `target` may be the class (for its instance or static methods), its prototype or an instance.
 */
export function getRetryPolicy(target: object, propertyKey: string | symbol): RetryPolicy | undefined {
  const holders = typeof target === 'function' ? [target, (target as { prototype?: unknown }).prototype] : [target];
  for (const holder of holders) {
    const method = methodOn(holder, propertyKey);
    const record = typeof method === 'function' ? shared.methodsByWrapper.get(method) : undefined;
    if (record !== undefined) return record.policy;
  }
  return undefined;
}
