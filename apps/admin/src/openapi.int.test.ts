import { http, validateOpenApi } from '@dropgate/testkit';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';

/** /openapi.json: a valid OpenAPI 3.1 document naming every admin route with its schemas and scope. */

let harness: AdminHarness;

interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  security?: unknown[];
  'x-required-scope'?: string;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

beforeAll(async () => {
  harness = await startAdminHarness({
    name: 'admin-openapi-test',
    poolSize: 2,
    worker: false,
    migrate: false,
    app: {
      // Only the document is read here: no change is ever made, so none is published.
      changes: { publish: () => Promise.reject(new Error('the OpenAPI test makes no change')) },
      token: 'openapi-test-token-0123456789',
    },
  });
});

afterAll(() => harness?.close());

async function document(): Promise<Doc> {
  const res = await http(harness.url, '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(res.text) as Doc;
}

it('is served without a token and validates against the OpenAPI 3.1 schema', async () => {
  const doc = await document();
  expect(doc.openapi).toBe('3.1.0');
  const validation = await validateOpenApi(doc);
  expect(validation.errors).toBeNull();
  expect(validation.valid).toBe(true);
});

it('lists every admin route with its scope, parameters and schemas', async () => {
  const doc = await document();
  const op = (path: string, method: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`${method.toUpperCase()} ${path} is missing from the document`);
    return found;
  };
  const create = op('/admin/v1/campaigns', 'post');
  expect(create['x-required-scope']).toBe('write');
  expect(create.security).toEqual([{ bearerAuth: [] }]);
  const body = create.requestBody!.content['application/json']!.schema;
  expect(body.type).toBe('object');
  expect(body.required).toEqual(expect.arrayContaining(['name', 'tiers', 'perCustomerLimit', 'code']));
  expect(create.responses['201']!.content!['application/json']!.schema.type).toBe('object');
  expect(create.responses.default!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Error' });

  expect(op('/admin/v1/campaigns', 'get')['x-required-scope']).toBe('read');
  expect(op('/admin/v1/campaigns/{id}', 'get').parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
  expect(op('/admin/v1/campaigns/{id}/status', 'post').requestBody!.content['application/json']!.schema).toMatchObject({
    properties: { status: { enum: ['draft', 'active', 'paused', 'stopped', 'ended'] } },
  });
  expect(op('/admin/v1/campaigns/{id}/stats', 'get')['x-required-scope']).toBe('read');
  const exportCodes = op('/admin/v1/campaigns/{id}/codes', 'get');
  expect(exportCodes['x-required-scope']).toBe('export');
  expect(exportCodes.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:id:true', 'query:format:false', 'query:tier:false', 'query:state:false']);
  // Locks: the request takes a reason, the answer and the listing give it back.
  const lock = op('/admin/v1/campaigns/{id}/locks', 'post');
  expect(lock['x-required-scope']).toBe('write');
  expect(Object.keys(lock.requestBody!.content['application/json']!.schema.properties as object)).toEqual(['tier', 'count', 'codes', 'releaseAt', 'reason']);
  expect(lock.responses['201']!.content!['application/json']!.schema).toMatchObject({ properties: { reason: expect.anything() as unknown } });
  const locks = op('/admin/v1/campaigns/{id}/locks', 'get');
  expect(locks['x-required-scope']).toBe('read');
  expect(locks.responses['200']!.content!['application/json']!.schema).toMatchObject({ type: 'array', items: { required: ['tier', 'count', 'releaseAt', 'reason'] } });
  expect(op('/admin/v1/campaigns/{id}/locks/release', 'post')['x-required-scope']).toBe('write');
  expect(op('/admin/v1/campaigns/{id}/publications', 'post')['x-required-scope']).toBe('write');
  expect(doc.components.schemas.Error).toMatchObject({ type: 'object', required: ['error'] });
  expect(doc.components.securitySchemes).toEqual({ bearerAuth: { type: 'http', scheme: 'bearer' } });
});
