/**
 * Workflow modules are evaluated once per sandbox context and shared by every workflow it runs (the SDK's
 * `preloadModules`). That is safe only while none of them keeps state of its own at module level: two runs would
 * share it. These tests check that the bundle shares them all, and that their top level declares no state.
 */
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { loadWorkflowBundle, projectRoot, sharedWorkflowModules, workflowsPath } from '../../worker/workflow-bundle';

/** The project modules `file` loads at run time: imports that are not type-only, and `require`s. */
function runtimeImports(file: string, source: ts.SourceFile): string[] {
  const specs: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) {
      const named = statement.importClause?.namedBindings;
      const onlyTypes =
        !statement.importClause?.name &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.every((element) => element.isTypeOnly);
      if (!onlyTypes) specs.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    )
      specs.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => join(dirname(file), spec))
    .map((path) => [`${path}.ts`, join(path, 'index.ts')].find((candidate) => existsSync(candidate))!)
    .filter(Boolean);
}

/** What a module's top level declares that two workflows sharing the module would share as state. */
function moduleLevelState(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const where = (node: ts.Node) => `line ${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) found.push(`${where(statement)}: a module-level let/var`);
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (
          init &&
          ts.isNewExpression(init) &&
          /^(Map|Set|WeakMap|WeakSet|Array)$/.test(init.expression.getText(source))
        )
          found.push(`${where(declaration)}: a module-level ${init.expression.getText(source)}`);
        if (init && ts.isArrayLiteralExpression(init) && init.elements.length === 0)
          found.push(`${where(declaration)}: a module-level empty array`);
      }
    }
    if (ts.isClassDeclaration(statement))
      for (const member of statement.members)
        if (
          ts.isPropertyDeclaration(member) &&
          member.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword)
        )
          found.push(`${where(member)}: a static class property`);
  }
  return found;
}

test('the bundle shares every workflow module but the entry', async () => {
  const shared = sharedWorkflowModules().map((path) => relative(projectRoot, path));
  assert.ok(shared.includes('workflows/agent-run.ts') && shared.includes('workflows/agent-loop.ts'));
  assert.ok(!shared.includes('workflows/index.ts'));
  const { code } = await loadWorkflowBundle();
  const body = /exports\.preloadModules = function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(code)?.[1];
  assert.ok(body, 'the bundle has a preloadModules function');
  for (const module of shared) assert.ok(body.includes(`./${module}`), `${module} is preloaded`);
});

test('shared workflow modules, and what they import, keep no state at module level', () => {
  const seen = new Set<string>();
  const queue = [workflowsPath, ...sharedWorkflowModules()];
  const problems: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const problem of moduleLevelState(source)) problems.push(`${relative(projectRoot, file)} ${problem}`);
    queue.push(...runtimeImports(file, source));
  }
  assert.ok(seen.size > 40, `walked ${seen.size} modules`);
  assert.ok(
    [...seen].some((file) => file.includes(`${join('agents', 'messages.ts')}`)),
    'agents/ modules are walked',
  );
  assert.deepEqual(problems, []);
});

test('the state check finds module-level state', () => {
  const source = ts.createSourceFile(
    'x.ts',
    'let n = 0;\nconst cache = new Map();\nconst list = [];\nconst ok = [1];\nclass A { static count = 0; static of() { return 1; } }',
    ts.ScriptTarget.Latest,
    true,
  );
  assert.deepEqual(moduleLevelState(source), [
    'line 1: a module-level let/var',
    'line 2: a module-level Map',
    'line 3: a module-level empty array',
    'line 5: a static class property',
  ]);
});
