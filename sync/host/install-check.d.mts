/** Types of install-check.mjs (plain JavaScript so that the postinstall runs it with bare node). */
export declare const root: string;
export declare function allowScriptsEntry(name: string, version: string): boolean | undefined;
/** undefined when better-sqlite3 loads; otherwise the cause and the one command that fixes it. */
export declare function sqliteProblem(): string | undefined;
/** Path of Electron's binary when it is installed, else undefined. */
export declare function electronBinary(): string | undefined;
