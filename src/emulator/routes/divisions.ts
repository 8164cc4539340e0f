/**
 * `GET /api/v2/authorization/divisions`: the org's divisions (`AuthzDivisionEntityListing`). The emulated org has
 * one, its home division, which holds every queue, user and wrap-up code. Like the platform's definition, the
 * listing asks for no permission. `objectCounts` is never filled: what the platform counts there is unverified.
 */
import type { Router } from '../router.js';
import type { World } from '../world/index.js';
import { idsFrom, isResponse, listing, parsePaging } from './paging.js';

/** Registers the division listing. */
export function registerDivisionRoutes(router: Router, world: World): void {
  const { division } = world.org;
  router.add('GET', '/api/v2/authorization/divisions', (request) => {
    const paging = parsePaging(request.query);
    if (isResponse(paging)) return paging;
    const ids = idsFrom(request.query, 'id');
    const names = request.query.getAll('name').map((name) => name.trim().toLowerCase());
    const divisions = [
      {
        id: division.id,
        name: division.name,
        description: 'The organization’s home division',
        homeDivision: true,
        selfUri: `/api/v2/authorization/divisions/${division.id}`,
      },
    ].filter(
      (d) =>
        (ids.length === 0 || ids.includes(d.id)) &&
        (names.length === 0 || names.includes(d.name.toLowerCase())),
    );
    return { status: 200, body: listing(divisions, paging, request.path) };
  });
}
