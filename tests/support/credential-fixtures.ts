/**
 * Credential fixtures for the cache suites: one shared memory store (as a real database would be
 * shared by instances) and a lookup source a test can count, hold or fail.
 */
import {
  type CredentialLookup,
  MemoryDirectory,
  MemoryTokenStore,
  type ResolvedCredential,
  sha512Digester,
  storeLookup,
} from "@tokengate/core";

/** One store and directory shared by every "instance" in a test, as a real database would be. */
export async function sharedStore() {
  const store = new MemoryTokenStore();
  const directory = new MemoryDirectory().upsertUser({ id: 1, name: "Ada", disabled: false });
  const issue = async (name: string, plain: string, expiresAt: Date | null = null) => {
    const digest = sha512Digester.digest(plain);
    const record = await store.insert({
      name,
      digest,
      algorithm: "SHA512",
      userId: 1,
      teamId: null,
      createdAt: new Date("2026-01-01T00:00:00Z"),
      expiresAt,
      scopes: ["documents:read"],
    });
    return { record, digest };
  };
  return { store, directory, issue, source: storeLookup(store, directory) };
}

/**
 * A source that counts its calls, can be held so a load stays in flight until released, and can be
 * made to fail as a database that is down. The cache suites (packages' own and the conformance
 * suite) all use this one.
 */
export class ControlledSource implements CredentialLookup {
  calls = 0;
  #holding = false;
  #held: Array<() => void> = [];
  #started: Array<() => void> = [];
  #failure: Error | undefined;

  constructor(private readonly inner: CredentialLookup) {}

  /** Loads started from now on read the store, then wait for `release()`. */
  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const go of this.#held.splice(0)) go();
  }

  /** Resolves once a held load has read the store. */
  started(): Promise<void> {
    if (this.#held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#started.push(resolve));
  }

  /** Loads from now on reject with `error` (the database is down), until `fail(undefined)`. */
  fail(error: Error | undefined): void {
    this.#failure = error;
  }

  async lookup(digest: string): Promise<ResolvedCredential | null> {
    this.calls++;
    if (this.#failure) throw this.#failure;
    // Read the store first, then wait: the load holds the pre-revocation answer while it waits.
    const answer = await this.inner.lookup(digest);
    if (this.#holding) {
      await new Promise<void>((resolve) => {
        this.#held.push(resolve);
        for (const s of this.#started.splice(0)) s();
      });
    }
    return answer;
  }
}

/** Waits for a condition that another connection brings about, for at most `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
