import { DynamicModule, Global, Module } from '@nestjs/common';
import { Env } from './env';
import { loadEnv } from './load-env';

/** Provides the validated {@link Env} to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env?: Env): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: Env, useValue: env ?? loadEnv() }],
      exports: [Env],
    };
  }
}
