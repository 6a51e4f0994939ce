/** docs/errors.md documents every error type of `agents/errors.ts`, and only those, with its retry behaviour. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorType, nonRetryableErrorTypes } from '../agents/errors';
import { projectRoot } from '../testing/paths';

const doc = readFileSync(join(projectRoot, 'docs', 'errors.md'), 'utf8');
/** `| \`Type\` | raised by | retried | meaning |` rows. */
const rows = [...doc.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)].map(
  ([, type, raisedBy, retried]) => ({ type, raisedBy, retried }),
);

test('one row per error type, no row for a type that does not exist', () => {
  assert.deepEqual(rows.map((r) => r.type).sort(), Object.values(ErrorType).sort());
});

test('types Temporal must never retry are documented as not retried', () => {
  for (const row of rows) {
    if ((nonRetryableErrorTypes as string[]).includes(row.type)) assert.match(row.retried, /^no\b/, row.type);
    if (/^yes\b/.test(row.retried)) assert.ok(!(nonRetryableErrorTypes as string[]).includes(row.type), row.type);
  }
});

test('the README links the error table', () => {
  assert.match(readFileSync(join(projectRoot, 'README.md'), 'utf8'), /\]\(docs\/errors\.md\)/);
});
