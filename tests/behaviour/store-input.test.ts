/**
 * Issue 12 item 3, on the real stores through every harness: ids that pass JSON and zod but do not
 * fit PostgreSQL's `integer` were answered 503 `store_unavailable` on PostgreSQL (and 403/404 on
 * SQLite). They are bad input: 400 naming the field, the same on SQLite and PostgreSQL. In-range
 * ids that name nothing keep their 403/404. A store error the input causes is never "unavailable".
 */
import { createTokenGate, isStoreInputFault, type TokenGate, type TokenStore } from "@tokengate/core";
import { migrate, PostgresDirectory, PostgresTokenStore } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import { describeWithServices, dropSchema, postgresUrl, uniqueSchema } from "@tokengate/test-support";
import { Pool } from "pg";
import { failureOf } from "./admin-api";
import { type Client, HARNESSES, SESSION_HEADER } from "./harnesses";
import { type AppWorld, appWorld, expectNoSecretLeaks, expectWellFormedFailures } from "./world";

const ALICE = 1;
const TEAM = 10;

/** A gate over one real store, seeded with Alice and her team, and how to throw it away. */
interface Backend {
  readonly gate: TokenGate;
  readonly store: TokenStore;
  dispose(): Promise<void>;
}

function sqliteBackend(): Backend {
  const opened = openSqlite(":memory:");
  opened.directory
    .upsertUser({ id: ALICE, name: "alice", disabled: false })
    .upsertTeam({ id: TEAM, name: "acme", ownerUserId: ALICE })
    .setRole(TEAM, ALICE, "ADMIN");
  const gate = createTokenGate({
    store: opened.store,
    directory: opened.directory,
    usageFlushIntervalMs: false,
  });
  return {
    gate,
    store: opened.store,
    async dispose() {
      await gate.close();
      opened.close();
    },
  };
}

async function postgresBackend(pool: Pool): Promise<Backend> {
  const schema = uniqueSchema("tg_i12_input");
  await migrate(pool, { schema });
  const store = new PostgresTokenStore(pool, { schema });
  const directory = new PostgresDirectory(pool, { schema });
  await directory.upsertUser({ id: ALICE, name: "alice", disabled: false });
  await directory.upsertTeam({ id: TEAM, name: "acme", ownerUserId: ALICE });
  await directory.setRole(TEAM, ALICE, "ADMIN");
  const gate = createTokenGate({ store, directory, usageFlushIntervalMs: false });
  return {
    gate,
    store,
    async dispose() {
      await gate.close();
      await dropSchema(pool, schema);
    },
  };
}

const session: [string, string] = [SESSION_HEADER, String(ALICE)];
const json: [string, string] = ["content-type", "application/json"];

/** The reviewer's requests and their neighbours, with the answer each must get on every store. */
const CASES: ReadonlyArray<{
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
  readonly field?: string;
}> = [
  {
    name: "create with a teamId past integer (the reviewer's)",
    method: "POST",
    path: "/api-tokens",
    body: { tokenName: "team-type", teamId: 99999999999 },
    status: 400,
    field: "teamId",
  },
  {
    name: "create with teamId 2147483648",
    method: "POST",
    path: "/api-tokens",
    body: { tokenName: "team-type", teamId: 2147483648 },
    status: 400,
    field: "teamId",
  },
  {
    name: "create for team 2147483647, which does not exist",
    method: "POST",
    path: "/api-tokens",
    body: { tokenName: "team-type", teamId: 2147483647 },
    status: 403,
  },
  {
    name: "delete 9999999999999999 (the reviewer's)",
    method: "DELETE",
    path: "/api-tokens/9999999999999999",
    status: 400,
    field: "id",
  },
  { name: "delete 2147483648", method: "DELETE", path: "/api-tokens/2147483648", status: 400, field: "id" },
  {
    name: "delete 2147483647, which does not exist",
    method: "DELETE",
    path: "/api-tokens/2147483647",
    status: 404,
  },
  {
    name: "rotate 9999999999999999",
    method: "POST",
    path: "/api-tokens/9999999999999999/rotate",
    body: {},
    status: 400,
    field: "id",
  },
  {
    name: "list team 99999999999",
    method: "GET",
    path: "/api-tokens?teamId=99999999999",
    status: 400,
    field: "teamId",
  },
  {
    name: "list team 2147483647, which does not exist",
    method: "GET",
    path: "/api-tokens?teamId=2147483647",
    status: 403,
  },
];

function storeSuite(label: string, open: () => Backend | Promise<Backend>, test: typeof it): void {
  describe.each(HARNESSES)(`${label}: $name`, (harness) => {
    /** Runs `body` against a fresh backend and app, and checks every answer for leaks after. */
    async function withApp(body: (client: Client, backend: Backend) => Promise<void>): Promise<void> {
      const backend = await open();
      const world: AppWorld = appWorld(backend.gate);
      const client = await harness.start(world);
      try {
        await body(client, backend);
        expectNoSecretLeaks(world);
        expectWellFormedFailures(world);
      } finally {
        await client.close();
        await backend.dispose();
      }
    }

    test("answers each out-of-range id 400 naming the field, in-range unknown ids 403/404, never 503", () =>
      withApp(async (client, backend) => {
        for (const c of CASES) {
          const res = await client.send({
            method: c.method,
            path: c.path,
            headers: c.body === undefined ? [session] : [session, json],
            ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
          });
          expect([c.name, res.status]).toEqual([c.name, c.status]);
          if (c.field)
            expect([c.name, failureOf(res).issues?.map((i) => i.field)]).toEqual([c.name, [c.field]]);
        }
        expect(await backend.store.listByUser(ALICE)).toEqual([]);
        expect(await backend.store.listByTeam(TEAM)).toEqual([]);
      }));
  });
}

storeSuite("sqlite", sqliteBackend, it);

describeWithServices(["postgres"], "PostgreSQL", () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: postgresUrl, max: 4, connectionTimeoutMillis: 5000 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  storeSuite("postgres", () => postgresBackend(pool), it);

  it("PostgreSQL's own out-of-range error is an input fault; a refused connection is not", async () => {
    const backend = await postgresBackend(pool);
    try {
      const outOfRange = await backend.store.findById(99_999_999_999).catch((error: unknown) => error);
      expect(outOfRange).toMatchObject({ code: "22003" });
      expect(isStoreInputFault(outOfRange)).toBe(true);
    } finally {
      await backend.dispose();
    }
    // Port 1 on loopback: nothing listens there, so the driver's error is the connection's.
    const nowhere = new Pool({
      connectionString: "postgres://postgres@127.0.0.1:1/test",
      connectionTimeoutMillis: 2000,
    });
    try {
      const refused = await new PostgresTokenStore(nowhere).findById(1).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: "ECONNREFUSED" });
      expect(isStoreInputFault(refused)).toBe(false);
    } finally {
      await nowhere.end();
    }
  });
});
