/**
 * Drives Realm Core's own App client (the JNI library of realm-kotlin, test/realm-core/harness)
 * as a child process: one JSON command per line in, one JSON answer per line out.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const HARNESS_DIR = resolve(process.env.REALM_CORE_HARNESS_DIR ?? 'test/realm-core/harness');

export interface CoreError {
  source: string;
  category: string;
  code: number;
  codeName: string;
  httpStatusCode?: number;
  message: string;
}
export type CoreAnswer = { ok: true; result: unknown } | { ok: false; error: CoreError };

/** Why the harness cannot run here (no Java or Maven), or undefined when it can. */
export function harnessUnavailable(): string | undefined {
  if (existsSync(join(HARNESS_DIR, 'target/classpath.txt'))) return undefined;
  for (const tool of ['java', 'mvn']) {
    try {
      execFileSync(tool, ['-version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (Java 17 and Maven build test/realm-core/harness)`;
    }
  }
  return undefined;
}

/** Builds the harness once if needed (Maven Central; ~15 s cold, nothing when built). */
export function buildHarness(): void {
  const built = [
    'target/classpath.txt',
    'target/native/librealmc.so',
    'target/classes/harness/Harness.class',
  ];
  if (built.every((file) => existsSync(join(HARNESS_DIR, file)))) return;
  execFileSync('mvn', ['-q', '-B', 'package'], { cwd: HARNESS_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
}

export class CoreClient {
  private readonly answers: Array<(answer: CoreAnswer) => void> = [];
  private readonly exited: Promise<number | null>;
  readonly stderr: string[] = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.answers.shift()?.(JSON.parse(line)));
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  static start(baseUrl: string, appId: string): CoreClient {
    const child = spawn(join(HARNESS_DIR, 'run.sh'), [baseUrl, appId, '--timeout-ms=20000'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new CoreClient(child);
  }

  send(command: Record<string, unknown>): Promise<CoreAnswer> {
    return new Promise((resolve, reject) => {
      this.answers.push(resolve);
      this.child.stdin.write(`${JSON.stringify(command)}\n`, (error) => error && reject(error));
    });
  }

  /** The result of a command that must succeed (its error, as Core reported it, otherwise). */
  async ok<T = unknown>(command: Record<string, unknown>): Promise<T> {
    const answer = await this.send(command);
    if (!answer.ok) throw new Error(`${command.op} failed in Realm Core: ${JSON.stringify(answer.error)}`);
    return answer.result as T;
  }

  /** The error of a command that must fail. */
  async error(command: Record<string, unknown>): Promise<CoreError> {
    const answer = await this.send(command);
    if (answer.ok) throw new Error(`${command.op} succeeded in Realm Core: ${JSON.stringify(answer.result)}`);
    return answer.error;
  }

  async close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}
