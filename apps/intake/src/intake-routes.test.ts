import { validateOpenApi } from '@dropgate/testkit';
import { IDEMPOTENCY_KEY } from './idempotency';
import { intakeOpenApi } from './intake-routes';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>>;
}

describe('the intake OpenAPI document', () => {
  it('documents the headers a client sends and reads: Idempotency-Key, Prefer; Location, Preference-Applied', () => {
    for (const path of ['/v1/redemptions', '/v1/claims']) {
      const op = doc.paths[path]!.post! as unknown as { parameters: Array<{ name: string; in: string; required: boolean; schema: { pattern?: string } }>; responses: Record<string, { headers?: Record<string, unknown> }> };
      expect(op.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
        ['Idempotency-Key', 'header', false],
        ['Prefer', 'header', false],
      ]);
      // The very pattern the handler checks the key with.
      expect(op.parameters[0]!.schema.pattern).toBe(IDEMPOTENCY_KEY.source);
      expect(Object.keys(op.responses['202']!.headers!)).toEqual(['Location', 'Preference-Applied']);
    }
  });

  const doc = JSON.parse(intakeOpenApi()) as Doc;

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validateOpenApi(doc);
    expect(result.errors).toBeNull();
    expect(result.valid).toBe(true);
  });

  it('describes every public route with the schemas the handlers parse with', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/attempts/{attemptId}', '/v1/campaigns/{campaignId}', '/v1/claims', '/v1/redemptions']);
    expect(doc.paths['/v1/redemptions']!.post!.requestBody!.content['application/json']!.schema.required!.sort()).toEqual(['campaignId', 'code']);
    expect(doc.paths['/v1/claims']!.post!.requestBody!.content['application/json']!.schema.required!.sort()).toEqual(['campaignId']);
    // customerId: optional in the schema (a campaign with customerAuth "jwt" takes the token's sub), required by the handler otherwise.
    expect(doc.paths['/v1/claims']!.post!.requestBody!.content['application/json']!.schema).toHaveProperty('properties.customerId');
    expect(doc.paths['/v1/attempts/{attemptId}']!.get!.parameters).toEqual([
      expect.objectContaining({ name: 'attemptId', in: 'path' }),
      expect.objectContaining({ name: 'Prefer', in: 'header', required: false }),
    ]);
  });
});
