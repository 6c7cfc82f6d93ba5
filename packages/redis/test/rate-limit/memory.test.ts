import { MemoryLimitStore } from "../../src";
import { limiterCases } from "./limiter-cases";

describe("rate limits in memory (MemoryLimitStore)", () => {
  limiterCases(() => new MemoryLimitStore());
});
