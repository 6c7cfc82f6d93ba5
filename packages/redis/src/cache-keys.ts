/**
 * Where the credential cache keeps its state in Redis. On a single server (or a Sentinel group) the
 * names are the ones tokengate always used. On a Redis Cluster every digest's keys carry the digest
 * as a hash tag, so the entry and its generation (read together, written by one script) share a
 * slot, and entries spread over every master instead of piling into one.
 *
 *   entry        <prefix>cred:<digest>         cluster: <prefix>cred:{<digest>}
 *   generation   <prefix>gen:<digest>          cluster: <prefix>gen:{<digest>}
 *   epoch        <prefix>epoch                 (one key: read when trust returns, set on a flush)
 *   channel      <prefix>invalidate            cluster: {<prefix>invalidate} (sharded pub/sub)
 *
 * A prefix that has a hash tag of its own (`{tokengate}:`) puts every key in that one slot: it still
 * works, on one master.
 */
export class CacheKeys {
  readonly prefix: string;
  readonly cluster: boolean;
  readonly epoch: string;
  readonly channel: string;
  /** SCAN MATCH for every entry, with the prefix's glob characters escaped. */
  readonly credentialPattern: string;

  constructor(prefix: string, cluster: boolean) {
    this.prefix = prefix;
    this.cluster = cluster;
    this.epoch = `${prefix}epoch`;
    this.channel = cluster && !/\{[^}]+\}/.test(prefix) ? `{${prefix}invalidate}` : `${prefix}invalidate`;
    this.credentialPattern = `${prefix.replace(/[\\*?[\]]/g, "\\$&")}cred:*`;
  }

  credential(digest: string): string {
    return this.cluster ? `${this.prefix}cred:{${digest}}` : `${this.prefix}cred:${digest}`;
  }

  generation(digest: string): string {
    return this.cluster ? `${this.prefix}gen:{${digest}}` : `${this.prefix}gen:${digest}`;
  }
}
