import type { IRouter, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { parseOrThrow } from './validate';

/**
 * Routes declared once as data: method, path, scope, zod request schemas and response schemas. The same
 * declaration registers the route into Express (`mountRoutes` / `mountRoute`) and describes it in the OpenAPI
 * document (`openApiDocument`), so the docs cannot drift from what is validated.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  /** JSON body schema (documentation only: responses are not re-validated at run time). */
  schema?: z.ZodType | undefined;
  /** Response headers a client acts on (documentation only), by name. */
  headers?: Record<string, string> | undefined;
  /** Defaults to application/json when a schema is given. */
  contentType?: string | undefined;
}

type Maybe = z.ZodType | undefined;
type Out<S extends Maybe> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<P extends Maybe = Maybe, Q extends Maybe = Maybe, B extends Maybe = Maybe> {
  /** Stable name of the operation (OpenAPI operationId; clients may key on it). */
  operationId: string;
  method: HttpMethod;
  /** Express path relative to where the table is mounted, e.g. `/campaigns/:id`. */
  path: string;
  summary: string;
  description?: string | undefined;
  tags?: string[] | undefined;
  /** Permission a caller must hold (admin scopes). Absent: public. */
  scope?: string | undefined;
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads (documentation only: the handlers read them themselves). */
  headers?: z.ZodType | undefined;
  /** Body media types other than JSON (a streamed import takes text/csv and NDJSON). */
  bodyContentTypes?: string[] | undefined;
  responses: Record<number, ResponseSpec>;
}

export interface RouteInput<P extends Maybe, Q extends Maybe, B extends Maybe> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

/** A route the table also runs: its handler gets the parsed params/query/body. */
export interface Route<P extends Maybe = Maybe, Q extends Maybe = Maybe, B extends Maybe = Maybe> extends RouteSpec<P, Q, B> {
  // Method syntax on purpose: a table of routes with different schemas is then one array type.
  handler(input: RouteInput<P, Q, B>, req: Request, res: Response): Promise<void> | void;
}

/** Typed identity: infers the schemas so the handler's input is typed. */
export function defineRoute<P extends Maybe = undefined, Q extends Maybe = undefined, B extends Maybe = undefined>(route: Route<P, Q, B>): Route<P, Q, B> {
  return route;
}

export interface MountOptions {
  /** Middleware run before parsing (auth, scope checks, body parsers), chosen per route. */
  before?: ((route: RouteSpec) => RequestHandler[]) | undefined;
}

/** Registers every route of a table; each request is parsed with the route's schemas before its handler runs. */
export function mountRoutes(router: IRouter, routes: readonly Route[], options: MountOptions = {}): void {
  for (const route of routes) {
    const run: RequestHandler = async (req, res) => {
      const input = {
        params: route.params ? parseOrThrow(route.params, req.params, 'path parameters') : undefined,
        query: route.query ? parseOrThrow(route.query, req.query ?? {}, 'query') : undefined,
        body: route.body ? parseOrThrow(route.body, req.body) : undefined,
      };
      await route.handler(input, req, res);
    };
    router[route.method](route.path, ...(options.before?.(route) ?? []), run);
  }
}

/**
 * Registers ONE declared route with hand-written handlers (the intake's hot paths parse for themselves, exactly
 * as before): the table only fixes method and path, so describing a route costs the request nothing.
 */
export function mountRoute(router: IRouter, spec: RouteSpec, ...handlers: RequestHandler[]): void {
  router[spec.method](spec.path, ...handlers);
}
