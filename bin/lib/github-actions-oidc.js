'use strict';
/**
 * The GitHub Actions runner's OIDC token for an audience, as both credential helpers ask for it
 * (gatehouse-github-token.js for kubectl, gatehouse-aws-credentials.js --github-actions for the AWS SDKs and CLI).
 * Needs `permissions: id-token: write` on the job; the token is returned, never written anywhere.
 * Resolves `{ token }` or `{ error }` (a sentence for the user).
 */
async function githubActionsToken(audience, env = process.env) {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    return { error: 'ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: run inside GitHub Actions and give the job `permissions: id-token: write`.' };
  }
  const url = new URL(requestUrl);
  url.searchParams.set('audience', audience);
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, { headers: { authorization: `bearer ${requestToken}`, accept: 'application/json; api-version=2.0' } });
      if (response.ok) {
        const body = await response.json();
        if (!body || typeof body.value !== 'string' || !body.value) return { error: 'the Actions runner answered without a token.' };
        return { token: body.value };
      }
      lastError = `HTTP ${response.status}`;
      if (response.status < 500 && response.status !== 429) break;
    } catch (error) {
      lastError = error && error.message ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  return { error: `could not get an OIDC token from the Actions runner (${lastError}).` };
}

module.exports = { githubActionsToken };
