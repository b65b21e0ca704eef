// Runs apps/admitter/src/main.ts from source in a child process, so a test can
// SIGKILL a real admitter. TypeScript is transpiled per file on require (what
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

require(join(root, 'apps/admitter/src/main.ts'));
