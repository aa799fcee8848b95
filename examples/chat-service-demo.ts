/**
 * `npm run example`: the ChatService of `chat-service.ts` meeting the failures a retry policy must
 * tell apart, with one line printed for every retry.
 *
 * - Without OPENAI_API_KEY it starts the local fault server (`local-openai-server.ts`) and queues the
 *   demo faults: a 429 whose `retry-after-ms` is honoured, a 503, a stream that drops before its
 *   first chunk, and an `insufficient_quota` that fails at once because waiting cannot fix billing.
 * - With OPENAI_API_KEY it calls the real API (OPENAI_BASE_URL and OPENAI_MODEL are honoured).
 *
 * It exits 0 when every call ended as expected: the quota error is expected on the local server only.
 */
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { setRetryDefaults, type GiveUpEvent, type RetryEvent } from 'retryable';
import { runAdmissionDemo } from './admission-demo.js';
import { ChatService, type JsonSchemaFormat } from './chat-service.js';
import { defaultDemoFaults, startLocalOpenAIServer, type Fault } from './local-openai-server.js';

export interface DemoEnvironment {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
}

const landmark: JsonSchemaFormat = {
  name: 'landmark',
  schema: {
    type: 'object',
    properties: { city: { type: 'string' }, country: { type: 'string' } },
    required: ['city', 'country'],
    additionalProperties: false,
  },
};

/** Runs the demo and returns how many calls failed unexpectedly (0 is success). */
export async function runChatDemo(env: DemoEnvironment = process.env, print: (line: string) => void = console.log): Promise<number> {
  // Application-wide: every @Retryable method reports its retries the same way.
  setRetryDefaults({ onRetry: (event) => print(retryLine(event)), onGiveUp: (event) => print(giveUpLine(event)) });

  const local = env.OPENAI_API_KEY ? undefined : await startLocalOpenAIServer({ log: print });
  if (local) print(`No OPENAI_API_KEY: using the local fault server at ${local.url}`);
  const client = new OpenAI({
    apiKey: env.OPENAI_API_KEY ?? 'local-demo-key',
    baseURL: local?.url ?? env.OPENAI_BASE_URL,
    maxRetries: 0, // the decorator is the only retry layer
  });
  const chat = new ChatService(client, env.OPENAI_MODEL ?? 'gpt-4o-mini');
  const [rateLimited, overloaded, droppedBeforeFirstChunk, outOfQuota] = defaultDemoFaults();

  let calls = 0;
  let unexpectedFailures = 0;
  /** Queues the step's faults on the local server (requests take them in order), then runs it. */
  async function step(title: string, faults: Fault[], run: () => Promise<string>, { expectFailure = false } = {}): Promise<void> {
    calls++;
    print(`\n> ${title}`);
    local?.script(...faults);
    try {
      print(`answer: ${await run()}`);
    } catch (error) {
      print(`failed: ${describeError(error)}`);
      if (!(local && expectFailure)) unexpectedFailures++;
    }
  }

  try {
    await step('chat.complete()', [rateLimited, overloaded], () => chat.complete('Say hello in five words.'));
    await step('chat.stream()', [droppedBeforeFirstChunk], async () => {
      const pieces: string[] = [];
      for await (const piece of chat.stream('Count from one to five.')) pieces.push(piece);
      return `${pieces.join('')} (${pieces.length} chunks)`;
    });
    // gpt-4o answers 429 "retry after 20 s": the call moves to gpt-4o-mini at once, without waiting.
    await step('chat.completeAnyModel()', [{ kind: 'rate-limit-seconds', retryAfterSeconds: 20, model: 'gpt-4o' }], async () => {
      const { model, text } = await chat.completeAnyModel('Say hello from any model.');
      return `${text} (from ${model})`;
    });
    // A batch against a rate limit of its own: the Upstream holds requests until they fit.
    if (local) {
      print('\n> batch through upstream.fetch()');
      print(await runAdmissionDemo());
    }
    // Locally this one must fail at once: retrying cannot fix billing.
    const question = 'Where is the Eiffel Tower? Answer with its city and country.';
    await step('chat.extract()', [outOfQuota], async () => JSON.stringify(await chat.extract(question, landmark)), { expectFailure: true });
  } finally {
    await local?.close();
  }
  print(`\n${closingLine(calls, unexpectedFailures, local !== undefined)}`);
  return unexpectedFailures;
}

/** Says whether the run went as planned, so a last line reading `failed:` is not taken for a crash. */
function closingLine(calls: number, unexpectedFailures: number, scripted: boolean): string {
  if (unexpectedFailures > 0) return `done: ${calls} calls, ${unexpectedFailures} failed unexpectedly`;
  if (!scripted) return `done: ${calls} calls, all answered`;
  return `done: ${calls} calls as planned; the last one fails on purpose: insufficient_quota is never retried`;
}

function retryLine({ method, attempt, error, delay, serverHint }: RetryEvent): string {
  const hint = serverHint === undefined ? '' : `, server asked for ${serverHint} ms`;
  return `retry   ${method} attempt ${attempt} failed with ${describeError(error)}${hint}; waiting ${delay} ms`;
}

function giveUpLine({ method, attempts, error, reason }: GiveUpEvent): string {
  return `give up ${method} after ${attempts} attempt${attempts === 1 ? '' : 's'} (${reason}): ${describeError(error)}`;
}

/** `RateLimitError 429 insufficient_quota` for an HTTP error, `TypeError: terminated` for a dropped connection. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { status, code, type } = error as { status?: unknown; code?: unknown; type?: unknown };
  // The class name, not `error.name`: the SDK's errors are all named "Error".
  const kind = error.constructor.name;
  if (typeof status === 'number') return [kind, status, code ?? type].filter((part) => part != null).join(' ');
  return `${kind}: ${error.message}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = (await runChatDemo()) === 0 ? 0 : 1;
}
