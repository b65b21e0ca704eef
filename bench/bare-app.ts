import { Body, Controller, DynamicModule, HttpCode, Module, Post } from '@nestjs/common';
import { createHttpApp, createLoggerModule, exitOnConfigError } from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';

/**
 * The benchmark's baseline: the project's own HTTP stack (createHttpApp:
 * Fastify, validation pipe, exception filter, pino) with one trivial route
 * that parses the same JSON body an issue request carries and answers at once.
 * Gateway throughput is reported as a fraction of this route's.
 */
@Controller('bare')
class BareController {
  @Post()
  @HttpCode(200)
  bare(@Body() body: unknown): { ok: true; echo: unknown } {
    return { ok: true, echo: (body as { userId?: unknown } | undefined)?.userId ?? null };
  }
}

@Module({})
class BareModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: BareModule,
      imports: [ConfigModule.forRoot(env), createLoggerModule(env, 'bench-bare')],
      controllers: [BareController],
    };
  }
}

async function main(): Promise<void> {
  const env = loadEnv();
  const app = await createHttpApp(BareModule.forRoot(env), {
    title: 'bare',
    description: 'benchmark baseline',
  });
  await app.listen(Number(process.env.BARE_PORT ?? 3199), '127.0.0.1');
}

main().catch(exitOnConfigError('bench-bare'));
