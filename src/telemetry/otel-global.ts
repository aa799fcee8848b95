/**
 * Whether the application registered anything with OpenTelemetry, answered without loading
 * `@opentelemetry/api`. Every copy of the API (1.x) in a process keeps its registrations on one
 * global object under `Symbol.for('opentelemetry.js.api.1')` (see its internal/global-utils.js),
 * so reading that global costs one property load and needs no import.
 */

/** The key the API derives from its major version; our peer range is ^1.9.0, so always 1. */
export const OPENTELEMETRY_API_KEY: unique symbol = Symbol.for('opentelemetry.js.api.1') as never;

/** What the API stores under the key: its version and the registered globals by type. */
export interface OpenTelemetryRegistrations {
  readonly version?: string;
  readonly trace?: object;
  readonly metrics?: object;
  readonly context?: object;
}

const globalScope = globalThis as { [OPENTELEMETRY_API_KEY]?: OpenTelemetryRegistrations };

// Reading a property the global object lacks misses V8's inline cache on every call: it was a tenth
// of the happy path (bench/happy-path). Holding the key as `undefined` makes the read a plain cell
// load. The API cannot tell the difference: it only ever reads the key and assigns
// `_global[key] ?? { version }` to it. Not enumerable, so it stays out of `Object.keys(globalThis)`;
// where the global object is frozen, the read just stays slower.
if (!(OPENTELEMETRY_API_KEY in globalScope)) {
  try {
    Object.defineProperty(globalScope, OPENTELEMETRY_API_KEY, { value: undefined, writable: true, configurable: true, enumerable: false });
  } catch {
    // A frozen global object (SES lockdown): the read stays correct.
  }
}

/**
 * The API's registrations, or undefined while no copy of the API ever registered anything. The
 * engine calls this on every call: keep it one read.
 */
export function openTelemetryRegistrations(): OpenTelemetryRegistrations | undefined {
  return globalScope[OPENTELEMETRY_API_KEY];
}
