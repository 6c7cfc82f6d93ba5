/**
 * The clock port: time is injected as `clock` wherever it matters (the verifier, the service, the
 * security log), so tests freeze it instead of sleeping.
 */

/** Where time comes from. Inject one in tests to freeze it instead of sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
