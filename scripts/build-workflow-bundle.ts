/** Prebuilds the workflow bundle into dist/ so workers start in about a second. */
import { defaultBundlePath, writeWorkflowBundle } from '../worker/workflow-bundle';

writeWorkflowBundle().then(
  () => console.log(`workflow bundle written to ${defaultBundlePath}`),
  (err) => {
    console.error(`workflow bundle failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
