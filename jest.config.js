// Three tiers: unit specs beside the code (no I/O), integration tests against
// the real Kafka, Redis and PostgreSQL, and end-to-end tests over HTTP; and the
// chaos suite, run on its own.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

// jose (tickets); content-disposition (under @fastify/static, which serves /docs).
const esmOnly = ['jose', 'content-disposition'].join('|');

const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // Some dependencies ship only ES modules (Node loads them with require(esm)); Jest needs CommonJS.
    [`^.+/node_modules/(${esmOnly})/.+\\.js$`]: ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly})/)`],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      setupFiles: ['<rootDir>/test/support/load-env.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/support/load-env.ts'],
    },
    // `npm run chaos` only (scripts/chaos.sh): kills Kafka, Redis and the apps under load.
    {
      ...shared,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
      setupFiles: ['<rootDir>/test/support/load-env.ts'],
    },
  ],
};
