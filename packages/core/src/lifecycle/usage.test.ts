import type { Logger } from "../ports/logger";
import { BatchedUsageRecorder } from "./usage";

const at = (seconds: number) => new Date(Date.UTC(2025, 5, 1, 12, 0, seconds));

/** A store that records each batch, and fails while `failing` is set. */
function recordingStore() {
  const batches: { id: number; at: Date }[][] = [];
  const state = { failing: false };
  return {
    batches,
    state,
    store: {
      async touchLastUsed(entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>) {
        if (state.failing) throw new Error("SQLITE_BUSY: database is locked");
        batches.push(entries.map((e) => ({ ...e })));
      },
    },
  };
}

function recordingLogger() {
  const warnings: string[] = [];
  const logger: Logger = { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  return { logger, warnings };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe("BatchedUsageRecorder", () => {
  it("writes nothing on the request path, then every touch of an interval in one batch", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000 });
    recorder.touch(1, at(1));
    recorder.touch(2, at(2));
    recorder.touch(3, at(3));
    expect(s.batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(999);
    expect(s.batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(s.batches).toEqual([
      [
        { id: 1, at: at(1) },
        { id: 2, at: at(2) },
        { id: 3, at: at(3) },
      ],
    ]);
  });

  it("keeps only the latest time per token, whatever order the touches arrive in", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000 });
    recorder.touch(1, at(5));
    recorder.touch(1, at(9));
    recorder.touch(1, at(7));
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.batches).toEqual([[{ id: 1, at: at(9) }]]);
  });

  it("starts a new batch after each write, and is idle when there is nothing to write", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000 });
    recorder.touch(1, at(1));
    await jest.advanceTimersByTimeAsync(1000);
    await jest.advanceTimersByTimeAsync(10_000);
    recorder.touch(2, at(2));
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.batches).toEqual([[{ id: 1, at: at(1) }], [{ id: 2, at: at(2) }]]);
  });

  it("defaults to a five-second interval", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store);
    recorder.touch(1, at(1));
    await jest.advanceTimersByTimeAsync(4999);
    expect(s.batches).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(s.batches).toHaveLength(1);
  });

  it("keeps a failed batch and retries it, with no new traffic needed", async () => {
    const s = recordingStore();
    const { logger, warnings } = recordingLogger();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000, logger });
    recorder.touch(1, at(1));
    s.state.failing = true;
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.batches).toEqual([]);
    expect(warnings).toEqual(["last-used times could not be written; will retry"]);

    s.state.failing = false;
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.batches).toEqual([[{ id: 1, at: at(1) }]]);
  });

  it("merges a retried batch with newer touches, the newer time winning", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000 });
    recorder.touch(1, at(1));
    recorder.touch(2, at(2));
    s.state.failing = true;
    await jest.advanceTimersByTimeAsync(1000);
    recorder.touch(1, at(30));
    s.state.failing = false;
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.batches).toHaveLength(1);
    expect(new Map(s.batches[0]?.map((e) => [e.id, e.at]))).toEqual(
      new Map([
        [1, at(30)],
        [2, at(2)],
      ]),
    );
  });

  it("does not lose a touch that arrives while a batch is being written", async () => {
    let release = () => {};
    const batches: { id: number; at: Date }[][] = [];
    const recorder = new BatchedUsageRecorder(
      {
        touchLastUsed: (entries) => {
          batches.push([...entries]);
          // The first write hangs until released; later ones complete at once.
          if (batches.length > 1) return Promise.resolve();
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        },
      },
      { intervalMs: 1000 },
    );
    recorder.touch(1, at(1));
    await jest.advanceTimersByTimeAsync(1000);
    recorder.touch(2, at(2));
    release();
    await recorder.close();
    expect(batches).toEqual([[{ id: 1, at: at(1) }], [{ id: 2, at: at(2) }]]);
  });

  it("flushes what is pending on close, without waiting for the interval", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 60_000 });
    recorder.touch(7, at(7));
    await recorder.close();
    expect(s.batches).toEqual([[{ id: 7, at: at(7) }]]);
    // The interval's timer was cleared: nothing is written twice.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(s.batches).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("writes nothing on close when nothing is pending", async () => {
    const s = recordingStore();
    await new BatchedUsageRecorder(s.store).close();
    expect(s.batches).toEqual([]);
  });

  it("does not keep retrying after close when the last write fails", async () => {
    const s = recordingStore();
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000 });
    recorder.touch(1, at(1));
    s.state.failing = true;
    await recorder.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it("never logs which tokens, only how many", async () => {
    const s = recordingStore();
    const lines: unknown[] = [];
    const logger: Logger = { warn: (...args) => lines.push(args), error: (...args) => lines.push(args) };
    const recorder = new BatchedUsageRecorder(s.store, { intervalMs: 1000, logger });
    recorder.touch(12345, at(1));
    s.state.failing = true;
    await recorder.flush();
    expect(lines).toEqual([
      [
        "last-used times could not be written; will retry",
        { tokens: 1, cause: "Error: SQLITE_BUSY: database is locked" },
      ],
    ]);
  });
});
