/**
 * Nest's route enhancers on @Retryable handlers, in every stacking order: guards, metadata read
 * through Reflector, interceptors and request-scoped providers.
 */
import 'reflect-metadata';
import {
  Controller, HttpCode, Inject, Injectable, Module, Post, Scope, SetMetadata, UseGuards, UseInterceptors,
  type CallHandler, type CanActivate, type ExecutionContext, type NestInterceptor,
} from '@nestjs/common';
import { REQUEST, Reflector } from '@nestjs/core';
import OpenAI from 'openai';
import { map, type Observable } from 'rxjs';
import { Retryable } from 'retryable';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../../examples/nestjs/app.module.js';
import { send, useNestApp } from './nest-harness.js';

const ROLES = 'roles';
const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** Lets a request in when its x-role header is among the handler's @Roles, read through Reflector. */
@Injectable()
class RolesGuard implements CanActivate {
  static readonly seen: unknown[] = [];
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.get<string[] | undefined>(ROLES, context.getHandler());
    RolesGuard.seen.push(roles);
    const role = context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-role'];
    return roles !== undefined && roles.includes(role ?? '');
  }
}

/** Wraps the handler's answer; it must see one handler call however many attempts ran inside it. */
@Injectable()
class EnvelopeInterceptor implements NestInterceptor {
  static calls = 0;
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    EnvelopeInterceptor.calls++;
    return next.handle().pipe(map((data) => ({ data, envelope: true })));
  }
}

let attempts = 0;

@Controller('enhanced')
class EnhancedController {
  constructor(private readonly openai: OpenAI) {}

  private async complete(route: string) {
    attempts++;
    const completion = await this.openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: route }] });
    return { reply: completion.choices[0]!.message.content };
  }

  // Applied last: every enhancer's metadata sits on the original method and must be copied over.
  @Retryable({ maxRetries: 2 })
  @Post('top')
  @HttpCode(200)
  @Roles('admin')
  @UseGuards(RolesGuard)
  @UseInterceptors(EnvelopeInterceptor)
  top() { return this.complete('top'); }

  // In the middle: some metadata lands on the original, some on the wrapper.
  @Post('middle')
  @HttpCode(200)
  @Roles('admin')
  @Retryable({ maxRetries: 2 })
  @UseGuards(RolesGuard)
  @UseInterceptors(EnvelopeInterceptor)
  middle() { return this.complete('middle'); }

  // Applied first: the enhancers decorate the wrapper itself.
  @Post('bottom')
  @HttpCode(200)
  @Roles('admin')
  @UseGuards(RolesGuard)
  @UseInterceptors(EnvelopeInterceptor)
  @Retryable({ maxRetries: 2 })
  bottom() { return this.complete('bottom'); }
}

interface Attempted {
  self: object;
  user: string;
}
const attemptsSeen: Attempted[] = [];
/** Set by a test to hold each request's first attempt until the others have reached theirs. */
let beforeFirstAttempt: (() => Promise<void>) | undefined;

/** One instance per HTTP request; it keeps per-request state on `this`. */
@Injectable({ scope: Scope.REQUEST })
class ConversationService {
  static created = 0;
  readonly instance = ++ConversationService.created;
  private attempts = 0;

  constructor(
    @Inject(REQUEST) private readonly request: { headers: Record<string, string> },
    private readonly openai: OpenAI,
  ) {}

  @Retryable({ maxRetries: 2 })
  async answer() {
    this.attempts++;
    const user = this.request.headers['x-user']!;
    attemptsSeen.push({ self: this, user });
    if (this.attempts === 1) await beforeFirstAttempt?.();
    const completion = await this.openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: user }] });
    return { user, instance: this.instance, attempts: this.attempts, reply: completion.choices[0]!.message.content };
  }
}

@Controller('conversation')
class ConversationController {
  constructor(private readonly conversation: ConversationService) {}

  @Post()
  @HttpCode(200)
  answer() { return this.conversation.answer(); }
}

beforeEach(() => {
  attempts = 0;
  attemptsSeen.length = 0;
  beforeFirstAttempt = undefined;
  RolesGuard.seen.length = 0;
  EnvelopeInterceptor.calls = 0;
});
const booted = useNestApp((upstreamUrl) => {
  @Module({
    imports: [AppModule.forRoot({ openai: { baseURL: upstreamUrl, apiKey: 'test' }, retry: { initialDelay: 10 } })],
    controllers: [EnhancedController, ConversationController],
    providers: [RolesGuard, EnvelopeInterceptor, ConversationService],
  })
  class TestModule {}
  return TestModule;
});

const statuses = () => booted.upstream.requests.map((request) => request.status);

describe.each(['top', 'middle', 'bottom'] as const)('@Retryable at the %s of the decorator stack', (route) => {
  it('routes, passes the guard, retries inside one interceptor call and keeps @HttpCode', async () => {
    booted.upstream.script({ kind: 'service-unavailable' }, { kind: 'rate-limit', retryAfterMs: 20 });
    const answer = await send(`${booted.nest.url}/enhanced/${route}`, { body: {}, headers: { 'x-role': 'admin' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { reply: `Echo: ${route}` }, envelope: true });
    expect(statuses()).toEqual([503, 429, 200]);
    expect(attempts).toBe(3);
    expect(RolesGuard.seen).toEqual([['admin']]);
    expect(EnvelopeInterceptor.calls).toBe(1);
  });

  it('the guard reads @SetMetadata through Reflector and turns a request away before any upstream call', async () => {
    const answer = await send(`${booted.nest.url}/enhanced/${route}`, { body: {}, headers: { 'x-role': 'guest' } });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ statusCode: 403, message: 'Forbidden resource', error: 'Forbidden' });
    expect(booted.upstream.requestCount).toBe(0);
    expect(attempts).toBe(0);
    expect(RolesGuard.seen).toEqual([['admin']]);
    expect(booted.nest.app.get(Reflector).get(ROLES, EnhancedController.prototype[route])).toEqual(['admin']);
  });
});

describe('a request-scoped provider with a @Retryable method', () => {
  it('gives two concurrent requests their own instance as `this`, on every attempt', async () => {
    // Both first attempts go upstream together and meet a 429 each; the 50 ms hint keeps either
    // retry from taking the other's fault.
    let arrived = 0;
    let release!: () => void;
    const bothArrived = new Promise<void>((resolve) => { release = resolve; });
    beforeFirstAttempt = () => {
      if (++arrived === 2) release();
      return bothArrived;
    };
    booted.upstream.script({ kind: 'rate-limit', retryAfterMs: 50 }, { kind: 'rate-limit', retryAfterMs: 50 });
    const before = ConversationService.created;
    const [alice, bob] = await Promise.all([
      send(`${booted.nest.url}/conversation`, { body: {}, headers: { 'x-user': 'alice' } }),
      send(`${booted.nest.url}/conversation`, { body: {}, headers: { 'x-user': 'bob' } }),
    ]);

    expect(alice.status).toBe(200);
    expect(bob.status).toBe(200);
    expect(alice.body).toMatchObject({ user: 'alice', attempts: 2, reply: 'Echo: alice' });
    expect(bob.body).toMatchObject({ user: 'bob', attempts: 2, reply: 'Echo: bob' });
    const instances = [(alice.body as { instance: number }).instance, (bob.body as { instance: number }).instance];
    expect(new Set(instances).size).toBe(2);
    expect(ConversationService.created - before).toBe(2);

    const selves = (user: string) => attemptsSeen.filter((seen) => seen.user === user).map((seen) => seen.self);
    expect(selves('alice')).toHaveLength(2);
    expect(selves('alice')[1]).toBe(selves('alice')[0]);
    expect(selves('bob')).toHaveLength(2);
    expect(selves('bob')[1]).toBe(selves('bob')[0]);
    expect(selves('bob')[0]).not.toBe(selves('alice')[0]);
    expect(booted.upstream.requests.map((request) => (request.body as { messages: { content: string }[] }).messages[0]!.content).sort())
      .toEqual(['alice', 'alice', 'bob', 'bob']);
  });

  it('leaks no state into the next request', async () => {
    booted.upstream.script({ kind: 'server-error' });
    const first = await send(`${booted.nest.url}/conversation`, { body: {}, headers: { 'x-user': 'carol' } });
    const second = await send(`${booted.nest.url}/conversation`, { body: {}, headers: { 'x-user': 'dave' } });
    expect(first.body).toMatchObject({ user: 'carol', attempts: 2 });
    expect(second.body).toMatchObject({ user: 'dave', attempts: 1 });
    expect((second.body as { instance: number }).instance).toBe((first.body as { instance: number }).instance + 1);
    expect(statuses()).toEqual([500, 200, 200]);
  });
});
