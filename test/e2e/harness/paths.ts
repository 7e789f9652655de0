/** Where the end-to-end tests find the project and put what they produce. */
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
/** Screenshots and, on failure, logs (gitignored). */
export const RESULTS = join(ROOT, 'test-results', 'e2e');
export const CHROMIUM = process.env.SOFTMOE_CHROMIUM ?? '/usr/bin/chromium';
/** The demo suite the workspace is made of: media/demo/models/n<N>/ep*_moe.safetensors with args.json. */
export const DEMO_MODELS = join(ROOT, 'media', 'demo', 'models');
export const WORKSPACE_FIXTURE = join(ROOT, 'test', 'fixtures', 'e2e', 'workspace');
