import { Module, type DynamicModule } from '@nestjs/common';
import OpenAI, { type ClientOptions } from 'openai';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { MODEL_TARGETS, modelTargets } from './model-targets.js';

@Module({})
export class ChatModule {
  /** `clientOptions` go to `new OpenAI(...)`; `{}` reads OPENAI_API_KEY and OPENAI_BASE_URL from the environment. */
  static forRoot(clientOptions: ClientOptions = {}): DynamicModule {
    return {
      module: ChatModule,
      controllers: [ChatController],
      providers: [
        ChatService,
        // Provided under its own class, so services inject it by type. The SDK's own retries are
        // switched off: @Retryable does the retrying, and both together would multiply.
        { provide: OpenAI, useFactory: () => new OpenAI({ ...clientOptions, maxRetries: 0 }) },
        // The same Upstream instances the decorator routes across, for anything that reads their state.
        { provide: MODEL_TARGETS, useValue: modelTargets },
      ],
      exports: [ChatService, OpenAI, MODEL_TARGETS],
    };
  }
}
