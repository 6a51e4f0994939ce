#!/usr/bin/env node
// `agentctl`: the agent-run CLI (client/cli.ts). In a checkout it runs the TypeScript sources through tsx;
// installed as a package it runs the compiled JavaScript (build/), with no tsx.
'use strict';

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'client', 'cli.ts');
if (existsSync(source)) {
  require('tsx/cjs/api').register();
  require(source).main();
} else {
  require('../build/client/cli.js').main();
}
