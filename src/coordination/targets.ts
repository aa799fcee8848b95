import type { AdmissionRequest, AttemptOutcome, AttemptTarget, Coordinator, CoordinatorAnswer, RetryRequest } from './coordinator.js';
import type { Upstream } from './upstream.js';

/** A 429's cool-down on one target: skipped until `until`, then one call probes it. */
interface CoolDown {
  until: number;
  /** When a call took the probe (0: not taken); it is taken for lost a cool-down's length later. */
  probedAt: number;
  readonly length: number;
}

/** Polled while another call's probe of a cooled target is out and no other target is free. */
const PROBE_POLL_MS = 250;

/**
 * Failover: one coordinator over several Upstreams that can each serve a method (two models, two
 * deployments, two accounts), in order of preference. Each attempt goes to the first target that is
 * free: not cooling down after a 429's `retry-after`, and admitted at once by its own Upstream (which
 * holds calls while it paces them or while it is down and another call probes it). What happened
 * goes to the Upstream the attempt went to, so each target keeps its own state.
 *
 * The cool-down after a 429 is kept here, per process, because a lone caller's Upstream does not
 * hold first attempts for it (it has learnt no rate yet): with a target to fail over to, nobody
 * should knock on a door that said "not before T". Once T passes, one call probes; the others stay
 * away until its outcome is recorded.
 */
export class Targets implements Coordinator {
  /** Never calm: every attempt must be told its target. */
  readonly calm = false;
  private readonly coolDowns = new Map<AttemptTarget, CoolDown>();

  constructor(readonly targets: readonly Upstream[]) {}

  admit(request: AdmissionRequest): CoordinatorAnswer | Promise<CoordinatorAnswer> {
    const { avoid } = request;
    const candidates = avoid === undefined || avoid.length === 0 ? this.targets : this.targets.filter((target) => !avoid.includes(target));
    return this.route(candidates.length > 0 ? candidates : this.targets, 0, request, undefined);
  }

  /** The retry's wait as the failed attempt's own target sees it; `admit` then picks where it goes. */
  scheduleRetry(request: RetryRequest): CoordinatorAnswer | Promise<CoordinatorAnswer> {
    const target = this.own(request.target);
    return target === undefined ? { wait: request.ownDelay, reason: 'backoff' } : target.scheduleRetry(request);
  }

  record(outcome: AttemptOutcome): void {
    const target = this.own(outcome.target);
    if (target === undefined) return;
    target.record(outcome);
    const { now, failure, firmHint } = outcome;
    if (failure === 'rate-limit' && firmHint !== undefined && firmHint > 0) {
      this.coolDowns.set(target, { until: now + firmHint, probedAt: 0, length: firmHint });
    } else {
      this.answered(target, now);
    }
  }

  recordSuccess(now: number, target?: AttemptTarget): void {
    const own = this.own(target);
    if (own === undefined) return;
    own.recordSuccess(now);
    this.answered(own, now);
  }

  /** The target answered without a new cool-down: once the old one is over, it is free again. */
  private answered(target: Upstream, now: number): void {
    const coolDown = this.coolDowns.get(target);
    // A call sent before the 429 and answered during the cool-down does not lift it.
    if (coolDown !== undefined && now >= coolDown.until) this.coolDowns.delete(target);
  }

  /**
   * The first free target from `candidates[index]` on. When none is free, the first one's hold (or
   * the time until its cool-down ends), asked again after it: the engine bounds it by the call's
   * patience and, for a first attempt, sends it anyway to that target.
   */
  private route(candidates: readonly Upstream[], index: number, request: AdmissionRequest, firstHold: CoordinatorAnswer | undefined): CoordinatorAnswer | Promise<CoordinatorAnswer> {
    if (index === candidates.length) return firstHold!;
    const target = candidates[index]!;
    const { now } = request;
    const coolDown = this.coolDowns.get(target);
    const next = (hold: CoordinatorAnswer) => this.route(candidates, index + 1, request, firstHold ?? hold);
    if (coolDown !== undefined && !probeDue(coolDown, now)) {
      return next({ wait: coolDown.probedAt === 0 ? coolDown.until - now : PROBE_POLL_MS, reason: 'cool-down', askAgain: true, target });
    }
    const go = (answer: CoordinatorAnswer): CoordinatorAnswer | Promise<CoordinatorAnswer> => {
      if ('refuse' in answer || answer.wait > 0) return next('refuse' in answer ? answer : { ...answer, target });
      // This call probes the cooled target; the others keep away until it reports.
      if (coolDown !== undefined) coolDown.probedAt = now;
      return { ...answer, target };
    };
    if (target.calm) return go({ wait: 0, reason: 'backoff' });
    const answer = target.admit(request);
    return answer instanceof Promise ? answer.then(go) : go(answer);
  }

  /** Only the targets of this coordinator are routed to and recorded. */
  private own(target: AttemptTarget | undefined): Upstream | undefined {
    return this.targets.find((own) => own === target);
  }
}

/** The cool-down is over and nobody probes it (or the probe is lost: a cool-down's length passed). */
function probeDue(coolDown: CoolDown, now: number): boolean {
  if (now < coolDown.until) return false;
  return coolDown.probedAt === 0 || now >= coolDown.probedAt + coolDown.length;
}
