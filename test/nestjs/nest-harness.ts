/** Boots a real Nest application on 127.0.0.1:0 against the local OpenAI-compatible server. */
import 'reflect-metadata';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startLocalOpenAIServer, type LocalOpenAIServer } from '../../examples/local-openai-server.js';

export interface LogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: unknown;
  /** Nest passes the Logger's context as the last argument. */
  context: unknown;
}

/** The one logger given to the whole application; it keeps every line it receives. */
export class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];
  log(message: unknown, ...rest: unknown[]) { this.keep('log', message, rest); }
  error(message: unknown, ...rest: unknown[]) { this.keep('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]) { this.keep('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]) { this.keep('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]) { this.keep('verbose', message, rest); }
  fatal(message: unknown, ...rest: unknown[]) { this.keep('fatal', message, rest); }

  /** The messages logged under `context` (the retry logger's is 'Retryable'). */
  messages(context: string): unknown[] {
    return this.lines.filter((line) => line.context === context).map((line) => line.message);
  }

  private keep(level: LogLine['level'], message: unknown, rest: unknown[]) {
    this.lines.push({ level, message, context: rest.at(-1) });
  }
}

export interface BootedApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` of the Nest app. */
  url: string;
  logger: CapturingLogger;
}

export async function bootNest(module: unknown): Promise<BootedApp> {
  const logger = new CapturingLogger();
  const app = await NestFactory.create(module as never, { logger });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return { app, url, logger };
}

export interface NestAgainstLocalServer {
  /** The local OpenAI-compatible server: one for the file, emptied before each test. */
  upstream: LocalOpenAIServer;
  /** The running test's own Nest application. */
  nest: BootedApp;
}

/**
 * Registers a test file's hooks: one local server for the file, reset before each test, and before
 * each test a Nest application booted from `module(upstreamUrl)`, closed after it. Returns their
 * state, refreshed before each test.
 */
export function useNestApp(module: (upstreamUrl: string) => unknown): NestAgainstLocalServer {
  const state = {} as NestAgainstLocalServer;
  beforeAll(async () => {
    state.upstream = await startLocalOpenAIServer();
  });
  afterAll(async () => {
    await state.upstream.close();
  });
  beforeEach(async () => {
    state.upstream.reset();
    state.nest = await bootNest(module(state.upstream.url));
  });
  afterEach(async () => {
    await state.nest.app.close();
  });
  return state;
}

/** Sends JSON (or nothing) and reads the answer back as status, headers and parsed body. */
export async function send(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) as unknown : undefined };
}
