import { deleteAccount, listAccounts, writeAudit } from "@switchyard/db";
import { Hono } from "hono";
import { html } from "hono/html";
import { MIN_PASSWORD_LENGTH, nameProblem, normalizeName, saveAccount } from "../accounts.ts";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { isRole, ROLES } from "../role-names.ts";
import { afterPost, CONSOLE_PATH, field, page, text, when } from "./page.ts";

export const ACCOUNTS_PATH = `${CONSOLE_PATH}/accounts`;

/**
 * Who may sign in, and as what. Everyone may see the list (names and roles, never a hash); adding,
 * changing and removing are an admin's (roles.ts), audited under the admin's name.
 */
export function accountRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .get("/accounts", async (c) => {
      const rows = await listAccounts(deps.db);
      const isAdmin = c.get("role") === "admin";
      const roleOptions = ROLES.map((r) => html`<option value="${r}">${r}</option>`);
      return page(
        c,
        "Accounts",
        html`<p class="muted">viewer reads everything; operator also retries, discards, replays and decides reviews;
admin also overrides entitlements and manages accounts. Also from a shell: <code>./sy admin:user</code>.</p>
<table data-testid="accounts"><tr><th>name</th><th>role</th><th>since</th>${isAdmin ? html`<th></th>` : ""}</tr>
${rows.map(
  (
    r,
  ) => html`<tr data-account="${text(r.name)}"><td><code>${text(r.name)}</code></td><td>${text(r.role)}</td><td>${when(r.createdAt)}</td>
${
  isAdmin
    ? html`<td><form class="inline" method="post" action="${ACCOUNTS_PATH}/${encodeURIComponent(r.name)}/remove">
<button type="submit">Remove</button></form></td>`
    : ""
}</tr>`,
)}</table>
${
  isAdmin
    ? html`<h2>Add an account, or set one's role and password</h2>
<form method="post" action="${ACCOUNTS_PATH}" class="inline">
<label>name <input name="name" required size="20"></label>
<label>role <select name="role">${roleOptions}</select></label>
<label>password <input name="password" type="password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password"></label>
<button type="submit">Save account</button></form>
<p class="muted">A new password signs that account out everywhere.</p>`
    : html`<p class="muted">Only an admin can add, change or remove accounts.</p>`
}`,
      );
    })
    .post("/accounts", async (c) => {
      const form = await c.req.parseBody();
      const name = normalizeName(field(form, "name"));
      const role = field(form, "role");
      const password = typeof form.password === "string" ? form.password : "";
      const problem =
        nameProblem(name) ??
        (isRole(role) ? undefined : `the role is one of ${ROLES.join(", ")}`) ??
        (password.length >= MIN_PASSWORD_LENGTH
          ? undefined
          : `the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
      if (problem || !isRole(role)) return c.redirect(afterPost("", ACCOUNTS_PATH, { error: problem ?? "" }), 303);
      const { created } = await saveAccount(deps.db, { name, role, password });
      await writeAudit(deps.db, {
        actor: c.get("actor"),
        action: created ? "account.create" : "account.update",
        target: name,
        details: { role },
      });
      return c.redirect(
        afterPost("", ACCOUNTS_PATH, { flash: `${created ? "Created" : "Updated"} ${name} (${role}).` }),
        303,
      );
    })
    .post("/accounts/:name/remove", async (c) => {
      const name = normalizeName(c.req.param("name"));
      if (name === c.get("actor")) {
        return c.redirect(
          afterPost("", ACCOUNTS_PATH, { error: "You cannot remove the account you are signed in with." }),
          303,
        );
      }
      if (!(await deleteAccount(deps.db, name))) {
        return c.redirect(afterPost("", ACCOUNTS_PATH, { error: `No account named ${name}.` }), 303);
      }
      await writeAudit(deps.db, { actor: c.get("actor"), action: "account.remove", target: name });
      return c.redirect(afterPost("", ACCOUNTS_PATH, { flash: `Removed ${name}; its sessions ended.` }), 303);
    });
}
