/**
 * Tokens that Documenso itself issued verify through tokengate, read straight from Documenso's
 * tables: rows are inserted with plain SQL, hashed exactly as Documenso hashes them.
 */
import { createHash } from "node:crypto";
import {
  documensoTokenFormat,
  sha512Digester,
  silentLogger,
  storeLookup,
  TokenVerifier,
} from "@tokengate/core";
import { Pool } from "pg";
import { describeWithServices, itWithServices, postgresUrl } from "../../../tests/support/services";
import { DocumensoDirectory, DocumensoTokenStore } from "../src/index";
import { dropSchema, loadDocumensoSchema, uniqueSchema } from "./documenso-fixture";

// What Documenso does in its createApiToken: SHA-512 of the whole token, lowercase hex.
const documensoHash = (token: string) => createHash("sha512").update(token).digest("hex");

const VALID = "api_valid0000000000a";
const DISABLED_OWNER = "api_disabled0000000b";
const EXPIRED = "api_expired00000000c";
const EXPIRES_SOON = "api_expiressoon0000d";
const LEGACY_TEAM = "api_legacyteam00000e";

describeWithServices(["postgres"], "Documenso's own tables", () => {
  const schema = uniqueSchema("tg_documenso");
  const originalTz = process.env.TZ;
  let pool: Pool;
  let now: Date;
  let verifier: TokenVerifier;
  let store: DocumensoTokenStore;

  beforeAll(async () => {
    // Prisma keeps UTC in `timestamp without time zone`. A client or server in another zone must
    // not shift expiry times: run this file with both set far from UTC.
    process.env.TZ = "America/New_York";
    pool = new Pool({ connectionString: postgresUrl, max: 2, options: "-c TimeZone=Asia/Tokyo" });
    await loadDocumensoSchema(pool, schema);
    const s = `"${schema}"`;
    await pool.query(`
      INSERT INTO ${s}."User" (id, name, email, disabled) VALUES
        (1, 'Ada', 'ada@example.com', false),
        (2, 'Mallory', 'mallory@example.com', true),
        (3, 'Olga', 'owner@example.com', false);
      INSERT INTO ${s}."Organisation" (id, name, url, "ownerUserId") VALUES ('org_acme', 'Acme', 'acme', 3);
      INSERT INTO ${s}."Team" (id, name, url, "organisationId") VALUES (10, 'Acme legal', 'acme-legal', 'org_acme');
      INSERT INTO ${s}."TeamMember" ("teamId", "userId", role) VALUES (10, 3, 'ADMIN');`);
    const insert = `INSERT INTO ${s}."ApiToken" (name, token, algorithm, expires, "createdAt", "userId", "teamId")
                    VALUES ($1, $2, 'SHA512', $3, '2025-01-01 09:00:00', $4, $5)`;
    await pool.query(insert, ["valid", documensoHash(VALID), null, 1, null]);
    await pool.query(insert, ["disabled owner", documensoHash(DISABLED_OWNER), null, 2, null]);
    await pool.query(insert, ["expired", documensoHash(EXPIRED), "2025-05-31 23:59:59.999", 1, null]);
    await pool.query(insert, ["expires soon", documensoHash(EXPIRES_SOON), "2025-06-01 00:30:00", 1, null]);
    await pool.query(insert, ["legacy team token", documensoHash(LEGACY_TEAM), null, null, 10]);

    store = new DocumensoTokenStore(pool, { schema });
    verifier = new TokenVerifier({
      lookup: storeLookup(store, new DocumensoDirectory(pool, { schema })),
      digesters: [sha512Digester],
      formats: [documensoTokenFormat],
      clock: () => now,
      realm: "api",
      logger: silentLogger,
    });
  });

  beforeEach(() => {
    now = new Date("2025-06-01T00:00:00Z");
  });

  afterAll(async () => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
    if (pool) {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  const verify = (token: string) => verifier.verify({ authorization: `Bearer ${token}` });

  itWithServices("a token Documenso issued is accepted, acting as its user", async () => {
    const outcome = await verify(VALID);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.identity).toMatchObject({ tokenName: "valid", userId: 1, teamId: null, scopes: [] });
    expect(outcome.identity.user).toMatchObject({ name: "Ada", email: "ada@example.com" });
  });

  itWithServices("Documenso's raw `Authorization: <token>` form works too", async () => {
    expect((await verifier.verify({ authorization: VALID })).ok).toBe(true);
  });

  itWithServices("a token whose user Documenso disabled is refused as owner_disabled", async () => {
    const outcome = await verify(DISABLED_OWNER);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe("owner_disabled");
    expect(outcome.answer.status).toBe(401);
  });

  itWithServices("a token past Documenso's `expires` is refused as token_expired", async () => {
    const outcome = await verify(EXPIRED);
    expect(outcome.ok ? "ok" : outcome.error.code).toBe("token_expired");
  });

  itWithServices("`expires` is read as UTC whatever the client's and the server's zones", async () => {
    now = new Date("2025-06-01T00:29:59.999Z");
    expect((await verify(EXPIRES_SOON)).ok).toBe(true);
    now = new Date("2025-06-01T00:30:00Z");
    const outcome = await verify(EXPIRES_SOON);
    expect(outcome.ok ? "ok" : outcome.error.code).toBe("token_expired");
    const record = await store.findByDigest(documensoHash(EXPIRES_SOON));
    expect(record?.expiresAt?.toISOString()).toBe("2025-06-01T00:30:00.000Z");
    expect(record?.createdAt.toISOString()).toBe("2025-01-01T09:00:00.000Z");
  });

  itWithServices(
    "a legacy team token with no creator acts as the owner of the team's organisation",
    async () => {
      const outcome = await verify(LEGACY_TEAM);
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.identity).toMatchObject({ userId: 3, teamId: 10 });
      expect(outcome.identity.team).toEqual({ id: 10, name: "Acme legal", ownerUserId: 3 });
    },
  );

  itWithServices("a token Documenso never issued is refused as invalid_token", async () => {
    const outcome = await verify("api_neverissued00000");
    expect(outcome.ok ? "ok" : outcome.error.code).toBe("invalid_token");
  });

  itWithServices("tokens created through the store are stored the way Documenso writes them", async () => {
    const plain = documensoTokenFormat.generate();
    const created = await store.insert({
      name: "from tokengate",
      digest: sha512Digester.digest(plain),
      algorithm: sha512Digester.algorithm,
      userId: 1,
      teamId: null,
      createdAt: new Date("2025-06-01T00:00:00Z"),
      expiresAt: new Date("2025-07-01T12:00:00Z"),
      scopes: [],
    });
    const { rows } = await pool.query(
      `SELECT token, algorithm::text, to_char(expires, 'YYYY-MM-DD HH24:MI:SS') AS expires
       FROM "${schema}"."ApiToken" WHERE id = $1`,
      [created.id],
    );
    expect(rows[0]).toEqual({
      token: documensoHash(plain),
      algorithm: "SHA512",
      expires: "2025-07-01 12:00:00",
    });
    expect((await verify(plain)).ok).toBe(true);
  });

  itWithServices("what Documenso's table cannot hold is refused, not dropped", async () => {
    const base = {
      name: "x",
      digest: documensoHash("api_unused0000000000"),
      userId: 1,
      teamId: null,
      createdAt: now,
      expiresAt: null,
    };
    await expect(store.insert({ ...base, algorithm: "SHA512", scopes: ["documents:read"] })).rejects.toThrow(
      /no scopes/,
    );
    await expect(store.insert({ ...base, algorithm: "HMAC-SHA256:k1", scopes: [] })).rejects.toThrow(
      /only SHA512/,
    );
  });
});
