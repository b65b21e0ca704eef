import 'reflect-metadata';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
} from 'class-validator';

const toBool = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.toLowerCase()) : value;

/**
 * A rule over one variable and the others it depends on: `problem` says what is
 * wrong (the message shown at boot), or returns undefined when all is well.
 */
function Check(problem: (env: Env) => string | undefined) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: `check${propertyName}`,
      target: target.constructor,
      propertyName,
      validator: {
        validate: (_value: unknown, args) => problem(args!.object as Env) === undefined,
        defaultMessage: (args) => problem(args!.object as Env) ?? 'invalid',
      },
    });
}

/**
 * What is wrong with the PEM file at `path` (empty: nothing, the variable is unset):
 * missing, unreadable, or not holding the `kind` of PEM block expected. Checked at
 * boot, so a Secret mounted at another path stops the start with the path in the
 * message instead of failing the first connection.
 */
function pemFileProblem(path: string, kind: 'certificate' | 'private key'): string | undefined {
  if (path === '') return undefined;
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no file at ${path}` : `cannot read ${path} (${code ?? String(e)})`;
  }
  const text = readFileSync(path, 'utf8');
  const marker =
    kind === 'certificate' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!marker.test(text)) return `${path} holds no PEM ${kind}`;
  if (kind === 'private key' && text.includes('ENCRYPTED'))
    return `${path} is an encrypted private key: give it unencrypted (from a Secret)`;
  return undefined;
}

/** The first problem of a TLS file that only means something when `enabledBy` is on. */
const tlsFileProblem = (
  name: string,
  path: string,
  kind: 'certificate' | 'private key',
  enabled: boolean,
  enabledBy: string,
): string | undefined => {
  if (path === '') return undefined;
  if (!enabled)
    return `${name} is set but ${enabledBy} is not: set ${enabledBy}=true (or unset ${name})`;
  return pemFileProblem(path, kind);
};

/** A client certificate and its key come together. */
const pairProblem = (certName: string, cert: string, keyName: string, key: string) =>
  (cert === '') !== (key === '')
    ? `${certName} and ${keyName} go together: a client certificate needs its private key`
    : undefined;

const HOST_PORT_LIST = /^[^,\s:]+:\d{1,5}(,[^,\s:]+:\d{1,5})*$/;

const COUPON_SERVICE_TOKEN_MESSAGE =
  'COUPON_SERVICE_TOKEN must be at least 16 characters: the secret shared by the gateway and ' +
  'the coupon service (bash scripts/ensure-env.sh generates one into .env)';

/**
 * Every environment variable the apps read, with its default. Validated once at
 * boot by {@link loadEnv}; README.md's configuration table mirrors this class.
 */
export class Env {
  // ---- every app ----
  /** development, test or production. */
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  /** pino log level. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  // ---- queue gateway (HTTP) ----
  /** Interface the gateway (and the admitter's HTTP port) binds to; 0.0.0.0 in a container. */
  @IsString()
  GATEWAY_HOST = '127.0.0.1';

  /** The gateway's HTTP port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  GATEWAY_PORT = 3000;

  /** Seconds an HTTP keep-alive connection may idle. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  GATEWAY_KEEPALIVE_SECONDS = 65;

  /** Most Server-Sent-Events streams one gateway process holds; past it, 503 + Retry-After. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SSE_MAX_CONNECTIONS = 25000;

  /** Seconds between keep-alive comments on an idle event stream. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(300)
  SSE_KEEPALIVE_SECONDS = 15;

  /** Least time between two line updates on an event stream (outcomes are sent at once). */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60000)
  SSE_MIN_UPDATE_MS = 1000;

  /** Most time between two line updates on an event stream far back in line (a quarter of its wait, like polls). */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60000)
  SSE_MAX_UPDATE_MS = 10000;

  /** max-age of the cacheable line state (GET /api/lines/{code}); 0 = revalidate every time. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60)
  LINE_STATE_MAX_AGE_SECONDS = 1;

  /** Origins allowed to call the API from a browser (CORS), comma-separated; empty = same origin only. */
  @IsString()
  @Matches(/^(https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*)?$/, {
    message: 'CORS_ORIGINS must be empty or http(s)://host[:port][,http(s)://host[:port]...]',
  })
  CORS_ORIGINS = '';

  /** Send the ticket cookie with the Secure attribute (HTTPS only); empty = only in production. */
  @IsIn(['', 'true', 'false'])
  TICKET_COOKIE_SECURE: '' | 'true' | 'false' = '';

  /** First requests (a new place) per client and minute, shared by every gateway; 0: no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RATE_LIMIT_JOINS_PER_MINUTE = 30;

  /** Requests with a ticket (polls, status, event streams, beats) per client and minute; 0: no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RATE_LIMIT_POLLS_PER_MINUTE = 600;

  /** What a client is for the rate limits: its IP address (X-Forwarded-For behind the ingress), or the userId it names. */
  @IsIn(['ip', 'user'])
  RATE_LIMIT_KEY: 'ip' | 'user' = 'ip';

  /** Client IPs exempt from the rate limits, comma-separated, or `none` (loopback by default: local bench, Locust and tests). */
  @IsString()
  RATE_LIMIT_ALLOW_LIST = '127.0.0.1,::1,::ffff:127.0.0.1';

  /** Who a caller is: `body` (the userId the request names; development) or `jwt` (a verified bearer token of the protected site). */
  @IsIn(['body', 'jwt'])
  IDENTITY_MODE: 'body' | 'jwt' = 'body';

  /** jwt mode: the protected site's JWKS URL (RS256, ES256, EdDSA keys). Either this or IDENTITY_SECRET. */
  @ValidateIf((o: Env) => o.IDENTITY_MODE === 'jwt' && o.IDENTITY_SECRET === '')
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'IDENTITY_JWKS_URL (or IDENTITY_SECRET) is required when IDENTITY_MODE=jwt' },
  )
  IDENTITY_JWKS_URL = '';

  /** jwt mode: a key shared with the protected site (HS256), at least 32 characters. Either this or IDENTITY_JWKS_URL. */
  @ValidateIf((o: Env) => o.IDENTITY_MODE === 'jwt' && o.IDENTITY_JWKS_URL === '')
  @MinLength(32, {
    message:
      'IDENTITY_SECRET (at least 32 characters) or IDENTITY_JWKS_URL is required when IDENTITY_MODE=jwt',
  })
  IDENTITY_SECRET = '';

  /** jwt mode: the required `iss` claim. */
  @ValidateIf((o: Env) => o.IDENTITY_MODE === 'jwt')
  @IsNotEmpty({ message: 'IDENTITY_ISSUER is required when IDENTITY_MODE=jwt' })
  IDENTITY_ISSUER = '';

  /** jwt mode: the required `aud` claim. */
  @ValidateIf((o: Env) => o.IDENTITY_MODE === 'jwt')
  @IsNotEmpty({ message: 'IDENTITY_AUDIENCE is required when IDENTITY_MODE=jwt' })
  IDENTITY_AUDIENCE = '';

  // ---- admitter ----
  /** The admitter's HTTP port (health, metrics). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  ADMITTER_HTTP_PORT = 3002;

  /** Consumer group of the admitter; its committed offsets are the lines' committedOffset. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]+$/)
  ADMITTER_GROUP_ID = 'wr-admitter';

  /** Default admissions per second per line (token bucket); changeable at runtime. */
  @Type(() => Number)
  @Min(0.001)
  ADMISSION_RATE_PER_SEC = 50;

  /** Default burst of the token bucket. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ADMISSION_BURST = 50;

  /** Default cap on concurrently admitted, unspent passes per line; 0 = no cap. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  ADMISSION_MAX_ACTIVE = 0;

  /** How long an admitted ticket may be used. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PASS_TTL_SECONDS = 300;

  /** A waiting ticket whose holder has not polled for this long is skipped at the head. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ABANDON_AFTER_SECONDS = 30;

  /** Most waiting tickets skipped as abandoned per second and line: a mass skip is slowed, never instant. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ABANDON_SKIP_RATE_PER_SEC = 1000;

  /** A holder skipped as abandoned who polls again within this many seconds is admitted at once (their place has passed). 0: never. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  ABANDON_GRACE_SECONDS = 300;

  // ---- coupon service (TCP microservice + HTTP health) ----
  /** Where the gateway reaches the coupon service (TCP). */
  @IsString()
  COUPON_SERVICE_HOST = '127.0.0.1';

  /** The coupon service's TCP port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  COUPON_SERVICE_PORT = 3001;

  /** The coupon service's HTTP port (health, metrics). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  COUPON_SERVICE_HTTP_PORT = 3003;

  /** Deadline of a gateway call to the coupon service; past it the client gets 503. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  COUPON_SERVICE_TIMEOUT_MS = 3000;

  /** Lease TTL of the per-(coupon, user) issue lock: how long a crashed holder blocks that user. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  COUPON_LOCK_TTL_MS = 5000;

  /** How long an issue waits for the per-(coupon, user) lock before answering busy (503 + Retry-After). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  COUPON_LOCK_WAIT_MS = 1000;

  /** How often each coupon-service instance reconciles Redis with PostgreSQL (reclaims crashed reservations). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  COUPON_RECONCILE_INTERVAL_MS = 10000;

  /** Lock fences (one row per coupon and user in lock_fence) older than this are pruned. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  COUPON_FENCE_RETENTION_SECONDS = 3600;

  /** Interface the coupon service's TCP and HTTP listeners bind to (0.0.0.0 in a container). */
  @IsString()
  COUPON_SERVICE_BIND_HOST = '127.0.0.1';

  // ---- Kafka ----
  /** Bootstrap brokers, comma-separated. */
  @IsString()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  /** Connect to the brokers over TLS (an SSL or SASL_SSL listener: MSK, Confluent Cloud, Aiven, Strimzi's tls listeners). */
  @Transform(toBool)
  @IsBoolean()
  KAFKA_SSL = false;

  /** PEM file of the CA(s) that signed the brokers' certificates (Strimzi's cluster CA, Aiven's project CA); empty: the system's CAs. */
  @Check((e) =>
    tlsFileProblem(
      'KAFKA_SSL_CA_FILE',
      e.KAFKA_SSL_CA_FILE,
      'certificate',
      e.KAFKA_SSL,
      'KAFKA_SSL',
    ),
  )
  KAFKA_SSL_CA_FILE = '';

  /** PEM client certificate for TLS client authentication (mTLS: MSK, Strimzi's tls authentication, Aiven); with KAFKA_SSL_KEY_FILE. */
  @Check(
    (e) =>
      tlsFileProblem(
        'KAFKA_SSL_CERT_FILE',
        e.KAFKA_SSL_CERT_FILE,
        'certificate',
        e.KAFKA_SSL,
        'KAFKA_SSL',
      ) ??
      pairProblem(
        'KAFKA_SSL_CERT_FILE',
        e.KAFKA_SSL_CERT_FILE,
        'KAFKA_SSL_KEY_FILE',
        e.KAFKA_SSL_KEY_FILE,
      ),
  )
  KAFKA_SSL_CERT_FILE = '';

  /** PEM private key (unencrypted) of KAFKA_SSL_CERT_FILE. */
  @Check((e) =>
    tlsFileProblem(
      'KAFKA_SSL_KEY_FILE',
      e.KAFKA_SSL_KEY_FILE,
      'private key',
      e.KAFKA_SSL,
      'KAFKA_SSL',
    ),
  )
  KAFKA_SSL_KEY_FILE = '';

  /** Verify the brokers' certificates (chain and host name). false is for a throw-away cluster only: anyone on the path could then read and write the line. */
  @Transform(toBool)
  @IsBoolean()
  KAFKA_SSL_REJECT_UNAUTHORIZED = true;

  /** SASL authentication: none, plain, scram-sha-256 or scram-sha-512 (plain sends the password as it is: use it with KAFKA_SSL). */
  @IsIn(['none', 'plain', 'scram-sha-256', 'scram-sha-512'])
  KAFKA_SASL_MECHANISM: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512' = 'none';

  /** SASL user name (Confluent Cloud: the API key; Strimzi: the KafkaUser). Required with a SASL mechanism. */
  @Check((e) =>
    e.KAFKA_SASL_MECHANISM !== 'none' && e.KAFKA_SASL_USERNAME === ''
      ? `KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM}`
      : undefined,
  )
  KAFKA_SASL_USERNAME = '';

  /** SASL password (Confluent Cloud: the API secret). Required with a SASL mechanism; from a Secret in the chart. */
  @Check((e) =>
    e.KAFKA_SASL_MECHANISM !== 'none' && e.KAFKA_SASL_PASSWORD === ''
      ? `KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM}`
      : undefined,
  )
  KAFKA_SASL_PASSWORD = '';

  /** Kafka client id. */
  @IsString()
  KAFKA_CLIENT_ID = 'waiting-room';

  /** Each line (coupon code) is its own topic: `${KAFKA_TOPIC_PREFIX}${code}`. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]*$/)
  KAFKA_TOPIC_PREFIX = 'wr.line.';

  /** Partitions of a new line topic (admission order across them follows append time). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  LINE_PARTITIONS = 1;

  /** Replicas of a new line topic; a line topic with fewer is refused (no ticket is answered). 3 on a cluster. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  LINE_REPLICATION_FACTOR = 1;

  /** min.insync.replicas of a line topic: an acks=all ticket is on this many replicas before its 307. 2 on a cluster. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  LINE_MIN_INSYNC_REPLICAS = 1;

  /** How often the shared offsets view is refreshed. */
  @Type(() => Number)
  @IsInt()
  @Min(20)
  @Max(5000)
  VIEW_REFRESH_MS = 200;

  /** Linger of the enqueue micro-batcher. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100)
  ENQUEUE_LINGER_MS = 2;

  /** Most ticket records in one produce request. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  ENQUEUE_MAX_BATCH = 500;

  // ---- Redis ----
  /** Redis host. */
  @IsString()
  REDIS_HOST = '127.0.0.1';

  /** Redis port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  REDIS_PORT = 6379;

  /** Redis password (empty: none); with REDIS_USERNAME, that ACL user's. */
  @IsString()
  REDIS_PASSWORD = '';

  /** Redis ACL user (Redis 6+, ElastiCache RBAC); empty: the default user. Needs REDIS_PASSWORD. */
  @Check((e) =>
    e.REDIS_USERNAME !== '' && e.REDIS_PASSWORD === ''
      ? 'REDIS_USERNAME needs REDIS_PASSWORD (an ACL user authenticates with both)'
      : undefined,
  )
  REDIS_USERNAME = '';

  /** Connect to Redis over TLS (ElastiCache in-transit encryption, Memorystore, a tls-port); to the Sentinels too when REDIS_SENTINELS is set. */
  @Transform(toBool)
  @IsBoolean()
  REDIS_TLS = false;

  /** PEM file of the CA that signed Redis' certificate (Memorystore's server CA); empty: the system's CAs. */
  @Check((e) =>
    tlsFileProblem(
      'REDIS_TLS_CA_FILE',
      e.REDIS_TLS_CA_FILE,
      'certificate',
      e.REDIS_TLS,
      'REDIS_TLS',
    ),
  )
  REDIS_TLS_CA_FILE = '';

  /** PEM client certificate, for a Redis that authenticates clients by certificate (tls-auth-clients yes); with REDIS_TLS_KEY_FILE. */
  @Check(
    (e) =>
      tlsFileProblem(
        'REDIS_TLS_CERT_FILE',
        e.REDIS_TLS_CERT_FILE,
        'certificate',
        e.REDIS_TLS,
        'REDIS_TLS',
      ) ??
      pairProblem(
        'REDIS_TLS_CERT_FILE',
        e.REDIS_TLS_CERT_FILE,
        'REDIS_TLS_KEY_FILE',
        e.REDIS_TLS_KEY_FILE,
      ),
  )
  REDIS_TLS_CERT_FILE = '';

  /** PEM private key (unencrypted) of REDIS_TLS_CERT_FILE. */
  @Check((e) =>
    tlsFileProblem(
      'REDIS_TLS_KEY_FILE',
      e.REDIS_TLS_KEY_FILE,
      'private key',
      e.REDIS_TLS,
      'REDIS_TLS',
    ),
  )
  REDIS_TLS_KEY_FILE = '';

  /** Verify Redis' certificate (chain and host name). false is for a throw-away Redis only. */
  @Transform(toBool)
  @IsBoolean()
  REDIS_TLS_REJECT_UNAUTHORIZED = true;

  /** Redis Sentinel nodes, host:port comma-separated; set, the master is asked of them and REDIS_HOST and REDIS_PORT are not used. */
  @IsString()
  @Matches(new RegExp(`^$|${HOST_PORT_LIST.source}`), {
    message: 'REDIS_SENTINELS must be empty or host:port[,host:port...]',
  })
  REDIS_SENTINELS = '';

  /** The master group the Sentinels watch (their `sentinel monitor` name). */
  @IsString()
  @IsNotEmpty()
  REDIS_SENTINEL_MASTER_NAME = 'mymaster';

  /** ACL user on the Sentinels themselves (empty: none or the default user). Needs REDIS_SENTINEL_PASSWORD. */
  @Check((e) =>
    e.REDIS_SENTINEL_USERNAME !== '' && e.REDIS_SENTINEL_PASSWORD === ''
      ? 'REDIS_SENTINEL_USERNAME needs REDIS_SENTINEL_PASSWORD'
      : undefined,
  )
  REDIS_SENTINEL_USERNAME = '';

  /** Password of the Sentinels themselves (their requirepass; empty: none). The master's is REDIS_PASSWORD. */
  @IsString()
  REDIS_SENTINEL_PASSWORD = '';

  /** Prefix of every key this deployment writes (tests use a random one). */
  @IsString()
  @Matches(/^[A-Za-z0-9:._-]*$/)
  REDIS_KEY_PREFIX = 'wr:';

  // ---- PostgreSQL ----
  /** PostgreSQL host. */
  @IsString()
  POSTGRES_HOST = '127.0.0.1';

  /** PostgreSQL port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  POSTGRES_PORT = 5432;

  /** PostgreSQL role. */
  @IsString()
  POSTGRES_USER = 'waitingroom';

  /** PostgreSQL password. */
  @IsString()
  POSTGRES_PASSWORD = 'waitingroom';

  /** PostgreSQL database. */
  @IsString()
  POSTGRES_DB = 'waitingroom';

  /** TLS to PostgreSQL: disable, require (encrypted; the certificate is checked only against a POSTGRES_SSL_CA_FILE, as libpq does), verify-ca (signed by the CA), verify-full (and issued to POSTGRES_HOST). */
  @IsIn(['disable', 'require', 'verify-ca', 'verify-full'])
  POSTGRES_SSL_MODE: 'disable' | 'require' | 'verify-ca' | 'verify-full' = 'disable';

  /** PEM file of the CA that signed the server's certificate (RDS's global bundle, Cloud SQL's server CA). Required by verify-ca; for verify-full, empty means the system's CAs. */
  @Check((e) => {
    if (e.POSTGRES_SSL_MODE === 'verify-ca' && e.POSTGRES_SSL_CA_FILE === '')
      return 'POSTGRES_SSL_CA_FILE is required with POSTGRES_SSL_MODE=verify-ca (the CA the server certificate must be signed by)';
    if (e.POSTGRES_SSL_MODE === 'disable' && e.POSTGRES_SSL_CA_FILE !== '')
      return 'POSTGRES_SSL_CA_FILE is set but POSTGRES_SSL_MODE=disable: set a mode (verify-full) or unset POSTGRES_SSL_CA_FILE';
    return pemFileProblem(e.POSTGRES_SSL_CA_FILE, 'certificate');
  })
  POSTGRES_SSL_CA_FILE = '';

  /** Connections per coupon-service instance. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  POSTGRES_POOL_SIZE = 20;

  // ---- security ----
  /** HMAC key for signing tickets (HS256). At least 32 characters. */
  @IsString()
  @MinLength(32, { message: 'TICKET_SECRET must be at least 32 characters' })
  TICKET_SECRET = '';

  /** Key id written into each ticket's header, so keys can rotate. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,32}$/)
  TICKET_KEY_ID = 'k1';

  /** Seconds a ticket is valid after it was signed (its `exp`); an older one is refused, so no old line's ticket replays. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  TICKET_TTL_SECONDS = 86400;

  /** Older keys still accepted for verification: `kid:secret,kid:secret`. */
  @IsString()
  TICKET_PREVIOUS_KEYS = '';

  /** Bearer token for /api/admin/*. At least 16 characters. */
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  @MaxLength(256)
  ADMIN_TOKEN = '';

  /** Shared secret the gateway sends with every call to the coupon service (TCP), which refuses a call without it. At least 16 characters. */
  @IsString()
  @MinLength(16, { message: COUPON_SERVICE_TOKEN_MESSAGE })
  @MaxLength(256)
  COUPON_SERVICE_TOKEN = '';

  /** Serve OpenAPI docs at /docs. */
  @Transform(toBool)
  @IsBoolean()
  SWAGGER_ENABLED = true;
}
