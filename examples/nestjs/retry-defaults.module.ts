import { Inject, Logger, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { resetRetryDefaults, setRetryDefaults, type GiveUpEvent, type RetryEvent, type RetryOptions } from 'retryable';

const RETRY_DEFAULTS = Symbol('RETRY_DEFAULTS');

/** Options every @Retryable method starts from; a method's own options win. Logging is added here. */
export type RetryDefaults = Omit<RetryOptions, 'onRetry' | 'onGiveUp'>;

// A Nest Logger writes through whatever logger the application was given (NestFactory.create's
// `logger` option or app.useLogger), looked up at each call, so creating it at import time is fine.
const logger = new Logger('Retryable');

/**
 * Sets the retry defaults once for the whole application, so that every @Retryable method logs
 * its retries through Nest's Logger. `setRetryDefaults` also reaches classes decorated before it
 * runs, which in an ES module app is all of them.
 */
@Module({})
export class RetryDefaultsModule implements OnModuleInit, OnModuleDestroy {
  static forRoot(defaults: RetryDefaults = {}): DynamicModule {
    return { module: RetryDefaultsModule, providers: [{ provide: RETRY_DEFAULTS, useValue: defaults }] };
  }

  constructor(@Inject(RETRY_DEFAULTS) private readonly defaults: RetryDefaults) {}

  onModuleInit(): void {
    setRetryDefaults({ ...this.defaults, onRetry: logRetry, onGiveUp: logGiveUp });
  }

  // The defaults are process-wide, not per application: take them back when the app closes.
  onModuleDestroy(): void {
    resetRetryDefaults();
  }
}

function logRetry({ method, attempt, error, delay, serverHint }: RetryEvent): void {
  const asked = serverHint === undefined ? '' : ` (server asked for ${serverHint} ms)`;
  logger.warn(`${method}: attempt ${attempt} failed with ${describe(error)}; retrying in ${delay} ms${asked}`);
}

function logGiveUp({ method, attempts, reason, error }: GiveUpEvent): void {
  logger.warn(`${method}: gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} (${reason}): ${describe(error)}`);
}

/** `429 rate_limit_exceeded`, or the class and message of an error without a status (a dropped connection). */
function describe(error: unknown): string {
  const { status, code } = (error ?? {}) as { status?: unknown; code?: unknown };
  if (typeof status === 'number') return typeof code === 'string' ? `${status} ${code}` : String(status);
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}
