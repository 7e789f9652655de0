/** The tool's version, from package.json (bundled in by esbuild): results, run identities and `--version` say it. */
import { version } from '../../package.json';

export const TOOL_VERSION: string = version;
