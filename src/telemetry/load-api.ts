import { createRequire } from 'node:module';
import type * as api from '@opentelemetry/api';

export type OpenTelemetryApi = typeof api;

/** `null` once loading failed: the registrations came from a copy we cannot resolve. */
let loaded: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api`, loaded on first need. It is an optional peer: the core must load without
 * it, so it is never imported statically. Synchronous, so the first observed call is complete:
 * the CJS build has `require`; the ESM build makes one from its own URL (tsup leaves
 * `import.meta.url` alone in ESM, and in CJS this branch is never taken). On Node both resolve the
 * API's CJS build, the same module instance the application's `import` gets.
 */
export function openTelemetryApi(): OpenTelemetryApi | undefined {
  if (loaded === undefined) {
    try {
      const load = typeof require === 'function' ? require : createRequire(import.meta.url);
      loaded = load('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
