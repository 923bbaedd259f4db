import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); Playwright drives it, it downloads no browser of its own. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Headless, as root, on a machine with no outside network (background services would only fail). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** What a page printed as an error (console.error, uncaught exceptions), with the page's label. */
export class ConsoleErrors {
  readonly list: string[] = [];
  watch(page: Page, label: string): Page {
    page.on('console', (message) => {
      if (message.type() === 'error') this.list.push(`${label}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.list.push(`${label}: uncaught ${error.message}`));
    return page;
  }
}

/** A browser context (its own storage: one person) with one page, watched for console errors. */
export async function personPage(
  browser: Browser,
  errors: ConsoleErrors,
  label: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, timezoneId: 'UTC', locale: 'en-GB' });
  context.setDefaultTimeout(15_000);
  const page = errors.watch(await context.newPage(), label);
  page.on('dialog', (dialog) => void dialog.accept());
  return { context, page };
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, baseUrl: string, user: { username: string; password: string }, path = '/app/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as`).waitFor();
}
