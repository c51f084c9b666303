import type { Command } from "./command.ts";

/** What `./sy demo --help` says; the command is run from commands.ts, so the entry file can read this without a cycle. */
export const demo: Command = {
  name: "demo",
  summary: "run Switchyard against local provider fakes with a day of signed traffic",
  details: `Starts fakes of Stripe, HubSpot, Zendesk and OpenAI, runs Switchyard against them (DATA_DIR ./.data/demo,
QUEUE_PREFIX switchyard-demo unless set), sends signups, checkouts, a renewal, a declined card and support
tickets, then prints where to look. Needs Redis. Runs until Ctrl-C unless --once.`,
  options: {
    once: { type: "boolean", description: "exit after printing where to look (exit 1 if the traffic did not settle)" },
  },
};
