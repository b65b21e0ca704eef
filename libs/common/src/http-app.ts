import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fastifyCors from '@fastify/cors';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { Env } from '@app/config';
import { GlobalExceptionFilter } from './exception.filter';
import { createValidationPipe } from './validation';

export interface HttpAppOptions {
  title: string;
  description: string;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  swagger?: boolean;
  /** Idle keep-alive timeout; longer than a load balancer's, so it never reuses a closed socket. */
  keepAliveSeconds?: number;
}

/**
 * Builds a Fastify-based Nest app with the project's cross-cutting pieces in
 * one place: the global validation pipe, the global exception filter, the pino
 * logger, graceful shutdown and (optionally) OpenAPI docs at /docs.
 * Shared by the apps' main.ts and the e2e tests, so tests run what ships.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      bodyLimit: options.bodyLimit ?? 16 * 1024,
      trustProxy: true,
      keepAliveTimeout: (options.keepAliveSeconds ?? 65) * 1000,
    }),
    { bufferLogs: true },
  );
  configureHttpApp(app, options);
  await registerBrowserSupport(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/**
 * CORS for the origins listed in CORS_ORIGINS (none by default: same origin
 * only), exposing the ticket header. (HTML form bodies, which the waiting
 * page's no-script form posts, are parsed by Nest's Fastify adapter itself.)
 */
async function registerBrowserSupport(app: NestFastifyApplication): Promise<void> {
  const origins = app
    .get(Env)
    .CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (origins.length > 0) {
    await app.register(fastifyCors, {
      origin: origins,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Content-Type', 'X-Queue-Ticket', 'Authorization', 'If-None-Match'],
      exposedHeaders: ['X-Queue-Ticket', 'Retry-After', 'ETag'],
      maxAge: 600,
    });
  }
}

export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new GlobalExceptionFilter());
  app.enableShutdownHooks();
  const env = app.get(Env);
  if (options.swagger !== false && env.SWAGGER_ENABLED) {
    const config = new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Queue-Ticket' }, 'ticket')
      .addBearerAuth()
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
      jsonDocumentUrl: 'docs/openapi.json',
    });
  }
}
