import { createRequire } from 'node:module';
import type * as api from '@opentelemetry/api';

export type OpenTelemetryApi = typeof api;

/** `null` once loading failed: the registrations came from a copy we cannot resolve. */
let loaded: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api`, loaded on first need. It is an optional peer: the core must load without
 * it, so it is never imported statically. Synchronous, so the first observed call is complete.
 * Both builds make a `require` from their own URL: tsup keeps `import.meta.url` in ESM and shims it
 * from `__filename` in CJS. (A bare `require` would not do: in ESM, esbuild turns it into a helper
 * that throws.) On Node both resolve the API's CJS build, the one module instance the application's
 * `import` gets too.
 */
export function openTelemetryApi(): OpenTelemetryApi | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
