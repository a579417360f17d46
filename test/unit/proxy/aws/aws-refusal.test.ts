import { ForbiddenError, ServiceUnavailableError } from '../../../../lambdas/core/errors';
import { awsErrorOf, awsRefusal, AwsRefusalError } from '../../../../lambdas/proxy/aws/aws-refusal';

describe('awsRefusal', () => {
  it.each([
    ['awsJson1_0', 'application/x-amz-json-1.0', 'AccessDeniedException'],
    ['awsQuery', 'text/xml', 'AccessDenied'],
    ['restXml', 'application/xml', 'AccessDenied'],
  ] as const)('answers a policy denial in %s with the code the service uses and the rule in the message', (protocol, contentType, code) => {
    const { response, reason, message } = awsRefusal(new ForbiddenError('Denied by Gatehouse policy rule "aws/no-deletes": ask first.'), protocol, 'req-1');
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.body.toString()).toContain(code);
    expect(response.body.toString()).toContain('aws/no-deletes');
    expect(reason).toBe(code);
    expect(message).toContain('aws/no-deletes');
    expect(response.headers['content-length']).toBe(String(response.body.length));
  });

  it('names the request id in a 5xx message, so an operator can find the record', () => {
    const { message } = awsRefusal(new ServiceUnavailableError('Gatehouse could not read grants; retry shortly.', 2), 'awsJson1_1', 'req-42');
    expect(message).toMatch(/request id req-42/);
  });

  it('answers a HEAD refusal without a body, as on the wire', () => {
    const { response } = awsRefusal(new ForbiddenError('no'), 'restXml', 'r', 'HEAD');
    expect(response.body.length).toBe(0);
    expect(response.status).toBe(403);
  });

  it('uses the kind a verification failure names (a bad signature is not a policy denial)', () => {
    const { response } = awsRefusal(new AwsRefusalError('signature', 403, 'SignatureDoesNotMatch', 'bad signature'), 'awsJson1_0', 'r');
    expect(JSON.parse(response.body.toString())).toEqual({ __type: 'InvalidSignatureException', message: 'bad signature' });
  });

  it('hides what an unexpected error says and answers an internal failure', () => {
    const { response, message } = awsRefusal(new Error('secret detail'), 'awsJson1_0', 'r');
    expect(response.status).toBe(500);
    expect(message).not.toContain('secret detail');
  });
});

describe('awsErrorOf', () => {
  it.each([
    ['a JSON error', '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}', 'ResourceNotFoundException', 'Requested resource not found'],
    ['a JSON error with Message', '{"__type":"AccessDeniedException","Message":"User is not authorized"}', 'AccessDeniedException', 'User is not authorized'],
    ['a query error', '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>', 'AccessDenied', 'not allowed'],
    ['an S3 error', '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', 'AccessDenied', 'Access Denied'],
  ])('reads the code and message of %s for the record', (_label, body, code, message) => {
    expect(awsErrorOf(Buffer.from(body))).toEqual({ errorReason: code, errorMessage: message });
  });

  it('reads nothing from a body that is not an error', () => {
    expect(awsErrorOf(Buffer.from('plain text'))).toEqual({});
  });
});
