/** Types of install-check.mjs (plain JavaScript so that the postinstall runs it with bare node). */
export declare const root: string;
export declare function allowScriptsEntry(name: string, version: string): boolean | undefined;
/** undefined when better-sqlite3 loads; otherwise the cause and the one command that fixes it. */
export declare function sqliteProblem(): string | undefined;
export interface SqliteFacts {
  message: string;
  version: string | undefined;
  built: boolean;
  ignoreScripts: boolean;
  allowed: boolean | undefined;
  npmMajor: number | undefined;
  node: string;
}
/** The message for a better-sqlite3 that does not load, from what was found. */
export declare function explainSqliteFailure(facts: SqliteFacts): string;
/** Path of Electron's binary when it is installed, else undefined. */
export declare function electronBinary(): string | undefined;
