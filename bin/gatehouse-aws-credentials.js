#!/usr/bin/env node
'use strict';
/**
 * AWS `credential_process` that turns the agent's OIDC token into a Gatehouse session credential
 * (docs/AWS.md). The AWS SDKs and CLI run it when they need credentials and again before the printed
 * Expiration; the agent never holds an AWS credential. Plain Node, no dependencies.
 *
 *   credential_process = gatehouse-aws-credentials --endpoint https://<api>/prod --connection prod-aws --token-file /run/agent/token
 *
 * Options (each also from the environment):
 *   --endpoint <url>       GATEHOUSE_ENDPOINT         Gatehouse's base URL, with the stage (https://<api>/prod)
 *   --connection <name>    GATEHOUSE_AWS_CONNECTION   the AWS connection
 *   --token-file <path>    GATEHOUSE_TOKEN_FILE       file holding the agent's JWT (read on every run: rotation works)
 *   --token-env <VAR>                                 or: the environment variable holding it
 *   --github-actions [--audience <aud>]               or: the GitHub Actions runner's OIDC token (audience gatehouse)
 *   --ca-file <path>       GATEHOUSE_CA_FILE          PEM of a private CA, trusted besides the public ones
 *                                                     (NODE_EXTRA_CA_CERTS works too)
 *   --timeout <seconds>                               how long to wait for the answer (default 10)
 *
 * On success it prints the credential_process JSON
 * {"Version":1,"AccessKeyId":..,"SecretAccessKey":..,"SessionToken":..,"Expiration":..} and nothing else; on
 * failure one line on stderr and exit code 1 (the SDK shows that line).
 */
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');

const NAME = 'gatehouse-aws-credentials';
const OPTIONS = new Set(['endpoint', 'connection', 'token-file', 'token-env', 'ca-file', 'timeout', 'github-actions', 'audience']);
/** Options that take no value. */
const FLAGS = new Set(['github-actions']);
const { githubActionsToken } = require('./lib/github-actions-oidc');

main().catch((error) => fail(error && error.message ? error.message : String(error)));

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const endpoint = args.endpoint || process.env.GATEHOUSE_ENDPOINT;
  const connection = args.connection || process.env.GATEHOUSE_AWS_CONNECTION;
  if (!endpoint) fail('no Gatehouse endpoint: pass --endpoint https://<api>/<stage> or set GATEHOUSE_ENDPOINT.');
  if (!connection) fail('no AWS connection: pass --connection <name> or set GATEHOUSE_AWS_CONNECTION.');
  let url;
  try {
    url = new URL(`${endpoint.replace(/\/+$/, '')}/aws-credentials/${encodeURIComponent(connection)}`);
  } catch {
    fail(`the endpoint ${endpoint} is not a URL; pass --endpoint https://<api>/<stage>.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`the endpoint ${endpoint} must be an https:// URL.`);
  const timeoutSeconds = args.timeout === undefined ? 10 : Number(args.timeout);
  if (!(timeoutSeconds > 0)) fail(`--timeout ${args.timeout} is not a number of seconds.`);
  const token = args['github-actions'] ? await actionsToken(args) : readToken(args);
  const caFile = args['ca-file'] || process.env.GATEHOUSE_CA_FILE;
  const ca = caFile ? readCa(caFile) : undefined;

  const { status, body } = await post(url, token, ca, timeoutSeconds * 1000);
  if (status !== 200) fail(`${errorMessage(body) || `Gatehouse answered HTTP ${status}`} (HTTP ${status} from ${url.origin}${url.pathname})`);
  let answer;
  try {
    answer = JSON.parse(body);
  } catch {
    fail(`Gatehouse's answer from ${url.origin}${url.pathname} is not JSON; check --endpoint (it must be the Gatehouse API with its stage).`);
  }
  const { Version, AccessKeyId, SecretAccessKey, SessionToken, Expiration } = answer || {};
  const fine = Version === 1 && [AccessKeyId, SecretAccessKey, SessionToken, Expiration].every((v) => typeof v === 'string' && v !== '')
    && !Number.isNaN(Date.parse(Expiration));
  if (!fine) fail(`Gatehouse's answer from ${url.origin}${url.pathname} is not a credential_process credential (Version 1 with AccessKeyId, SecretAccessKey, SessionToken, Expiration).`);
  process.stdout.write(`${JSON.stringify({ Version, AccessKeyId, SecretAccessKey, SessionToken, Expiration })}\n`);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !OPTIONS.has(m[1])) fail(`unknown argument ${arg}; the options are ${[...OPTIONS].map((o) => `--${o}`).join(', ')}.`);
    if (FLAGS.has(m[1])) {
      out[m[1]] = true;
      continue;
    }
    const value = m[2] !== undefined ? m[2] : argv[++i];
    if (value === undefined || value === '') fail(`--${m[1]} needs a value.`);
    out[m[1]] = value;
  }
  return out;
}

/** The runner's OIDC token, for a credential_process in a GitHub Actions job. */
async function actionsToken(args) {
  if (args['token-file'] || args['token-env']) fail('--github-actions takes the token from the runner: leave out --token-file and --token-env.');
  const { token, error } = await githubActionsToken(args.audience || process.env.GATEHOUSE_AUDIENCE || 'gatehouse');
  if (error) fail(error);
  return token;
}

function readToken(args) {
  if (args.audience) fail('--audience only applies to --github-actions.');
  let token;
  let where;
  const file = args['token-file'] || (args['token-env'] ? undefined : process.env.GATEHOUSE_TOKEN_FILE);
  if (file) {
    where = `the token file ${file}`;
    try {
      token = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      fail(`cannot read the token file ${file} (${error.code || error.message}); write the agent's token there.`);
    }
  } else if (args['token-env']) {
    where = `the environment variable ${args['token-env']}`;
    token = (process.env[args['token-env']] || '').trim();
  } else {
    fail('no token: pass --token-file <path> (or set GATEHOUSE_TOKEN_FILE) or --token-env <VAR> naming where the agent\'s OIDC token is.');
  }
  if (!token) fail(`${where} is empty; it must hold the agent's OIDC token.`);
  if (/\s/.test(token)) fail(`${where} holds more than one token (whitespace inside); keep just the token.`);
  return token.replace(/^Bearer\s+/i, '');
}

function readCa(file) {
  try {
    // Added to the public roots, so a move to a public certificate keeps working.
    return [...tls.rootCertificates, fs.readFileSync(file, 'utf8')];
  } catch (error) {
    return fail(`cannot read the CA file ${file} (${error.code || error.message}).`);
  }
}

function post(url, token, ca, timeoutMs) {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-length': '0', 'user-agent': NAME },
      ...(ca && url.protocol === 'https:' ? { ca } : {}),
    }, (response) => {
      const chunks = [];
      let size = 0;
      response.on('data', (chunk) => {
        size += chunk.length;
        // A credential answer is a few KB; anything far larger is not Gatehouse.
        if (size > 1024 * 1024) request.destroy(new Error(`the answer from ${url.origin} is larger than 1 MiB; check --endpoint.`));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    const timer = setTimeout(() => request.destroy(new Error(`Gatehouse at ${url.origin} did not answer within ${timeoutMs / 1000} s; check --endpoint and the network.`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(describeNetworkError(error, url)));
    });
    request.end();
  });
}

function describeNetworkError(error, url) {
  const code = error && error.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET') {
    return `cannot reach Gatehouse at ${url.origin} (${code}); check --endpoint and the network.`;
  }
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return `the certificate of ${url.origin} is not trusted (${code}); if Gatehouse uses a private CA, pass --ca-file <ca.pem> or set NODE_EXTRA_CA_CERTS.`;
  }
  return error && error.message ? error.message : String(error);
}

/** The message of a Kubernetes-like Status ({message}), an AWS-style error ({Message}) or {error}. */
function errorMessage(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return '';
  }
  const message = parsed && (parsed.message || parsed.Message || (parsed.Error && parsed.Error.Message) || parsed.error);
  return typeof message === 'string' ? message.replace(/\s+/g, ' ').trim().slice(0, 1000) : '';
}

function fail(message) {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(1);
}
