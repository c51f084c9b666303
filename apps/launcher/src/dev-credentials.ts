/**
 * What development prints once, to the terminal only (the logger would redact nothing it does not
 * know): the URL to open, the made-up sign-in, and the made-up token for curl.
 */
export function devCredentials(
  adminPort: number,
  generated: { user?: string; password?: string; token?: string },
  signIn: { user?: string | undefined } = {},
): string {
  const base = `http://127.0.0.1:${adminPort}`;
  const lines = ["", `Console: open ${base}/console (Bull Board: ${base}/queues)`];
  if (generated.user && generated.password) {
    lines.push(`  sign in as ${generated.user} with password ${generated.password}   (made up for this run)`);
  } else if (signIn.user) {
    lines.push(`  sign in as ${signIn.user} with ADMIN_PASSWORD`);
  }
  if (generated.token) {
    lines.push(`  scripts: curl -H "Authorization: Bearer ${generated.token}" ${base}/api/failures`);
  }
  return `${lines.join("\n")}\n\n`;
}
