// A real browser for the waiting-page tests: Debian's Chromium (apt package
// `chromium`) driven by playwright-core. Nothing is downloaded; each test user
// gets a fresh context (own cookies, localStorage), all in one browser process.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, chromium, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface TestBrowser {
  browser: Browser;
  /** A fresh, isolated user: own cookie jar and localStorage. */
  newUser(options?: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/** Launches headless Chromium; fails with a clear message when it is not installed. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  // Chromium keeps crash reports and caches somewhere; keep them out of $HOME.
  const scratch = mkdtempSync(join(tmpdir(), 'wr-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--crash-dumps-dir=${scratch}`, `--disk-cache-dir=${scratch}`],
    env: { ...process.env, HOME: scratch, XDG_CONFIG_HOME: scratch, XDG_CACHE_HOME: scratch },
  });
  const contexts = new Set<BrowserContext>();
  return {
    browser,
    async newUser(options = {}) {
      const context = await browser.newContext({
        viewport: { width: 1000, height: 800 },
        locale: 'en-US',
        ...options,
      });
      contexts.add(context);
      context.once('close', () => contexts.delete(context));
      return { context, page: await context.newPage() };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
