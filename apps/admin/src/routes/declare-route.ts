import type { HttpMethod, ResponseSpec, Route } from '@dropgate/http';
import type { z } from 'zod';

type Maybe = z.ZodType | undefined;

/** One documented answer: status, what it means, and its JSON body's schema. */
export type Answer = readonly [status: number, description: string, schema?: z.ZodType];

/** An admin route as its group's table writes it: what `declareRoute` does not fill in. */
export interface AdminRouteEntry<P extends Maybe, Q extends Maybe, B extends Maybe> extends Omit<Route<P, Q, B>, 'operationId' | 'method' | 'path' | 'tags' | 'responses'> {
  /** Every answer but the errors (those are the API error table's, documented once for all routes). */
  answers: Answer | readonly Answer[];
}

type At = `${Uppercase<HttpMethod>} /${string}`;

/**
 * The declare helper of one group of admin routes (one tag): `declare(operationId, 'POST /campaigns/:id/locks',
 * { scope, params, body, answers, summary, handler })` gives the route the table registers and /openapi.json
 * describes. Typed like `defineRoute`: the handler's input is inferred from the schemas.
 */
export function routeGroup(tag: string) {
  return function declare<P extends Maybe = undefined, Q extends Maybe = undefined, B extends Maybe = undefined>(
    operationId: string,
    at: At,
    entry: AdminRouteEntry<P, Q, B>,
  ): Route<P, Q, B> {
    const space = at.indexOf(' ');
    const { answers, ...rest } = entry;
    const list: readonly Answer[] = typeof answers[0] === 'number' ? [answers as Answer] : (answers as readonly Answer[]);
    const responses: Record<number, ResponseSpec> = {};
    for (const [status, description, schema] of list) responses[status] = { description, schema };
    return { ...rest, operationId, method: at.slice(0, space).toLowerCase() as HttpMethod, path: at.slice(space + 1), tags: [tag], responses };
  };
}
