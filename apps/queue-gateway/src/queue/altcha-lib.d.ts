// altcha-lib publishes its types only through package.json "exports", which this
// project's moduleResolution ("node") does not read; Node itself resolves the
// runtime require() through "exports". These point the compiler at the same files.
declare module 'altcha-lib' {
  export * from 'altcha-lib/dist/cjs/v2/index';
}
declare module 'altcha-lib/algorithms/pbkdf2' {
  export * from 'altcha-lib/dist/cjs/v2/algorithms/pbkdf2';
}
