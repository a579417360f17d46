import { roleSessionFor, stsName } from '../../../lambdas/core/role-session';

const STS_NAME = /^[\w+=,.@-]{2,64}$/;

describe('stsName', () => {
  it.each([
    ['a short valid name', 'github.bot', 'github.bot'],
    ['characters STS refuses', 'github.repo:acme/app', /^github\.repo_acme_app-[0-9a-f]{10}$/],
    ['a name starting with aws:', 'aws:x', /^aws_x-[0-9a-f]{10}$/],
    ['a one-character name', 'a', /^a_-[0-9a-f]{10}$|^a_$/],
  ])('fits %s to STS rules', (_case, raw, expected) => {
    const name = stsName(raw);
    expect(name).toMatch(STS_NAME);
    if (typeof expected === 'string') expect(name).toBe(expected);
    else expect(name).toMatch(expected);
  });

  it('keeps two long agents apart even when their first 64 characters agree', () => {
    const prefix = 'github.' + 'x'.repeat(80);
    expect(stsName(`${prefix}-one`)).not.toBe(stsName(`${prefix}-two`));
    expect(stsName(`${prefix}-one`)).toMatch(STS_NAME);
  });
});

describe('roleSessionFor', () => {
  it('names the session after the agent and tags it with agent, connection and session', () => {
    const request = roleSessionFor(
      { issuer: 'github', agent: 'acme/app', session: 'acme/app/42', groups: [], claims: {} },
      { name: 'prod', roleArn: 'arn:aws:iam::111122223333:role/prod' },
    );
    expect(request).toMatchObject({ roleArn: 'arn:aws:iam::111122223333:role/prod', durationSeconds: 900 });
    expect(request.sourceIdentity).toMatch(STS_NAME);
    expect(request.roleSessionName).toMatch(/^github\.acme_app/);
    expect(request.tags).toEqual([
      { Key: 'gatehouse:agent', Value: 'acme/app' },
      { Key: 'gatehouse:issuer', Value: 'github' },
      { Key: 'gatehouse:connection', Value: 'prod' },
      { Key: 'gatehouse:session', Value: 'acme/app/42' },
    ]);
  });
});
