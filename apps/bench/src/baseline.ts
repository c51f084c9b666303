// The yardstick: a bare node:http handler doing the least a safe webhook endpoint must do, namely
// check the HMAC, insert one row and push one Redis list entry. Settings arrive as JSON in argv.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import postgres from "postgres";

const opts = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl: string;
  redisUrl: string;
  secret: string;
  key: string;
};
const sql = postgres(opts.databaseUrl, { max: 10, onnotice: () => {} });
const redis = new Redis(opts.redisUrl);
await sql`create table if not exists baseline_events (
  id bigserial primary key, event_id text unique not null, body jsonb not null, received_at timestamptz not null default now())`;

function verified(body: string, header: string | undefined): boolean {
  const t = /t=(\d+)/.exec(header ?? "")?.[1];
  const v1 = /v1=([0-9a-f]+)/.exec(header ?? "")?.[1];
  if (!t || !v1 || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac("sha256", opts.secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (!verified(body, req.headers["stripe-signature"] as string | undefined)) {
      res.writeHead(401).end();
      return;
    }
    try {
      const event = JSON.parse(body) as { id: string };
      await sql`insert into baseline_events (event_id, body) values (${event.id}, ${sql.json(event)}) on conflict do nothing`;
      await redis.lpush(opts.key, event.id);
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"accepted"}');
    } catch {
      res.writeHead(500).end();
    }
  });
});
server.listen(0, "127.0.0.1", () =>
  process.stdout.write(`baseline listening ${(server.address() as AddressInfo).port}\n`),
);
process.once("SIGTERM", () => {
  server.close();
  void sql.end();
  redis.disconnect();
  process.exit(0);
});
