// A private, throw-away Kafka broker (KRaft, single node) for tests that must
// stop and restart Kafka: same jars and template as scripts/services.sh, its
// own temp data dir and free ports. The shared broker on 9092 is never touched.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, ROOT } from './common';
import { LocalServer } from './local-server';

const KAFKA = join(ROOT, 'tools', 'kafka');
const javaArgs = (heap: string) => [
  ...heap.split(' '),
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${join(KAFKA, 'log4j2.properties')}`,
  '-cp',
  `${join(KAFKA, 'target', 'libs')}/*`,
];

/** The template's lines a broker with other listeners replaces. */
const LISTENER_KEYS = [
  'listeners',
  'advertised.listeners',
  'inter.broker.listener.name',
  'listener.security.protocol.map',
];

export interface BrokerOptions {
  /** server.properties lines that replace the template's listeners (client port, controller port). */
  listeners?: (port: number, controllerPort: number) => string;
  /** More arguments for `kafka-storage format`. */
  formatArgs?: string[];
}

export class KafkaBroker extends LocalServer {
  private constructor(
    readonly dir: string,
    port: number,
    readonly controllerPort: number,
  ) {
    super(port);
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  get log(): string {
    return join(this.dir, 'broker.log');
  }

  /**
   * Writes server.properties from the project's template and formats the storage.
   * `options.listeners` replaces the template's listener lines (given the client and
   * controller ports: what a secured broker listens on, see secured-services.ts);
   * `options.formatArgs` go to `kafka-storage format` (e.g. --add-scram credentials).
   */
  static async create(options: BrokerOptions = {}): Promise<KafkaBroker> {
    const dir = mkdtempSync(join(tmpdir(), 'wr-test-kafka-'));
    const broker = new KafkaBroker(dir, await freePort(), await freePort());
    let properties = readFileSync(join(KAFKA, 'server.properties.template'), 'utf8')
      .replaceAll('@KAFKA_PORT@', String(broker.port))
      .replaceAll('@CONTROLLER_PORT@', String(broker.controllerPort))
      .replaceAll('@DATA_DIR@', join(dir, 'data'));
    if (options.listeners) {
      properties = properties
        .split('\n')
        .filter((line) => !LISTENER_KEYS.some((key) => line.startsWith(`${key}=`)))
        .join('\n')
        .concat('\n', options.listeners(broker.port, broker.controllerPort), '\n');
    }
    writeFileSync(join(dir, 'server.properties'), properties);
    // A Kafka Uuid is 16 random bytes, base64url without padding.
    const clusterId = randomBytes(16).toString('base64url');
    await promisify(execFile)(
      'java',
      [
        ...javaArgs('-Xms64m -Xmx256m'),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        join(dir, 'server.properties'),
        ...(options.formatArgs ?? []),
      ],
      { timeout: 60_000 },
    );
    return broker;
  }

  /** Starts the broker (again, on the same dir and ports) and waits until it accepts connections. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.process) throw new Error('broker already running');
    const out = createWriteStream(this.log, { flags: 'a' });
    const child = spawn(
      'java',
      [...javaArgs('-Xms128m -Xmx384m'), 'kafka.Kafka', join(this.dir, 'server.properties')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    await this.started(child, `test broker on ${this.brokers} (log: ${this.log})`, timeoutMs, 200);
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
