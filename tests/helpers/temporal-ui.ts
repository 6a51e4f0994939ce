/**
 * The Temporal Web UI driven by `playwright-core` and Debian's chromium (never a downloaded browser):
 * launch, open a workflow, send a signal or an update through "More Actions", keep screenshots.
 * Waits on roles, test ids and text, never on sleeps.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../testing/paths';

/** Debian package `chromium` (scripts/setup.sh installs it). */
export const chromiumPath = '/usr/bin/chromium';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface UiBrowser {
  page: Page;
  /** Folder the screenshots go to (under .data/artifacts/ui/, kept after the test). */
  artifacts: string;
  /** Saves `<nn>-<name>.png` in {@link artifacts}; returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts chromium with a fresh profile and one page; screenshots go to `.data/artifacts/ui/<suite>-<time>/`. */
export async function launchUi(suite: string): Promise<UiBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'ui-profile-'));
  const artifacts = join(
    projectRoot,
    '.data',
    'artifacts',
    'ui',
    `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  );
  mkdirSync(artifacts, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  let shots = 0;
  return {
    page,
    artifacts,
    async screenshot(name) {
      const path = join(artifacts, `${String(++shots).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens a workflow's page (latest run) and waits until its actions are offered. */
export async function openWorkflow(
  page: Page,
  uiUrl: string,
  workflowId: string,
  namespace = 'default',
): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`);
  await page.getByRole('heading', { name: workflowId }).or(page.getByText(workflowId).first()).first().waitFor();
  await page.getByRole('button', { name: 'More Actions' }).waitFor();
}

/** Waits until the workflow's status badge shows `status` (e.g. `Running`, `Completed`; case ignored). */
export async function waitForStatus(page: Page, status: string): Promise<void> {
  await page
    .getByText(new RegExp(`^\\s*${status}\\s*$`, 'i'))
    .first()
    .waitFor();
}

/**
 * More Actions -> Send a Signal (or Send an Update) -> pick `name` from the list the workflow describes ->
 * optional JSON input -> Submit. Resolves when the dialog has closed (the UI closes it once the server
 * accepted the signal, or the update completed).
 */
export async function sendMessage(page: Page, kind: 'Signal' | 'Update', name: string, input?: unknown): Promise<void> {
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: `Send a${kind === 'Update' ? 'n' : ''} ${kind}` }).click();
  const dialog = page.getByRole('dialog').filter({ hasText: `Send a${kind === 'Update' ? 'n' : ''} ${kind}` });
  await dialog.waitFor();
  await choose(page, dialog, name);
  // The Data field is a code editor (contenteditable), not an input.
  if (input !== undefined) await dialog.locator('[contenteditable="true"]').first().fill(JSON.stringify(input));
  await dialog.getByRole('button', { name: 'Submit' }).click();
  try {
    await dialog.waitFor({ state: 'hidden' });
  } catch (err) {
    throw new Error(
      `the ${kind} dialog stayed open after Submit; it says: ${(await dialog.innerText()).replace(/\s+/g, ' ')}`,
      { cause: err },
    );
  }
}

/**
 * Picks `name` in the dialog's name list (filled from the workflow's own definitions, its metadata query) and
 * waits until the field shows it: a click that lands while the list is still animating open can be lost on a
 * busy machine, so it is tried again.
 */
async function choose(page: Page, dialog: Locator, name: string): Promise<void> {
  const field = dialog.locator('input[data-testid$="-select"]').first();
  for (let attempt = 1; ; attempt++) {
    await dialog
      .getByTestId(/-select-button$/)
      .first()
      .click();
    await dialog
      .getByRole('option')
      .filter({ has: page.getByText(name, { exact: true }) })
      .click();
    try {
      await page.waitForFunction(
        ([el, want]) => (el as unknown as { value: string }).value === want,
        [await field.elementHandle(), name] as const,
        { timeout: 5_000 },
      );
      return;
    } catch (err) {
      if (attempt === 3)
        throw new Error(`could not select "${name}": the field shows "${await field.inputValue()}"`, { cause: err });
    }
  }
}

/** What the Send a Signal / Send an Update list offers: each option's name and description, as one line. */
export async function describedMessages(page: Page, kind: 'Signal' | 'Update'): Promise<string[]> {
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: `Send a${kind === 'Update' ? 'n' : ''} ${kind}` }).click();
  const dialog = page.getByRole('dialog').filter({ hasText: `Send a${kind === 'Update' ? 'n' : ''} ${kind}` });
  await dialog
    .getByTestId(/-select-button$/)
    .first()
    .click();
  await dialog.getByRole('option').first().waitFor();
  const options = await dialog.getByRole('option').allInnerTexts();
  // A long list covers the Cancel button: close the list first (Escape may close the whole dialog too).
  await page.keyboard.press('Escape');
  await dialog.getByRole('option').first().waitFor({ state: 'hidden' });
  if (await dialog.isVisible()) await dialog.getByTestId('cancel-modal-button').click();
  await dialog.waitFor({ state: 'hidden' });
  return options.map((o) => o.replace(/\s+/g, ' ').trim());
}
