import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { createHttpApp, exitOnConfigError } from '@app/common';
import { loadEnv } from '@app/config';
import { CouponServiceModule } from './app.module';

/**
 * One process, two listeners: the TCP microservice the gateway calls
 * (COUPON_SERVICE_PORT) and HTTP for /health and /metrics (COUPON_SERVICE_HTTP_PORT).
 * Migrations are not run here (`npm run migrate` does, once, before the instances start).
 */
async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const app = await createHttpApp(CouponServiceModule.forRoot(env), {
    title: 'Coupon service',
    description:
      'Health and metrics of the coupon service (its API is the TCP contract in @app/contracts)',
  });
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.TCP,
    options: { host: env.COUPON_SERVICE_BIND_HOST, port: env.COUPON_SERVICE_PORT },
  });
  await app.startAllMicroservices();
  await app.listen(env.COUPON_SERVICE_HTTP_PORT, env.COUPON_SERVICE_BIND_HOST);
}

bootstrap().catch(exitOnConfigError('coupon-service'));
