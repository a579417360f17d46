#!/usr/bin/env node
'use strict';
/**
 * The operator CLI's entry (package.json "bin": gatehouse). The CLI is TypeScript run through tsx, like
 * local mode, so there is no build step; see cli/README.md for commands and exit codes.
 */
// The project runs on Node 20 (package.json engines); the SDK's notice about future versions is not for operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { main } = require('../cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (error) => {
    process.stderr.write(`error: ${error && error.stack ? error.stack : error}\n`);
    exitWhenFlushed(10);
  },
);

/** Exits once stdout and stderr are flushed, so piped output is never cut short. */
function exitWhenFlushed(code) {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
