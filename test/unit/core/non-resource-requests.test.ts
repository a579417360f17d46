import { classifyRequest } from '../../../lambdas/core/classify-request';
import { BadRequestError } from '../../../lambdas/core/errors';

describe('a request that names no resource', () => {
  it('is classified with every resource field empty, as the API server reports it', () => {
    // Arrange
    const query = new URLSearchParams();

    // Act
    const info = classifyRequest('GET', '/version', query);

    // Assert
    expect(info).toEqual({
      isResourceRequest: false, path: '/version', verb: 'get', apiPrefix: '', apiGroup: '', apiVersion: '',
      namespace: '', resource: '', subresource: '', name: '', parts: [],
    });
  });

  it('is refused on the deprecated watch prefix, with an example of what to send', () => {
    const refuse = () => classifyRequest('GET', '/api/v1/watch', new URLSearchParams());

    expect(refuse).toThrow(BadRequestError);
    expect(refuse).toThrow(
      'The path /api/v1/watch uses the "watch" prefix without naming a resource; add the resource, e.g. /api/v1/watch/namespaces/default/pods.',
    );
  });
});
