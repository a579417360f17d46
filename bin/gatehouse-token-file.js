#!/usr/bin/env node
'use strict';
/**
 * kubectl exec credential plugin that reads an agent's token from a file and prints it as an
 * ExecCredential (client.authentication.k8s.io/v1). The file is read on every kubectl run, so it can be
 * rotated without touching the kubeconfig. Plain Node, no dependencies.
 *
 *   node gatehouse-token-file.js <token-file>
 */
const fs = require('node:fs');

const file = process.argv[2];
if (!file) fail('usage: gatehouse-token-file.js <token-file>');
let token;
try {
  token = fs.readFileSync(file, 'utf8').trim();
} catch (error) {
  fail(`cannot read the token file ${file} (${error.code || error.message}); write the agent's token there.`);
}
if (!token) fail(`the token file ${file} is empty; write the agent's token there.`);
if (/\s/.test(token)) fail(`the token file ${file} holds more than one token (whitespace inside); keep just the token.`);
// No expirationTimestamp: kubectl keeps the credential for its run and asks again after a 401.
process.stdout.write(`${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } })}\n`);

function fail(message) {
  process.stderr.write(`gatehouse-token-file: ${message}\n`);
  process.exit(1);
}
