import { DynamicModule, Logger, Module, OnModuleInit } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig, loadAppConfig } from './app-config';

export interface AppConfigOptions {
  /**
   * Use exactly these variables instead of `.env` + `process.env` (tests, CLI tools that
   * build their own environment).
   */
  env?: Record<string, string | undefined>;
}

/**
 * The validated configuration, loaded before Nest starts (the logger is made from it).
 * Without `options.env`, @nestjs/config reads `.env` (real environment variables win) and
 * hands the merged variables to our schema once; its module itself is not used.
 */
export async function loadConfig(options: AppConfigOptions = {}): Promise<AppConfig> {
  if (options.env) return loadAppConfig(options.env);
  let config: AppConfig | undefined;
  await ConfigModule.forRoot({
    validate: (raw) => {
      config = loadAppConfig(raw as Record<string, string | undefined>);
      return {};
    },
  });
  return config as AppConfig;
}

/** Provides the typed configuration, the only config anyone injects. */
@Module({})
export class AppConfigModule implements OnModuleInit {
  constructor(private readonly config: AppConfig) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      global: true,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }

  onModuleInit(): void {
    const logger = new Logger('Config');
    for (const warning of this.config.warnings) logger.warn(`*** ${warning} ***`);
  }
}
