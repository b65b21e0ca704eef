import type { PrettyOptions } from 'pino-pretty';

/**
 * How a person reads the apps' logs (pino-pretty): one line each, the local
 * time, the level, the Nest context and the message, then the other fields.
 * Only for a terminal: everywhere else (tests, CI, containers) the apps write
 * pino's JSON lines. `withName`: start the message with the app's name
 * (`npm start` leaves it out: concurrently's coloured prefix already names the app).
 */
export const prettyLogOptions = (withName: boolean): PrettyOptions => ({
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: withName ? 'pid,hostname,context' : 'pid,hostname,name,context',
  messageFormat: `${withName ? '{name} ' : ''}{if context}[{context}] {end}{msg}`,
});

/**
 * `node dist/libs/common/src/pretty-logs.js`: reads pino JSON lines on stdin and
 * writes them readable to stdout (other lines pass unchanged). scripts/start.sh
 * pipes each app through it. It ignores SIGINT and SIGTERM (Ctrl-C reaches the
 * whole process group) and ends when its input does, so an app's last lines,
 * those it writes while shutting down, are still shown.
 */
async function main(): Promise<void> {
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  process.on('SIGHUP', ignore);
  // pino-pretty is a devDependency: loaded here only, never by the apps.
  const { default: pretty } = await import('pino-pretty');
  process.stdin.pipe(pretty(prettyLogOptions(false)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`[pretty-logs] ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
