import { createHttpApp, exitOnConfigError } from '@app/common';
import { loadEnv } from '@app/config';
import { GatewayModule } from './app.module';

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const app = await createHttpApp(GatewayModule.forRoot(env), {
    title: 'Queue gateway',
    description: 'Kafka-offset virtual waiting room in front of the coupon service',
    keepAliveSeconds: env.GATEWAY_KEEPALIVE_SECONDS,
  });
  await app.listen(env.GATEWAY_PORT, env.GATEWAY_HOST);
}

bootstrap().catch(exitOnConfigError('queue-gateway'));
