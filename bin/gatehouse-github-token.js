#!/usr/bin/env node
'use strict';
/**
 * kubectl exec credential plugin for GitHub Actions: asks the runner for an OIDC token with Gatehouse's
 * audience and prints it as an ExecCredential (client.authentication.k8s.io/v1). Plain Node, no
 * dependencies, so a workflow needs nothing but Node on the runner.
 *
 *   node gatehouse-github-token.js [--audience gatehouse]
 *
 * The workflow (or job) needs `permissions: id-token: write`; otherwise the runner does not set
 * ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN. The token is never written anywhere but stdout.
 */

const { githubActionsToken } = require('./lib/github-actions-oidc');

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--audience');
  const audience = at >= 0 ? args[at + 1] : process.env.GATEHOUSE_AUDIENCE || 'gatehouse';
  if (!audience) fail('--audience needs a value.');
  const { token, error } = await githubActionsToken(audience);
  if (error) fail(error);
  print(token);
}

/** Prints the ExecCredential; the expiry makes kubectl ask again before the token runs out. */
function print(token) {
  const status = { token };
  const exp = jwtExpiry(token);
  if (exp) status.expirationTimestamp = new Date((exp - 30) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  process.stdout.write(`${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status })}\n`);
}

function jwtExpiry(token) {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

function fail(message) {
  process.stderr.write(`gatehouse-github-token: ${message}\n`);
  process.exit(1);
}

main().catch((error) => fail(error && error.message ? error.message : String(error)));
