import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import OpenAI from 'openai';
import { Retryable } from 'retryable';
import { CHAT_MODEL, ChatService } from './chat.service.js';

interface ChatRequest {
  message: string;
}

@Controller('chat')
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly openai: OpenAI,
  ) {}

  @Post()
  @HttpCode(200)
  async send(@Body() body: ChatRequest): Promise<{ reply: string }> {
    return { reply: await this.chat.reply(body.message) };
  }

  @Post('any-model')
  @HttpCode(200)
  async sendToAnyModel(@Body() body: ChatRequest): Promise<{ reply: string; model: string }> {
    return this.chat.replyFromAnyModel(body.message);
  }

  @Post('title')
  @HttpCode(200)
  async title(@Body() body: ChatRequest): Promise<{ title: string }> {
    return { title: await this.chat.title(body.message) };
  }

  // @Retryable also works on a handler that calls the SDK itself, above or below the route decorator:
  // the library copies Nest's route metadata onto its wrapper. Never put it on a handler that calls a
  // @Retryable service, though: the retries would multiply.

  /** A one-off completion, with @Retryable above @Post. */
  @Retryable({ maxRetries: 2 })
  @Post('quick')
  @HttpCode(200)
  async quick(@Body() body: ChatRequest): Promise<{ reply: string }> {
    const completion = await this.openai.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: body.message }],
    });
    return { reply: completion.choices[0]?.message.content ?? '' };
  }

  /** A cheap check that the model answers, with @Retryable below @Get. */
  @Get('ping')
  @Retryable({ maxRetries: 2 })
  async ping(): Promise<{ ok: true; model: string }> {
    const completion = await this.openai.chat.completions.create({
      model: CHAT_MODEL,
      max_completion_tokens: 1,
      messages: [{ role: 'user', content: 'ping' }],
    });
    return { ok: true, model: completion.model };
  }
}
