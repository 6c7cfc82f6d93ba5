/** The short durations the CLI takes (`--grace 15m`), read as whole seconds. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * Reads a short duration such as `30s`, `15m`, `1h` or `2d` (or a bare `0`) as whole seconds.
 * Returns null for anything else, so the caller can name the option in its message.
 */
export function parseDurationSeconds(text: string): number | null {
  if (text === "0") return 0;
  const match = /^([0-9]{1,7})([smhd])$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}
