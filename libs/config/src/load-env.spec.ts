import { ConfigError, loadEnv } from './load-env';

const secrets = {
  TICKET_SECRET: 'x'.repeat(32),
  ADMIN_TOKEN: 'admin-token-123456',
  COUPON_SERVICE_TOKEN: 'coupon-token-123456',
};

describe('loadEnv', () => {
  it('applies defaults and converts numbers', () => {
    const env = loadEnv({ ...secrets, GATEWAY_PORT: '4000' });
    expect(env.GATEWAY_PORT).toBe(4000);
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(env.PASS_TTL_SECONDS).toBe(300);
  });

  it('names every missing or bad variable', () => {
    let error: unknown;
    try {
      loadEnv({ GATEWAY_PORT: 'not-a-port', TICKET_SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('GATEWAY_PORT');
    expect(message).toContain('TICKET_SECRET must be at least 32 characters');
    expect(message).toContain('ADMIN_TOKEN');
    expect(message).toContain('COUPON_SERVICE_TOKEN must be at least 16 characters');
  });

  it('refuses a short COUPON_SERVICE_TOKEN and says where one comes from', () => {
    expect(() => loadEnv({ ...secrets, COUPON_SERVICE_TOKEN: 'short' })).toThrow(
      /COUPON_SERVICE_TOKEN must be at least 16 characters[^\n]*ensure-env\.sh/,
    );
  });

  it('parses booleans', () => {
    expect(loadEnv({ ...secrets, SWAGGER_ENABLED: 'false' }).SWAGGER_ENABLED).toBe(false);
  });

  it('requires issuer, audience and a key source when IDENTITY_MODE=jwt', () => {
    expect(() => loadEnv({ ...secrets, IDENTITY_MODE: 'jwt' })).toThrow(
      /IDENTITY_ISSUER is required[\s\S]*IDENTITY_AUDIENCE is required/,
    );
    expect(() =>
      loadEnv({ ...secrets, IDENTITY_MODE: 'jwt', IDENTITY_ISSUER: 'i', IDENTITY_AUDIENCE: 'a' }),
    ).toThrow(/IDENTITY_SECRET \(at least 32 characters\) or IDENTITY_JWKS_URL is required/);
    const env = loadEnv({
      ...secrets,
      IDENTITY_MODE: 'jwt',
      IDENTITY_ISSUER: 'https://shop.example',
      IDENTITY_AUDIENCE: 'waiting-room',
      IDENTITY_JWKS_URL: 'https://shop.example/.well-known/jwks.json',
    });
    expect(env.IDENTITY_MODE).toBe('jwt');
  });
});
