/**
 * What one OpenAI request will cost against the tokens-per-minute limit, estimated the way OpenAI
 * charges it: on arrival, before any output exists, from the prompt and the completion allowance.
 * Shared by the client (to pace itself) and the bundled local server (to enforce its limit), so the
 * two agree on every request. Pure and dependency-free: no tokenizer, hence an estimate.
 */

type Json = Record<string, unknown>;

/**
 * Role markers and separators that every chat message costs beyond its text. The OpenAI cookbook
 * counts 3 to 4 tokens a message for them, depending on the model; 4 errs on the side of the limit.
 */
export const TOKENS_PER_MESSAGE = 4;

/** OpenAI's rule of thumb for English: about 4 characters a token. */
export const CHARS_PER_TOKEN = 4;

/**
 * Estimated tokens for a chat-completions, completions or responses API body (parsed, or a JSON
 * string): `ceil(prompt characters / 4)` over every text, plus `TOKENS_PER_MESSAGE` a message, plus
 * the completion allowance `max_completion_tokens` (or `max_tokens`; `max_output_tokens` for the
 * responses API) times `n` choices, which is what OpenAI reserves on arrival. Without an allowance
 * only the prompt counts, as OpenAI then counts nothing for the completion up front.
 * Characters are UTF-16 code units; images, audio and tool definitions are not counted.
 * Undefined for anything that is not such a request, including an allowance that is not a
 * non-negative number (OpenAI would answer 400).
 */
export function estimateRequestTokens(body: unknown): number | undefined {
  try {
    const request = asObject(typeof body === 'string' ? parseJson(body) : body);
    const prompt = request && promptOf(request);
    if (request === undefined || prompt === undefined) return undefined;
    const allowance = firstPresent(request, ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) ?? 0;
    if (!isCount(allowance)) return undefined;
    const { n } = request;
    const choices = isCount(n) && n >= 1 ? n : 1;
    return Math.ceil(prompt.chars / CHARS_PER_TOKEN) + prompt.tokens + allowance * choices;
  } catch {
    // A hostile object (a throwing getter or Proxy) is not a request either.
    return undefined;
  }
}

/** Text characters to divide by 4, and tokens already known (message overhead, pre-tokenized prompts). */
interface Prompt { chars: number; tokens: number }

function promptOf(request: Json): Prompt | undefined {
  // Chat completions: messages; responses API: input (+ instructions); legacy completions: prompt.
  if (Array.isArray(request.messages)) return messages(request.messages);
  if (typeof request.input === 'string' || Array.isArray(request.input)) {
    const input = typeof request.input === 'string' ? { chars: request.input.length, tokens: 0 } : messages(request.input);
    return { chars: input.chars + textLength(request.instructions), tokens: input.tokens };
  }
  if (typeof request.prompt === 'string' || Array.isArray(request.prompt)) return completionPrompt(request.prompt);
  return undefined;
}

function messages(list: unknown[]): Prompt {
  let chars = 0;
  let tokens = 0;
  for (const message of list) {
    const item = asObject(message);
    if (item === undefined) continue;
    // Responses API input may mix messages with other items (function call outputs): only messages pay the overhead.
    if (typeof item.role === 'string') tokens += TOKENS_PER_MESSAGE;
    chars += textLength(item.content) + textLength(item.output);
  }
  return { chars, tokens };
}

/** A string, or the `text` of every part of an array content (`text`, `input_text`, `output_text`). */
function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    const text = asObject(part)?.text;
    if (typeof text === 'string') chars += text.length;
  }
  return chars;
}

/** Legacy completions: a string, a batch of strings, or prompts already given as token ids. */
function completionPrompt(prompt: string | unknown[]): Prompt {
  if (typeof prompt === 'string') return { chars: prompt.length, tokens: 0 };
  let chars = 0;
  let tokens = 0;
  for (const item of prompt) {
    if (typeof item === 'string') chars += item.length;
    else if (typeof item === 'number') tokens += 1;
    else if (Array.isArray(item)) tokens += item.length;
  }
  return { chars, tokens };
}

function firstPresent(request: Json, keys: string[]): unknown {
  for (const key of keys) if (request[key] !== undefined && request[key] !== null) return request[key];
  return undefined;
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

const asObject = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
