import SwaggerParser from '@apidevtools/swagger-parser';
import { ERROR_STATUS, type TErrorCode } from '@scheduler/shared';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from './support/test-context.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const PUBLIC = [
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/logout',
  'GET /',
  'GET /healthz',
  'GET /readyz',
  'GET /calendar/{secret}.ics',
];

interface MediaType {
  schema?: object;
  example?: unknown;
}
interface Operation {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; description?: string; schema: object; example?: unknown }>;
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { description: string; content?: Record<string, MediaType> }>;
}

const ctx = useTestServer();
const { api } = ctx;
let doc: { paths: Record<string, Record<string, Operation>> };
let operations: Array<{ key: string; path: string; method: string; op: Operation }>;

beforeAll(async () => {
  doc = (await api.get('/openapi.json')).body;
  operations = Object.entries(doc.paths).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${p}`, path: p, method: m, op: item[m]! })),
  );
});

describe('the OpenAPI document', () => {
  it('is valid for swagger-parser and for Redocly’s recommended rules', async () => {
    await SwaggerParser.validate(structuredClone(doc) as never);
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [
          path.join(root, 'node_modules/@redocly/cli/bin/cli.js'),
          'lint',
          file,
          '--config',
          path.join(root, 'redocly.yaml'),
          '--format=stylish',
        ],
        { cwd: root, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      ).catch((error: { stdout: string; stderr: string }) => {
        throw new Error(`redocly lint failed:\n${error.stdout}\n${error.stderr}`);
      });
      expect(`${stdout}${stderr}`).toContain('Your API description is valid');
      expect(`${stdout}${stderr}`).not.toMatch(/^\s*\d+:\d+\s+(warning|error)\b/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('puts no security on public routes and bearer auth on every other', () => {
    for (const { key, op } of operations) {
      if (PUBLIC.includes(key)) expect(op.security ?? [], key).toEqual([]);
      else expect(op.security, key).toEqual([{ bearerAuth: [] }]);
    }
    expect(operations.map((o) => o.key)).toEqual(expect.arrayContaining(PUBLIC));
  });

  it('validates every example against its schema', async () => {
    const resolved = (await SwaggerParser.dereference(structuredClone(doc) as never)) as unknown as typeof doc;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    let checked = 0;
    const check = (where: string, schema: object | undefined, example: unknown) => {
      if (example === undefined || !schema) return;
      const validate = ajv.compile(schema);
      expect(validate(example) ? [] : validate.errors, where).toEqual([]);
      checked += 1;
    };
    for (const [p, item] of Object.entries(resolved.paths)) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        for (const parameter of op.parameters ?? []) check(`${m} ${p} ?${parameter.name}`, parameter.schema, parameter.example);
        for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
          check(`${m} ${p} body ${type}`, media.schema, media.example);
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(response.content ?? {}))
            check(`${m} ${p} ${status} ${type}`, media.schema, media.example);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('gives every operation realistic examples and each error response an example with its own code', () => {
    for (const { key, op } of operations) {
      const success = Object.entries(op.responses).find(([status]) => Number(status) < 300)!;
      const json = success[1].content?.['application/json'];
      if (json && !key.startsWith('GET /events/stream')) expect(json.example, `${key} success example`).toBeDefined();
      const body = op.requestBody?.content['application/json'];
      if (body && key !== 'POST /events/{id}/rollback/{version_id}') expect(body.example, `${key} request example`).toBeDefined();
      expect(JSON.stringify(op)).not.toMatch(/"example":\s*"string"/);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || Number(status) >= 500) continue;
        const example = response.content?.['application/json']?.example as { code: TErrorCode } | undefined;
        expect(example, `${key} ${status}`).toBeDefined();
        expect(ERROR_STATUS[example!.code], `${key} ${status} example code ${example!.code}`).toBe(Number(status));
      }
    }
  });

  it('lists the real error answers of each operation, not the same list everywhere', () => {
    const statuses = (key: string) => {
      const found = operations.find((o) => o.key === key)!;
      return Object.keys(found.op.responses).filter((s) => Number(s) >= 400);
    };
    expect(statuses('GET /events/{id}')).toEqual(['400', '401', '404']);
    expect(statuses('PUT /events/{id}')).toEqual(['400', '401', '403', '404', '409', '412', '413', '415']);
    expect(statuses('PATCH /events/{id}')).toEqual(['400', '401', '403', '404', '409', '412', '413', '415']);
    expect(statuses('POST /auth/register')).toEqual(['400', '409', '413', '415']);
    expect(statuses('POST /auth/login')).toEqual(['400', '401', '413', '415', '429']);
    expect(statuses('GET /auth/me')).toEqual(['401']);
    expect(statuses('GET /sync')).toEqual(['400', '401', '410']);
  });

  it('answers 401 without a token on every operation that documents bearer auth, and documents that 401', async () => {
    for (const { key, path: p, method, op } of operations) {
      if (!op.security?.length || key === 'GET /events/stream') continue;
      const url = `/api${p.replace(/\{(\w+)\}/g, '1')}`;
      // A body of the type the operation reads (JSON, or the import's text/calendar).
      const textType = Object.keys(op.requestBody?.content ?? {}).find((type) => type.startsWith('text/'));
      const body = textType ? { raw: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', headers: { 'content-type': textType } } : { body: {} };
      const res = await api.call(method.toUpperCase(), url, method === 'get' || method === 'delete' ? {} : body);
      expect(res.status, key).toBe(401);
      expect(op.responses['401'], key).toBeDefined();
    }
  });

  it('describes every parameter, tells version from version_id, and documents detail, expand, as_of, on_conflict and atomic', () => {
    for (const { key, op } of operations) {
      for (const parameter of op.parameters ?? []) expect(parameter.description, `${key} ?${parameter.name}`).toBeTruthy();
    }
    const param = (key: string, name: string) =>
      operations.find((o) => o.key === key)!.op.parameters!.find((x) => x.name === name)!.description!;
    expect(param('GET /events/{id}/diff/{version_id1}/{version_id2}', 'version_id1')).toMatch(/version_id.*not its per-event `version`/);
    expect(param('GET /events/{id}/diff/{version_id1}/{version_id2}', 'detail')).toMatch(/word-level/);
    expect(param('POST /events/{id}/rollback/{version_id}', 'version_id')).toMatch(/global id/);
    expect(param('GET /events', 'page')).toMatch(/skip/);
    expect(param('GET /events', 'expand')).toMatch(/occurrence/);
    expect(param('GET /events', 'as_of')).toMatch(/as it was/);
    const bodyField = (key: string, name: string) =>
      (
        operations.find((o) => o.key === key)!.op.requestBody!.content['application/json']!.schema as {
          properties: Record<string, { description?: string }>;
        }
      ).properties[name]!.description;
    expect(bodyField('POST /events', 'on_conflict')).toMatch(/`reject` \(default\).*409 EVENT_CONFLICT.*`allow`/);
    expect(bodyField('POST /events/batch', 'atomic')).toMatch(/`true` \(default\): any invalid item fails the whole batch/);
    expect(bodyField('PATCH /events/{id}', 'version')).toMatch(/If-Match/);
  });

  it('marks rollback’s optional body as not required and offers MessagePack beside JSON', () => {
    const rollback = operations.find((o) => o.key === 'POST /events/{id}/rollback/{version_id}')!.op;
    expect(rollback.requestBody?.required).not.toBe(true);
    const create = operations.find((o) => o.key === 'POST /events')!.op;
    expect(create.requestBody?.required).toBe(true);
    expect(Object.keys(create.requestBody!.content)).toEqual(
      expect.arrayContaining(['application/json', 'application/msgpack', 'application/vnd.msgpack']),
    );
    expect(Object.keys(create.responses['201']!.content!)).toEqual(
      expect.arrayContaining(['application/json', 'application/msgpack', 'application/vnd.msgpack']),
    );
  });

  it('serves a favicon, so the docs page loads without a 404', async () => {
    const res = await fetch(`${ctx.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    expect(await (await fetch(`${ctx.url}/docs`)).text()).toContain('href="/favicon.ico"');
  });
});
