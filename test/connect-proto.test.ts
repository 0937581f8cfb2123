import { describe, expect, it } from 'vitest';
import {
  CONNECT_HTTP_STATUS,
  ConnectError,
  codecOf,
  connectCodeForHttpStatus,
  connectError,
  connectRequestHeaders,
  decodeBinary,
  decodeConnectError,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeJson,
  encodeBinary,
  encodeConnectError,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeJson,
  isProcedure,
  LABEL_NAMES_PROCEDURE,
  LABEL_VALUES_PROCEDURE,
  type MessageName,
  type Messages,
  PROFILE_TYPES_PROCEDURE,
  ProfileFormat,
  PUSH_PROCEDURE,
  SELECT_MERGE_STACKTRACES_PROCEDURE,
} from '../src/core/remote/connect-proto.js';

// ---- wire bytes written by hand, independent of the library's schema ----
// A tag is (field number << 3) | wire type: 0 varint, 2 length-delimited.

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
/** A length-delimited field: its tag byte, the length, the bytes. */
function ld(tag: number, body: number[] | string): number[] {
  const bytes = typeof body === 'string' ? [...Buffer.from(body, 'utf8')] : body;
  return [tag, ...varint(bytes.length), ...bytes];
}
const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());

/** Every message once, with a value in each field. */
const SAMPLES: { [N in MessageName]: Messages[N] } = {
  'types.v1.LabelPair': { name: 'service_name', value: 'app' },
  'types.v1.ProfileType': {
    ID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    name: 'process_cpu',
    sampleType: 'cpu',
    sampleUnit: 'nanoseconds',
    periodType: 'cpu',
    periodUnit: 'nanoseconds',
  },
  'types.v1.LabelValuesRequest': {
    name: 'pod',
    matchers: ['{service_name="app"}'],
    start: 1676282400000,
    end: 1676289600000,
  },
  'types.v1.LabelValuesResponse': { names: ['a', 'b'] },
  'types.v1.LabelNamesRequest': { matchers: ['{}', '{a="b"}'], start: 1, end: 2 },
  'types.v1.LabelNamesResponse': { names: ['__name__', 'service_name'] },
  'push.v1.PushRequest': {
    series: [
      {
        labels: [
          { name: '__name__', value: 'process_cpu' },
          { name: 'service_name', value: 'app' },
        ],
        samples: [{ rawProfile: new Uint8Array([0x1f, 0x8b, 0, 255]), ID: '734fd599-6865-419e-9475-932762d8f469' }],
      },
      { labels: [], samples: [] },
    ],
  },
  'push.v1.PushResponse': {},
  'push.v1.RawProfileSeries': {
    labels: [{ name: 'x', value: 'y' }],
    samples: [{ rawProfile: new Uint8Array([1, 2, 3]), ID: 'id' }],
  },
  'push.v1.RawSample': { rawProfile: new Uint8Array([9, 8, 7]), ID: 'u' },
  'querier.v1.ProfileTypesRequest': { start: 1676282400000, end: 1676289600000 },
  'querier.v1.ProfileTypesResponse': {
    profileTypes: [
      { ID: 'a:b:c:d:e', name: 'a', sampleType: 'b', sampleUnit: 'c', periodType: 'd', periodUnit: 'e' },
      { ID: '', name: 'n', sampleType: '', sampleUnit: '', periodType: '', periodUnit: '' },
    ],
  },
  'querier.v1.SelectMergeStacktracesRequest': {
    profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    labelSelector: '{service_name="app"}',
    start: 1676282400000,
    end: 1676289600000,
    maxNodes: 0,
    format: ProfileFormat.FLAMEGRAPH,
  },
  'querier.v1.SelectMergeStacktracesResponse': {
    flamegraph: {
      names: ['total', 'main', 'work'],
      levels: [{ values: [0, 100, 0, 0] }, { values: [0, 100, 40, 1] }, { values: [0, 60, 60, 2] }],
      total: 100,
      maxSelf: 60,
    },
    tree: new Uint8Array(0),
    dot: '',
  },
  'querier.v1.FlameGraph': {
    names: ['total'],
    levels: [{ values: [0, 2 ** 53 - 1, -5, 0] }, { values: [] }],
    total: 2 ** 53 - 1,
    maxSelf: 7,
  },
  'querier.v1.Level': { values: [1, -1, 0, 1676282400000] },
};

describe('messages', () => {
  for (const name of Object.keys(SAMPLES) as MessageName[]) {
    it(`round-trips ${name} in binary and JSON`, () => {
      const v = SAMPLES[name];
      expect(decodeBinary(name, encodeBinary(name, v as never))).toEqual(v);
      expect(decodeJson(name, encodeJson(name, v as never))).toEqual(v);
    });
  }

  it('decodes the empty message to proto3 defaults', () => {
    expect(decodeBinary('querier.v1.SelectMergeStacktracesRequest', new Uint8Array(0))).toEqual({
      profileTypeID: '',
      labelSelector: '',
      start: 0,
      end: 0,
      format: 0,
    });
    expect(decodeJson('push.v1.RawSample', '{}')).toEqual({ rawProfile: new Uint8Array(0), ID: '' });
    expect(decodeJson('push.v1.PushResponse', '')).toEqual({});
    expect(decodeBinary('querier.v1.SelectMergeStacktracesResponse', new Uint8Array(0))).toEqual({
      tree: new Uint8Array(0),
      dot: '',
    });
  });

  it('leaves defaults out and takes partial input', () => {
    expect(encodeJson('types.v1.LabelNamesRequest', { matchers: [], start: 0 })).toBe('{}');
    expect(encodeBinary('types.v1.LabelNamesRequest', {}).length).toBe(0);
    expect(encodeJson('querier.v1.SelectMergeStacktracesRequest', { profileTypeID: 'p', end: 5 })).toBe(
      '{"profileTypeID":"p","end":"5"}',
    );
  });
});

describe('binary wire format, checked against upstream field numbers', () => {
  // push.v1.PushRequest { series = 1 } > RawProfileSeries { labels = 1, samples = 2 }
  //   > types.v1.LabelPair { name = 1, value = 2 }, RawSample { raw_profile = 1, ID = 2 }
  const labelPair = [...ld(0x0a, 'service_name'), ...ld(0x12, 'app')];
  const sample = [...ld(0x0a, [0x1f, 0x8b, 0x08]), ...ld(0x12, 'u-1')];
  const series = [...ld(0x0a, labelPair), ...ld(0x12, sample)];
  const push = bytes(ld(0x0a, series));
  const pushValue = {
    series: [
      {
        labels: [{ name: 'service_name', value: 'app' }],
        samples: [{ rawProfile: new Uint8Array([0x1f, 0x8b, 0x08]), ID: 'u-1' }],
      },
    ],
  };

  it('decodes a PushRequest built byte by byte', () => {
    expect(decodeBinary('push.v1.PushRequest', push)).toEqual(pushValue);
  });

  it('encodes a PushRequest to the same bytes', () => {
    expect([...encodeBinary('push.v1.PushRequest', pushValue)]).toEqual([...push]);
  });

  it('skips fields it does not know (RawProfileSeries.annotations = 3)', () => {
    const annotation = [...ld(0x0a, 'k'), ...ld(0x12, 'v')];
    const withAnnotation = bytes(ld(0x0a, [...series, ...ld(0x1a, annotation)]));
    expect(decodeBinary('push.v1.PushRequest', withAnnotation)).toEqual(pushValue);
  });

  it('decodes a SelectMergeStacktracesRequest: profile_typeID 1, label_selector 2, start 3, end 4, max_nodes 5, format 6', () => {
    const req = bytes(
      ld(0x0a, 'memory:alloc_space:bytes::'),
      ld(0x12, '{}'),
      [0x18, ...varint(1676282400000)],
      [0x20, ...varint(1676289600000)],
      [0x28, ...varint(0)], // present, and 0
      [0x30, 0x02],
    );
    expect(decodeBinary('querier.v1.SelectMergeStacktracesRequest', req)).toEqual({
      profileTypeID: 'memory:alloc_space:bytes::',
      labelSelector: '{}',
      start: 1676282400000,
      end: 1676289600000,
      maxNodes: 0,
      format: ProfileFormat.TREE,
    });
    // max_nodes absent stays absent; a negative int64 is ten bytes of varint.
    const bare = decodeBinary('querier.v1.SelectMergeStacktracesRequest', bytes([0x18, ...varint(-1)]));
    expect(bare.start).toBe(-1);
    expect('maxNodes' in bare).toBe(false);
  });

  it('decodes LabelValuesRequest (name 1, matchers 2, start 3, end 4) and LabelNamesRequest (matchers 1, start 2, end 3)', () => {
    expect(
      decodeBinary('types.v1.LabelValuesRequest', bytes(ld(0x0a, 'pod'), ld(0x12, '{a="b"}'), [0x18, 7], [0x20, 8])),
    ).toEqual({ name: 'pod', matchers: ['{a="b"}'], start: 7, end: 8 });
    expect(
      decodeBinary('types.v1.LabelNamesRequest', bytes(ld(0x0a, '{}'), ld(0x0a, '{x="y"}'), [0x10, 7], [0x18, 8])),
    ).toEqual({ matchers: ['{}', '{x="y"}'], start: 7, end: 8 });
    expect(decodeBinary('types.v1.LabelNamesResponse', bytes(ld(0x0a, 'a'), ld(0x0a, 'b')))).toEqual({
      names: ['a', 'b'],
    });
    expect(decodeBinary('querier.v1.ProfileTypesRequest', bytes([0x08, 5], [0x10, 6]))).toEqual({ start: 5, end: 6 });
  });

  it('decodes ProfileType fields 1, 2, 4, 5, 6, 7 in ProfileTypesResponse.profile_types = 1', () => {
    const pt = [
      ...ld(0x0a, 'id'),
      ...ld(0x12, 'n'),
      ...ld(0x22, 'st'),
      ...ld(0x2a, 'su'),
      ...ld(0x32, 'pt'),
      ...ld(0x3a, 'pu'),
    ];
    expect(decodeBinary('querier.v1.ProfileTypesResponse', bytes(ld(0x0a, pt)))).toEqual({
      profileTypes: [{ ID: 'id', name: 'n', sampleType: 'st', sampleUnit: 'su', periodType: 'pt', periodUnit: 'pu' }],
    });
  });

  it('decodes SelectMergeStacktracesResponse.flamegraph = 1: names 1, levels 2 (values 1, packed or not), total 3, max_self 4', () => {
    const packed = ld(0x0a, [0, ...varint(300), 0, 0]);
    const unpacked = [0x08, 0, 0x08, ...varint(300), 0x08, 0x2c, 0x08, 1];
    const fg = [
      ...ld(0x0a, 'total'),
      ...ld(0x0a, 'main'),
      ...ld(0x12, packed),
      ...ld(0x12, unpacked),
      0x18,
      ...varint(300),
      0x20,
      0x2c,
    ];
    expect(decodeBinary('querier.v1.SelectMergeStacktracesResponse', bytes(ld(0x0a, fg), ld(0x1a, 'g')))).toEqual({
      flamegraph: {
        names: ['total', 'main'],
        levels: [{ values: [0, 300, 0, 0] }, { values: [0, 300, 44, 1] }],
        total: 300,
        maxSelf: 44,
      },
      tree: new Uint8Array(0),
      dot: 'g',
    });
  });

  it('refuses an int64 beyond 2^53 rather than rounding it', () => {
    const fg = bytes([0x18, ...varint(2n ** 53n + 1n)]);
    expect(() => decodeBinary('querier.v1.FlameGraph', fg)).toThrow(
      /querier\.v1\.FlameGraph\.total: 9007199254740993 is beyond ±\(2\^53 − 1\)/,
    );
    expect(() => encodeBinary('querier.v1.FlameGraph', { total: 2 ** 53 })).toThrow(RangeError);
    expect(() => encodeBinary('querier.v1.Level', { values: [1.5] })).toThrow(/values\[0\]/);
  });
});

describe('Connect JSON', () => {
  it('writes protojson names, int64 as strings, bytes as base64', () => {
    expect(encodeJson('push.v1.RawSample', { rawProfile: new Uint8Array([1, 2, 3, 250]), ID: 'u' })).toBe(
      '{"rawProfile":"AQID+g==","ID":"u"}',
    );
    expect(
      JSON.parse(
        encodeJson('querier.v1.SelectMergeStacktracesRequest', SAMPLES['querier.v1.SelectMergeStacktracesRequest']),
      ),
    ).toEqual({
      profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      labelSelector: '{service_name="app"}',
      start: '1676282400000',
      end: '1676289600000',
      maxNodes: '0',
      format: 'PROFILE_FORMAT_FLAMEGRAPH',
    });
    expect(
      encodeJson('querier.v1.FlameGraph', {
        names: ['total'],
        levels: [{ values: [0, 5, 5, 0] }],
        total: 5,
        maxSelf: 5,
      }),
    ).toBe('{"names":["total"],"levels":[{"values":["0","5","5","0"]}],"total":"5","maxSelf":"5"}');
    expect(
      JSON.parse(encodeJson('querier.v1.ProfileTypesResponse', SAMPLES['querier.v1.ProfileTypesResponse'])),
    ).toEqual({
      profileTypes: [
        { ID: 'a:b:c:d:e', name: 'a', sampleType: 'b', sampleUnit: 'c', periodType: 'd', periodUnit: 'e' },
        { name: 'n' },
      ],
    });
  });

  it('reads camelCase names, base64 bytes, int64 as strings or numbers', () => {
    const text = JSON.stringify({
      series: [
        {
          labels: [{ name: 'service_name', value: 'app' }],
          samples: [{ rawProfile: 'H4sI', ID: 'u-1' }],
        },
      ],
    });
    expect(decodeJson('push.v1.PushRequest', Buffer.from(text))).toEqual({
      series: [
        {
          labels: [{ name: 'service_name', value: 'app' }],
          samples: [{ rawProfile: new Uint8Array([0x1f, 0x8b, 0x08]), ID: 'u-1' }],
        },
      ],
    });
    expect(
      decodeJson('querier.v1.SelectMergeStacktracesRequest', {
        profileTypeID: 'p',
        labelSelector: '{}',
        start: '1676282400000',
        end: 1676289600000,
        maxNodes: '16384',
        format: 'PROFILE_FORMAT_FLAMEGRAPH',
      }),
    ).toEqual({
      profileTypeID: 'p',
      labelSelector: '{}',
      start: 1676282400000,
      end: 1676289600000,
      maxNodes: 16384,
      format: 1,
    });
    expect(decodeJson('querier.v1.Level', '{"values":["-3", 4, "5e2"]}')).toEqual({ values: [-3, 4, 500] });
  });

  it('reads .proto names, URL-safe and unpadded base64, null, and ignores unknown fields', () => {
    expect(decodeJson('push.v1.RawSample', '{"raw_profile":"AQID-g","ID":"x","extra":{"a":1}}')).toEqual({
      rawProfile: new Uint8Array([1, 2, 3, 250]),
      ID: 'x',
    });
    expect(
      decodeJson(
        'querier.v1.SelectMergeStacktracesRequest',
        '{"profile_typeID":"p","max_nodes":null,"label_selector":null}',
      ),
    ).toEqual({
      profileTypeID: 'p',
      labelSelector: '',
      start: 0,
      end: 0,
      format: 0,
    });
    expect(decodeJson('querier.v1.FlameGraph', '{"max_self":"3"}').maxSelf).toBe(3);
  });

  it('refuses int64 values beyond 2^53', () => {
    expect(() => decodeJson('querier.v1.FlameGraph', '{"total":"9007199254740993"}')).toThrow(/beyond ±\(2\^53 − 1\)/);
    // Already rounded by JSON.parse, and still refused.
    expect(() => decodeJson('querier.v1.FlameGraph', '{"total":9007199254740993}')).toThrow(/beyond ±\(2\^53 − 1\)/);
    expect(decodeJson('querier.v1.FlameGraph', '{"total":"-9007199254740991"}').total).toBe(-(2 ** 53 - 1));
  });
});

describe('malformed bodies', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'truncated binary',
      () => decodeBinary('push.v1.PushRequest', bytes([0x0a, 0x05, 0x0a])),
      /binary protobuf\): truncated/,
    ],
    ['a bad wire type', () => decodeBinary('push.v1.PushRequest', bytes([0x0f])), /wire type/],
    ['not JSON', () => decodeJson('push.v1.PushRequest', '{"series": ['), /JSON/],
    ['a JSON array', () => decodeJson('push.v1.PushRequest', '[]'), /object/],
    ['a number for a string', () => decodeJson('push.v1.RawSample', '{"ID": 5}'), /RawSample\.ID/],
    ['bad base64', () => decodeJson('push.v1.RawSample', '{"rawProfile": "AQ!D"}'), /base64/],
    ['a non-integer int64', () => decodeJson('querier.v1.FlameGraph', '{"total": 1.5}'), /total/],
    ['a word for an int64', () => decodeJson('querier.v1.FlameGraph', '{"total": "lots"}'), /total/],
    ['an object for a list', () => decodeJson('push.v1.PushRequest', '{"series": {}}'), /series/],
    ['invalid UTF-8', () => decodeJson('push.v1.PushRequest', new Uint8Array([0x7b, 0xff, 0x7d])), /UTF-8/],
  ];
  for (const [what, f, re] of cases)
    it(`${what}: invalid_argument, one line`, () => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectError);
      const ce = err as ConnectError;
      expect(ce.code).toBe('invalid_argument');
      expect(ce.status).toBe(400);
      expect(ce.message).toMatch(re);
      expect(ce.message).toMatch(/^malformed [a-z0-9.]+\.[A-Z]\w+ \((JSON|binary protobuf)\): \S/);
      expect(ce.message).not.toMatch(/\n/);
    });
});

describe('Connect unary protocol', () => {
  it('names the procedures', () => {
    expect(PUSH_PROCEDURE).toBe('/push.v1.PusherService/Push');
    expect(PROFILE_TYPES_PROCEDURE).toBe('/querier.v1.QuerierService/ProfileTypes');
    expect(LABEL_NAMES_PROCEDURE).toBe('/querier.v1.QuerierService/LabelNames');
    expect(LABEL_VALUES_PROCEDURE).toBe('/querier.v1.QuerierService/LabelValues');
    expect(SELECT_MERGE_STACKTRACES_PROCEDURE).toBe('/querier.v1.QuerierService/SelectMergeStacktraces');
    expect(isProcedure('/querier.v1.QuerierService/LabelNames')).toBe(true);
    expect(isProcedure('/querier.v1.QuerierService/Series')).toBe(false);
    expect(isProcedure('constructor')).toBe(false);
  });

  it('maps content types', () => {
    expect(codecOf('application/proto')).toBe('proto');
    expect(codecOf('application/json; charset=utf-8')).toBe('json');
    expect(codecOf('Application/JSON')).toBe('json');
    expect(codecOf('application/connect+proto')).toBeUndefined();
    expect(codecOf(undefined)).toBeUndefined();
    expect(connectRequestHeaders('application/json')).toEqual({
      'content-type': 'application/json',
      'connect-protocol-version': '1',
    });
  });

  it('carries a request from client to server and the response back, in both codecs', () => {
    const req = SAMPLES['querier.v1.SelectMergeStacktracesRequest'];
    const res = SAMPLES['querier.v1.SelectMergeStacktracesResponse'];
    for (const ct of ['application/proto', 'application/json']) {
      const body = encodeConnectRequest(SELECT_MERGE_STACKTRACES_PROCEDURE, ct, req);
      const got = decodeConnectRequest(SELECT_MERGE_STACKTRACES_PROCEDURE, ct, body);
      expect(got).toEqual(req);
      const reply = encodeConnectResponse(SELECT_MERGE_STACKTRACES_PROCEDURE, ct, res);
      expect(reply.status).toBe(200);
      expect(reply.contentType).toBe(ct);
      expect(decodeConnectResponse(SELECT_MERGE_STACKTRACES_PROCEDURE, 200, reply.contentType, reply.body)).toEqual(
        res,
      );
    }
    const push = encodeConnectRequest(PUSH_PROCEDURE, 'application/proto', SAMPLES['push.v1.PushRequest']);
    expect(decodeConnectRequest(PUSH_PROCEDURE, 'application/proto', push)).toEqual(SAMPLES['push.v1.PushRequest']);
    const ok = encodeConnectResponse(PUSH_PROCEDURE, 'application/json; charset=utf-8', {});
    expect([ok.contentType, ok.body.toString()]).toEqual(['application/json', '{}']);
    expect(encodeConnectResponse(PUSH_PROCEDURE, 'application/proto', {}).body.length).toBe(0);
  });

  it('refuses an unsupported content type with 415', () => {
    try {
      decodeConnectRequest(PUSH_PROCEDURE, 'text/plain', new Uint8Array(0));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConnectError);
      expect((e as ConnectError).status).toBe(415);
      expect(encodeConnectError(e as ConnectError).status).toBe(415);
    }
  });

  it('sends errors as {code, message} with the status of the code', () => {
    const reply = encodeConnectError(connectError('invalid_argument', 'bad selector'));
    expect(reply).toEqual({
      status: 400,
      contentType: 'application/json',
      body: Buffer.from('{"code":"invalid_argument","message":"bad selector"}'),
    });
    const statuses = {
      invalid_argument: 400,
      unauthenticated: 401,
      permission_denied: 403,
      not_found: 404,
      resource_exhausted: 429,
      unimplemented: 501,
      internal: 500,
      unavailable: 503,
      deadline_exceeded: 504,
      canceled: 499,
    } as const;
    for (const [code, status] of Object.entries(statuses)) {
      expect(CONNECT_HTTP_STATUS[code as keyof typeof statuses]).toBe(status);
      expect(connectError(code as keyof typeof statuses, 'x').status).toBe(status);
    }
  });

  it('reads errors on the client: the body when it is one, else the status', () => {
    const body = encodeConnectError(connectError('not_found', 'no such tenant')).body;
    expect(() => decodeConnectResponse(PUSH_PROCEDURE, 404, 'application/json', body)).toThrow(
      expect.objectContaining({ code: 'not_found', message: 'no such tenant', status: 404 }),
    );
    const proxy = decodeConnectError(502, Buffer.from('<html>\n<body>Bad Gateway</body>\n</html>'));
    expect([proxy.code, proxy.message]).toEqual(['unavailable', 'HTTP 502: <html> <body>Bad Gateway</body> </html>']);
    expect(decodeConnectError(404, new Uint8Array(0)).code).toBe('unimplemented');
    expect(decodeConnectError(401, Buffer.from('{"code":"bogus"}')).code).toBe('unauthenticated');
    expect(decodeConnectError(500, Buffer.from('{"code":"internal"}')).message).toBe('internal');
    expect(connectCodeForHttpStatus(400)).toBe('internal');
    expect(connectCodeForHttpStatus(418)).toBe('unknown');
    expect(() => decodeConnectResponse(PUSH_PROCEDURE, 200, 'text/html', Buffer.from('<html>'))).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
    expect(() => decodeConnectResponse(PUSH_PROCEDURE, 200, 'application/json', Buffer.from('nope'))).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });
});
