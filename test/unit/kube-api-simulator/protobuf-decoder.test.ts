import { decodeKubernetesProtobuf } from '../../../local/kube-api-simulator/protobuf-decoder';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';

// A minimal protobuf writer, enough to build what kubectl's typed clients send.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return Buffer.from(out);
}
const bytesField = (n: number, value: Buffer | string): Buffer => {
  const b = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((n << 3) | 2), varint(b.length), b]);
};
const varintField = (n: number, value: number): Buffer => Buffer.concat([varint(n << 3), varint(value)]);
const mapEntry = (n: number, key: string, value: Buffer | string): Buffer => bytesField(n, Buffer.concat([bytesField(1, key), bytesField(2, value)]));
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([Buffer.from('k8s\u0000', 'binary'), bytesField(1, Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)])), bytesField(2, raw)]);

// ObjectMeta as gogo writes it: every non-pointer field, zero values included.
const objectMeta = (name: string, namespace: string): Buffer =>
  Buffer.concat([bytesField(1, name), bytesField(2, ''), bytesField(3, namespace), bytesField(5, ''), varintField(7, 0), bytesField(8, Buffer.alloc(0))]);

describe('Kubernetes protobuf bodies', () => {
  it('decodes the ConfigMap `kubectl create configmap` sends into the same JSON object', () => {
    // Arrange
    const raw = Buffer.concat([bytesField(1, objectMeta('x', 'default')), mapEntry(2, 'a', 'b'), mapEntry(3, 'bin', Buffer.from([0, 1, 2]))]);

    // Act
    const obj = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw));

    // Assert
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { a: 'b' }, binaryData: { bin: 'AAEC' } });
  });

  it('decodes Secret data as base64 and keeps pointer fields set to zero values', () => {
    // Arrange
    const raw = Buffer.concat([bytesField(1, objectMeta('s', 'prod')), mapEntry(2, 'password', 'hunter2'), bytesField(3, 'Opaque'), varintField(5, 0)]);

    // Act
    const obj = decodeKubernetesProtobuf(envelope('v1', 'Secret', raw));

    // Assert
    expect(obj.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    expect(obj.type).toBe('Opaque');
    expect(obj.immutable).toBe(false);
  });

  it('decodes a Deployment with nested pod template, int-or-string and quantities', () => {
    // Arrange
    const container = Buffer.concat([bytesField(1, 'web'), bytesField(2, 'nginx:1.27'), bytesField(6, varintField(3, 80)), bytesField(8, mapEntry(1, 'cpu', bytesField(1, '500m')))]);
    const template = Buffer.concat([bytesField(1, objectMeta('', '')), bytesField(2, bytesField(2, container))]);
    const strategy = Buffer.concat([bytesField(1, 'RollingUpdate'), bytesField(2, bytesField(2, Buffer.concat([varintField(1, 1), bytesField(3, '30%')])))]);
    const spec = Buffer.concat([varintField(1, 0), bytesField(3, template), bytesField(4, strategy)]);

    // Act
    const obj = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', Buffer.concat([bytesField(1, objectMeta('d', 'default')), bytesField(2, spec), bytesField(3, Buffer.alloc(0))])));

    // Assert
    expect(obj.spec).toEqual({
      replicas: 0,
      template: { metadata: {}, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '500m' } } }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '30%' } },
    });
  });

  it.each([
    ['a kind it has no schema for', envelope('v1', 'Pod', Buffer.alloc(0)), 415],
    ['a non-zero field it does not model', envelope('v1', 'ConfigMap', varintField(9, 1)), 415],
    ['a body without the k8s prefix', Buffer.from('{"kind":"ConfigMap"}'), 400],
  ])('refuses %s', (_name, body, code) => {
    let error: unknown;
    try {
      decodeKubernetesProtobuf(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe(code);
  });
});
