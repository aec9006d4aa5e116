import { randomBytes } from 'node:crypto';

/** Signed-in browser sessions of this admin process (a restart signs everyone out; sign in again with the token). */
export class PageSessions {
  private readonly sessions = new Map<string, { expiresAt: number }>();

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  open(): string {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { expiresAt: this.now() + this.ttlMs });
    return id;
  }

  isOpen(id: string | undefined): boolean {
    if (!id) return false;
    const session = this.sessions.get(id);
    if (!session) return false;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}
