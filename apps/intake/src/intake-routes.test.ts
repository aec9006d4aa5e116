import { validateOpenApi } from '@dropgate/testkit';
import { intakeOpenApi } from './intake-routes';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>>;
}

describe('the intake OpenAPI document', () => {
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
    expect(doc.paths['/v1/attempts/{attemptId}']!.get!.parameters).toEqual([expect.objectContaining({ name: 'attemptId', in: 'path' })]);
  });
});
