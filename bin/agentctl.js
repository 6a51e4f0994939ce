#!/usr/bin/env node
// `agentctl`: the agent-run CLI (client/cli.ts). Registers tsx so the TypeScript sources run without a build step.
'use strict';

require('tsx/cjs/api').register();
require('../client/cli.ts').main();
