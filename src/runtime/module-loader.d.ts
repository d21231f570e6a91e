// Types of module-loader.js (plain JavaScript: see that file for why).
export declare const runsFromSources: boolean;
export declare function isTypeScriptPath(path: string): boolean;
export declare function registerTypeScript(): Promise<void>;
export declare function importExactly(absolutePath: string): Promise<unknown>;
