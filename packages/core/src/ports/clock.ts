/** Where time comes from. Inject one in tests to freeze it instead of sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
