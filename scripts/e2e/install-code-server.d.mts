/** Types of install-code-server.mjs for the TypeScript tests. */
export declare const CODE_SERVER_VERSION: string;
export declare const DEFAULT_CACHE: string;
export declare function ensureCodeServer(dir?: string, log?: (message: string) => void): Promise<string>;
