/**
 * `connectRedis`'s URL forms and `duplicateClient`'s options, on lazy clients that never connect;
 * hash tags and key slots against the Redis Cluster specification's reference value.
 */
import type { Cluster, Redis } from "ioredis";
import { connectRedis } from "./connect-redis";
import { ownConnectionOptions } from "./redis-channel";
import { duplicateClient, hashTagOf } from "./redis-client";
import { keySlot } from "./shard-subscriber";

// Nothing here connects: every client is lazy and is disconnected at the end.
const lazy = { redisOptions: { lazyConnect: true }, clusterOptions: { lazyConnect: true } };
const opened: Array<Redis | Cluster> = [];
const open = (url: string) => {
  const client = connectRedis(url, lazy);
  opened.push(client);
  return client;
};
afterAll(() => {
  for (const client of opened) client.disconnect();
});

describe("connectRedis", () => {
  test("redis:// is one server, with ioredis' own URL syntax", () => {
    const client = open("redis://:secret@10.0.0.5:6380/2?keyPrefix=app:") as Redis;
    expect(client.isCluster).toBe(false);
    expect(client.options).toMatchObject({ host: "10.0.0.5", port: 6380, db: 2, password: "secret" });
  });

  test("redis+cluster:// lists startup nodes; credentials and TLS go to every node", () => {
    const client = open("rediss+cluster://app:s%40cret@h1:7000,h2:7001,[::1]:7002?keyPrefix=x:") as Cluster;
    expect(client.isCluster).toBe(true);
    expect((client as unknown as { startupNodes: unknown[] }).startupNodes).toEqual([
      { host: "h1", port: 7000 },
      { host: "h2", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    expect(client.options.keyPrefix).toBe("x:");
    expect(client.options.redisOptions).toMatchObject({ username: "app", password: "s@cret", tls: {} });
  });

  test("redis+sentinel:// names the sentinels and the master", () => {
    const client = open("redis+sentinel://:pw@s1:26379,s2/mymaster?db=3&sentinelPassword=sp") as Redis;
    expect(client.isCluster).toBe(false);
    expect(client.options).toMatchObject({
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26379 },
      ],
      name: "mymaster",
      password: "pw",
      db: 3,
      sentinelPassword: "sp",
    });
  });

  test.each([
    ["http://h:1", "must start with"],
    ["redis+cluster://h:1/0", "no path"],
    ["redis+cluster://h:1?db=1", "unknown URL parameter"],
    ["redis+sentinel://h:1", "/<masterName>"],
    ["redis+sentinel://h:99999/m", "host:port"],
  ])("refuses %s, naming the problem", (url, message) => {
    expect(() => connectRedis(url, lazy)).toThrow(message);
  });

  test("never puts the password in an error", () => {
    expect(() => connectRedis("redis+cluster://u:hunter2@h:1?x=1", lazy)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });
});

describe("duplicateClient", () => {
  test("a cluster's duplicate keeps tokengate's fail-fast options (Cluster.duplicate takes nodes first)", () => {
    const cluster = open("redis+cluster://h1:7000?keyPrefix=app:") as Cluster;
    const copy = duplicateClient(cluster, { ...ownConnectionOptions(250), lazyConnect: true });
    opened.push(copy);
    expect(copy.isCluster).toBe(true);
    expect(copy.options.enableOfflineQueue).toBe(false);
    expect(copy.options.keyPrefix).toBe("");
    expect(copy.options.redisOptions).toMatchObject({
      commandTimeout: 250,
      maxRetriesPerRequest: 0,
      keyPrefix: "",
    });
  });

  test("a Sentinel client's duplicate still asks the sentinels", () => {
    const copy = duplicateClient(open("redis+sentinel://s1:26379/mymaster") as Redis, {
      ...ownConnectionOptions(250),
      lazyConnect: true,
    });
    opened.push(copy);
    expect(copy.options).toMatchObject({ name: "mymaster", enableOfflineQueue: false, commandTimeout: 250 });
  });
});

describe("hash tags and slots", () => {
  test("keys with one tag share a slot; Redis' own reference values", () => {
    // From the Redis Cluster specification: CRC16 of "123456789" is 0x31C3.
    expect(keySlot("123456789")).toBe(0x31c3 % 16384);
    expect(keySlot("tokengate:cred:{abc}")).toBe(keySlot("tokengate:gen:{abc}"));
    expect(hashTagOf("a{}b")).toBe("a{}b");
    expect(hashTagOf("x:{team7}:month")).toBe("team7");
  });
});
