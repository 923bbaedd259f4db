import { AppError } from '../errors.ts';

/** What a top-level input field wants, as far as turning a URL or form string into it goes. */
type FieldKind = { kind: 'number' | 'boolean' | 'other' } | { kind: 'array'; element: FieldKind };

export interface InputFields {
  kinds: Map<string, FieldKind>;
  /** The field an array body stands for (seed 001's batch: `[...]` is `{"events": [...]}`). */
  arrayBody: string | undefined;
}

interface ZodLike {
  _zod: { def: { type: string; innerType?: ZodLike; in?: ZodLike; out?: ZodLike; element?: ZodLike; shape?: Record<string, ZodLike> } };
}

/** Looks through wrappers to the schema that decides the type a client sends. */
function unwrap(schema: ZodLike): ZodLike {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = current._zod.def;
    if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in && def.out) {
      // A preprocess reads its output schema; a transform or a refining pipe reads its input.
      current = def.in._zod.def.type === 'transform' ? def.out : def.in;
    } else {
      break;
    }
  }
  return current;
}

function kindOf(schema: ZodLike): FieldKind {
  const inner = unwrap(schema);
  const type = inner._zod.def.type;
  if (type === 'number' || type === 'int') return { kind: 'number' };
  if (type === 'boolean') return { kind: 'boolean' };
  if (type === 'array' && inner._zod.def.element) return { kind: 'array', element: kindOf(inner._zod.def.element) };
  return { kind: 'other' };
}

function isOptional(schema: ZodLike): boolean {
  const type = schema._zod.def.type;
  return type === 'optional' || type === 'default' || type === 'prefault';
}

/** Reads a procedure's input object once, when the route table is built. */
export function inputFields(inputs: unknown[]): InputFields {
  const kinds = new Map<string, FieldKind>();
  let arrayBody: string | undefined;
  const required: string[] = [];
  for (const input of inputs) {
    const object = unwrap(input as ZodLike);
    for (const [key, field] of Object.entries(object._zod.def.shape ?? {})) {
      const kind = kindOf(field);
      kinds.set(key, kind);
      if (!isOptional(field)) required.push(key);
      if (kind.kind === 'array' && !isOptional(field)) arrayBody = key;
    }
  }
  // Only an input whose one required field is an array can take a bare array as its body.
  if (arrayBody && required.filter((key) => key !== 'id').length !== 1) arrayBody = undefined;
  return { kinds, arrayBody };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/**
 * Turns a string from the URL or a form into what the schema wants: a number,
 * a boolean ("true"/"false", "1"/"0", "yes"/"no"), or a list (comma-separated
 * or repeated). A string that does not fit is left as it is, so the schema
 * names the problem.
 */
function coerce(kind: FieldKind, values: string[]): unknown {
  switch (kind.kind) {
    case 'number': {
      const value = values[0]!;
      return NUMBER.test(value.trim()) ? Number(value) : value;
    }
    case 'boolean': {
      const value = values[0]!;
      const lower = value.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : value;
    }
    case 'array':
      return values
        .flatMap((value) => value.split(','))
        .filter((item) => item !== '')
        .map((item) => coerce(kind.element, [item]));
    default:
      return values[0];
  }
}

/** Groups repeated query keys, keeping their order. */
function queryValues(search: URLSearchParams): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [key, value] of search) {
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return values;
}

export interface RawRequestInput {
  /** Path parameters, still percent-encoded. */
  params: Record<string, string>;
  search: URLSearchParams;
  /** The parsed body of a write (JSON, MessagePack or form), if any. */
  body?: unknown;
  /** True when the body came from a form, whose values are strings like the URL's. */
  bodyIsForm?: boolean;
  ifMatch?: string | undefined;
}

/**
 * One input object for the procedure: the body's fields, then query
 * parameters the body does not have, then the path parameters (which win).
 * Strings from the URL and from forms are converted by the schema; JSON and
 * MessagePack bodies are taken as typed.
 */
export function buildInput(fields: InputFields, raw: RawRequestInput): Record<string, unknown> {
  const input = bodyObject(fields, raw.body);
  if (raw.bodyIsForm) {
    for (const [key, value] of Object.entries(input)) {
      const kind = fields.kinds.get(key);
      if (kind && typeof value === 'string') input[key] = coerce(kind, [value]);
    }
    // A form login is an OAuth2 password grant, whether or not it says so.
    if (fields.kinds.has('grant_type') && input['grant_type'] === undefined) input['grant_type'] = 'password';
  }
  for (const [key, values] of queryValues(raw.search)) {
    if (key in input) continue;
    const kind = fields.kinds.get(key) ?? { kind: 'other' };
    input[key] = coerce(kind, values);
  }
  for (const [key, encoded] of Object.entries(raw.params)) {
    let value: string;
    try {
      value = decodeURIComponent(encoded);
    } catch {
      throw new AppError('VALIDATION_ERROR', `${key}: is not a valid path segment`, {
        details: [{ path: key, message: 'is not a valid path segment' }],
      });
    }
    input[key] = coerce(fields.kinds.get(key) ?? { kind: 'other' }, [value]);
  }
  const ifMatch = raw.ifMatch;
  if (ifMatch !== undefined && input['version'] === undefined && ifMatch.trim() !== '*' && fields.kinds.has('version')) {
    const version = Number(ifMatch.replace(/^W\//, '').replace(/"/g, '').trim());
    // An unparseable If-Match can never match a version.
    input['version'] = Number.isInteger(version) && version > 0 ? version : 0;
  }
  return input;
}

function bodyObject(fields: InputFields, body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (Array.isArray(body) && fields.arrayBody) return { [fields.arrayBody]: body };
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body) || body instanceof Uint8Array) {
    const what = fields.arrayBody ? 'a JSON object or array' : 'a JSON object';
    throw new AppError('VALIDATION_ERROR', `The body must be ${what}`, { details: [{ path: '(body)', message: `must be ${what}` }] });
  }
  return { ...(body as Record<string, unknown>) };
}
