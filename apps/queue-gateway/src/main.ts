import { createHttpApp, exitOnConfigError } from '@app/common';
import { Env, loadEnv } from '@app/config';
import { GatewayModule } from './app.module';

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const app = await createHttpApp(GatewayModule.forRoot(env), {
    title: 'Queue gateway',
    description: 'Kafka-offset virtual waiting room in front of the coupon service',
  });
  await app.listen(app.get(Env).GATEWAY_PORT, env.GATEWAY_HOST);
}

bootstrap().catch(exitOnConfigError('queue-gateway'));
