// Runs an app's main.ts from source in a child process (`node ts-main.js
// apps/coupon-service/src/main.ts`), so a test can start, kill or watch a real
// process without a build. TypeScript is transpiled per file on require (what
// ts-jest's isolatedModules does) and the @app/* aliases resolve via tsconfig-paths.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const ts = require('typescript');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
tsconfigPaths.register({ baseUrl: root, paths: compilerOptions.paths });

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};

/** Runs `main` (a path from the repository's root) as this process' entry point. */
exports.runMain = (main) => require(join(root, main));

if (require.main === module) exports.runMain(process.argv[2]);
