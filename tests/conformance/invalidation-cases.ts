/**
 * The conformance cases every `InvalidationTransport` runs (invalidation.test.ts runs them against
 * Redis pub/sub, PostgreSQL LISTEN/NOTIFY, SQLite's data_version and the local transport), written
 * once against the interface so that a transport cannot quietly promise less than the cache needs.
 *
 * Transports differ in one documented way, their `Delivery`, and each case states what it expects
 * for each kind; a case that cannot apply to a kind (ordering where no message is carried, outages
 * where there is no service) is not registered for it. Every instance of a world shares one channel
 * (one Redis channel, one NOTIFY channel, one SQLite file); each test gets a world of its own.
 */
import type { InvalidationMessage, InvalidationSink, InvalidationTransport } from "@tokengate/core";
import { freshDigest, type TestFn } from "./suites";

/**
 * When the other instances hear a message, as the transport documents it:
 * - `acknowledged`: `publish` resolves only after every listening instance has applied it;
 * - `eventual`: `publish` resolves once the service accepted it, and delivery follows;
 * - `on-read`: the store's own commit is the message; another instance sees it (as "drop all") at
 *   its next `beforeLocalRead`, synchronously;
 * - `none`: one process only, there is no other instance to tell.
 */
export type Delivery = "acknowledged" | "eventual" | "on-read" | "none";

export interface TransportWorld {
  /** One more instance (another process, as far as the transport can tell) on the shared channel. */
  open(): InvalidationTransport;
  /**
   * What instance `from` does to tell the others about `message`. Default: `publish` it. Where the
   * commit is the message (SQLite), the world commits on `from`'s connection first.
   */
  send?(from: InvalidationTransport, message: InvalidationMessage): Promise<void>;
  /** How many connections the transports opened are still open at the service. */
  connections?(): Promise<number>;
  /** Starts a receiver that hears the channel but never confirms (a stalled process); returns its stop. */
  addSilentReceiver?(): Promise<() => Promise<void>>;
  /** Takes the service away from every instance, and brings it back. */
  outage?: { cut(): Promise<void>; restore(): Promise<void> };
  dispose(): Promise<void>;
}

export interface TransportSubject {
  /** The transport's `name`. */
  readonly name: string;
  readonly delivery: Delivery;
  world(): Promise<TransportWorld>;
}

/** A sink that records what its transport reported. */
export class RecordingSink implements InvalidationSink {
  readonly messages: InvalidationMessage[] = [];
  losses = 0;
  restorations = 0;
  received(message: InvalidationMessage): void {
    this.messages.push(message);
  }
  lost(): void {
    this.losses++;
  }
  restored(): void {
    this.restorations++;
  }
  /** Every digest received so far, in order of arrival. */
  digests(): string[] {
    return this.messages.flatMap((m) => (m.kind === "digests" ? m.digests : []));
  }
  /** True when what arrived tells this instance to drop at least what `message` asks for. */
  covers(message: InvalidationMessage): boolean {
    if (this.messages.some((m) => m.kind === "all")) return true;
    if (message.kind === "all") return false;
    const got = new Set(this.digests());
    return message.digests.every((d) => got.has(d));
  }
}

/** Waits for a condition another connection brings about, for at most `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

type DigestsMessage = Extract<InvalidationMessage, { kind: "digests" }>;

const digests = (n: number): DigestsMessage => ({
  kind: "digests",
  digests: Array.from({ length: n }, freshDigest),
});

export function invalidationTransportCases(subject: TransportSubject, test: TestFn = it): void {
  const { delivery } = subject;
  let world: TransportWorld;
  const open: InvalidationTransport[] = [];

  beforeEach(async () => {
    world = await subject.world();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await world.dispose();
  });

  /** Opens an instance, attaches a recording sink, and waits until the transport says it is up. */
  async function instance(): Promise<{ transport: InvalidationTransport; sink: RecordingSink }> {
    const transport = world.open();
    open.push(transport);
    const sink = new RecordingSink();
    transport.attach(sink);
    await eventually(() => sink.restorations > 0 && transport.connected);
    return { transport, sink };
  }

  async function close(transport: InvalidationTransport): Promise<void> {
    open.splice(open.indexOf(transport), 1);
    await transport.close();
  }

  const send = (from: InvalidationTransport, message: InvalidationMessage) =>
    world.send ? world.send(from, message) : from.publish(message);

  /**
   * Asserts that `sink` has been told `message`, as soon as its delivery kind promises: at once for
   * `acknowledged` (no waiting: `send` has resolved), at the next local read for `on-read`, within a
   * round trip for `eventual`.
   */
  async function expectDelivered(
    to: { transport: InvalidationTransport; sink: RecordingSink },
    message: InvalidationMessage,
  ): Promise<void> {
    if (delivery === "eventual") await eventually(() => to.sink.covers(message), 3000);
    if (delivery === "on-read") to.transport.beforeLocalRead?.();
    expect(to.sink.covers(message)).toBe(true);
  }

  test("names itself", async () => {
    const { transport } = await instance();
    expect(transport.name).toBe(subject.name);
  });

  test("attach reports the channel up once, and nothing lost", async () => {
    const { transport, sink } = await instance();
    expect(transport.connected).toBe(true);
    expect(sink.restorations).toBe(1);
    expect(sink.losses).toBe(0);
    expect(sink.messages).toEqual([]);
  });

  test("serves one cache: a second attach throws", async () => {
    const { transport } = await instance();
    expect(() => transport.attach(new RecordingSink())).toThrow(/already serves a cache/);
  });

  test("the publisher's own sink is never told its own message (the cache applied it first)", async () => {
    const a = await instance();
    const b = delivery === "none" ? undefined : await instance();
    const own = digests(2);
    await send(a.transport, own);
    await send(a.transport, { kind: "all" });
    if (b) {
      await expectDelivered(b, own);
      // A hears what B sends after: anything of A's own would have arrived before it.
      const later = digests(1);
      await send(b.transport, later);
      await expectDelivered(a, later);
      // Only B's message (as "drop all" where the commit is the message), none of A's own.
      expect(a.sink.messages).toEqual(delivery === "on-read" ? [{ kind: "all" }] : [later]);
    } else {
      a.transport.beforeLocalRead?.();
      expect(a.sink.messages).toEqual([]);
    }
  });

  if (delivery === "none") return;

  test("a published list of digests reaches every other instance", async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    const message = digests(3);
    await send(a.transport, message);
    await expectDelivered(b, message);
    await expectDelivered(c, message);
  });

  test('"all" reaches every other instance', async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    await send(a.transport, { kind: "all" });
    for (const other of [b, c]) {
      if (delivery === "eventual") await eventually(() => other.sink.messages.length > 0, 3000);
      other.transport.beforeLocalRead?.();
      expect(other.sink.messages).toEqual([{ kind: "all" }]);
    }
  });

  if (delivery === "on-read") {
    test("without a commit from another instance, a local read is told nothing", async () => {
      const [a, b] = [await instance(), await instance()];
      await a.transport.publish(digests(1)); // no commit: nothing happened to the shared store
      for (let i = 0; i < 3; i++) b.transport.beforeLocalRead?.();
      expect(b.sink.messages).toEqual([]);
      await send(a.transport, digests(1));
      b.transport.beforeLocalRead?.();
      b.transport.beforeLocalRead?.();
      // One commit, one "drop all": the version is remembered, not reported again on every read.
      expect(b.sink.messages).toEqual([{ kind: "all" }]);
    });
    // The remaining cases are about carried messages, connections and outages: a transport whose
    // message is the store's own commit carries none, holds no connection and has no service.
    return;
  }

  if (delivery === "acknowledged") {
    test("publish resolves only once every listening instance has applied the message", async () => {
      const instances = [await instance(), await instance(), await instance(), await instance()];
      const [a, ...others] = instances;
      for (let i = 0; i < 10; i++) {
        const message = digests(1);
        await a!.transport.publish(message);
        // No waiting at all: every other sink must hold it by the time publish resolved.
        for (const other of others) expect(other.sink.covers(message)).toBe(true);
      }
    });

    test("publish rejects when a listening receiver never confirms (a stalled instance)", async () => {
      if (!world.addSilentReceiver) throw new Error("this world cannot start a silent receiver");
      const [a, b] = [await instance(), await instance()];
      const stop = await world.addSilentReceiver();
      try {
        const message = digests(1);
        await expect(a.transport.publish(message)).rejects.toThrow();
        // The instances that did listen were still told.
        expect(b.sink.covers(message)).toBe(true);
      } finally {
        await stop();
      }
      // Once it is gone, publish resolves again.
      await a.transport.publish(digests(1));
    });
  }

  if (delivery === "acknowledged") {
    test("a publish still waiting for confirmations when its transport closes rejects", async () => {
      if (!world.addSilentReceiver) throw new Error("this world cannot start a silent receiver");
      const [a, b] = [await instance(), await instance()];
      const stop = await world.addSilentReceiver();
      try {
        const message = digests(1);
        const outcome = a.transport.publish(message).then(
          () => "resolved",
          () => "rejected",
        );
        // PUBLISH went out (B applied it); the silent receiver will never confirm.
        await eventually(() => b.sink.covers(message));
        await close(a.transport);
        // Shutting down is no confirmation: resolving would let the revoker answer "revoked".
        expect(await outcome).toBe("rejected");
      } finally {
        await stop();
      }
    });
  }

  test("messages from one instance arrive in the order they were sent", async () => {
    const [a, b] = [await instance(), await instance()];
    const sent = Array.from({ length: 20 }, () => digests(1));
    for (const message of sent) await send(a.transport, message);
    const expected = sent.flatMap((m) => m.digests);
    if (delivery === "eventual") await eventually(() => b.sink.digests().length >= expected.length, 3000);
    expect(b.sink.digests()).toEqual(expected);
  });

  test("a long list of digests (a user's every token) arrives whole", async () => {
    const [a, b] = [await instance(), await instance()];
    const message = digests(240);
    await send(a.transport, message);
    await expectDelivered(b, message);
    // Split into several messages if the transport must, but nothing lost and nothing invented.
    expect(new Set(b.sink.digests())).toEqual(new Set(message.digests));
  });

  test("after close an instance is told nothing more and says it is not connected", async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    await close(b.transport);
    expect(b.transport.connected).toBe(false);
    const message = digests(1);
    await send(a.transport, message);
    await expectDelivered(c, message);
    expect(b.sink.messages).toEqual([]);
    // Closing is not an outage: nothing is reported lost (the cache would log one at every shutdown).
    expect(b.sink.losses).toBe(0);
  });

  test("close releases every connection the transport opened", async () => {
    if (!world.connections) throw new Error("this world cannot count its connections");
    const [a, b] = [await instance(), await instance()];
    expect(await world.connections()).toBeGreaterThanOrEqual(2);
    await close(a.transport);
    await close(b.transport);
    await eventually(async () => (await world.connections!()) === 0, 3000);
  });

  test("opened while the service is away: not connected, publish rejects, and restored once it is up", async () => {
    if (!world.outage) throw new Error("this world cannot take its service away");
    await world.outage.cut();
    const transport = world.open();
    open.push(transport);
    const sink = new RecordingSink();
    transport.attach(sink);
    await expect(transport.publish(digests(1))).rejects.toThrow();
    expect(transport.connected).toBe(false);
    expect(sink.restorations).toBe(0);

    await world.outage.restore();
    await eventually(() => transport.connected, 10_000);
    expect(sink.restorations).toBe(1);
    const b = await instance();
    const message = digests(1);
    await eventually(() =>
      transport.publish(message).then(
        () => true,
        () => false,
      ),
    );
    await expectDelivered(b, message);
  });

  test("while the service is away: not connected, told once, and publish rejects; then back", async () => {
    if (!world.outage) throw new Error("this world cannot take its service away");
    const [a, b] = [await instance(), await instance()];
    await world.outage.cut();
    await eventually(() => !a.transport.connected && !b.transport.connected && a.sink.losses > 0);
    // Never a silent success: the revoker must be able to answer 503.
    await expect(a.transport.publish(digests(1))).rejects.toThrow();
    expect(a.sink.losses).toBe(1);
    expect(b.sink.losses).toBe(1);

    await world.outage.restore();
    await eventually(() => a.transport.connected && b.transport.connected, 10_000);
    // Told it is back, so the cache drops what it may have missed meanwhile.
    expect(a.sink.restorations).toBe(2);
    expect(b.sink.restorations).toBe(2);
    const message = digests(1);
    await eventually(() =>
      a.transport.publish(message).then(
        () => true,
        () => false,
      ),
    );
    await expectDelivered(b, message);
  });
}
