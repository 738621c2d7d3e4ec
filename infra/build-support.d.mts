/** See infra/build-support.mjs. */
export declare function isRunning(pid: number): boolean;
export declare function hashInputs(root: string, inputs: readonly string[], seed?: string): string | undefined;
