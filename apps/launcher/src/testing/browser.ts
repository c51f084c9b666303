import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's chromium, headless: no browser download works here, and nothing may phone home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/** Opens `url`, lands on the sign-in page, signs in and waits to be back where it was going. */
export async function signInThroughForm(page: Page, url: string, who: { user: string; password: string }) {
  await page.goto(url);
  await page.getByLabel("Username").fill(who.user);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(url);
}
