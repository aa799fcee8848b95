import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APIConnectionTimeoutError, APIError, AuthenticationError, RateLimitError } from 'openai';
import { rateLimitResetMs, retryAfterMs } from 'retryable';

/**
 * Answers for upstream failures. @Retryable rethrows the SDK's own error object once it gives up,
 * so `instanceof` and the error's fields (status, code, headers, requestID) are all still here.
 * The answers speak about this service: the client did nothing wrong, so none is a 4xx.
 */
@Catch(APIError)
export class OpenAIExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: APIError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    const { status, message, retryAfterSeconds } = answerFor(error);
    if (retryAfterSeconds !== undefined) httpAdapter.setHeader(response, 'Retry-After', String(retryAfterSeconds));
    httpAdapter.reply(response, {
      statusCode: status,
      message,
      // Lets support find the call in the provider's logs.
      upstream: { status: error.status ?? null, code: error.code ?? null, requestId: error.requestID ?? null },
    }, status);
  }
}

function answerFor(error: APIError): { status: HttpStatus; message: string; retryAfterSeconds?: number } {
  if (error instanceof RateLimitError) {
    // A 429 for an exhausted quota stays a 429 for hours; telling clients when to retry would mislead them.
    if (error.code === 'insufficient_quota') {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'The language model quota is used up.' };
    }
    // Pass the provider's wait on, in whole seconds (Retry-After has no finer unit), at least 1.
    const waitMs = retryAfterMs(error) ?? rateLimitResetMs(error) ?? 1000;
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      message: 'The language model is busy. Try again later.',
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    };
  }
  if (error instanceof AuthenticationError) {
    return { status: HttpStatus.BAD_GATEWAY, message: 'The language model rejected this service\'s credentials.' };
  }
  if (error instanceof APIConnectionTimeoutError) {
    return { status: HttpStatus.GATEWAY_TIMEOUT, message: 'The language model did not answer in time.' };
  }
  return { status: HttpStatus.BAD_GATEWAY, message: 'The language model failed.' };
}
