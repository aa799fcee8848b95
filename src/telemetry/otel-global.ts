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

/**
 * The API's registrations, or undefined while no copy of the API ever registered anything. The
 * engine calls this on every call: keep it one read.
 */
export function openTelemetryRegistrations(): OpenTelemetryRegistrations | undefined {
  return globalScope[OPENTELEMETRY_API_KEY];
}
