/**
 * Admin API features the page shows. Each is switched on when its endpoint exists on main (built in parallel);
 * a section never calls an endpoint that is not there.
 */
export const LANDED = {
  generate: false,
  import: false,
  publish: false,
  locks: false,
  audit: false,
  openapi: true,
} as const;
