import { createHttpApp, exitOnConfigError } from '@app/common';
import { loadEnv } from '@app/config';
import { AdmitterModule } from './app.module';

/** The admitter: advances each line's committed offset at the line's admission rate. */
async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const app = await createHttpApp(AdmitterModule.forRoot(env), {
    title: 'Admitter',
    description: "Admits waiting-room tickets: advances each line topic's committed offset",
  });
  // Same bind address as the gateway (0.0.0.0 in the chart and compose): only /health and /metrics are served.
  await app.listen(env.ADMITTER_HTTP_PORT, env.GATEWAY_HOST);
}

bootstrap().catch(exitOnConfigError('admitter'));
