/** Errors shaped like the OpenAI SDK's: a class per status, `status` and WHATWG `headers`. */
export class APIError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Headers) {
    super(message);
  }
}
export class InternalServerError extends APIError {}
export class RateLimitError extends APIError {}

export const serverError = (requestId: string) => new InternalServerError(503, '503 upstream unavailable', new Headers({ 'x-request-id': requestId }));
export const rateLimited = (requestId: string, retryAfterMs: number) =>
  new RateLimitError(429, '429 Rate limit reached', new Headers({ 'x-request-id': requestId, 'retry-after-ms': String(retryAfterMs) }));
