import { DynamicModule, Logger, Module, OnModuleInit } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig, loadAppConfig } from './app-config';

export interface AppConfigOptions {
  /**
   * Use exactly these variables instead of `.env` + `process.env` (tests, CLI tools that
   * build their own environment).
   */
  env?: Record<string, string | undefined>;
}

@Module({})
export class AppConfigModule implements OnModuleInit {
  constructor(private readonly config: AppConfig) {}

  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    if (options.env) {
      const config = loadAppConfig(options.env);
      return {
        module: AppConfigModule,
        global: true,
        providers: [{ provide: AppConfig, useValue: config }],
        exports: [AppConfig],
      };
    }
    return {
      module: AppConfigModule,
      global: true,
      imports: [
        // @nestjs/config loads `.env` (real environment variables win) and hands the merged
        // variables to our schema once; the typed result is the only config anyone injects.
        ConfigModule.forRoot({
          cache: true,
          validate: (raw) => ({ parley: loadAppConfig(raw as Record<string, string | undefined>) }),
        }),
      ],
      providers: [
        {
          provide: AppConfig,
          useFactory: (configService: ConfigService) => configService.getOrThrow<AppConfig>('parley'),
          inject: [ConfigService],
        },
      ],
      exports: [AppConfig],
    };
  }

  onModuleInit(): void {
    const logger = new Logger('Config');
    for (const warning of this.config.warnings) logger.warn(`*** ${warning} ***`);
  }
}
