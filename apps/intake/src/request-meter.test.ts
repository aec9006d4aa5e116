import { routeLabel } from './request-meter';

describe('routeLabel (what is answered before Express routes it)', () => {
  it.each([
    ['/v1/redemptions', '/v1/redemptions'],
    ['/v1/redemptions/', '/v1/redemptions'],
    ['/V1/Claims', '/v1/claims'],
    ['/v1/attempts/att_x', '/v1/attempts/:attemptId'],
    ['/v1/attempts/att_x/', '/v1/attempts/:attemptId'],
    ['/v1/campaigns/summer', '/v1/campaigns/:campaignId'],
    // What Express answers 404: one segment only, no empty one, one trailing slash only.
    ['/v1/attempts/', 'other'],
    ['/v1/attempts/a/b', 'other'],
    ['/v1/redemptions//', 'other'],
    ['/v1/odd', 'other'],
  ])('labels %p as %p', (path, label) => {
    expect(routeLabel(path)).toBe(label);
  });
});
