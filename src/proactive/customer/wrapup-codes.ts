/** The org's wrap-up codes (`GET /api/v2/routing/wrapupcodes`), read once, so rules may name codes by name. */
import { collectAll, type Models } from '../../platform/index.js';
import type { PlatformRequester } from '../platform-port.js';

/** Wrap-up code ids and names of the org. */
export class WrapupCodeDirectory {
  private loaded: Promise<Map<string, string>> | undefined;

  constructor(private readonly client: PlatformRequester) {}

  /** id → name; read on first use (a failure is not remembered). */
  async names(): Promise<Map<string, string>> {
    this.loaded ??= collectAll<Models.WrapupCode>(async ({ pageNumber, pageSize }) => {
      const reply = await this.client.request<Models.WrapupCodeEntityListing>({
        method: 'GET',
        path: '/api/v2/routing/wrapupcodes',
        query: { pageNumber, pageSize },
      });
      return reply.body ?? {};
    }).then(
      (codes) => new Map(codes.filter((c) => c.id).map((c) => [c.id!.toLowerCase(), c.name ?? c.id!])),
      (error: unknown) => {
        this.loaded = undefined;
        throw error;
      },
    );
    return this.loaded;
  }

  /** Whether a code id is one of `wanted` (ids or names, case-insensitive). Names need the listing. */
  async matches(codeId: string | undefined, wanted: readonly string[]): Promise<boolean> {
    if (!codeId) return false;
    const id = codeId.toLowerCase();
    const lowered = wanted.map((w) => w.toLowerCase());
    if (lowered.includes(id)) return true;
    const name = (await this.names()).get(id);
    return name !== undefined && lowered.includes(name.toLowerCase());
  }

  /** A code's name, or its id when the listing cannot be read. */
  async nameOf(codeId: string): Promise<string> {
    try {
      return (await this.names()).get(codeId.toLowerCase()) ?? codeId;
    } catch {
      return codeId;
    }
  }
}
