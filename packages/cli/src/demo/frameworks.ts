/** The frameworks the demo runs on; the first is the default. Kept apart so the option parser loads none of them. */
export const DEMO_FRAMEWORKS = ["hono", "express", "koa"] as const;
export type DemoFramework = (typeof DEMO_FRAMEWORKS)[number];
