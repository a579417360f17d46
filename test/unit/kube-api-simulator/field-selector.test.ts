import { BUILTIN_RESOURCES } from '../../../local/kube-api-simulator/builtin-resources';
import { matchesFields, parseFieldSelector } from '../../../local/kube-api-simulator/field-selector';
import type { ResourceType } from '../../../local/kube-api-simulator/resource-type';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';
import type { KubeObject } from '../../../local/kube-api-simulator/types';

const type = (resource: string): ResourceType => BUILTIN_RESOURCES.find((t) => t.resource === resource)!;
const pod: KubeObject = { metadata: { name: 'api-1', namespace: 'prod' }, spec: { nodeName: 'n1', hostNetwork: false }, status: { phase: 'Running' } };
const event: KubeObject = {
  metadata: { name: 'e1', namespace: 'prod' },
  involvedObject: { kind: 'Pod', name: 'api-1', namespace: 'prod', uid: 'u-1' },
  reason: 'Started',
  type: 'Normal',
  source: { component: 'kubelet' },
};

describe('field selectors', () => {
  it.each([
    ['pods', pod, 'metadata.name=api-1', true],
    ['pods', pod, 'metadata.name==api-1', true],
    ['pods', pod, 'metadata.name!=api-1', false],
    ['pods', pod, 'metadata.namespace=prod,status.phase=Running', true],
    ['pods', pod, 'spec.nodeName=n2', false],
    ['pods', pod, 'spec.hostNetwork=false', true],
    ['events', event, 'involvedObject.kind=Pod,involvedObject.name=api-1,involvedObject.uid=u-1', true],
    ['events', event, 'involvedObject.namespace=prod,involvedObject.name=other', false],
    ['events', event, 'reason=Started,type=Normal,source=kubelet', true],
  ])('on %s, %p is %p', (resource, obj, selector, expected) => {
    // Arrange
    const t = type(resource);
    const requirements = parseFieldSelector(selector, t);

    // Act
    const result = matchesFields(requirements, t, obj);

    // Assert
    expect(result).toBe(expected);
  });

  it.each([
    ['configmaps', 'data.a=b', 'field label not supported: data.a'],
    ['pods', 'involvedObject.name=x', 'field label not supported: involvedObject.name'],
    ['events', 'spec.nodeName=x', 'field label not supported: spec.nodeName'],
    ['pods', 'nonsense', "can't understand 'nonsense'"],
  ])('on %s, %p is a 400 (%s)', (resource, selector, message) => {
    // Act
    let error: unknown;
    try {
      parseFieldSelector(selector, type(resource));
    } catch (err) {
      error = err;
    }

    // Assert
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe(400);
    expect((error as KubeApiError).message).toContain(message);
  });
});
