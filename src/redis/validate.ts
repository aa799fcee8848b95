import { initialUpstreamState } from '../coordination/upstream-state.js';

/** The shared state if it is one (every field of the initial state, of the same type); else undefined. */
export function validState(json: string | null): string | undefined {
  if (json === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const fields = parsed as Record<string, unknown>;
  for (const [name, initial] of Object.entries(initialUpstreamState())) {
    if (typeof fields[name] !== typeof initial) return undefined;
  }
  return json;
}

/** An option in ms: absent gives the default; anything but a finite number ≥ 0 is refused. */
export function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
    throw new TypeError(`redisStore(): ${name} must be a finite number of ms, at least 0, got ${String(value)}`);
  }
  return value;
}
