// The protobuf messages of Grafana Pyroscope's Connect API (push.v1, querier.v1
// and the types.v1 messages they use) and the Connect unary protocol over HTTP
// that `pyro server` answers and `pyro push` calls: binary protobuf
// (application/proto) and Connect's JSON (application/json, the canonical
// proto3 JSON mapping). protobufjs does the wire work from the schema below
// (binary codec and its ProtoJSON extension); this file only declares the
// messages, turns them into plain objects, and maps errors to Connect codes.
//
// Field names and numbers follow grafana/pyroscope v1.21.1 (commit
// d6cb8c3db58edf6c0ea26daa1dd40d84f11a4ef0): api/push/v1/push.proto,
// api/types/v1/types.proto and api/querier/v1/querier.proto; only the fields
// pyro reads or writes are declared, and any other field a peer sends is
// skipped (binary) or ignored (JSON). The HTTP statuses follow the Connect
// protocol reference (connectrpc.com/docs/protocol, "Error Codes").
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';
import { PyroError } from '../errors.js';

// ---- the schema ----

const TYPES_PROTO = `
syntax = "proto3";

package types.v1;

message LabelPair {
  string name = 1;
  string value = 2;
}

message ProfileType {
  string ID = 1;
  string name = 2;
  string sample_type = 4;
  string sample_unit = 5;
  string period_type = 6;
  string period_unit = 7;
}

message LabelValuesRequest {
  string name = 1;
  repeated string matchers = 2;
  int64 start = 3;
  int64 end = 4;
}

message LabelValuesResponse {
  repeated string names = 1;
}

message LabelNamesRequest {
  repeated string matchers = 1;
  int64 start = 2;
  int64 end = 3;
}

message LabelNamesResponse {
  repeated string names = 1;
}
`;

const PUSH_PROTO = `
syntax = "proto3";

package push.v1;

message PushResponse {}

message PushRequest {
  repeated RawProfileSeries series = 1;
}

message RawProfileSeries {
  repeated types.v1.LabelPair labels = 1;
  repeated RawSample samples = 2;
}

message RawSample {
  bytes raw_profile = 1;
  string ID = 2;
}
`;

const QUERIER_PROTO = `
syntax = "proto3";

package querier.v1;

message ProfileTypesRequest {
  int64 start = 1;
  int64 end = 2;
}

message ProfileTypesResponse {
  repeated types.v1.ProfileType profile_types = 1;
}

message SelectMergeStacktracesRequest {
  string profile_typeID = 1;
  string label_selector = 2;
  int64 start = 3;
  int64 end = 4;
  optional int64 max_nodes = 5;
  ProfileFormat format = 6;
}

enum ProfileFormat {
  PROFILE_FORMAT_UNSPECIFIED = 0;
  PROFILE_FORMAT_FLAMEGRAPH = 1;
  PROFILE_FORMAT_TREE = 2;
  PROFILE_FORMAT_DOT = 3;
}

message SelectMergeStacktracesResponse {
  FlameGraph flamegraph = 1;
  bytes tree = 2;
  string dot = 3;
}

message FlameGraph {
  repeated string names = 1;
  repeated Level levels = 2;
  int64 total = 3;
  int64 max_self = 4;
}

message Level {
  repeated int64 values = 1;
}
`;

// ---- the messages, as plain objects ----
// Property names are the fields' JSON names (what protojson writes: `rawProfile`,
// `ID`, `profileTypeID`, `maxSelf`). int64 fields are numbers: a value beyond
// ±(2^53 − 1) is refused (a decode error) rather than rounded. bytes are
// Uint8Arrays; decoded from binary they share memory with the body.

export interface LabelPair {
  name: string;
  value: string;
}

/** A profile type; `ID` is `name:sampleType:sampleUnit:periodType:periodUnit`. */
export interface ProfileType {
  ID: string;
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
}

/** Start and end are milliseconds since the epoch (0: unset). */
export interface LabelValuesRequest {
  name: string;
  matchers: string[];
  start: number;
  end: number;
}

export interface LabelValuesResponse {
  names: string[];
}

export interface LabelNamesRequest {
  matchers: string[];
  start: number;
  end: number;
}

export interface LabelNamesResponse {
  names: string[];
}

export type PushResponse = Record<string, never>;

export interface PushRequest {
  series: RawProfileSeries[];
}

export interface RawProfileSeries {
  labels: LabelPair[];
  samples: RawSample[];
}

/** A pprof profile (possibly gzipped) and a UUID. */
export interface RawSample {
  rawProfile: Uint8Array;
  ID: string;
}

export interface ProfileTypesRequest {
  start: number;
  end: number;
}

export interface ProfileTypesResponse {
  profileTypes: ProfileType[];
}

/** querier.v1.ProfileFormat; other numbers may come from newer peers. */
export const ProfileFormat = { UNSPECIFIED: 0, FLAMEGRAPH: 1, TREE: 2, DOT: 3 } as const;

export interface SelectMergeStacktracesRequest {
  /** `name:sampleType:sampleUnit:periodType:periodUnit`. */
  profileTypeID: string;
  labelSelector: string;
  start: number;
  end: number;
  /** Absent when the field is absent (proto3 `optional`): 0 is a value of its own. */
  maxNodes?: number;
  /** A ProfileFormat; 0 (unspecified) means a flamegraph. */
  format: number;
}

export interface SelectMergeStacktracesResponse {
  /** Absent when the message has no flamegraph (another format was asked for). */
  flamegraph?: FlameGraph;
  tree: Uint8Array;
  dot: string;
}

/**
 * Pyroscope's flamegraph: `levels[d].values` holds, per node of depth d left
 * to right, four numbers [x offset, total, self, index into names].
 */
export interface FlameGraph {
  names: string[];
  levels: Level[];
  total: number;
  maxSelf: number;
}

export interface Level {
  values: number[];
}

/** The messages by fully-qualified protobuf name. */
export interface Messages {
  'types.v1.LabelPair': LabelPair;
  'types.v1.ProfileType': ProfileType;
  'types.v1.LabelValuesRequest': LabelValuesRequest;
  'types.v1.LabelValuesResponse': LabelValuesResponse;
  'types.v1.LabelNamesRequest': LabelNamesRequest;
  'types.v1.LabelNamesResponse': LabelNamesResponse;
  'push.v1.PushRequest': PushRequest;
  'push.v1.PushResponse': PushResponse;
  'push.v1.RawProfileSeries': RawProfileSeries;
  'push.v1.RawSample': RawSample;
  'querier.v1.ProfileTypesRequest': ProfileTypesRequest;
  'querier.v1.ProfileTypesResponse': ProfileTypesResponse;
  'querier.v1.SelectMergeStacktracesRequest': SelectMergeStacktracesRequest;
  'querier.v1.SelectMergeStacktracesResponse': SelectMergeStacktracesResponse;
  'querier.v1.FlameGraph': FlameGraph;
  'querier.v1.Level': Level;
}

export type MessageName = keyof Messages;

/**
 * What the encoders take: any field may be left out (it is then its proto3
 * default: 0, '', empty, or absent for `maxNodes` and `flamegraph`).
 */
export type Init<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer U)[]
    ? readonly Init<U>[]
    : T extends object
      ? { [K in keyof T]?: Init<T[K]> }
      : T;

// ---- Connect errors ----

/** The Connect error codes and the HTTP status each is sent with. */
export const CONNECT_HTTP_STATUS = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
} as const;

export type ConnectCode = keyof typeof CONNECT_HTTP_STATUS;

/** A Connect RPC error: a code, one line of message, and the HTTP status it goes with. */
export class ConnectError extends PyroError {
  readonly status: number;
  constructor(
    readonly code: ConnectCode,
    message: string,
    status?: number,
  ) {
    super(message);
    this.name = 'ConnectError';
    this.status = status ?? CONNECT_HTTP_STATUS[code];
  }
}

export function connectError(code: ConnectCode, message: string): ConnectError {
  return new ConnectError(code, message);
}

function isConnectCode(s: unknown): s is ConnectCode {
  return typeof s === 'string' && Object.hasOwn(CONNECT_HTTP_STATUS, s);
}

/**
 * The code a client infers from an HTTP status when an error response has no
 * (valid) Connect error body: the protocol's "HTTP to Error Code" table.
 */
export function connectCodeForHttpStatus(status: number): ConnectCode {
  switch (status) {
    case 400:
      return 'internal';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'permission_denied';
    case 404:
      return 'unimplemented';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'unavailable';
    default:
      return 'unknown';
  }
}

// ---- the schema, parsed once on first use ----

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  for (const text of [TYPES_PROTO, PUSH_PROTO, QUERIER_PROTO]) protobuf.parse(text, r);
  r.resolveAll();
  root = r;
  return r;
}

function typeOf(name: MessageName): protobuf.Type {
  return schema().lookupType(name);
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

type Obj = Record<string, unknown>;

/** A decoded int64 (a Long, or a number when long.js is absent) as an exact number. */
function safeNumber(v: unknown, where: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    const l = v as { low: number; high: number; unsigned: boolean };
    n = (l.unsigned ? l.high >>> 0 : l.high) * 2 ** 32 + (l.low >>> 0);
  }
  if (!Number.isSafeInteger(n))
    throw new RangeError(`${where}: ${bigString(v)} is beyond ±(2^53 − 1), more than pyro holds exactly`);
  return n;
}

function bigString(v: unknown): string {
  if (typeof v === 'number') return String(v);
  const l = v as { low: number; high: number; unsigned: boolean };
  const hi = BigInt(l.unsigned ? l.high >>> 0 : l.high);
  return String(hi * 2n ** 32n + BigInt(l.low >>> 0));
}

/** A decoded message (protobufjs's, with defaults on its prototype) as a plain object. */
function toPlain(type: protobuf.Type, msg: Obj, where: string): Obj {
  const out: Obj = {};
  for (const f of type.fieldsArray) {
    const v = msg[f.name];
    const at = `${where}.${f.name}`;
    // proto3 `optional` (a synthetic oneof): present or not.
    if (f.partOf && (v === null || v === undefined || !Object.hasOwn(msg, f.name))) continue;
    if (f.repeated) {
      out[f.name] = ((v ?? []) as unknown[]).map((x, i) => plainValue(f, x, `${at}[${i}]`));
      continue;
    }
    const p = plainValue(f, v, at);
    if (p !== undefined) out[f.name] = p;
  }
  return out;
}

function plainValue(f: protobuf.Field, v: unknown, at: string): unknown {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type)
    return v === null || v === undefined ? undefined : toPlain(rt, v as Obj, rt.fullName.slice(1));
  if (rt instanceof protobuf.Enum) return (v as number | undefined) ?? 0;
  if (LONG_TYPES.has(f.type)) return v === null || v === undefined ? 0 : safeNumber(v, at);
  switch (f.type) {
    case 'bytes': {
      const b = v as Uint8Array | undefined;
      // A view, not a copy (protobufjs gives Buffer slices of the body, or [] as the default).
      return b && b.length > 0 ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(0);
    }
    case 'string':
      return (v as string | undefined) ?? '';
    case 'bool':
      return (v as boolean | undefined) ?? false;
    default:
      return (v as number | undefined) ?? 0;
  }
}

/** Checks what protobufjs would take silently: int64 numbers that are not exact integers. */
function checkInit(type: protobuf.Type, init: Obj, where: string): void {
  for (const f of type.fieldsArray) {
    const v = init[f.name];
    if (v === undefined || v === null) continue;
    const at = `${where}.${f.name}`;
    const each = (x: unknown, a: string) => {
      const rt = f.resolvedType;
      if (rt instanceof protobuf.Type) checkInit(rt, x as Obj, rt.fullName.slice(1));
      else if (LONG_TYPES.has(f.type) && !Number.isSafeInteger(x))
        throw new RangeError(`${a}: ${String(x)} is not an integer within ±(2^53 − 1)`);
    };
    if (!f.repeated) each(v, at);
    else for (const [i, x] of (v as unknown[]).entries()) each(x, `${at}[${i}]`);
  }
}

function toMessage(name: MessageName, init: object): protobuf.Message {
  const type = typeOf(name);
  checkInit(type, init as Obj, name);
  return type.fromObject(init as Obj);
}

// ---- messages: binary and JSON ----

export type Codec = 'proto' | 'json';

/** The binary protobuf encoding of a message. */
export function encodeBinary<N extends MessageName>(name: N, message: Init<Messages[N]>): Buffer {
  const bytes = typeOf(name).encode(toMessage(name, message)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The Connect (canonical proto3) JSON text of a message: int64 as strings, bytes as base64, defaults left out. */
export function encodeJson<N extends MessageName>(name: N, message: Init<Messages[N]>): string {
  return JSON.stringify(protojson.toJson(typeOf(name), toMessage(name, message)));
}

function malformed(name: MessageName, codec: Codec, e: unknown): ConnectError {
  let detail = (e instanceof Error ? e.message : String(e)).replace(/^\./, '').replace(/\s*\n\s*/g, ' ');
  // protobufjs's and TextDecoder's terse messages, said plainly.
  if (/^index out of range/.test(detail)) detail = `truncated or corrupt (${detail})`;
  else if (detail === 'invalid encoding') detail = 'a bytes field is not valid base64';
  else if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') detail = 'not valid UTF-8';
  return new ConnectError(
    'invalid_argument',
    `malformed ${name} (${codec === 'json' ? 'JSON' : 'binary protobuf'}): ${detail}`,
  );
}

/** Decodes binary protobuf; a malformed body throws a ConnectError (invalid_argument). */
export function decodeBinary<N extends MessageName>(name: N, bytes: Uint8Array): Messages[N] {
  const type = typeOf(name);
  try {
    return toPlain(type, type.decode(bytes) as unknown as Obj, name) as unknown as Messages[N];
  } catch (e) {
    throw malformed(name, 'proto', e);
  }
}

/**
 * Decodes Connect JSON (text, UTF-8 bytes, or an already parsed value): field
 * names in lowerCamelCase or as in the .proto, int64 as strings or numbers,
 * bytes as standard or URL-safe base64; unknown fields are ignored. An empty
 * body is the empty message. A malformed body throws a ConnectError (invalid_argument).
 */
export function decodeJson<N extends MessageName>(name: N, json: string | Uint8Array | object): Messages[N] {
  const type = typeOf(name);
  try {
    let value: unknown = json;
    if (typeof json === 'string' || json instanceof Uint8Array) {
      const text = typeof json === 'string' ? json : new TextDecoder('utf-8', { fatal: true }).decode(json);
      value = text.trim() === '' ? {} : JSON.parse(text);
    }
    const msg = protojson.fromJson(type, value, { ignoreUnknownFields: true });
    return toPlain(type, msg as unknown as Obj, name) as unknown as Messages[N];
  } catch (e) {
    throw malformed(name, 'json', e);
  }
}

export function encodeMessage<N extends MessageName>(name: N, codec: Codec, message: Init<Messages[N]>): Buffer {
  return codec === 'proto' ? encodeBinary(name, message) : Buffer.from(encodeJson(name, message), 'utf8');
}

export function decodeMessage<N extends MessageName>(name: N, codec: Codec, body: Uint8Array): Messages[N] {
  return codec === 'proto' ? decodeBinary(name, body) : decodeJson(name, body);
}

// ---- the Connect unary protocol ----

export const PUSH_PROCEDURE = '/push.v1.PusherService/Push';
export const PROFILE_TYPES_PROCEDURE = '/querier.v1.QuerierService/ProfileTypes';
export const LABEL_NAMES_PROCEDURE = '/querier.v1.QuerierService/LabelNames';
export const LABEL_VALUES_PROCEDURE = '/querier.v1.QuerierService/LabelValues';
export const SELECT_MERGE_STACKTRACES_PROCEDURE = '/querier.v1.QuerierService/SelectMergeStacktraces';

/** Each procedure (the HTTP path) with its request and response messages. */
export const PROCEDURES = {
  [PUSH_PROCEDURE]: { request: 'push.v1.PushRequest', response: 'push.v1.PushResponse' },
  [PROFILE_TYPES_PROCEDURE]: {
    request: 'querier.v1.ProfileTypesRequest',
    response: 'querier.v1.ProfileTypesResponse',
  },
  [LABEL_NAMES_PROCEDURE]: { request: 'types.v1.LabelNamesRequest', response: 'types.v1.LabelNamesResponse' },
  [LABEL_VALUES_PROCEDURE]: { request: 'types.v1.LabelValuesRequest', response: 'types.v1.LabelValuesResponse' },
  [SELECT_MERGE_STACKTRACES_PROCEDURE]: {
    request: 'querier.v1.SelectMergeStacktracesRequest',
    response: 'querier.v1.SelectMergeStacktracesResponse',
  },
} as const satisfies Record<string, { request: MessageName; response: MessageName }>;

export type Procedure = keyof typeof PROCEDURES;
export type RequestOf<P extends Procedure> = Messages[(typeof PROCEDURES)[P]['request']];
export type ResponseOf<P extends Procedure> = Messages[(typeof PROCEDURES)[P]['response']];

export function isProcedure(path: string): path is Procedure {
  return Object.hasOwn(PROCEDURES, path);
}

export const CONTENT_TYPES: Record<Codec, string> = { proto: 'application/proto', json: 'application/json' };

/** The codec of a unary Content-Type (`application/proto`, `application/json[; charset=utf-8]`), if supported. */
export function codecOf(contentType: string | null | undefined): Codec | undefined {
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/proto') return 'proto';
  if (mime === 'application/json') return 'json';
  return undefined;
}

/** The codec of a Content-Type, or a ConnectError sent with HTTP 415, as the protocol asks. */
function requireCodec(contentType: string | null | undefined): Codec {
  const codec = codecOf(contentType);
  if (codec) return codec;
  throw new ConnectError(
    'invalid_argument',
    `unsupported content type ${JSON.stringify(contentType ?? '')}: use application/proto or application/json`,
    415,
  );
}

/** The headers of a Connect unary request: its Content-Type and Connect-Protocol-Version. */
export function connectRequestHeaders(contentType: string): Record<string, string> {
  return { 'content-type': CONTENT_TYPES[requireCodec(contentType)], 'connect-protocol-version': '1' };
}

/** An HTTP response to send: status, Content-Type and body. */
export interface ConnectReply {
  status: number;
  contentType: string;
  body: Buffer;
}

// Server side.

/**
 * A request body as its message. Throws a ConnectError: invalid_argument for
 * a malformed body, with status 415 for an unsupported Content-Type.
 * (Content-Encoding is the caller's: pass the body inflated.)
 */
export function decodeConnectRequest<P extends Procedure>(
  procedure: P,
  contentType: string | null | undefined,
  body: Uint8Array,
): RequestOf<P> {
  const codec = requireCodec(contentType);
  return decodeMessage(PROCEDURES[procedure].request, codec, body) as RequestOf<P>;
}

/** A successful response (200) in the codec of the request's Content-Type. */
export function encodeConnectResponse<P extends Procedure>(
  procedure: P,
  requestContentType: string | null | undefined,
  message: Init<ResponseOf<P>>,
): ConnectReply {
  const codec = codecOf(requestContentType) ?? 'json';
  const name = PROCEDURES[procedure].response as MessageName;
  return { status: 200, contentType: CONTENT_TYPES[codec], body: encodeMessage(name, codec, message as never) };
}

/** An error response: the error's HTTP status and the JSON body `{"code": ..., "message": ...}`. */
export function encodeConnectError(err: ConnectError): ConnectReply {
  const json: { code: ConnectCode; message?: string } = { code: err.code };
  if (err.message) json.message = err.message;
  return { status: err.status, contentType: 'application/json', body: Buffer.from(JSON.stringify(json), 'utf8') };
}

// Client side.

/** A request message as a body in the given Content-Type (`application/proto` or `application/json`). */
export function encodeConnectRequest<P extends Procedure>(
  procedure: P,
  contentType: string,
  message: Init<RequestOf<P>>,
): Buffer {
  const name = PROCEDURES[procedure].request as MessageName;
  return encodeMessage(name, requireCodec(contentType), message as never);
}

/**
 * A response as its message. A status other than 200 throws the server's
 * ConnectError (see decodeConnectError); so does a body that is not the
 * response message (invalid_argument) or comes in an unknown Content-Type (internal).
 */
export function decodeConnectResponse<P extends Procedure>(
  procedure: P,
  status: number,
  contentType: string | null | undefined,
  body: Uint8Array,
): ResponseOf<P> {
  if (status !== 200) throw decodeConnectError(status, body);
  const codec = codecOf(contentType);
  if (!codec)
    throw new ConnectError(
      'internal',
      `${procedure}: the server answered in ${JSON.stringify(contentType ?? '')}, not application/proto or application/json`,
    );
  return decodeMessage(PROCEDURES[procedure].response, codec, body) as ResponseOf<P>;
}

/**
 * The error of a non-200 response: its JSON `{"code", "message"}` when it has
 * one, else a code inferred from the HTTP status and the start of the body.
 */
export function decodeConnectError(status: number, body: Uint8Array): ConnectError {
  const text = new TextDecoder().decode(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const o = parsed !== null && typeof parsed === 'object' ? (parsed as Obj) : undefined;
  if (o && isConnectCode(o.code)) {
    const message = typeof o.message === 'string' && o.message !== '' ? o.message : o.code;
    return new ConnectError(o.code, message.replace(/\s*\n\s*/g, ' '), status);
  }
  const line = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return new ConnectError(connectCodeForHttpStatus(status), `HTTP ${status}${line ? `: ${line}` : ''}`, status);
}
