import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { ClientOptions } from 'openai';
import { ChatModule } from './chat.module.js';
import { OpenAIExceptionFilter } from './openai-exception.filter.js';
import { RetryDefaultsModule, type RetryDefaults } from './retry-defaults.module.js';

export interface AppOptions {
  /** For `new OpenAI(...)`: `{}` for the real API, or `{ baseURL, apiKey }` for the local server. */
  openai?: ClientOptions;
  /** App-wide retry timing; each method's own options win over it. */
  retry?: RetryDefaults;
}

@Module({})
export class AppModule {
  static forRoot({ openai, retry }: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [ChatModule.forRoot(openai), RetryDefaultsModule.forRoot(retry)],
      // Registered through DI (not app.useGlobalFilters) so the filter can inject HttpAdapterHost.
      providers: [{ provide: APP_FILTER, useClass: OpenAIExceptionFilter }],
      exports: [ChatModule],
    };
  }
}
