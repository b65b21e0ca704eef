// A throw-away certificate authority for the tests' TLS servers (Kafka, Redis,
// PostgreSQL), made with openssl: EC P-256 keys (fast to make), valid two days,
// for 127.0.0.1 and localhost. The server certificate serves as a client one too
// (Redis Sentinel and the Kafka broker present it to their peers).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** `openssl` with its arguments as one line (none has a space), run in `cwd`. */
const openssl = (args: string, cwd: string) =>
  run('openssl', args.split(' '), { cwd, timeout: 30_000 });
const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';

export interface CertPair {
  cert: string;
  key: string;
}

export class TestCertificates {
  private constructor(readonly dir: string) {}

  /** The CA's certificate (what a client trusts). */
  get ca(): string {
    return join(this.dir, 'ca.pem');
  }

  /** Issued to 127.0.0.1 and localhost, for server and client authentication. */
  get server(): CertPair {
    return { cert: join(this.dir, 'server.pem'), key: join(this.dir, 'server.key') };
  }

  /** A client certificate (CN wr-test-client), for servers that authenticate clients by certificate. */
  get client(): CertPair {
    return { cert: join(this.dir, 'client.pem'), key: join(this.dir, 'client.key') };
  }

  /** Issued to the name "localhost" alone (no IP address): verify-full must be given that name. */
  get localhostOnly(): CertPair {
    return { cert: join(this.dir, 'localhost.pem'), key: join(this.dir, 'localhost.key') };
  }

  /** A second CA that signed none of these: trusting it alone must fail. */
  get otherCa(): string {
    return join(this.dir, 'other-ca.pem');
  }

  static async create(): Promise<TestCertificates> {
    const certs = new TestCertificates(mkdtempSync(join(tmpdir(), 'wr-test-certs-')));
    const dir = certs.dir;
    for (const ca of ['ca', 'other-ca']) {
      await openssl(
        `req -x509 ${newKey} -keyout ${ca}.key -out ${ca}.pem -days 2 -subj /CN=wr-test-${ca} ` +
          '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
        dir,
      );
    }
    const usage = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n';
    const issued: Array<[name: string, cn: string, extensions: string]> = [
      ['server', '127.0.0.1', 'serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['localhost', 'localhost', 'serverAuth\nsubjectAltName=DNS:localhost'],
      ['client', 'wr-test-client', 'clientAuth'],
    ];
    for (const [name, cn, extensions] of issued) {
      writeFileSync(join(dir, `${name}.ext`), `${usage}extendedKeyUsage=${extensions}\n`);
      await openssl(`req ${newKey} -keyout ${name}.key -out ${name}.csr -subj /CN=${cn}`, dir);
      await openssl(
        `x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ` +
          `-extfile ${name}.ext -out ${name}.pem`,
        dir,
      );
    }
    return certs;
  }

  destroy(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
