import { z } from 'zod';
import { API_ERRORS, type ApiErrorCode } from './api-error';
import type { RouteSpec } from './route-table';

/** The error envelope every app answers with, as a schema (documented once as `#/components/schemas/Error`). */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export interface RouteGroup {
  /** Where the table is mounted, e.g. `/admin/v1` ('' for the root). */
  prefix: string;
  routes: readonly RouteSpec[];
}

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string | undefined;
  groups: readonly RouteGroup[];
  /** Routes with a `scope` get this bearer security requirement; their scope is listed as `x-required-scope`. */
  bearerAuth?: boolean | undefined;
}

type JsonSchema = Record<string, unknown>;

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect). Requests are described as sent (`input`), responses as sent back. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `/campaigns/:id` → `/campaigns/{id}` */
export function openApiPath(prefix: string, expressPath: string): string {
  return (prefix + expressPath).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function operation(route: RouteSpec, bearer: boolean): JsonSchema {
  const op: JsonSchema = { operationId: route.operationId, summary: route.summary };
  if (route.description) op.description = route.description;
  if (route.tags) op.tags = route.tags;
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...parameters(route.headers, 'header')];
  if (params.length > 0) op.parameters = params;
  if (route.body || route.bodyContentTypes) {
    const content: Record<string, JsonSchema> = {};
    if (route.body) content['application/json'] = { schema: jsonSchema(route.body, 'input') };
    for (const type of route.bodyContentTypes ?? []) content[type] = { schema: { type: 'string' } };
    op.requestBody = { required: true, content };
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const type = spec.contentType ?? 'application/json';
    responses[status] = {
      description: spec.description,
      ...(spec.headers
        ? { headers: Object.fromEntries(Object.entries(spec.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
        : {}),
      ...(spec.schema ? { content: { [type]: { schema: jsonSchema(spec.schema, 'output') } } } : spec.contentType ? { content: { [type]: { schema: { type: 'string' } } } } : {}),
    };
  }
  responses.default = { description: 'An error (stable `error.code`)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  op.responses = responses;
  if (route.scope !== undefined) {
    op['x-required-scope'] = route.scope;
    if (bearer) op.security = [{ bearerAuth: [] }];
  }
  return op;
}

/** An OpenAPI 3.1 document built from route tables (the same zod schemas that validate the requests). */
export function openApiDocument(options: OpenApiOptions): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const group of options.groups) {
    for (const route of group.routes) {
      const path = openApiPath(group.prefix, route.path);
      (paths[path] ??= {})[route.method] = operation(route, options.bearerAuth === true);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      ...(options.bearerAuth ? { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } : {}),
    },
  };
}
