/**
 * Issue 2's "Done when": one gate behind every adapter at once. A token minted through any
 * adapter's router authenticates on every adapter's middleware, and stops on all of them the
 * moment any router deletes or rotates it away.
 */
import { adminApi, failureOf, identityOf, mintedOf } from "./admin-api";
import { type Client, HARNESSES } from "./harnesses";
import {
  createWorld,
  expectNoSecretLeaks,
  expectWellFormedFailures,
  OTHER_TEAM,
  TEAM,
  USERS,
  type World,
} from "./world";

describe("one gate, every adapter", () => {
  let world: World;
  let clients: Array<{ name: string; client: Client }>;

  beforeEach(async () => {
    world = createWorld();
    clients = await Promise.all(
      HARNESSES.map(async (harness) => ({ name: harness.name, client: await harness.start(world) })),
    );
  });

  afterEach(async () => {
    await Promise.all(clients.map(({ client }) => client.close()));
    expectNoSecretLeaks(world);
    expectWellFormedFailures(world);
  });

  /** Whom each adapter's middleware says the token acts as; the status where it refuses. */
  async function seenByEveryAdapter(token: string): Promise<Record<string, number | string>> {
    const seen: Record<string, number | string> = {};
    for (const { name, client } of clients) {
      const res = await adminApi(client).use(token);
      seen[name] = res.status === 200 ? identityOf(res).userId : `${res.status} ${failureOf(res).error}`;
    }
    return seen;
  }

  const everywhere = (value: number | string) => Object.fromEntries(HARNESSES.map((h) => [h.name, value]));

  it.each(HARNESSES.map((h, i) => [h.name, i] as const))(
    "a token created through %s works on every middleware, and a delete through the next router stops it on all",
    async (_name, index) => {
      const creator = adminApi(clients[index]!.client);
      const deleter = adminApi(clients[(index + 1) % clients.length]!.client);
      const { id, token } = mintedOf(
        await creator.create(USERS.alice, { tokenName: "shared", teamId: TEAM }),
      );

      expect(await seenByEveryAdapter(token)).toEqual(everywhere(USERS.alice));
      expect((await deleter.remove(USERS.frank, id)).status).toBe(204);
      expect(await seenByEveryAdapter(token)).toEqual(everywhere("401 invalid_token"));
    },
  );

  it("a rotation through one router retires the old token on every middleware", async () => {
    const [first, second] = clients.map(({ client }) => adminApi(client));
    const old = mintedOf(await first!.create(USERS.bob, { tokenName: "bob's" }));
    const fresh = mintedOf(await second!.rotate(USERS.bob, old.id));

    expect(await seenByEveryAdapter(old.token)).toEqual(everywhere("401 invalid_token"));
    expect(await seenByEveryAdapter(fresh.token)).toEqual(everywhere(USERS.bob));
  });

  it("every router reads a repeated teamId filter the same way", async () => {
    // Alice is an ADMIN of team 10 and not a member of team 20: which value wins decides 200 or 403.
    const answers = await Promise.all(
      clients.map(async ({ name, client }) => {
        const res = await adminApi(client).list(USERS.alice, `?teamId=${OTHER_TEAM}&teamId=${TEAM}`);
        return [name, `${res.status} ${res.body}`] as const;
      }),
    );
    const first = answers[0]![1];
    expect(Object.fromEntries(answers)).toEqual(everywhere(first));
  });

  it("every router lists the same tokens", async () => {
    const [first] = clients.map(({ client }) => adminApi(client));
    mintedOf(await first!.create(USERS.alice, { tokenName: "listed everywhere" }));
    const lists = await Promise.all(clients.map(({ client }) => adminApi(client).list(USERS.alice)));
    for (const res of lists) expect(res.json).toEqual(lists[0]!.json);
    expect((lists[0]!.json as { tokens: unknown[] }).tokens).toHaveLength(1);
  });
});
