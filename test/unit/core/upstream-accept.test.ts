import {
  DISCOVERY_ACCEPT,
  parseAccept,
  PARTIAL_OBJECT_METADATA_ACCEPT,
  PARTIAL_OBJECT_METADATA_LIST_ACCEPT,
  PLAIN_JSON_ACCEPT,
  TABLE_ACCEPT,
  upstreamAcceptFor,
  WATCH_STREAM_ACCEPT,
} from '../../../lambdas/core/upstream-accept';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

describe('upstreamAcceptFor: the fixed Accept for what the client asked', () => {
  it.each<[string, string | undefined, string]>([
    // What real clients send.
    ['kubectl get', `${TABLE},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`, TABLE_ACCEPT],
    ['kubectl discovery', `${DISCOVERY},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`, DISCOVERY_ACCEPT],
    ['client-go discovery preferring protobuf', `${PROTOBUF};g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,${DISCOVERY},application/json;q=0.9`, DISCOVERY_ACCEPT],
    ['a typed client (protobuf first)', `${PROTOBUF},application/json`, PLAIN_JSON_ACCEPT],
    ['the metadata client on an object', `${PROTOBUF};as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json`, PARTIAL_OBJECT_METADATA_ACCEPT],
    ['the metadata client on a list', 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1', PARTIAL_OBJECT_METADATA_LIST_ACCEPT],
    ['kubectl get --raw', 'application/json, */*', PLAIN_JSON_ACCEPT],
    ['no Accept', undefined, PLAIN_JSON_ACCEPT],
    ['an empty Accept', '', PLAIN_JSON_ACCEPT],
    // Encodings masking cannot read are never asked for, whatever form goes with them.
    ['CBOR', 'application/cbor', PLAIN_JSON_ACCEPT],
    ['a CBOR Table (the server cannot make one: JSON or YAML only)', 'application/cbor;as=Table;v=v1;g=meta.k8s.io', PLAIN_JSON_ACCEPT],
    ['a YAML Table', 'application/yaml;as=Table;v=v1;g=meta.k8s.io', TABLE_ACCEPT],
    ['a wildcard Table', '*/*;as=Table;v=v1;g=meta.k8s.io', TABLE_ACCEPT],
    ['an application/* Table', 'application/*;as=Table;v=v1;g=meta.k8s.io', TABLE_ACCEPT],
    ['a protobuf Table, which the server rejects, then plain protobuf', `${PROTOBUF};as=Table;v=v1;g=meta.k8s.io,${PROTOBUF}`, PLAIN_JSON_ACCEPT],
    ['protobuf watch framing', `${PROTOBUF};stream=watch`, WATCH_STREAM_ACCEPT],
    ['YAML watch framing (no YAML stream serializer), then JSON', 'application/yaml;stream=watch,application/json', PLAIN_JSON_ACCEPT],
    ['an unknown stream', 'application/json;stream=other', PLAIN_JSON_ACCEPT],
    // goautoneg's reading, not RFC 9110's.
    ['a comma inside quotes splits the clause (the Table part is garbage to the server)', 'application/json;x="a,b";as=Table;v=v1;g=meta.k8s.io', PLAIN_JSON_ACCEPT],
    ['a Table hidden after a quoted comma the server reads first', `text/html;x="a,${TABLE}"`, PLAIN_JSON_ACCEPT],
    ['a clause the server reads after splitting inside quotes', `text/html;x="y,${TABLE}`, TABLE_ACCEPT],
    ['upper-case types do not match the server\'s serializers', `Application/JSON,${TABLE}`, TABLE_ACCEPT],
    ['upper-case parameter names are not conversions', 'application/json;AS=Table;V=v1;G=meta.k8s.io', PLAIN_JSON_ACCEPT],
    ['a Table without group and version', 'application/json;as=Table,application/json', PLAIN_JSON_ACCEPT],
    ['a Table of another group', 'application/json;as=Table;v=v1;g=example.com', PLAIN_JSON_ACCEPT],
    ['a lower-case kind', 'application/json;as=table;v=v1;g=meta.k8s.io', PLAIN_JSON_ACCEPT],
    ['the last of repeated parameters', 'application/json;as=Foo;as=Table;v=v1;g=meta.k8s.io', TABLE_ACCEPT],
    ['spaces around parameter names and values (trimmed)', 'application/json ; as = Table ; v=v1; g=meta.k8s.io', TABLE_ACCEPT],
    ['a tab is not trimmed', 'application/json;\tas=Table;v=v1;g=meta.k8s.io', PLAIN_JSON_ACCEPT],
    ['spaces around values only', 'application/json;as= Table ;v=v1;g=meta.k8s.io', TABLE_ACCEPT],
    // Order: q first, then wildcards last; parameters do not make a clause more specific.
    ['plain JSON before a Table at the same q', `application/json,${TABLE}`, PLAIN_JSON_ACCEPT],
    ['a Table with a higher q', `application/json;q=0.5,${TABLE}`, TABLE_ACCEPT],
    ['q=0 still counts for the server', `${TABLE};q=0`, TABLE_ACCEPT],
    ['an unparseable q (untrimmed) is 0', `${TABLE};q= 1,application/json;q=0.1`, PLAIN_JSON_ACCEPT],
    ['a wildcard Table after a concrete type', `*/*;as=Table;v=v1;g=meta.k8s.io,${PROTOBUF}`, PLAIN_JSON_ACCEPT],
    ['types the server does not serve are skipped', `text/html,image/png,${TABLE}`, TABLE_ACCEPT],
    ['only types the server does not serve', 'text/html', PLAIN_JSON_ACCEPT],
  ])('%s', (_case, accept, expected) => {
    expect(upstreamAcceptFor(accept)).toBe(expected);
  });

  it('always answers one of the fixed forms', () => {
    const forms = new Set([TABLE_ACCEPT, DISCOVERY_ACCEPT, PARTIAL_OBJECT_METADATA_ACCEPT, PARTIAL_OBJECT_METADATA_LIST_ACCEPT, WATCH_STREAM_ACCEPT, PLAIN_JSON_ACCEPT]);
    for (const accept of ['application/cbor-seq', 'application/json;as=Table;v=v1;g=meta.k8s.io;pretty=1', ';;,,//', '*', '*/json']) {
      expect(forms.has(upstreamAcceptFor(accept))).toBe(true);
    }
  });
});

describe('parseAccept (goautoneg)', () => {
  it('splits on every comma and semicolon, and drops ranges without exactly one slash', () => {
    expect(parseAccept('application/json;profile="a,b", */*, *, a/b/c, text').map((c) => `${c.type}/${c.subType}`)).toEqual([
      'application/json', '*/*', '*/*',
    ]);
  });

  it('keeps parameters by exact name and reads q as a float', () => {
    expect(parseAccept('application/json;q=0.5;as=Table;noequals;x=a=b')).toEqual([
      { type: 'application', subType: 'json', q: Math.fround(0.5), params: expect.objectContaining({ as: 'Table', x: 'a=b' }) },
    ]);
  });

  it('orders as Go\'s insertion sort does with goautoneg\'s comparison (a concrete type beats a wildcard even at a lower q)', () => {
    const order = parseAccept('*/*,application/yaml;q=0.9,application/json;as=Table,application/json;q=1e0').map((c) => `${c.type}/${c.subType};${c.q}`);
    expect(order).toEqual(['application/json;1', 'application/json;1', 'application/yaml;0.8999999761581421', '*/*;1']);
  });
});
