import { createHash } from 'node:crypto';

/**
 * The compare-and-set of one upstream's state. KEYS[1] is the state hash (fields `v`, the version,
 * and `s`, the state as JSON); ARGV is the version the caller's transition ran on, the new state,
 * and the TTL in ms. It writes only if the version is unchanged, and answers `{1, version}`; else it
 * answers `{0, version, state}` so that the caller re-runs its transition on the current state.
 * - An unchanged state is not written and keeps its version: a read costs others no conflict.
 * - A new hash starts its versions at the server's time in µs, not at 1: a process that cached
 *   version 3 before the key expired can never match a recreated key's 3 (no ABA).
 * - Every call refreshes the TTL, so an idle upstream leaves nothing behind.
 */
export const CAS_SCRIPT = `local found = redis.call('HMGET', KEYS[1], 'v', 's')
local version = tonumber(found[1]) or 0
if version ~= tonumber(ARGV[1]) then
  return {0, string.format('%.0f', version), found[2]}
end
if found[2] ~= ARGV[2] then
  if version == 0 then
    local now = redis.call('TIME')
    version = tonumber(now[1]) * 1000000 + tonumber(now[2])
  else
    version = version + 1
  end
  redis.call('HSET', KEYS[1], 'v', string.format('%.0f', version), 's', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, string.format('%.0f', version)}`;

const CAS_SHA = createHash('sha1').update(CAS_SCRIPT).digest('hex');

/** An `ioredis` client (or Cluster): lower-case commands, positional keys. */
export interface IORedisLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  readonly status?: string;
}

/** An official `redis` (node-redis) client (or cluster): camel-case commands, an options object. */
export interface NodeRedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  readonly isReady?: boolean;
}

export type RedisClientLike = IORedisLike | NodeRedisLike;

/** Runs the script on one key, by its SHA, loading it with EVAL when the server does not know it. */
export interface ScriptRunner {
  /** False while the client knows it cannot reach the server: fail open without waiting. */
  ready(): boolean;
  run(key: string, args: [string, string, string]): Promise<unknown>;
}

/** Tells the two clients apart by shape: node-redis names the command `evalSha`, ioredis `evalsha`. */
export function scriptRunner(client: RedisClientLike): ScriptRunner {
  const candidate = client as Partial<IORedisLike & NodeRedisLike> | null;
  if (typeof candidate?.evalSha === 'function' && typeof candidate.eval === 'function') {
    const nodeRedis = client as NodeRedisLike;
    return loading(() => nodeRedis.isReady !== false, (key, args, bySha) => {
      const options = { keys: [key], arguments: args };
      return bySha ? nodeRedis.evalSha(CAS_SHA, options) : nodeRedis.eval(CAS_SCRIPT, options);
    });
  }
  if (typeof candidate?.evalsha === 'function' && typeof candidate.eval === 'function') {
    const ioredis = client as IORedisLike;
    return loading(
      // 'wait' is a lazyConnect client that connects on its first command.
      () => ioredis.status === undefined || ioredis.status === 'ready' || ioredis.status === 'wait',
      (key, args, bySha) => (bySha ? ioredis.evalsha(CAS_SHA, 1, key, ...args) : ioredis.eval(CAS_SCRIPT, 1, key, ...args)),
    );
  }
  throw new TypeError(`redisStore(): client must be an ioredis client or a node-redis client (redis@4 or later), got ${describe(client)}`);
}

/**
 * EVAL first (it caches the script on the server), EVALSHA once that succeeded: the first round
 * trip is one, not a NOSCRIPT miss and a second. After a restart or SCRIPT FLUSH, NOSCRIPT sends
 * the script again.
 */
function loading(ready: () => boolean, send: (key: string, args: string[], bySha: boolean) => Promise<unknown>): ScriptRunner {
  let loaded = false;
  return {
    ready,
    run: async (key, args) => {
      if (!loaded) {
        const reply = await send(key, args, false);
        loaded = true;
        return reply;
      }
      try {
        return await send(key, args, true);
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
        loaded = false;
        const reply = await send(key, args, false);
        loaded = true;
        return reply;
      }
    },
  };
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return `an object with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`;
}

/** The script's answer, checked: anything else is garbage, and the store fails open. */
export type CasReply = { readonly written: true; readonly version: number } | { readonly written: false; readonly version: number; readonly state: string | null };

export function parseReply(reply: unknown): CasReply {
  if (Array.isArray(reply) && (reply.length === 2 || reply.length === 3)) {
    const [written, versionText, state] = reply as unknown[];
    const version = typeof versionText === 'string' && /^\d{1,16}$/.test(versionText) ? Number(versionText) : NaN;
    if (written === 1 && reply.length === 2 && Number.isSafeInteger(version)) return { written: true, version };
    if (written === 0 && Number.isSafeInteger(version) && (state === null || state === undefined || typeof state === 'string')) {
      return { written: false, version, state: state ?? null };
    }
  }
  throw new TypeError(`redisStore(): unexpected reply from the compare-and-set script: ${String(reply).slice(0, 80)}`);
}
