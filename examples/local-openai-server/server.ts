import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { estimateRequestTokens } from 'retryable';
import { describeFault, type Fault } from './faults.js';
import { RateLimiter, type LimitKind, type RateLimitOptions } from './limiter.js';
import {
  baseHeaders, cannedResponse, completion, completionChunks, errorBody, replyContent, sseLine,
} from './responses.js';

/** What the server saw and did for one request. */
export interface RecordedRequest {
  /** 1-based; also the `req_<index>` in `x-request-id`. */
  index: number;
  method: string;
  path: string;
  /** Parsed JSON, the raw text when it is not JSON, `undefined` when empty. */
  body: unknown;
  stream: boolean;
  /** `Date.now()` when the request arrived. */
  time: number;
  /** The fault taken from the queue; `null` for a plain success or a non-chat request. */
  fault: Fault | null;
  /** Status sent, or `null` when the socket was dropped (or the client left) before one. */
  status: number | null;
  /** Human-readable result, the same text as the log line after `->`. */
  outcome: string;
  /** The bucket that refused this request with a 429 (with `limits`), or `null`. */
  rateLimited: LimitKind | null;
  /** Bucket levels after this request was charged or refused (at arrival for a non-chat request); `null` without `limits`. */
  levels: Partial<Record<LimitKind, number>> | null;
}

export interface LocalOpenAIServerOptions {
  /** Initial fault queue. */
  faults?: Fault[];
  /** Receives one line per request, e.g. `[server] #3 POST /v1/chat/completions -> 429 rate-limit (...)`. */
  log?: (line: string) => void;
  /**
   * Enforce OpenAI-style request and token limits. A chat request costs 1 request and
   * `estimateRequestTokens(body)` tokens (the client's own estimate, so both sides agree), charged
   * on arrival. A refused request gets OpenAI's 429 and does not use up a scripted fault.
   */
  limits?: RateLimitOptions;
}

export interface LocalOpenAIServer {
  /** Base URL for `new OpenAI({ baseURL })`, ending in `/v1`. */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** Every request counted, chat or not. */
  readonly requestCount: number;
  /** Faults not yet served. */
  readonly pendingFaults: readonly Fault[];
  /** Append faults to the queue. */
  script(...faults: Fault[]): void;
  /** Empty the queue and the record and refill the limits; the request counter restarts at 1. */
  reset(): void;
  /** Stop listening and destroy every open socket, so nothing keeps the process alive. */
  close(): Promise<void>;
}

const CHAT_PATH = '/v1/chat/completions';
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** Start an OpenAI-compatible server on a random 127.0.0.1 port that misbehaves on cue. */
export async function startLocalOpenAIServer(options: LocalOpenAIServerOptions = {}): Promise<LocalOpenAIServer> {
  const queue: Fault[] = [...(options.faults ?? [])];
  const requests: RecordedRequest[] = [];
  const log = options.log ?? (() => {});
  const timers = new Set<NodeJS.Timeout>();
  const limiter = options.limits && new RateLimiter(options.limits);
  let count = 0;

  // Resolves true when the delay ran out, false when the client left first; the timer never outlives either.
  const delay = (ms: number, res: http.ServerResponse) =>
    new Promise<boolean>((resolve) => {
      const done = (elapsed: boolean) => {
        clearTimeout(timer);
        timers.delete(timer);
        res.off('close', onClose);
        resolve(elapsed);
      };
      const onClose = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      timers.add(timer);
      res.once('close', onClose);
    });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const index = ++count;
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    const record: RecordedRequest = {
      index, method, path, body: undefined, stream: false, time: Date.now(), fault: null, status: null, outcome: '',
      rateLimited: null, levels: null,
    };
    requests.push(record);
    const finish = (status: number | null, outcome: string) => {
      record.status = status;
      record.outcome = outcome;
      log(`[server] #${index} ${method} ${path} -> ${outcome}`);
    };
    // Replaced by the charged state once a chat request is admitted.
    const before = limiter?.peek();
    record.levels = before?.levels ?? null;
    let headers = baseHeaders(index, before?.headers);
    const send = (status: number, extra: Record<string, string>, body: string) => {
      res.writeHead(status, { ...headers, ...extra, 'content-length': String(Buffer.byteLength(body)) }).end(body);
    };

    // Read the whole body first: dropping a socket with unread input would make the kernel send
    // RST, which can discard data the client has not read yet.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      record.body = raw ? JSON.parse(raw) : undefined;
      if (record.body && typeof record.body === 'object') body = record.body as Record<string, unknown>;
    } catch {
      record.body = raw;
    }
    record.stream = body?.stream === true;

    if (method !== 'POST' || path !== CHAT_PATH) {
      send(404, { 'content-type': 'application/json' }, JSON.stringify(errorBody(
        `Unknown request URL: ${method} ${path}. Please check the URL for typos.`, 'invalid_request_error', 'unknown_url')));
      return finish(404, '404 unknown url');
    }
    if (!body) {
      // A malformed request is the caller's bug, so it does not use up a scripted fault.
      send(400, { 'content-type': 'application/json' }, JSON.stringify(errorBody(
        'We could not parse the JSON body of your request.', 'invalid_request_error')));
      return finish(400, '400 invalid json');
    }

    if (limiter) {
      const admission = limiter.admit({ requests: 1, tokens: estimateRequestTokens(body) ?? 0 }, String(body.model ?? 'local-model'));
      headers = baseHeaders(index, admission.headers);
      record.levels = admission.levels;
      record.rateLimited = admission.limited;
      if (admission.limited) {
        send(429, { 'content-type': 'application/json' },
          JSON.stringify(errorBody(admission.message!, admission.limited, 'rate_limit_exceeded')));
        return finish(429, `429 rate-limited (${admission.limited}, retry-after-ms: ${admission.retryAfterMs})`);
      }
    }

    const taken = queue.findIndex((queued) => queued.model === undefined || queued.model === body!.model);
    const fault = taken < 0 ? null : queue.splice(taken, 1)[0]!;
    record.fault = fault;
    const label = fault ? describeFault(fault) : 'ok';
    const canned = fault && cannedResponse(fault);
    if (canned) {
      send(canned.status, canned.headers, canned.body);
      return finish(canned.status, `${canned.status} ${label}`);
    }

    const content = replyContent(body);
    const events = completionChunks(index, body, content).map(sseLine);
    if (fault?.kind === 'drop-connection') {
      res.socket?.destroy();
      return finish(null, `dropped connection (${label})`);
    }
    if (fault?.kind === 'drop-mid-stream') {
      const full = JSON.stringify(completion(index, body, content));
      const partial = record.stream
        ? events.slice(0, fault.afterChunks).join('')
        : full.slice(0, Math.floor(full.length / 2));
      // Chunked, not content-length: openai v4's node-fetch hangs forever on a short content-length
      // body (its timeout stops at the headers), while a cut chunked body fails in both SDKs.
      res.writeHead(200, { ...headers, ...(record.stream ? SSE_HEADERS : { 'content-type': 'application/json' }) });
      res.flushHeaders();
      // Destroy only once the bytes reached the kernel, so the client sees them before the cut.
      res.write(partial, () => res.socket?.destroy());
      return finish(200, `200 ${label}`);
    }
    if (fault?.kind === 'slow' && !(await delay(fault.delayMs, res))) {
      return finish(null, `client closed during ${label}`);
    }
    if (record.stream) {
      res.writeHead(200, { ...headers, ...SSE_HEADERS });
      res.end(events.join('') + sseLine('[DONE]'));
    } else {
      send(200, { 'content-type': 'application/json' }, JSON.stringify(completion(index, body, content)));
    }
    finish(200, `200 ${label}${record.stream ? ' (stream)' : ''}`);
  }

  const server = http.createServer((req, res) => {
    // A client that vanishes while we read its body is not a server error; just drop the socket.
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Node's default backlog (511) overflows when a test opens thousands of connections at once;
    // the kernel then drops SYNs and the client retries only after 1 s. The kernel caps it at somaxconn.
    server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    get requests() { return requests; },
    get requestCount() { return count; },
    get pendingFaults() { return [...queue]; },
    script: (...faults) => { queue.push(...faults); },
    reset: () => { queue.length = 0; requests.length = 0; count = 0; limiter?.refill(); },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets from fetch/undici would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
