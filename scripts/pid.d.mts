/** See scripts/pid.mjs. */
export declare function isRunning(pid: number): boolean;
