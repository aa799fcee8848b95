import type { Transition, UpstreamStore } from '../coordination/upstream-store.js';
import { initialUpstreamState, type UpstreamState } from '../coordination/upstream-state.js';
import { parseReply, scriptRunner, type CasReply, type RedisClientLike, type ScriptRunner } from './client.js';
import { duration, validState } from './validate.js';

export interface RedisStoreOptions {
  /** First part of every key: `<prefix>:{<upstream name>}:state`. Default `'retryable'`. */
  prefix?: string;
  /**
   * A round trip slower than this (ms) fails open: the decision is made locally. Default 10: on
   * loopback a decision takes 0.06–0.12 ms at the median and 2–4 ms at the 99th percentile on a
   * busy machine (docs/redis.md), so this fails open rarely while bounding what Redis can add.
   */
  timeout?: number;
  /** After a failure, decisions stay local this long (ms) before Redis is tried again. Default 1000. */
  retryAfter?: number;
  /** Keys expire this long (ms) after the last decision. Default 600000 (10 min). */
  ttl?: number;
  /** While calm, an `Upstream` folds its successes in (and re-reads calm) at most this often (ms). Default 250. */
  syncInterval?: number;
}

/** What the store did so far; for measuring and for health checks. */
export interface RedisStoreStats {
  /** Scripts sent (each one round trip). */
  roundTrips: number;
  /** Transitions run (one per `apply`). */
  transitions: number;
  /** Round trips that found the state changed by another process, so the batch ran again. */
  conflicts: number;
  /** Transitions decided on the local copy because Redis failed, was slow, or was in back-off. */
  local: number;
  /** Round trips that failed (error, timeout, garbage); each starts a back-off. */
  failures: number;
}

/**
 * Conflicts in a row after which a batch is decided locally rather than retried again. A batch
 * conflicts once when another process wrote since this one last looked, then at most once per
 * other process sending at the same moment: 8 covers a busy fleet's usual contention.
 */
const MAX_CONFLICTS = 8;

interface Pending {
  readonly transition: Transition<unknown, unknown>;
  readonly argument: unknown;
  readonly settle: (result: Settled) => void;
}
type Settled = { readonly value: unknown } | { readonly error: unknown };

/** One upstream's state as this process last saw it on Redis, and the transitions waiting for it. */
interface Lane {
  readonly key: string;
  json: string;
  version: number;
  queue: Pending[];
  sending: boolean;
}

/**
 * The state of each upstream on Redis, shared by every process that uses the same key prefix.
 *
 * `apply` runs a transition on the state this process last saw, then sends one script that writes
 * the result only if nobody changed the state meanwhile; if somebody did, the script answers with
 * the current state and the transition runs again on it. Transitions applied while a round trip is
 * out wait and go together in the next one, in order: one round trip per batch, however many calls
 * of this process ask at once, and no conflicts among them.
 *
 * It fails open: when Redis errs, answers garbage, or is slower than `timeout`, the transition is
 * decided on the local copy at once and Redis is left alone for `retryAfter` ms; the next round trip
 * then resyncs with whatever the fleet wrote meanwhile. Nothing from Redis reaches a caller.
 */
export class RedisStore implements UpstreamStore {
  readonly syncInterval: number;
  readonly stats: RedisStoreStats = { roundTrips: 0, transitions: 0, conflicts: 0, local: 0, failures: 0 };
  private readonly runner: ScriptRunner;
  private readonly prefix: string;
  private readonly timeout: number;
  private readonly retryAfter: number;
  private readonly ttl: string;
  private readonly lanes = new Map<string, Lane>();
  /** Until when (Date.now()) Redis is not tried after a failure. */
  private localUntil = 0;

  constructor(client: RedisClientLike, options: RedisStoreOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`redisStore(): options must be an object, got ${String(options)}`);
    this.runner = scriptRunner(client);
    const { prefix = 'retryable' } = options;
    if (typeof prefix !== 'string' || prefix === '') throw new TypeError(`redisStore(): prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
    this.prefix = prefix;
    this.timeout = duration('timeout', options.timeout, 10);
    this.retryAfter = duration('retryAfter', options.retryAfter, 1000);
    this.ttl = String(Math.max(1, Math.ceil(duration('ttl', options.ttl, 600_000))));
    this.syncInterval = duration('syncInterval', options.syncInterval, 250);
  }

  /** The key that holds an upstream's state; the hash tag puts all of one upstream on one Cluster slot. */
  key(upstream: string): string {
    return `${this.prefix}:{${upstream}}:state`;
  }

  apply<A, R>(upstream: string, transition: Transition<A, R>, argument: A): R | Promise<R> {
    this.stats.transitions++;
    const lane = this.lane(upstream);
    if (!lane.sending && !this.online()) return this.decideLocally(lane, transition, argument);
    return new Promise<R>((resolve, reject) => {
      const settle = (result: Settled) => ('error' in result ? reject(result.error) : resolve(result.value as R));
      lane.queue.push({ transition: transition as Transition<unknown, unknown>, argument, settle });
      if (!lane.sending) {
        lane.sending = true;
        // After the current task, so that transitions applied together (a failure and its retry's
        // schedule, many calls at once) share one round trip.
        queueMicrotask(() => void this.send(lane));
      }
    });
  }

  private lane(upstream: string): Lane {
    let lane = this.lanes.get(upstream);
    if (lane === undefined) {
      lane = { key: this.key(upstream), json: JSON.stringify(initialUpstreamState()), version: 0, queue: [], sending: false };
      this.lanes.set(upstream, lane);
    }
    return lane;
  }

  private online(): boolean {
    return Date.now() >= this.localUntil && this.runner.ready();
  }

  /** Fail open: the transition runs on this process's copy, which the next round trip replaces. */
  private decideLocally<A, R>(lane: Lane, transition: Transition<A, R>, argument: A): R {
    this.stats.local++;
    const state = JSON.parse(lane.json) as UpstreamState;
    const result = transition(state, argument);
    lane.json = JSON.stringify(state);
    return result;
  }

  /** Sends batch after batch until none waits. */
  private async send(lane: Lane): Promise<void> {
    // The queue is checked and `sending` cleared in one synchronous step: an apply made once a
    // batch settled either finds `sending` set and its item still taken by this loop, or starts a send.
    try {
      while (lane.queue.length > 0) await this.sendBatch(lane);
    } finally {
      lane.sending = false;
    }
  }

  /** Runs the waiting batch and sends it, again on the current state after a conflict; then settles it. */
  private async sendBatch(lane: Lane): Promise<void> {
    const batch = lane.queue;
    lane.queue = [];
    let outcome = runBatch(lane.json, batch);
    for (let conflicts = 0; ; ) {
      const reply = this.online() ? await this.compareAndSet(lane, outcome.json) : undefined;
      if (reply === undefined) {
        this.stats.local += batch.length;
        lane.json = outcome.json;
        break;
      }
      lane.version = reply.version;
      if (reply.written) {
        lane.json = outcome.json;
        break;
      }
      this.stats.conflicts++;
      lane.json = validState(reply.state) ?? JSON.stringify(initialUpstreamState());
      outcome = runBatch(lane.json, batch);
      if (++conflicts === MAX_CONFLICTS) {
        // The fleet keeps changing it under us: decide on what we last saw, as if Redis were away.
        this.stats.local += batch.length;
        lane.json = outcome.json;
        break;
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.settle(outcome.results[i]!);
  }

  /** One round trip, bounded by `timeout`; undefined (and a back-off) on any failure. */
  private compareAndSet(lane: Lane, json: string): Promise<CasReply | undefined> {
    this.stats.roundTrips++;
    return new Promise<CasReply | undefined>((resolve) => {
      let settled = false;
      const finish = (reply: CasReply | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (reply === undefined) {
          this.stats.failures++;
          this.localUntil = Date.now() + this.retryAfter;
        }
        resolve(reply);
      };
      // The timer fires before pending I/O is read when the event loop was busy; checking again
      // after the poll phase (setImmediate) keeps a busy process from taking a reply waiting in
      // the socket for a timeout.
      const timer = setTimeout(() => setImmediate(() => finish(undefined)), this.timeout);
      timer.unref?.();
      let sent: Promise<unknown>;
      try {
        sent = this.runner.run(lane.key, [String(lane.version), json, this.ttl]);
      } catch {
        return finish(undefined);
      }
      sent.then((reply) => {
        let parsed: CasReply | undefined;
        try {
          parsed = parseReply(reply);
        } catch {
          parsed = undefined;
        }
        finish(parsed);
      }, () => finish(undefined));
    });
  }
}

/** Runs a batch in order on a copy of the state; a transition that throws fails only its own apply. */
function runBatch(json: string, batch: readonly Pending[]): { json: string; results: Settled[] } {
  const state = JSON.parse(json) as UpstreamState;
  const results = batch.map((pending): Settled => {
    try {
      return { value: pending.transition(state, pending.argument) };
    } catch (error) {
      return { error };
    }
  });
  return { json: JSON.stringify(state), results };
}

/** A store that keeps each upstream's state on Redis; pass it to `new Upstream({ name, store })`. */
export function redisStore(client: RedisClientLike, options?: RedisStoreOptions): RedisStore {
  return new RedisStore(client, options);
}
