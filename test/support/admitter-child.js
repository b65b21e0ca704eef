// Runs apps/admitter/src/main.ts from source in a child process, so a test can
// SIGKILL a real admitter (see ts-main.js).
require('./ts-main').runMain('apps/admitter/src/main.ts');
